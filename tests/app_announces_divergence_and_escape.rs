//! A run that blows up, or a ball that runs off a surface with no bottom,
//! is announced over the map in large type with the way out, and the map
//! keeps its extent (kittest, through the app's own widgets).

mod common;

use common::{frames_until, harness};
use egui_kittest::kittest::Queryable;
use valley::app::ProblemChoice;
use valley::engine::optim::OptimizerKind;
use valley::engine::surface::SurfaceKind;
use valley::engine::train::RunState;

#[test]
fn a_diverged_run_offers_a_reset_with_a_tenth_of_the_learning_rate() {
    let mut harness = harness();
    {
        let settings = &mut harness.state_mut().settings;
        settings.problem = ProblemChoice::Surface(SurfaceKind::Bowl);
        settings.train.optimizer.kind = OptimizerKind::Sgd;
        settings.train.optimizer.lr = 100.0;
        settings.steps_per_second = None;
    }
    frames_until(&mut harness, "the bowl", |app| {
        app.runtime.problem.surface() == Some(SurfaceKind::Bowl)
    });
    harness.get_by_label("Play").click();
    frames_until(
        &mut harness,
        "divergence",
        |app| matches!(app.runtime.snapshot.state, RunState::Diverged { loss, .. } if loss >= 0.0),
    );
    harness.step();
    harness.get_by_label_contains("The run diverged at step");
    harness.get_by_label("Reset with learning rate 10").click();
    frames_until(&mut harness, "a fresh run at the smaller rate", |app| {
        let s = &app.runtime.snapshot;
        s.step == 0 && s.state == RunState::Paused && (s.lr - 10.0).abs() < 1e-6
    });
    assert_eq!(harness.state().settings.train.optimizer.lr, 10.0);
    harness.step();
    assert!(
        harness
            .query_by_label_contains("The run diverged at step")
            .is_none(),
        "the banner goes with its cause"
    );
}

#[test]
fn a_ball_running_off_the_saddle_is_escaped_not_diverged() {
    let mut harness = harness();
    {
        let settings = &mut harness.state_mut().settings;
        settings.problem = ProblemChoice::Surface(SurfaceKind::Saddle);
        settings.train.optimizer.kind = OptimizerKind::Sgd;
        settings.train.optimizer.lr = 0.4;
        settings.steps_per_second = None;
    }
    frames_until(&mut harness, "the saddle", |app| {
        app.runtime.problem.surface() == Some(SurfaceKind::Saddle)
    });
    harness.get_by_label("Play").click();
    frames_until(&mut harness, "the escape", |app| {
        matches!(app.runtime.snapshot.state, RunState::Diverged { .. })
    });
    let RunState::Diverged { loss, .. } = harness.state().runtime.snapshot.state else {
        unreachable!("waited for it");
    };
    assert!(loss < 0.0, "downhill for ever: {loss}");
    harness.step();
    harness.get_by_label_contains("The ball escaped at step");
    assert!(
        harness
            .state()
            .runtime
            .snapshot
            .state
            .describe()
            .starts_with("escaped at step"),
        "{}",
        harness.state().runtime.snapshot.state.describe()
    );
    // A projector's status line names it in a few words, the same way.
    let state = &harness.state().runtime.snapshot.state;
    let RunState::Diverged { step, .. } = state else {
        panic!("{state:?}")
    };
    assert_eq!(state.brief(), format!("escaped at step {step}"));
    // The map keeps the saddle's own extent, however far the ball went.
    let grid = harness.state().runtime.slices.grid.clone().expect("a grid");
    let (a, view) = (grid.grid.spec.alpha, SurfaceKind::Saddle.view());
    assert!((f64::from(a.max) - view.1).abs() < 1e-6, "{a:?} {view:?}");
}

#[test]
fn the_ravine_race_runs_each_lane_at_its_own_rate_and_tells_the_story_it_claims() {
    use std::sync::Arc;
    let settings = valley::app::preset("ravine").expect("preset");
    assert_eq!(
        settings.race,
        [OptimizerKind::Sgd, OptimizerKind::Momentum],
        "the ravine opens racing"
    );
    let app = valley::app::ValleyApp::new(settings, Arc::new(|| {})).expect("app");
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut valley::app::ValleyApp| app.frame_ui(ui), app);
    frames_until(&mut harness, "the race", |app| app.runtime.race.is_on());
    // The lanes' own rates are on screen, and the hint makes its claim.
    harness.get_by_label("sgd:");
    harness.get_by_label("momentum:");
    harness.get_by_label_contains("momentum, at its own rate, reaches the bottom");
    harness
        .state_mut()
        .execute(valley::app::AppCommand::Step(20));
    frames_until(&mut harness, "20 steps of the race", |app| {
        app.runtime
            .race
            .latest
            .as_ref()
            .is_some_and(|r| r.step == 20)
    });
    let race = harness.state().runtime.race.latest.clone().expect("race");
    let (sgd, momentum) = (race.lanes[0].loss, race.lanes[1].loss);
    // What the sentence claims, in the app's own run: momentum is on the
    // floor (loss below 0.001) while plain descent is still well above it.
    assert!(
        momentum < 1e-3 && sgd > 10.0 * momentum,
        "sgd {sgd}, momentum {momentum}"
    );
}

#[test]
fn a_problem_picked_in_the_list_starts_from_its_own_learning_rate() {
    let mut harness = harness();
    harness.state_mut().settings.train.optimizer.lr = 1.1;
    harness.run_steps(2);
    harness.get_by_label("problem").click();
    harness.run_steps(2);
    harness.get_by_label("surface: ravine").click();
    harness.run_steps(2);
    let settings = &harness.state().settings;
    assert_eq!(
        settings.problem,
        ProblemChoice::Surface(SurfaceKind::Ravine)
    );
    // The ravine's own rule and rate (plain descent at 0.09), not the last problem's 1.1.
    let (rule, rate) = SurfaceKind::Ravine.preset_optimizer();
    assert_eq!(settings.train.optimizer.kind, rule);
    assert_eq!(settings.train.optimizer.lr, rate);
    assert_eq!(settings.lane_tuning, SurfaceKind::Ravine.tuned_lanes());
    harness.state_mut().settings.train.optimizer.lr = 1.1;
    harness.get_by_label("problem").click();
    harness.run_steps(2);
    let moons = valley::engine::data::DatasetKind::Moons;
    harness.get_by_label(moons.title()).click();
    harness.run_steps(2);
    let settings = &harness.state().settings;
    assert_eq!(settings.problem, ProblemChoice::Dataset(moons));
    // A network starts again from Adam at 0.01, not the ravine's plain descent.
    assert_eq!(
        settings.train.optimizer.kind,
        valley::engine::optim::OptimizerKind::Adam
    );
    assert_eq!(settings.train.optimizer.lr, 0.01);
    assert!(settings.lane_tuning.is_empty());
}
