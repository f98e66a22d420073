//! The app's views of how training moves through the landscape, driven
//! through its widgets (egui_kittest): frozen and following planes side by
//! side, the gradient's and the interpolation planes, the line to a second
//! seed, the film strip, and flat vs sharp minima.

mod common;

use common::{frames_until, harness};
use egui_kittest::kittest::Queryable;
use valley::app::{Along, CentralView, Compared, DirectionChoice, LowerChart};
use valley::engine::landscape::project;
use valley::engine::train::Command;
use valley::figure::plain_number;

#[test]
fn frozen_and_following_planes_side_by_side_measure_the_drift_off_the_start() {
    let mut harness = harness();
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    harness.get_by_label("Frozen | following").click();
    harness.state_mut().runtime.send(Command::Step(60));
    frames_until(&mut harness, "both maps at step 60", |app| {
        app.runtime.snapshot.step == 60
            && app.runtime.is_settled()
            && app.runtime.slices.twin.is_some()
            && app
                .runtime
                .slices
                .wormhole
                .track()
                .points()
                .last()
                .map(|p| p.step)
                == Some(60)
    });
    let app = harness.state();
    assert_eq!(app.settings.view, CentralView::SideBySide);
    let frozen = &app
        .runtime
        .slices
        .twin
        .as_ref()
        .expect("the frozen map")
        .plane;
    let following = &app
        .runtime
        .slices
        .grid
        .as_ref()
        .expect("the following map")
        .plane;
    assert_eq!(&frozen.center[..], &app.runtime.snapshot.initial_params[..]);
    assert_eq!(&following.center[..], &app.runtime.snapshot.params[..]);
    // The chart records how far the run has left the start's plane at every
    // step so far, and how much of each step lies in it.
    let points = app.runtime.slices.wormhole.track().points();
    assert_eq!(points.len(), 61, "steps 0 to 60");
    let last = points.last().expect("a point");
    assert_eq!(last.step, 60);
    let off = last.off_plane;
    let expected = project(frozen, &app.runtime.snapshot.params).distance;
    assert!(
        (off - expected).abs() <= 1e-5 * expected.max(1.0),
        "{off} vs {expected}"
    );
    assert!(off > 0.0);
    let share = last.step_share.expect("a share");
    assert!(share > 0.0 && share < 1.0, "{share}");
    // Other directions make another frozen plane, and the chart follows it at once.
    harness.state_mut().settings.directions = DirectionChoice::Gaussian;
    frames_until(
        &mut harness,
        "the Gaussian frozen plane and its chart",
        |app| {
            let (Some(twin), Some(last)) = (
                &app.runtime.slices.twin,
                app.runtime.slices.wormhole.track().points().last(),
            ) else {
                return false;
            };
            let expected = project(&twin.plane, &app.runtime.snapshot.params).distance;
            app.runtime.is_settled()
                && (last.off_plane - expected).abs() <= 1e-5 * expected.max(1.0)
        },
    );
    assert_eq!(
        harness
            .state()
            .runtime
            .slices
            .wormhole
            .track()
            .points()
            .len(),
        61
    );
    // The chart that shows them.
    harness.get_by_label("Off the plane").click();
    harness.run_steps(2);
}

