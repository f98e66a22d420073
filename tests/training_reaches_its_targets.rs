//! The training loop end to end: accuracy, reproducibility, divergence.

use std::sync::Arc;

use strum::IntoEnumIterator;

use valley::engine::data::{DatasetKind, DatasetSpec, generate};
use valley::engine::nn::{Activation, Init, Mlp};
use valley::engine::optim::{OptimizerConfig, OptimizerKind};
use valley::engine::problem::{MlpProblem, Problem, SurfaceProblem, Workspace};
use valley::engine::surface::SurfaceKind;
use valley::engine::train::{Run, StepOutcome, TrainConfig};

fn moons() -> Arc<dyn Problem> {
    let data = generate(&DatasetSpec::new(DatasetKind::Moons)).expect("valid spec");
    let mlp = Mlp::new(&[2, 16, 16, 2], Activation::Tanh).expect("valid");
    Arc::new(MlpProblem::new(mlp, Arc::new(data), Init::Torch, "moons").expect("fits"))
}

#[test]
fn adam_reaches_97_percent_on_moons_within_2000_steps() {
    let problem = moons();
    let mut run = Run::new(
        Arc::clone(&problem),
        TrainConfig {
            seed: 1,
            ..TrainConfig::default()
        },
    )
    .expect("valid");
    let mut reached = None;
    for step in 1..=2000 {
        assert!(matches!(run.step(), StepOutcome::Stepped { .. }));
        if step % 100 == 0 {
            let eval = problem.evaluate(run.params(), &mut Workspace::default());
            if eval.train_accuracy.expect("classification") >= 0.97 {
                reached = Some(step);
                break;
            }
        }
    }
    assert!(reached.is_some(), "train accuracy stayed under 97 %");
    let eval = problem.evaluate(run.params(), &mut Workspace::default());
    assert!(eval.test_accuracy.expect("has a test set") > 0.9);
}

#[test]
fn minibatch_runs_are_reproducible_from_the_seed() {
    let problem = moons();
    let config = TrainConfig {
        batch_size: Some(32),
        seed: 7,
        ..TrainConfig::default()
    };
    let mut a = Run::new(Arc::clone(&problem), config).expect("valid");
    let mut b = Run::new(Arc::clone(&problem), config).expect("valid");
    let mut c = Run::new(problem, TrainConfig { seed: 8, ..config }).expect("valid");
    for _ in 0..100 {
        a.step();
        b.step();
        c.step();
    }
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), c.params());
    assert_eq!(a.history().len(), 100);
}

#[test]
fn a_huge_learning_rate_diverges_and_stops_with_the_step() {
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 100.0,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    };
    let mut run = Run::new(problem, config).expect("valid");
    let outcome = (0..1000)
        .map(|_| run.step())
        .find(|o| matches!(o, StepOutcome::Diverged { .. }));
    let Some(StepOutcome::Diverged { step, loss }) = outcome else {
        panic!("never diverged")
    };
    // Each step multiplies the loss by 199²: it blows past 1000× its start at once.
    assert!(!loss.is_finite() || loss > 1e3, "loss {loss}");
    assert!(step < 5, "diverged at {step}");
    // Further steps do nothing: not a bit of the parameters moves (compared
    // as bits, so a NaN left by the blow-up compares equal to itself).
    let bits = |params: &[f32]| params.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    let before = bits(run.params());
    let history = run.history().len();
    for _ in 0..3 {
        assert!(matches!(run.step(), StepOutcome::Diverged { .. }));
    }
    assert_eq!(bits(run.params()), before);
    assert_eq!(run.history().len(), history, "no step recorded");
    assert_eq!(run.step_index(), step);
    // Reset brings it back.
    run.reset(None);
    assert_eq!(run.divergence(), None);
    assert!(matches!(run.step(), StepOutcome::Stepped { .. }));
}

#[test]
fn gradient_descent_on_the_bowl_follows_the_hand_worked_steps() {
    // Bowl f = x² + y² (gradient 2x, 2y); SGD with lr 0.1 multiplies by 0.8 each step.
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 0.1,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    };
    let mut run = Run::new(Arc::clone(&problem), config).expect("valid");
    let start = run.params().to_vec();
    for _ in 0..3 {
        run.step();
    }
    for (p, s) in run.params().iter().zip(&start) {
        assert!((p - s * 0.512).abs() < 1e-6, "{p} vs {}", s * 0.512);
    }
}

#[test]
fn a_schedule_out_of_range_is_refused_before_training() {
    let config = TrainConfig {
        schedule: valley::engine::optim::LrSchedule {
            schedule: valley::engine::optim::Schedule::Step {
                every: 0,
                gamma: 0.5,
            },
            warmup_steps: 0,
        },
        ..TrainConfig::default()
    };
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
    assert!(Run::new(problem, config).is_err());
}

#[test]
fn a_learning_rate_of_100_diverges_on_every_problem_with_every_optimiser() {
    let mut problems: Vec<(String, Arc<dyn Problem>)> = DatasetKind::iter()
        .map(|kind| {
            let data = generate(&DatasetSpec {
                size: 200,
                ..DatasetSpec::new(kind)
            })
            .expect("valid spec");
            let sizes = [data.train.num_features(), 16, 16, data.train.num_outputs()];
            let mlp = Mlp::new(&sizes, Activation::Tanh).expect("valid");
            let problem: Arc<dyn Problem> =
                Arc::new(MlpProblem::new(mlp, Arc::new(data), Init::Torch, "data").expect("fits"));
            (format!("{kind:?}"), problem)
        })
        .collect();
    for kind in SurfaceKind::iter() {
        problems.push((format!("{kind:?}"), Arc::new(SurfaceProblem::new(kind))));
    }
    for (name, problem) in &problems {
        for kind in [
            OptimizerKind::Sgd,
            OptimizerKind::Momentum,
            OptimizerKind::Adam,
        ] {
            let config = TrainConfig {
                optimizer: OptimizerConfig {
                    kind,
                    lr: 100.0,
                    ..OptimizerConfig::default()
                },
                ..TrainConfig::default()
            };
            let mut run = Run::new(Arc::clone(problem), config).expect("valid");
            let diverged = (0..2000).any(|_| matches!(run.step(), StepOutcome::Diverged { .. }));
            assert!(diverged, "{name} with {kind:?} at lr 100 never diverged");
            let (step, loss) = run.divergence().expect("diverged");
            let message = valley::engine::train::RunState::Diverged { step, loss }.describe();
            // A surface with no bottom (the saddle) is left, not blown up.
            let expected = match loss < 0.0 {
                true => format!("escaped at step {step}: the loss kept falling"),
                false => format!("diverged at step {step} (loss = "),
            };
            assert!(message.starts_with(&expected), "{name}: {message}");
        }
    }
}

#[test]
fn healthy_long_runs_are_never_called_diverged() {
    for (kind, lr, steps) in [
        (OptimizerKind::Adam, 0.01, 6000),
        (OptimizerKind::Adam, 0.1, 3000),
        (OptimizerKind::Sgd, 0.5, 6000),
        (OptimizerKind::Momentum, 0.1, 6000),
    ] {
        let mut run = Run::new(
            moons(),
            TrainConfig {
                optimizer: OptimizerConfig {
                    kind,
                    lr,
                    ..OptimizerConfig::default()
                },
                ..TrainConfig::default()
            },
        )
        .expect("valid");
        for _ in 0..steps {
            run.step();
        }
        assert_eq!(run.divergence(), None, "{kind:?} at lr {lr}");
    }
}
