//! Flat vs sharp against closed forms: the ravine's sharpest slice is its
//! parabola 10·α², minima of known curvature rise in the order of their
//! λmax on the shared chart, and the small-batch/full-batch case the app
//! opens with draws the same order as the numbers it prints.

use super::*;
use crate::analysis::minima_verdict;
use crate::data::{DatasetKind, DatasetSpec};
use crate::nn::{Activation, ParamLayout};
use crate::optim::{OptimizerConfig, OptimizerKind};
use crate::problem::{Batch, Evaluation, ProblemSpec, SurfaceProblem};
use crate::surface::SurfaceKind;

fn sgd(lr: f32) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    }
}

fn spec(steps: u64, points: usize) -> MinimaSpec {
    MinimaSpec {
        steps,
        span: 0.5,
        points,
        direction: DirectionKind::Gaussian,
        direction_seed: 3,
    }
}

#[test]
fn every_minimum_of_the_ravine_has_sharpness_twenty_and_its_own_slice() {
    // The ravine ½(x² + 20y²): its Hessian is diag(1, 20) everywhere, so the
    // sharpness of any minimum found is 20, and the slice is its parabola.
    let ravine: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Ravine));
    let runs = vec![
        ("slow".to_string(), sgd(0.01)),
        ("fast".to_string(), sgd(0.09)),
    ];
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |p: f32| seen.lock().expect("lock").push(p);
    let control = Control {
        cancelled: &|| false,
        progress: &progress,
    };
    let minima = compare_minima(&ravine, &runs, &spec(400, 11), &control).expect("minima");
    assert_eq!(minima.len(), 2);
    for m in &minima {
        assert!(
            (m.sharpness - 20.0).abs() < 1e-6,
            "{}: {}",
            m.label,
            m.sharpness
        );
        assert_eq!(m.random_curve.len(), 11);
        // The random slice is the surface along the direction through the end point.
        let mut at = vec![0.0f32; 2];
        let plane = Plane::new(
            m.params.clone(),
            vec![
                make_direction(DirectionKind::Gaussian, ravine.layout(), &m.params, 3).expect("d"),
            ],
        )
        .expect("plane");
        for (a, v) in m.random_alphas.iter().zip(&m.random_curve) {
            plane.point(&[*a], &mut at);
            let expected = 0.5 * (at[0] * at[0] + 20.0 * at[1] * at[1]);
            assert!((v - expected).abs() < 1e-5, "α = {a}: {v} vs {expected}");
        }
    }
    // The faster run got further down the x axis (the ravine's floor).
    assert!(minima[1].train_loss < minima[0].train_loss);
    let seen = seen.lock().expect("lock");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&1.0));
}

#[test]
fn the_ravines_sharpest_slice_is_ten_alpha_squared() {
    // Along the top eigenvector ŷ (eigenvalue 20) the ravine is ½·20·α² =
    // 10·α² above its floor, wherever along the floor the run stopped.
    let ravine: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Ravine));
    let runs = vec![
        ("slow".to_string(), sgd(0.01)),
        ("fast".to_string(), sgd(0.09)),
    ];
    let minima = compare_minima(&ravine, &runs, &spec(400, 21), &Control::none()).expect("minima");
    let shared = &minima[0].sharpest_alphas;
    for m in &minima {
        let [dx, dy] = [m.sharpest_direction[0], m.sharpest_direction[1]];
        assert!(
            dx.abs() < 1e-6 && (dy.abs() - 1.0).abs() < 1e-6,
            "{dx}, {dy}"
        );
        assert_eq!(&m.sharpest_alphas, shared, "one α range for every minimum");
        let centre = m.sharpest_curve[10];
        assert_eq!(m.sharpest_alphas[10], 0.0);
        assert!((centre - m.train_loss).abs() < 1e-7, "α = 0 is the minimum");
        for (a, v) in m.sharpest_alphas.iter().zip(&m.sharpest_curve) {
            let expected = 10.0 * a * a;
            assert!(
                (v - centre - expected).abs() < 1e-6 + 1e-5 * expected,
                "{}, α = {a}: {} vs {expected}",
                m.label,
                v - centre
            );
        }
    }
    // Both losses are far below the floor of the rise, so the ends climb by it.
    let end = shared[20];
    assert!(
        (end - (2.0 * MIN_SHARPEST_RISE / 20.0).sqrt()).abs() < 1e-6,
        "{end}"
    );
    assert!((minima[1].sharpest_rise() - MIN_SHARPEST_RISE).abs() < 1e-5);
}

