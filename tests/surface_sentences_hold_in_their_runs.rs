//! Every surface's sentence (the hint beside its map) is a claim about the
//! run its preset opens with: plain gradient descent at the rate
//! `SurfaceKind::preset_optimizer` gives, from the surface's start. Each claim
//! is checked here in that very run, in the engine's own f32 training loop.

use std::sync::Arc;

use valley::engine::optim::{OptimizerConfig, OptimizerKind};
use valley::engine::problem::{Problem, SurfaceProblem};
use valley::engine::surface::SurfaceKind;
use valley::engine::train::{Run, StepOutcome, TrainConfig};

/// The preset's run from `start` (the surface's own start if `None`): every
/// point visited, until `steps` or the run stops (escaped or diverged).
fn preset_path(kind: SurfaceKind, start: Option<[f32; 2]>, steps: usize) -> Vec<[f32; 2]> {
    let (rule, lr) = kind.preset_optimizer();
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(kind));
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: rule,
            lr,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    };
    let mut run = Run::new(problem, config).expect("a valid preset");
    if let Some(start) = start {
        run.set_params(start.to_vec());
    }
    let mut path = vec![[run.params()[0], run.params()[1]]];
    for _ in 0..steps {
        if !matches!(run.step(), StepOutcome::Stepped { .. }) {
            break;
        }
        path.push([run.params()[0], run.params()[1]]);
    }
    path
}

fn step_lengths(path: &[[f32; 2]]) -> Vec<f32> {
    path.windows(2)
        .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
        .collect()
}

/// The index and length of the shortest step.
fn slowest_step(steps: &[f32]) -> (usize, f32) {
    steps
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("steps")
}

fn loss(kind: SurfaceKind, p: [f32; 2]) -> f64 {
    kind.value(f64::from(p[0]), f64::from(p[1]))
}

#[test]
fn every_surface_opens_with_plain_gradient_descent() {
    use strum::IntoEnumIterator;
    for kind in SurfaceKind::iter() {
        assert_eq!(kind.preset_optimizer().0, OptimizerKind::Sgd, "{kind}");
    }
}

#[test]
fn bowl_descent_walks_a_straight_line() {
    // "the gradient points straight at the minimum, so descent walks a straight line"
    let path = preset_path(SurfaceKind::Bowl, None, 100);
    let [sx, sy] = path[0];
    for p in &path {
        // The cross product with the start: zero on the line through the origin.
        let off = (p[0] * sy - p[1] * sx).abs() / sx.hypot(sy);
        assert!(off < 1e-5, "{p:?} is {off} off the line");
    }
    let end = path[path.len() - 1];
    assert!(end[0].hypot(end[1]) < 1e-6, "ends at {end:?}");
}

#[test]
fn saddle_descent_crawls_past_the_middle_then_slides_off_along_y() {
    // "descent slows to a crawl near the flat middle before the slope along y carries it away"
    let kind = SurfaceKind::Saddle;
    let path = preset_path(kind, None, 60);
    let steps = step_lengths(&path);
    let (slowest, length) = slowest_step(&steps);
    // A crawl: under a quarter of the first step's length, near the centre.
    assert!(length < 0.25 * steps[0], "{length} vs {}", steps[0]);
    let [x, y] = path[slowest];
    assert!(x.hypot(y) < 0.5, "slowest at ({x}, {y})");
    // Then carried away along y, faster and faster, downhill.
    let end = path[path.len() - 1];
    assert!(
        end[1].abs() > 10.0 && end[0].abs() < 0.01,
        "ends at {end:?}"
    );
    assert!(steps[steps.len() - 1] > 4.0 * steps[0]);
    assert!(loss(kind, end) < -50.0);
}

#[test]
fn monkey_saddle_descent_creeps_over_the_plateau_then_slides_into_a_valley() {
    // "descent creeps across a plateau before sliding off into one of the three valleys"
    let kind = SurfaceKind::MonkeySaddle;
    let path = preset_path(kind, None, 200);
    let steps = step_lengths(&path);
    let (slowest, length) = slowest_step(&steps);
    assert!(length < 0.25 * steps[0], "{length} vs {}", steps[0]);
    let [x, y] = path[slowest];
    assert!(x.hypot(y) < 0.6, "slowest at ({x}, {y})");
    // Off down one of the valleys (at angles 60°, 180°, 300°): the loss
    // falls without end, so the run stops as escaped within 200 steps.
    let end = path[path.len() - 1];
    assert!(path.len() < 201, "still going at {end:?}");
    let angle = f64::from(end[1]).atan2(f64::from(end[0])).to_degrees();
    let valley = [60.0, 180.0, -60.0]
        .iter()
        .map(|v: &f64| (angle - v).abs())
        .fold(f64::INFINITY, f64::min);
    assert!(valley < 15.0, "left at {angle}°");
}

