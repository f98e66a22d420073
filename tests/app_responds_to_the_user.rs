//! The app driven through its widgets and keys (egui_kittest; no display needed).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{frames_until, harness};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use valley::app::{AppCommand, ValleyApp};
use valley::engine::train::RunState;

#[test]
fn pressing_play_moves_the_step_counter_and_pause_stops_it() {
    let mut harness = harness();
    frames_until(&mut harness, "the first landscape", |app| {
        app.runtime.slices.grid.is_some()
    });
    assert_eq!(harness.state().runtime.snapshot.step, 0);
    harness.get_by_label("Play").click();
    frames_until(&mut harness, "steps", |app| app.runtime.snapshot.step > 3);
    assert_eq!(harness.state().runtime.snapshot.state, RunState::Running);
    harness.get_by_label("Pause").click();
    frames_until(&mut harness, "pause", |app| {
        app.runtime.snapshot.state == RunState::Paused
    });
    harness.get_by_label("Step").click();
    let before = harness.state().runtime.snapshot.step;
    frames_until(&mut harness, "one step", |app| {
        app.runtime.snapshot.step == before + 1
    });
}

#[test]
fn keys_play_step_reset_and_toggle_presentation() {
    let mut harness = harness();
    harness.key_press(Key::ArrowRight);
    frames_until(&mut harness, "a step from the arrow key", |app| {
        app.runtime.snapshot.step == 1
    });
    harness.key_press(Key::Space);
    frames_until(&mut harness, "running from Space", |app| {
        app.runtime.snapshot.step > 5
    });
    harness.key_press(Key::Space);
    frames_until(&mut harness, "paused from Space", |app| {
        app.runtime.snapshot.state == RunState::Paused
    });
    harness.key_press(Key::R);
    frames_until(&mut harness, "reset from R", |app| {
        app.runtime.snapshot.step == 0
    });
    assert!(!harness.state().settings.presentation);
    harness.key_press(Key::P);
    harness.step();
    assert!(harness.state().settings.presentation);
    assert_eq!(harness.ctx.zoom_factor(), 1.5);
    harness.key_press(Key::P);
    harness.step();
    assert!(!harness.state().settings.presentation);
}

#[test]
fn changing_the_learning_rate_reaches_the_trainer() {
    let mut harness = harness();
    harness.state_mut().settings.train.optimizer.lr = 0.0375;
    frames_until(&mut harness, "the new learning rate", |app| {
        (app.runtime.snapshot.lr - 0.0375).abs() < 1e-7
    });
    // Changing the architecture starts a new run on a new problem.
    harness.state_mut().settings.width = 5;
    frames_until(&mut harness, "the new model", |app| {
        app.runtime.snapshot.params.len() == 2 * 5 + 5 + 5 * 5 + 5 + 5 * 2 + 2
    });
}

#[test]
fn a_diverging_run_pauses_says_so_and_keeps_drawing() {
    let mut harness = harness();
    harness.state_mut().settings.problem =
        valley::app::ProblemChoice::Surface(valley::engine::surface::SurfaceKind::Bowl);
    harness.state_mut().settings.train.optimizer.kind = valley::engine::optim::OptimizerKind::Sgd;
    harness.state_mut().settings.train.optimizer.lr = 100.0;
    harness.state_mut().settings.steps_per_second = None;
    frames_until(&mut harness, "the surface", |app| {
        app.runtime.problem.surface().is_some()
    });
    harness.key_press(Key::Space);
    frames_until(&mut harness, "divergence", |app| {
        matches!(app.runtime.snapshot.state, RunState::Diverged { .. })
    });
    for _ in 0..5 {
        harness.step();
    }
    // Said in the status bar, and over the map in large type.
    harness.get_by_label_contains("lower the learning rate and reset");
    harness.get_by_label_contains("The run diverged at step");
    harness.key_press(Key::R);
    frames_until(&mut harness, "reset after divergence", |app| {
        app.runtime.snapshot.state == RunState::Paused && app.runtime.snapshot.step == 0
    });
}

