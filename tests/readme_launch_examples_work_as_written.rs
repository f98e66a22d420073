//! The README's launch examples, run as written: each line of its "Launch
//! options" block goes through the real command-line parser and the app's
//! launch (every file read and checked, the app built) and then a few frames
//! of the real app. The files they name are made the way the README says:
//! `lesson.json` by `valley train ... --save-session lesson.json`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser as _;
use egui_kittest::Harness;
use valley::app::{CentralView, ProblemChoice, ValleyApp};
use valley::engine::surface::SurfaceKind;

/// The command lines of the README's "Launch options" block, comments cut.
fn launch_examples() -> Vec<Vec<String>> {
    let readme = include_str!("../README.md");
    let block = readme
        .split("Launch options:")
        .nth(1)
        .and_then(|rest| rest.split("```sh").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a Launch options block");
    block
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| line.starts_with("valley "))
        .map(|line| {
            line.split_whitespace()
                .map(|word| word.trim_matches('\'').to_string())
                .collect()
        })
        .collect()
}

/// Runs the `valley` binary in `dir`; panics with its stderr if it fails.
fn valley_in(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_valley"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("valley runs");
    assert!(
        output.status.success(),
        "valley {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_launch_example_in_the_readme_starts_the_app_it_describes() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The files the examples name, made as the README makes them.
    valley_in(
        dir.path(),
        &[
            "train",
            "--dataset",
            "moons",
            "--steps",
            "500",
            "--batch",
            "32",
            "--save-session",
            "lesson.json",
        ],
    );
    let torch_ref = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_ref");
    std::fs::copy(
        format!("{torch_ref}/cls_relu_f32.safetensors"),
        dir.path().join("model.safetensors"),
    )
    .expect("a model");
    std::fs::copy(
        format!("{torch_ref}/cls_data.csv"),
        dir.path().join("points.csv"),
    )
    .expect("its data");

    let examples = launch_examples();
    assert_eq!(examples.len(), 9, "{examples:?}");
    for example in examples {
        // Relative file names resolve in the folder the files were made in.
        let args: Vec<String> = example
            .iter()
            .map(|arg| {
                let named = dir.path().join(arg);
                if named.exists() || arg.ends_with(".png") {
                    named.to_string_lossy().into_owned()
                } else {
                    arg.clone()
                }
            })
            .collect();
        let cli = valley::cli::Cli::try_parse_from(&args)
            .unwrap_or_else(|e| panic!("{example:?} does not parse: {e}"));
        let options = valley::cli::launch_options(cli).expect("launch options");
        let screenshot = options.screenshot.clone();
        let mut prepared = valley::app::prepare(options)
            .unwrap_or_else(|e| panic!("{example:?} fails before the window: {e:#}"));
        let app = prepared
            .app(None, Arc::new(|| {}))
            .unwrap_or_else(|e| panic!("{example:?}: the app does not start: {e:#}"));
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1280.0, 720.0))
            .build_ui_state(|ui, app: &mut ValleyApp| app.frame_ui(ui), app);
        let line = example.join(" ");
        let wait_for = |harness: &mut Harness<'static, ValleyApp>,
                        what: &str,
                        done: &dyn Fn(&ValleyApp) -> bool| {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !done(harness.state()) {
                assert!(
                    Instant::now() < deadline,
                    "{line}: timed out waiting for {what}"
                );
                harness.step();
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        let settings = harness.state().settings.clone();
        match example[1].as_str() {
            "--preset" => assert_eq!(
                settings.problem,
                ProblemChoice::Surface(SurfaceKind::Rosenbrock),
                "{line}"
            ),
            "--view" if example.contains(&"--presentation".to_string()) => {
                assert_eq!(settings.view, CentralView::Surface, "{line}");
                assert!(settings.presentation, "{line}");
            }
            "--view" if example.contains(&"dimensions".to_string()) => {
                assert_eq!(settings.view, CentralView::Dimensions, "{line}");
            }
            "--view" => assert_eq!(settings.view, CentralView::SideBySide, "{line}"),
            "--lesson" => {
                let lesson = harness.state().lesson.as_ref().expect("the lesson is on");
                assert_eq!(lesson.lesson.id(), "learning-rate", "{line}");
                assert_eq!(lesson.index, 0, "{line}");
            }
            "--open" => {
                // The session goes on where `valley train` stopped it.
                wait_for(&mut harness, "the session's step", &|app| {
                    app.runtime.snapshot.step == 500
                });
                let message = harness.state().runtime.notices.text();
                assert!(message.contains("at step 500"), "{line}: {message}");
            }
            "--link" => {
                // The link's scene, trained to its step and paused there.
                assert_eq!(
                    settings.problem,
                    ProblemChoice::Dataset(valley::engine::data::DatasetKind::Moons),
                    "{line}"
                );
                assert!((settings.train.optimizer.lr - 0.03).abs() < 1e-7, "{line}");
                wait_for(&mut harness, "the link's step", &|app| {
                    app.runtime.snapshot.step == 150
                        && app.runtime.snapshot.state != valley::engine::train::RunState::Running
                });
                let message = harness.state().runtime.notices.text();
                assert!(message.contains("step 150"), "{line}: {message}");
                assert_eq!(
                    harness.state().link_query(),
                    "dataset=moons&lr=0.03&step=150"
                );
            }
            "--weights" => {
                assert_eq!(settings.problem, ProblemChoice::Imported, "{line}");
                wait_for(&mut harness, "the imported model", &|app| {
                    app.runtime.problem.linear_layers().is_some()
                });
            }
            "--screenshot" => {
                assert!(screenshot.is_some_and(|p| p.ends_with("out.png")), "{line}");
                assert_eq!(settings.race.len(), 4, "{line}");
            }
            other => panic!("{line}: an example this test does not know ({other})"),
        }
        // A few frames of the real app on top, whatever the example.
        for _ in 0..5 {
            harness.step();
        }
    }
}