#[test]
fn the_line_from_the_start_and_the_line_to_another_seed_are_marked_on_their_planes() {
    let mut harness = harness();
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    harness.state_mut().runtime.send(Command::Step(40));
    frames_until(&mut harness, "40 steps", |app| {
        app.runtime.snapshot.step == 40
    });
    harness.state_mut().settings.directions = DirectionChoice::StartToNow;
    frames_until(&mut harness, "the start → now plane", |app| {
        app.runtime
            .notices
            .text()
            .contains("straight line from the start")
            && app.runtime.is_settled()
    });
    let app = harness.state();
    let plane = app
        .runtime
        .slices
        .grid
        .as_ref()
        .expect("a grid")
        .plane
        .clone();
    // α = −1 is the start and α = +1 now.
    let start = project(&plane, &app.runtime.snapshot.initial_params);
    let now = project(&plane, &app.runtime.snapshot.params);
    assert!(
        (start.coords[0] + 1.0).abs() < 1e-4 && start.distance < 1e-4,
        "{start:?}"
    );
    assert!(
        (now.coords[0] - 1.0).abs() < 1e-4 && now.distance < 1e-4,
        "{now:?}"
    );
    let labels: Vec<String> = app
        .runtime
        .slices
        .computed
        .landmarks_on(&plane)
        .iter()
        .map(|l| l.label.clone())
        .collect();
    assert_eq!(labels, vec!["start"]);

    harness.state_mut().settings.directions = DirectionChoice::Seeds;
    frames_until(&mut harness, "the plane to seed 1", |app| {
        app.runtime.notices.text().contains("a run from seed 1") && app.runtime.is_settled()
    });
    let app = harness.state();
    let plane = app
        .runtime
        .slices
        .grid
        .as_ref()
        .expect("a grid")
        .plane
        .clone();
    let landmarks = app.runtime.slices.computed.landmarks_on(&plane);
    assert_eq!(landmarks.len(), 2);
    // This run at α = −1, the other at α = +1, this run's start on the plane too.
    let here = project(&plane, &app.runtime.snapshot.params);
    let other = project(&plane, &landmarks[1].params);
    let start = project(&plane, &landmarks[0].params);
    assert!((here.coords[0] + 1.0).abs() < 1e-4, "{here:?}");
    assert!((other.coords[0] - 1.0).abs() < 1e-4, "{other:?}");
    assert!(
        start.distance < 1e-3 * start.coords[1].abs().max(1.0),
        "{start:?}"
    );
    assert_ne!(&landmarks[1].params[..], &app.runtime.snapshot.params[..]);
    // The map's caption says what the plane is, with the barrier.
    let caption = app
        .runtime
        .slices
        .computed
        .description_on(&plane)
        .expect("a caption");
    assert!(caption.contains("barrier"), "{caption}");

    harness.state_mut().settings.directions = DirectionChoice::Gradient;
    frames_until(&mut harness, "the gradient plane", |app| {
        app.runtime.notices.text().contains("straight downhill") && app.runtime.is_settled()
    });
    let app = harness.state();
    let plane = app
        .runtime
        .slices
        .grid
        .as_ref()
        .expect("a grid")
        .plane
        .clone();
    let dot: f64 = plane.directions[0]
        .iter()
        .zip(&app.runtime.snapshot.gradient[..])
        .map(|(&d, &g)| f64::from(d) * f64::from(g))
        .sum();
    assert!(dot < 0.0, "α points downhill");
}

#[test]
fn the_film_strip_button_saves_slices_across_the_run() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let mut harness = harness();
    harness.state_mut().export_dir = dir.path().to_path_buf();
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    harness.state_mut().runtime.send(Command::Step(120));
    frames_until(&mut harness, "120 steps", |app| {
        app.runtime.snapshot.step == 120
    });
    harness.get_by_label("Film strip").click();
    let png = dir.path().join("valley-step120-filmstrip.png");
    frames_until(&mut harness, "the film strip", |app| {
        app.runtime
            .notices
            .text()
            .contains("film strip of steps 0, 10, 32, 100, 120")
    });
    let image = image::open(&png).expect("a readable PNG");
    assert!(image.width() > 2 * image.height(), "one row of frames");
    // Steps of one's own choosing.
    harness.state_mut().settings.film_steps = "0, 50, now".into();
    harness.get_by_label("Film strip").click();
    frames_until(&mut harness, "the chosen film strip", |app| {
        app.runtime
            .notices
            .text()
            .contains("film strip of steps 0, 50, 120 saved")
    });
}