#[test]
fn save_png_and_export_csv_write_files() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let mut harness = harness();
    harness.state_mut().export_dir = dir.path().to_path_buf();
    frames_until(&mut harness, "a final landscape", |app| {
        app.runtime.is_settled()
    });
    harness.get_by_label("Save PNG").click();
    let png = dir.path().join("valley-step0-landscape.png");
    frames_until(&mut harness, "the PNG", |_| png.exists());
    let image = image::open(&png).expect("a readable PNG");
    assert_eq!((image.width(), image.height()), (1600, 1400));
    harness.get_by_label("Export CSV").click();
    let grid = dir.path().join("valley-step0-grid.csv");
    let trajectory = dir.path().join("valley-step0-trajectory.csv");
    frames_until(&mut harness, "the CSV files", |_| {
        grid.exists() && trajectory.exists()
    });
    frames_until(&mut harness, "the message", |app| {
        app.runtime.notices.text().contains("trajectory.csv")
    });
    let text = std::fs::read_to_string(&grid).expect("grid csv");
    assert!(text.starts_with("alpha,beta,loss\n"));
    assert_eq!(text.lines().count(), 21 * 21 + 1);
    let trail = std::fs::read_to_string(&trajectory).expect("trajectory csv");
    assert!(
        trail.starts_with("step,loss,alpha,beta,distance_off_plane\n0,"),
        "{trail}"
    );
    // Saving again at the same step keeps the first file and says where the second went.
    let before = std::fs::read(&png).expect("first png");
    harness.get_by_label("Save PNG").click();
    let second = dir.path().join("valley-step0-2-landscape.png");
    frames_until(&mut harness, "the second PNG", |app| {
        second.exists()
            && app
                .runtime
                .notices
                .text()
                .contains("valley-step0-2-landscape.png")
    });
    assert_eq!(std::fs::read(&png).expect("first png"), before);
}

#[test]
fn the_3d_surface_turns_when_dragged() {
    let mut harness = harness();
    frames_until(&mut harness, "the first landscape", |app| {
        app.runtime.slices.grid.is_some()
    });
    harness.get_by_label("3D surface").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().settings.view,
        valley::app::CentralView::Surface
    );
    let before = harness.state().settings.camera;
    let (from, to) = (egui::pos2(600.0, 450.0), egui::pos2(700.0, 420.0));
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.event(egui::Event::PointerMoved(from));
    harness.event(button(from, true));
    harness.run_steps(1);
    for k in 1..=5 {
        harness.event(egui::Event::PointerMoved(
            from + (to - from) * (k as f32 / 5.0),
        ));
        harness.run_steps(1);
    }
    harness.event(button(to, false));
    harness.run_steps(2);
    let after = harness.state().settings.camera;
    assert!(
        after.yaw < before.yaw - 0.5,
        "yaw {} -> {}",
        before.yaw,
        after.yaw
    );
    assert!(
        after.elevation < before.elevation,
        "elevation {} -> {}",
        before.elevation,
        after.elevation
    );
    // Back to the map: the heatmap view comes back with its colorbar.
    harness.get_by_label("2D map").click();
    harness.run_steps(2);
    assert_eq!(harness.state().settings.view, valley::app::CentralView::Map);
}

#[test]
fn ticking_optimisers_on_a_surface_races_them_in_lockstep() {
    let settings = valley::app::preset("rosenbrock").expect("preset");
    let app = ValleyApp::new(settings, Arc::new(|| {})).expect("the app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut ValleyApp| app.frame_ui(ui), app);
    harness.run_steps(2);
    assert!(!harness.state().runtime.race.is_on());
    harness.get_by_label("sgd").click();
    harness.get_by_label("adam").click();
    frames_until(&mut harness, "the race", |app| app.runtime.race.is_on());
    harness.get_by_label("Step").click();
    frames_until(&mut harness, "a step of the race", |app| {
        app.runtime
            .race
            .latest
            .as_ref()
            .is_some_and(|r| r.step == 1)
    });
    let race = harness.state().runtime.race.latest.clone().expect("race");
    let names: Vec<&str> = race.lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["sgd", "adam"]);
    assert_ne!(
        race.lanes[0].params, race.lanes[1].params,
        "two rules, two places"
    );
    // Unticking every lane ends the race.
    harness.get_by_label("sgd").click();
    harness.get_by_label("adam").click();
    frames_until(&mut harness, "the race to end", |app| {
        !app.runtime.race.is_on()
    });
}