#[test]
fn the_shared_range_makes_the_sharpest_minimum_rise_by_the_largest_loss() {
    // ½·λ·a² = rise: λ 8 and a loss of 0.25 give a = √(2·0.25/8) = 0.25.
    assert_eq!(sharpest_half_range(&[2.0, 8.0], &[0.25, 0.01]), 0.25);
    // A loss trained to nothing still rises by MIN_SHARPEST_RISE.
    let a = sharpest_half_range(&[0.5, 10.0], &[1e-6, 0.0]);
    assert!(
        (a - (2.0 * MIN_SHARPEST_RISE / 10.0).sqrt()).abs() < 1e-7,
        "{a}"
    );
    // Nothing curves up: one unit of parameter space.
    assert_eq!(sharpest_half_range(&[-1.0, 0.0], &[0.3, 0.3]), 1.0);
    assert_eq!(sharpest_half_range(&[f64::NAN, 4.0], &[f32::NAN, 0.5]), 0.5);
    // The rise is symmetric in the direction's sign and measured from α = 0.
    assert_eq!(rise_at_ends(&[-1.0, 0.0, 1.0], &[3.0, 1.0, 5.0]), 3.0);
    assert_eq!(rise_at_ends(&[], &[]), 0.0);
    // The slices speak for λmax when the clearly sharper minimum rises more;
    // within TIE of each other, either order will do.
    assert!(ordered_like_sharpness(&[1.0, 4.0], &[0.1, 0.3]));
    assert!(!ordered_like_sharpness(&[1.55, 1.85], &[0.72, 0.51]));
    assert!(ordered_like_sharpness(&[2.0, 2.05], &[0.3, 0.2]));
    assert!(!ordered_like_sharpness(&[1.0, 2.0, 3.0], &[0.1, 0.3, 0.2]));
}

/// ½(1 + x²)·y²: every point of the x axis is a minimum, and its curvature
/// across the axis, 1 + x², grows with x. A run stops near where it started
/// along x, so two starts make two minima of known, different sharpness.
struct Trough {
    layout: ParamLayout,
}

impl Trough {
    fn new() -> Self {
        Self {
            layout: ParamLayout::from_shapes([("x", vec![1]), ("y", vec![1])]),
        }
    }
}

impl Problem for Trough {
    fn name(&self) -> String {
        "trough ½(1 + x²)y²".into()
    }
    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
    /// Starts at x = seed / 2, one unit off the floor.
    fn init_params(&self, seed: u64) -> Vec<f32> {
        vec![0.5 * seed as f32, 1.0]
    }
    fn num_train_examples(&self) -> usize {
        0
    }
    fn loss_and_grad(&self, p: &[f32], _: Batch, grad: &mut [f32], _: &mut Workspace) -> f32 {
        let (x, y) = (p[0], p[1]);
        grad[0] = x * y * y;
        grad[1] = (1.0 + x * x) * y;
        0.5 * (1.0 + x * x) * y * y
    }
    fn loss(&self, p: &[f32], _: &mut Workspace) -> f32 {
        0.5 * (1.0 + p[0] * p[0]) * p[1] * p[1]
    }
    fn evaluate(&self, p: &[f32], workspace: &mut Workspace) -> Evaluation {
        Evaluation {
            train_loss: self.loss(p, workspace),
            test_loss: None,
            train_accuracy: None,
            test_accuracy: None,
        }
    }
    /// The Hessian [[y², 2xy], [2xy, 1 + x²]] times v.
    fn hessian_vector(&self, p: &[f64], v: &[f64]) -> Option<Vec<f64>> {
        let (x, y) = (p[0], p[1]);
        Some(vec![
            y * y * v[0] + 2.0 * x * y * v[1],
            2.0 * x * y * v[0] + (1.0 + x * x) * v[1],
        ])
    }
}

#[test]
fn on_one_chart_the_minimum_with_the_higher_lambda_rises_more_at_every_alpha() {
    let trough: Arc<dyn Problem> = Arc::new(Trough::new());
    let start_at = |seed: u64| TrainConfig { seed, ..sgd(0.1) };
    // Starts at x = 0.5 and x = 2: curvatures about 1.1 and 4 at the end.
    let runs = vec![
        ("near".to_string(), start_at(1)),
        ("far".to_string(), start_at(4)),
    ];
    let minima = compare_minima(&trough, &runs, &spec(400, 41), &Control::none()).expect("minima");
    for m in &minima {
        let x = f64::from(m.params[0]);
        assert!(
            (m.sharpness - (1.0 + x * x)).abs() < 1e-5,
            "{}: λmax {} at x = {x}",
            m.label,
            m.sharpness
        );
        // The slice is ½·λmax·α² exactly: the loss is quadratic in y.
        for (a, v) in m.sharpest_alphas.iter().zip(&m.sharpest_curve) {
            let expected = 0.5 * m.sharpness as f32 * a * a;
            assert!(
                (v - expected).abs() < 1e-5 * (1.0 + expected),
                "{v} vs {expected}"
            );
        }
    }
    let (flat, sharp) = (&minima[0], &minima[1]);
    assert!(
        sharp.sharpness > 2.0 * flat.sharpness,
        "{} vs {}",
        sharp.sharpness,
        flat.sharpness
    );
    assert_eq!(flat.sharpest_alphas, sharp.sharpest_alphas);
    for ((a, f), s) in flat
        .sharpest_alphas
        .iter()
        .zip(&flat.sharpest_curve)
        .zip(&sharp.sharpest_curve)
    {
        if *a != 0.0 {
            assert!(s > f, "α = {a}: sharp {s}, flat {f}");
        }
    }
    // The sharper one climbs by the rise the range was chosen for.
    assert!((sharp.sharpest_rise() - MIN_SHARPEST_RISE).abs() < 1e-4);
    let verdict = minima_verdict(&[flat.facts(), sharp.facts()], &|v| format!("{v:.2}"));
    assert!(
        verdict.starts_with("The near run found the flatter minimum"),
        "{verdict}"
    );
    assert!(verdict.contains("no test set"), "{verdict}");
}