#[test]
fn flat_vs_sharp_trains_small_and_full_batches_and_charts_both_minima() {
    let mut harness = harness();
    frames_until(&mut harness, "the first slices", |app| {
        app.runtime.is_settled()
    });
    harness.state_mut().settings.lower = LowerChart::Minima;
    harness.state_mut().jobs.minima.steps = 200;
    harness.run_steps(2);
    harness.get_by_label("Compare").click();
    frames_until(&mut harness, "the comparison", |app| {
        app.jobs.minima.result().is_some()
    });
    let result = harness
        .state()
        .jobs
        .minima
        .result()
        .expect("a result")
        .clone();
    let minima = result.expect("both runs trained");
    let labels: Vec<&str> = minima.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, vec!["batch 16", "full batch"]);
    for m in &minima {
        assert!(
            m.sharpness.is_finite() && m.sharpness > 0.0,
            "{}",
            m.sharpness
        );
        assert!(m.test_loss.is_some());
        assert_eq!(m.random_curve.len(), m.random_alphas.len());
        assert_eq!(m.sharpest_curve.len(), m.sharpest_alphas.len());
    }
    // The chart opens along each minimum's sharpest direction, where the
    // higher λmax printed is the curve that climbs more.
    assert_eq!(harness.state().jobs.minima.along, Along::Sharpest);
    let (flat, sharp) = if minima[0].sharpness < minima[1].sharpness {
        (&minima[0], &minima[1])
    } else {
        (&minima[1], &minima[0])
    };
    assert!(
        sharp.sharpest_rise() > flat.sharpest_rise(),
        "λmax {} rises {}, λmax {} rises {}",
        sharp.sharpness,
        sharp.sharpest_rise(),
        flat.sharpness,
        flat.sharpest_rise()
    );
    // The sentence on screen names the flatter run with both numbers as printed.
    harness.run_steps(2);
    let verdict = harness.state().jobs.minima.verdict().expect("a verdict");
    for m in &minima {
        let printed = plain_number(m.sharpness);
        harness.get_by_label_contains(&format!("{}: sharpness λmax {printed}", m.label));
        assert!(verdict.contains(&printed), "{verdict}");
    }
    assert!(
        verdict.starts_with(&format!("The {} run found the flatter minimum", flat.label)),
        "{verdict}"
    );
    harness.get_by_label(&verdict);
    harness
        .get_by_label("a random filter-normalised direction")
        .click();
    harness.run_steps(2);
    assert_eq!(harness.state().jobs.minima.along, Along::Random);
    // The same with two learning rates: this run's own and another.
    harness.state_mut().jobs.minima.compared = Compared::LearningRates;
    harness.state_mut().jobs.minima.other_lr = 0.05;
    harness.run_steps(2);
    harness.get_by_label("Compare").click();
    frames_until(&mut harness, "the learning-rate comparison", |app| {
        app.jobs
            .minima
            .result()
            .is_some_and(|r| r.as_ref().is_ok_and(|m| m[0].label.starts_with("lr")))
    });
    let result = harness
        .state()
        .jobs
        .minima
        .result()
        .expect("a result")
        .clone();
    let minima = result.expect("both runs trained");
    let rates: Vec<f32> = minima.iter().map(|m| m.config.optimizer.lr).collect();
    assert_eq!(rates, vec![0.01, 0.05]);
    assert!(minima.iter().all(|m| m.config.batch_size.is_none()));
    harness.run_steps(2);
}

#[test]
fn side_by_side_maps_share_one_colour_scale_unless_asked_not_to() {
    let mut harness = harness();
    harness.state_mut().settings.view = CentralView::SideBySide;
    harness.get_by_label("Step").click();
    frames_until(&mut harness, "both maps", |app| {
        app.runtime.is_settled() && app.colour_scales().iter().all(Option::is_some)
    });
    for _ in 0..3 {
        harness.step();
    }
    let [main, twin] = harness.state().colour_scales();
    assert_eq!(main, twin, "one colour, one loss, on both maps");
    harness
        .get_by_label("one colour scale for both maps")
        .click();
    frames_until(&mut harness, "each map on its own scale", |app| {
        let [main, twin] = app.colour_scales();
        main != twin
    });
}