#[test]
fn a_saved_png_reopens_as_the_same_scene_and_other_files_are_refused() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let mut harness = harness();
    harness.state_mut().export_dir = dir.path().to_path_buf();
    harness.state_mut().settings.train.optimizer.lr = 0.0037;
    harness.state_mut().settings.train.seed = 9;
    harness.key_press(Key::R);
    frames_until(&mut harness, "a final landscape", |app| {
        app.runtime.is_settled()
    });
    harness.get_by_label("Step").click();
    frames_until(&mut harness, "one step", |app| {
        app.runtime.snapshot.step == 1
    });
    frames_until(&mut harness, "a final landscape", |app| {
        app.runtime.is_settled()
    });
    harness.get_by_label("Save PNG").click();
    let png = dir.path().join("valley-step1-landscape.png");
    frames_until(&mut harness, "the PNG", |_| png.exists());
    let saved = harness.state().settings.clone();
    let params = harness.state().runtime.snapshot.params.clone();

    // A fresh app with default settings opens the figure and replays to step 1.
    let mut other = self::harness();
    other.run_steps(2);
    other.state_mut().execute(AppCommand::Open(png.clone()));
    frames_until(&mut other, "the replayed step", |app| {
        app.runtime.snapshot.step == 1 && app.runtime.snapshot.state == RunState::Paused
    });
    assert_eq!(other.state().settings, saved);
    assert_eq!(
        other.state().runtime.snapshot.params,
        params,
        "same seed, same step, same point"
    );

    // A PNG without a scene is refused with a message, and nothing changes.
    let plain = dir.path().join("plain.png");
    image::RgbImage::new(4, 4).save(&plain).expect("plain png");
    other.state_mut().execute(AppCommand::Open(plain.clone()));
    let message = other.state().runtime.notices.text();
    assert!(message.contains("holds no Valley scene"), "{message}");
    assert_eq!(other.state().settings, saved);
}

#[test]
fn the_training_chart_switches_between_loss_gradient_norm_and_learning_rate() {
    let mut harness = harness();
    // Let the views settle first: a chart that arrives moves the buttons below it.
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    harness.run_steps(2);
    harness.get_by_label("Gradient norm").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().settings.curve,
        valley::app::CurveChoice::GradNorm
    );
    // Move the pointer off the buttons so a tooltip does not cover the next one.
    harness.event(egui::Event::PointerMoved(egui::pos2(5.0, 890.0)));
    harness.run_steps(2);
    harness.get_by_label("Learning rate").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().settings.curve,
        valley::app::CurveChoice::LearningRate
    );
    harness.get_by_label("Loss").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().settings.curve,
        valley::app::CurveChoice::Loss
    );
}

#[test]
fn an_imported_pytorch_model_trains_from_its_weights_and_saves_back() {
    use valley::engine::io::{
        DType, default_tensor_names, read_safetensors, sequential_from_file, sequential_tensors,
        write_safetensors,
    };
    use valley::engine::nn::{Activation, Init, Mlp};
    let dir = tempfile::TempDir::new().expect("temp dir");
    // A 2-8-2 network as PyTorch would save it, and XOR-like data for it.
    let mlp = Mlp::new(&[2, 8, 2], Activation::Tanh).expect("mlp");
    let start: Vec<f64> = mlp
        .init(Init::Torch, 3)
        .iter()
        .map(|&w| f64::from(w))
        .collect();
    let weights = dir.path().join("model.safetensors");
    write_safetensors(
        &weights,
        &sequential_tensors(&[2, 8, 2], &default_tensor_names(2), &start),
        DType::F32,
    )
    .expect("weights");
    let mut csv = String::from("x1,x2,label\n");
    for i in 0..60 {
        let (a, b) = ((i % 7) as f32 / 3.0 - 1.0, (i % 5) as f32 / 2.0 - 1.0);
        csv.push_str(&format!("{a},{b},{}\n", usize::from(a * b > 0.0)));
    }
    let data = dir.path().join("data.csv");
    std::fs::write(&data, csv).expect("csv");

    let mut harness = harness();
    harness.state_mut().export_dir = dir.path().to_path_buf();
    {
        let settings = &mut harness.state_mut().settings;
        settings.import = Some(valley::app::ImportSpec {
            weights: weights.clone(),
            data,
            activation: Activation::Tanh,
        });
        settings.problem = valley::app::ProblemChoice::Imported;
    }
    frames_until(&mut harness, "the imported model", |app| {
        app.runtime.problem.num_params() == 2 * 8 + 8 + 8 * 2 + 2 && app.runtime.is_consistent()
    });
    let loaded: Vec<f64> = harness
        .state()
        .runtime
        .snapshot
        .params
        .iter()
        .map(|&w| f64::from(w))
        .collect();
    assert_eq!(loaded, start, "training starts from the file's weights");
    harness.get_by_label("Step").click();
    frames_until(&mut harness, "a step", |app| app.runtime.snapshot.step == 1);
    harness.get_by_label("Save weights").click();
    let saved = dir.path().join("valley-step1-weights.safetensors");
    frames_until(&mut harness, "the weights file", |_| saved.exists());
    frames_until(&mut harness, "the message", |app| {
        app.runtime.notices.text().contains("weights.safetensors")
    });
    let file = read_safetensors(&saved).expect("readable");
    let back = sequential_from_file(&file, "saved").expect("an nn.Sequential");
    assert_eq!(back.layer_sizes, vec![2, 8, 2]);
    let now: Vec<f64> = harness
        .state()
        .runtime
        .snapshot
        .params
        .iter()
        .map(|&w| f64::from(w))
        .collect();
    assert_eq!(back.params, now);
    assert_ne!(back.params, start, "one step moved the weights");
}

