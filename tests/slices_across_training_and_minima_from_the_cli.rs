//! The CLI's views of how training moves: the gradient's plane, the line to
//! a second seed, the film strip with the distance off the start's plane,
//! and flat vs sharp minima.

use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

fn valley(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_valley"))
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "valley {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// `alpha,loss` rows of a 1D slice.
fn line_csv(path: &std::path::Path) -> Vec<(f64, f64)> {
    std::fs::read_to_string(path)
        .expect("csv")
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').expect("two columns");
            (a.parse().expect("alpha"), b.parse().expect("loss"))
        })
        .collect()
}

fn at(rows: &[(f64, f64)], alpha: f64) -> f64 {
    rows.iter()
        .find(|r| (r.0 - alpha).abs() < 1e-6)
        .unwrap_or_else(|| panic!("no point at α = {alpha}"))
        .1
}

const MOONS: [&str; 4] = ["--dataset", "moons", "--size", "200"];

#[test]
fn the_gradient_slice_goes_downhill_to_the_right_of_the_centre() {
    let dir = TempDir::new().expect("temp dir");
    let csv = dir.path().join("g.csv");
    let csv_arg = csv.to_str().expect("utf-8");
    let args = [
        &MOONS[..],
        &[
            "--steps",
            "30",
            "--directions",
            "gradient",
            "--dims",
            "1",
            "--span",
            "0.02",
            "--res",
            "5",
            "--csv",
            csv_arg,
        ],
    ]
    .concat();
    let output = valley(&[&["landscape"][..], &args].concat());
    assert!(String::from_utf8_lossy(&output.stdout).contains("downhill"));
    let rows = line_csv(&csv);
    // α runs along −∇L: the loss falls through the centre, left to right.
    let (left, centre, right) = (at(&rows, -0.01), at(&rows, 0.0), at(&rows, 0.01));
    assert!(left > centre && centre > right, "{left} {centre} {right}");
}

#[test]
fn the_line_to_a_second_seed_ends_at_both_runs_minima() {
    let dir = TempDir::new().expect("temp dir");
    let csv = dir.path().join("seeds.csv");
    let output = valley(
        &[
            &["landscape"][..],
            &MOONS,
            &[
                "--steps",
                "400",
                "--directions",
                "seeds",
                "--seed-b",
                "5",
                "--res",
                "21",
                "--csv",
                csv.to_str().expect("utf-8"),
            ],
        ]
        .concat(),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("barrier"), "{stdout}");
    let rows = line_csv(&csv);
    // α = −1 is run A (seed 0) and α = 1 run B (seed 5): the same losses as training each.
    for (seed, alpha) in [("0", -1.0), ("5", 1.0)] {
        let trained = json(&valley(
            &[
                &["train"][..],
                &MOONS,
                &["--steps", "400", "--seed", seed, "--json"],
            ]
            .concat(),
        ));
        let train_loss = trained["train_loss"].as_f64().expect("train_loss");
        let on_line = at(&rows, alpha);
        assert!(
            (on_line - train_loss).abs() < 1e-4 * train_loss.max(1.0),
            "seed {seed}: {on_line} on the line, {train_loss} trained"
        );
    }
}

#[test]
fn the_film_strip_shows_each_step_and_measures_the_drift_off_the_start_plane() {
    let dir = TempDir::new().expect("temp dir");
    let png = dir.path().join("strip.png");
    let output = valley(
        &[
            &["filmstrip"][..],
            &MOONS,
            &[
                "--at",
                "0,10,100,300",
                "--res",
                "15",
                "--png",
                png.to_str().expect("utf-8"),
                "--figure-size",
                "1600x500",
                "--json",
            ],
        ]
        .concat(),
    );
    let report = json(&output);
    let frames = report["frames"].as_array().expect("frames");
    let steps: Vec<u64> = frames
        .iter()
        .map(|f| f["step"].as_u64().expect("step"))
        .collect();
    assert_eq!(steps, vec![0, 10, 100, 300]);
    let distance = |f: &Value| f["distance_off_frozen_plane"].as_f64().expect("distance");
    // At the start the parameters are on the start's plane; then they leave it.
    assert!(distance(&frames[0]) < 1e-6, "{}", distance(&frames[0]));
    assert!(distance(&frames[3]) > distance(&frames[1]));
    for frame in frames {
        for key in ["step_share_in_frozen_plane", "step_share_in_own_plane"] {
            let share = frame[key].as_f64().expect("a share");
            assert!((0.0..=1.0).contains(&share), "{key} = {share}");
        }
        let (lo, hi) = (
            frame["loss_range"][0].as_f64().expect("low"),
            frame["loss_range"][1].as_f64().expect("high"),
        );
        let loss = frame["loss"].as_f64().expect("loss");
        assert!(
            lo <= loss + 1e-6 && loss <= hi + 1e-6,
            "{lo} ≤ {loss} ≤ {hi}"
        );
    }
    // Training lowered the loss between the first and the last frame.
    assert!(frames[3]["loss"].as_f64() < frames[0]["loss"].as_f64());
    let image = image::open(&png).expect("the strip is a PNG").to_rgb8();
    assert_eq!(image.dimensions(), (1600, 500));
}