#[test]
fn small_and_full_batches_on_moons_are_drawn_in_the_order_of_their_lambda_max() {
    // The app's comparison, smaller: batch 16 and the full batch from one start.
    let moons = ProblemSpec::Dataset {
        data: DatasetSpec {
            size: 200,
            ..DatasetSpec::new(DatasetKind::Moons)
        },
        hidden: vec![16, 16],
        activation: Activation::Tanh,
    }
    .build()
    .expect("moons");
    let base = TrainConfig::default();
    let runs = vec![
        (
            "batch 16".to_string(),
            TrainConfig {
                batch_size: Some(16),
                ..base
            },
        ),
        ("full batch".to_string(), base),
    ];
    let spec = MinimaSpec {
        steps: 300,
        span: 1.0,
        points: 51,
        direction: DirectionKind::Filter,
        direction_seed: 1,
    };
    let minima = compare_minima(&moons, &runs, &spec, &Control::none()).expect("minima");
    // The sliced comparison (the browser's) finds the same minima to the bit.
    let mut task = MinimaTask::new(Arc::clone(&moons), runs.clone(), spec).expect("a task");
    let mut turns = 0;
    let sliced = loop {
        turns += 1;
        match crate::exec::Task::advance(&mut task, std::time::Duration::from_micros(50))
            .expect("no error")
        {
            crate::exec::Step::Working(_) => {}
            crate::exec::Step::Done(found) => break found,
        }
    };
    assert!(turns > 10, "sliced: {turns} turns");
    assert_eq!(sliced.len(), minima.len());
    for (a, b) in sliced.iter().zip(&minima) {
        assert_eq!(a.label, b.label);
        assert_eq!(a.params, b.params);
        assert_eq!(a.sharpness, b.sharpness);
        assert_eq!(a.sharpest_curve, b.sharpest_curve);
        assert_eq!(a.sharpest_alphas, b.sharpest_alphas);
        assert_eq!(a.random_curve, b.random_curve);
        assert_eq!(a.test_loss, b.test_loss);
    }
    let facts: Vec<MinimumFacts<'_>> = minima.iter().map(Minimum::facts).collect();
    let (flat, sharp) = if minima[0].sharpness < minima[1].sharpness {
        (&minima[0], &minima[1])
    } else {
        (&minima[1], &minima[0])
    };
    // The chart the app opens with: the higher λmax is the curve that climbs more.
    assert!(
        sharp.sharpest_rise() > flat.sharpest_rise(),
        "λmax {} rises {}, λmax {} rises {}",
        sharp.sharpness,
        sharp.sharpest_rise(),
        flat.sharpness,
        flat.sharpest_rise()
    );
    let verdict = minima_verdict(&facts, &|v| format!("{v:.3}"));
    assert!(
        verdict.starts_with(&format!("The {} run found the flatter minimum", flat.label)),
        "{verdict}"
    );
}

#[test]
fn a_diverging_run_is_named_and_cancelling_stops() {
    let ravine: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Ravine));
    let spec = spec(500, 11);
    // lr 0.2 on curvature 20: each step multiplies y by −3.
    let runs = vec![("too fast".to_string(), sgd(0.2))];
    let outcome = compare_minima(&ravine, &runs, &spec, &Control::none());
    assert!(
        matches!(&outcome, Err(MinimaError::Diverged { label, .. }) if label == "too fast"),
        "{outcome:?}"
    );
    let cancelled = Control {
        cancelled: &|| true,
        progress: &|_| {},
    };
    let outcome = compare_minima(&ravine, &[("a".into(), sgd(0.01))], &spec, &cancelled);
    assert_eq!(outcome.err(), Some(AnalysisError::Cancelled.into()));
}