#[test]
fn a_saved_session_reopens_with_the_same_run_and_goes_on_identically() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let mut harness = harness();
    harness.state_mut().export_dir = dir.path().to_path_buf();
    harness.state_mut().settings.train.batch_size = Some(16);
    frames_until(&mut harness, "the first landscape", |app| {
        app.runtime.is_settled()
    });
    harness
        .state_mut()
        .runtime
        .send(valley::engine::train::Command::Step(25));
    frames_until(&mut harness, "25 steps", |app| {
        app.runtime.snapshot.step == 25
    });
    harness.get_by_label("Save session").click();
    let file = dir.path().join("valley-step25-session.json");
    frames_until(&mut harness, "the session file", |_| file.exists());
    let saved_settings = harness.state().settings.clone();

    let mut other = self::harness();
    other.run_steps(2);
    other.state_mut().execute(AppCommand::Open(file.clone()));
    frames_until(&mut other, "the restored run", |app| {
        app.runtime.snapshot.step == 25 && app.runtime.is_consistent()
    });
    assert_eq!(other.state().settings, saved_settings);
    assert_eq!(
        other.state().runtime.snapshot.params,
        harness.state().runtime.snapshot.params
    );
    // Ten more minibatch steps on each: the same batches, the same moments, the same point.
    for h in [&mut harness, &mut other] {
        h.state_mut()
            .runtime
            .send(valley::engine::train::Command::Step(10));
        frames_until(h, "10 more steps", |app| app.runtime.snapshot.step == 35);
    }
    assert_eq!(
        other.state().runtime.snapshot.params,
        harness.state().runtime.snapshot.params
    );

    // A damaged session is refused with its reason; the run stays as it was.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"format_version": 1, "problem": 3}"#).expect("write");
    other.state_mut().execute(AppCommand::Open(broken.clone()));
    let message = other.state().runtime.notices.text();
    assert!(
        message.contains("not a readable Valley session"),
        "{message}"
    );
    assert_eq!(other.state().runtime.snapshot.step, 35);
}

#[test]
fn the_curvature_panel_reports_sharpness_and_a_verdict_when_training_pauses() {
    let mut harness = harness();
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    harness.run_steps(2);
    harness.get_by_label("Curvature").click();
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness.query_by_label_contains("sharpness").is_none() {
        assert!(Instant::now() < deadline, "no curvature result");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        harness
            .query_by_label_contains("at step 0: sharpness λmax =")
            .is_some()
    );
    assert!(harness.query_by_label_contains("λmin =").is_some());
    // At initialisation the slope is steep: still descending.
    assert!(
        harness
            .query_by_label_contains("still descending")
            .is_some()
    );
}