/// Plain SGD at 0.3 for 300 steps, with batches of 8 against the full batch:
/// far enough apart in λmax not to tie.
const SHARPNESS_RUN: [&str; 10] = [
    "--optimizer",
    "sgd",
    "--lr",
    "0.3",
    "--steps",
    "300",
    "--batches",
    "8,full",
    "--res",
    "21",
];

#[test]
fn flat_and_sharp_minima_are_compared_with_their_sharpness_and_test_loss() {
    let dir = TempDir::new().expect("temp dir");
    let png = dir.path().join("minima.png");
    let output = valley(
        &[
            &["sharpness"][..],
            &MOONS,
            &SHARPNESS_RUN,
            &["--png", png.to_str().expect("utf-8"), "--json"],
        ]
        .concat(),
    );
    let report = json(&output);
    let minima = report["minima"].as_array().expect("minima");
    let labels: Vec<&str> = minima
        .iter()
        .map(|m| m["label"].as_str().expect("label"))
        .collect();
    assert_eq!(labels, vec!["batch 8", "full batch"]);
    assert_eq!(minima[0]["batch"].as_u64(), Some(8));
    assert!(minima[1]["batch"].is_null());
    for m in minima {
        let sharpness = m["sharpness"].as_f64().expect("sharpness");
        assert!(sharpness.is_finite() && sharpness > 0.0, "{sharpness}");
        assert!(m["test_loss"].as_f64().expect("test loss") > 0.0);
        // The slice's highest point near the minimum is no lower than the minimum.
        let rise = m["slice_rise"].as_f64().expect("rise");
        assert!(rise >= m["train_loss"].as_f64().expect("train loss") - 1e-6);
    }
    assert!(image::open(&png).is_ok(), "a readable PNG");
    // The figure follows each minimum's sharpest direction unless asked: one
    // range for all, on which the higher λmax climbs more.
    assert_eq!(report["along"], "sharpest");
    let half_range = report["sharpest_half_range"].as_f64().expect("half range");
    assert!(half_range > 0.0, "{half_range}");
    let number = |m: &Value, key: &str| m[key].as_f64().unwrap_or_else(|| panic!("{key}"));
    let (flat, sharp) = if number(&minima[0], "sharpness") < number(&minima[1], "sharpness") {
        (&minima[0], &minima[1])
    } else {
        (&minima[1], &minima[0])
    };
    assert!(
        number(sharp, "sharpest_rise") > number(flat, "sharpest_rise"),
        "{sharp} vs {flat}"
    );
    assert!(number(flat, "random_rise").is_finite() && number(sharp, "random_rise").is_finite());
    // The sentence names the flatter run with both λmax as plain numbers, and
    // says whether the random direction agrees.
    let verdict = report["verdict"].as_str().expect("verdict");
    let flat_label = flat["label"].as_str().expect("label");
    assert!(
        verdict.starts_with(&format!(
            "The {flat_label} run found the flatter minimum: λmax "
        )),
        "{verdict}"
    );
    let random_agrees = number(sharp, "random_rise") > number(flat, "random_rise");
    assert_eq!(
        verdict.contains("the order is reversed"),
        !random_agrees && !verdict.contains("rise about equally"),
        "{verdict}"
    );
    assert!(verdict.contains("test loss"), "{verdict}");
    // The table says the same sentence; --along random draws the other slice.
    let random_png = dir.path().join("random.png");
    let table = valley(
        &[
            &["sharpness"][..],
            &MOONS,
            &SHARPNESS_RUN,
            &[
                "--along",
                "random",
                "--png",
                random_png.to_str().expect("utf-8"),
            ],
        ]
        .concat(),
    );
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains(verdict), "{table}");
    assert!(image::open(&random_png).is_ok(), "a readable PNG");
    // One setting is no comparison.
    let alone = Command::new(env!("CARGO_BIN_EXE_valley"))
        .args(["sharpness", "--dataset", "moons", "--batches", "8"])
        .output()
        .expect("runs");
    assert!(!alone.status.success());
    assert!(String::from_utf8_lossy(&alone.stderr).contains("at least two"));
}