#[test]
fn rosenbrock_descent_drops_into_the_valley_then_crawls_to_one_one() {
    // "drops into the curved valley quickly, then crawls along its nearly flat floor towards (1, 1)"
    let kind = SurfaceKind::Rosenbrock;
    let path = preset_path(kind, None, 5000);
    let start = loss(kind, path[0]);
    // Quickly: 80 % of the loss gone within the first 1 % of the run.
    assert!(loss(kind, path[50]) < 0.2 * start);
    // Then on the floor (y ≈ x²) and closing on (1, 1) all the way.
    let to_min = |p: [f32; 2]| (p[0] - 1.0).hypot(p[1] - 1.0);
    for pair in path[50..].windows(100).step_by(100) {
        let (a, b) = (pair[0], pair[99]);
        assert!(to_min(b) < to_min(a), "{a:?} → {b:?}");
        assert!((b[1] - b[0] * b[0]).abs() < 0.1, "{b:?} off the floor");
    }
    // A crawl: half the run still leaves it further than 0.15 from the
    // minimum it started 2.2 from, and the second half halves that again.
    assert!(to_min(path[2500]) > 0.15, "{:?}", path[2500]);
    assert!(
        to_min(path[5000]) < 0.5 * to_min(path[2500]),
        "{:?} → {:?}",
        path[2500],
        path[5000]
    );
}

#[test]
fn himmelblau_descent_finds_the_minimum_its_start_leads_to() {
    // "Four minima are equally deep, so which one descent finds depends only on where it starts."
    let kind = SurfaceKind::Himmelblau;
    let mut found = Vec::new();
    for start in [[0.0, 0.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]] {
        let path = preset_path(kind, Some(start), 3000);
        let end = path[path.len() - 1];
        assert!(loss(kind, end) < 1e-6, "from {start:?} to {end:?}");
        found.push(end);
    }
    // Four starts, four different minima, all at loss 0.
    for (i, a) in found.iter().enumerate() {
        for b in &found[i + 1..] {
            assert!((a[0] - b[0]).hypot(a[1] - b[1]) > 1.0, "{found:?}");
        }
    }
}

#[test]
fn beale_gradient_is_huge_on_the_way_in_and_nearly_zero_on_the_floor() {
    // "the gradient is huge on the way in and nearly zero on the way to the minimum at (3, 0.5)"
    let kind = SurfaceKind::Beale;
    let path = preset_path(kind, None, 5000);
    let slope = |p: [f32; 2]| {
        let [gx, gy] = kind.gradient(f64::from(p[0]), f64::from(p[1]));
        gx.hypot(gy)
    };
    let first = slope(path[0]);
    let mut later: Vec<f64> = path[2500..].iter().map(|&p| slope(p)).collect();
    later.sort_by(f64::total_cmp);
    let median = later[later.len() / 2];
    assert!(first > 1000.0 * median, "{first} vs {median}");
    let end = path[path.len() - 1];
    assert!(
        (end[0] - 3.0).abs() < 1e-2 && (end[1] - 0.5).abs() < 1e-2,
        "{end:?}"
    );
}

#[test]
fn rastrigin_and_double_well_descent_stays_in_the_nearest_basin() {
    // Rastrigin: "descent stops in the nearest dimple, far from the global minimum at the origin".
    let path = preset_path(SurfaceKind::Rastrigin, None, 5000);
    let end = path[path.len() - 1];
    assert!(end[0].hypot(end[1]) > 2.0, "{end:?}");
    assert!(loss(SurfaceKind::Rastrigin, end) > 1.0);
    // Double well: "settles in whichever well it starts above, even when the other well is deeper".
    let kind = SurfaceKind::DoubleWell;
    let path = preset_path(kind, None, 2000);
    let end = path[path.len() - 1];
    assert!(end[0] > 0.5, "left its well: {end:?}");
    assert!(loss(kind, end) > loss(kind, [-1.0, 0.0]) + 0.3, "{end:?}");
}