#[test]
fn hessian_and_pca_planes_are_computed_where_asked_and_then_kept() {
    let mut harness = harness();
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    // PCA needs a path: at step 0 it says so and waits to be asked again.
    harness.state_mut().settings.directions = valley::app::DirectionChoice::Pca;
    frames_until(&mut harness, "the PCA refusal", |app| {
        app.runtime.notices.text().contains("PCA needs a path")
    });
    harness
        .state_mut()
        .runtime
        .send(valley::engine::train::Command::Step(40));
    frames_until(&mut harness, "40 steps", |app| {
        app.runtime.snapshot.step == 40
    });
    harness.get_by_label("Compute again here").click();
    frames_until(&mut harness, "the PCA plane", |app| {
        app.runtime
            .notices
            .text()
            .contains("PCA plane of the path to step 40")
            && app.runtime.is_settled()
    });
    // The Hessian plane: α sharpest, β most negative, through the current point.
    harness.state_mut().settings.directions = valley::app::DirectionChoice::Hessian;
    frames_until(&mut harness, "the Hessian plane", |app| {
        app.runtime
            .notices
            .text()
            .contains("slice along the Hessian at step 40")
            && app.runtime.is_settled()
    });
    let plane = harness
        .state()
        .runtime
        .slices
        .grid
        .as_ref()
        .expect("a grid")
        .plane
        .clone();
    assert_eq!(
        &plane.center[..],
        &harness.state().runtime.snapshot.params[..]
    );
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm(&plane.directions[0]) - 1.0).abs() < 1e-4,
        "unit eigenvectors"
    );
    // The plane stays put while training goes on.
    harness
        .state_mut()
        .runtime
        .send(valley::engine::train::Command::Step(5));
    frames_until(&mut harness, "5 more steps", |app| {
        app.runtime.snapshot.step == 45
    });
    harness.run_steps(3);
    let after = harness
        .state()
        .runtime
        .slices
        .grid
        .as_ref()
        .expect("a grid")
        .plane
        .clone();
    assert_eq!(after.center, plane.center, "a computed plane is fixed");
}

#[test]
fn a_long_replay_shows_its_progress_and_cancel_stops_it_where_it_is() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let scene = dir.path().join("far.json");
    // A scene at step ten billion: far past what a class would wait for.
    std::fs::write(
        &scene,
        r#"{"version": 1, "settings": {"dataset_size": 200, "resolution": 21}, "step": 10000000000}"#,
    )
    .expect("write");
    let mut harness = harness();
    harness.state_mut().execute(AppCommand::Open(scene.clone()));
    frames_until(&mut harness, "the replay under way", |app| {
        app.runtime.snapshot.step > 100
    });
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("replaying to step 10000000000")
            .is_some(),
        "the status bar shows the replay's progress"
    );
    harness.get_by_label("Cancel").click();
    frames_until(&mut harness, "the replay stopped", |app| {
        app.runtime.snapshot.state == RunState::Paused
    });
    let stopped_at = harness.state().runtime.snapshot.step;
    assert!(stopped_at < 10_000_000_000);
    let message = harness.state().runtime.notices.text();
    assert!(message.contains("replay stopped at step"), "{message}");
    // Stopped means stopped: no more steps arrive.
    harness.run_steps(5);
    std::thread::sleep(Duration::from_millis(100));
    harness.run_steps(2);
    assert_eq!(harness.state().runtime.snapshot.step, stopped_at);
}

#[test]
fn stored_settings_that_fail_the_check_give_way_to_the_defaults_and_say_so() {
    use valley::app::{LaunchOptions, Settings};
    let mut prepared = valley::app::prepare(LaunchOptions::default()).expect("nothing to read");
    // eframe's store, edited by hand: a billion-parameter network.
    let stored = Settings {
        hidden_layers: 63,
        width: 4096,
        ..Settings::default()
    };
    let app = prepared
        .app(Some(stored), Arc::new(|| {}))
        .expect("the app starts");
    assert_eq!(app.settings, Settings::default());
    let message = app.runtime.notices.text();
    assert!(
        message.contains("saved settings were not used") && message.contains("5000000"),
        "{message}"
    );
}

#[test]
fn an_opened_file_is_shown_the_way_the_command_line_asks() {
    use valley::app::{CentralView, LaunchOptions, Settings};
    let dir = tempfile::TempDir::new().expect("temp dir");
    let scene = dir.path().join("scene.json");
    // A scene saved on the map, out of presentation mode.
    std::fs::write(
        &scene,
        r#"{"version": 1, "settings": {"dataset_size": 200, "resolution": 21, "view": "Map"}, "step": 3}"#,
    )
    .expect("write");
    let mut prepared = valley::app::prepare(LaunchOptions {
        open: Some(scene),
        presentation: true,
        view: Some(CentralView::Surface),
        ..LaunchOptions::default()
    })
    .expect("the scene reads");
    let app = prepared.app(None, Arc::new(|| {})).expect("the app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .build_ui_state(|ui, app: &mut ValleyApp| app.frame_ui(ui), app);
    frames_until(&mut harness, "the replayed step", |app| {
        app.runtime.snapshot.step == 3
    });
    let settings: &Settings = &harness.state().settings;
    assert!(
        settings.presentation,
        "--presentation holds for an opened file"
    );
    assert_eq!(settings.view, CentralView::Surface, "so does --view");
    assert_eq!(settings.dataset_size, 200, "the scene's own settings");
}
