//! Flat vs sharp minima: one model trained from the same start under
//! different settings (small and large batches, or small and large learning
//! rates), and what each minimum looks like: its 1D filter-normalised slice
//! (Li et al. 2018, Fig. 3), its sharpness (the largest Hessian eigenvalue,
//! Keskar et al. 2017) and how it does on unseen data.

use std::sync::Arc;

use super::lanczos::{AnalysisError, Control, extremes};
use crate::exec::{Outcome, run_here};
use crate::landscape::{DirectionKind, GridSpec, Plane, make_direction};
use crate::problem::{Problem, Workspace};
use crate::train::TrainSteps;
use crate::train::{Run, TrainConfig};

/// How the minima are found and looked at.
#[derive(Clone, Copy, Debug)]
pub struct MinimaSpec {
    /// Training steps for every run.
    pub steps: u64,
    /// The 1D slices run over [−span, span] in filter-normalised units.
    pub span: f32,
    /// Points along each slice.
    pub points: usize,
    /// The slice direction's kind: filter-normalised for a network, so that
    /// minima of different scale compare fairly (Li et al. 2018).
    pub direction: DirectionKind,
    /// Seeds the slice direction (drawn at each minimum, the same seed for all).
    pub direction_seed: u64,
}

/// One trained run and its minimum.
#[derive(Clone, Debug)]
pub struct Minimum {
    /// What distinguishes the run, e.g. "batch 16".
    pub label: String,
    /// Its settings.
    pub config: TrainConfig,
    /// Mean training loss at the end.
    pub train_loss: f32,
    /// Mean test loss, when the problem has a test set.
    pub test_loss: Option<f32>,
    /// Test accuracy, for classification with a test set.
    pub test_accuracy: Option<f32>,
    /// The largest Hessian eigenvalue of the training loss at the end.
    pub sharpness: f64,
    /// The slice's coefficients.
    pub alphas: Vec<f32>,
    /// The training loss along the slice.
    pub curve: Vec<f32>,
    /// The final parameters.
    pub params: Vec<f32>,
}

/// Why a comparison stopped.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MinimaError {
    /// A run's loss or weights blew up.
    #[error("the run '{label}' diverged at step {step}: lower its learning rate")]
    Diverged {
        /// Which run.
        label: String,
        /// Where.
        step: u64,
    },
    /// The curvature could not be computed (or the caller cancelled).
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// A setting is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// Trains `problem` once per `(label, config)` for `spec.steps` steps and
/// describes each minimum. Progress runs from 0 to 1 over all runs;
/// cancelling returns `MinimaError::Analysis(Cancelled)`.
pub fn compare_minima(
    problem: &Arc<dyn Problem>,
    runs: &[(String, TrainConfig)],
    spec: &MinimaSpec,
    control: &Control<'_>,
) -> Result<Vec<Minimum>, MinimaError> {
    let line = GridSpec::line(spec.span, spec.points.max(3));
    line.validate().map_err(MinimaError::Invalid)?;
    let share = 1.0 / runs.len().max(1) as f32;
    let mut out = Vec::with_capacity(runs.len());
    for (index, (label, config)) in runs.iter().enumerate() {
        let base = index as f32 * share;
        let run = Run::new(Arc::clone(problem), *config)
            .map_err(|e| MinimaError::Invalid(format!("{label}: {e}")))?;
        let trained = run_here(TrainSteps::new(run, spec.steps), |fraction| {
            (control.progress)(base + 0.8 * share * fraction);
            !(control.cancelled)()
        });
        let run = match trained {
            Outcome::Done(run) => run,
            Outcome::Cancelled => return Err(AnalysisError::Cancelled.into()),
            Outcome::Failed(message) => return Err(MinimaError::Invalid(message)),
        };
        if let Some((step, _)) = run.divergence() {
            return Err(MinimaError::Diverged {
                label: label.clone(),
                step,
            });
        }
        let params = run.params().to_vec();
        let at: Vec<f64> = params.iter().map(|&p| f64::from(p)).collect();
        let mut product = |v: &[f64]| problem.hessian_vector(&at, v);
        let quiet = Control {
            cancelled: control.cancelled,
            progress: &|_| {},
        };
        let found = extremes(at.len(), 1, &mut product, config.seed, &quiet)?;
        (control.progress)(base + 0.95 * share);
        let direction = make_direction(
            spec.direction,
            problem.layout(),
            &params,
            spec.direction_seed,
        )
        .map_err(|e| MinimaError::Invalid(format!("{label}: {e}")))?;
        let plane = Plane::new(params.clone(), vec![direction])
            .map_err(|e| MinimaError::Invalid(format!("{label}: {e}")))?;
        // A line is a few hundred forward passes: no need for threads.
        let mut workspace = Workspace::default();
        let mut at = vec![0.0f32; params.len()];
        let alphas = line.alpha.values();
        let curve: Vec<f32> = alphas
            .iter()
            .map(|&a| {
                plane.point(&[a], &mut at);
                problem.loss(&at, &mut workspace)
            })
            .collect();
        let evaluation = problem.evaluate(&params, &mut Workspace::default());
        out.push(Minimum {
            label: label.clone(),
            config: *config,
            train_loss: evaluation.train_loss,
            test_loss: evaluation.test_loss,
            test_accuracy: evaluation.test_accuracy,
            sharpness: found.top[0],
            alphas,
            curve,
            params,
        });
        (control.progress)(base + share);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{OptimizerConfig, OptimizerKind};
    use crate::problem::SurfaceProblem;
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

    #[test]
    fn every_minimum_of_the_ravine_has_sharpness_twenty_and_its_own_slice() {
        // The ravine ½(x² + 20y²): its Hessian is diag(1, 20) everywhere, so the
        // sharpness of any minimum found is 20, and the slice is its parabola.
        let ravine: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Ravine));
        let spec = MinimaSpec {
            steps: 400,
            span: 0.5,
            points: 11,
            direction: DirectionKind::Gaussian,
            direction_seed: 3,
        };
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
        let minima = compare_minima(&ravine, &runs, &spec, &control).expect("minima");
        assert_eq!(minima.len(), 2);
        for m in &minima {
            assert!(
                (m.sharpness - 20.0).abs() < 1e-6,
                "{}: {}",
                m.label,
                m.sharpness
            );
            assert_eq!(m.curve.len(), 11);
            // The slice is the surface along the direction through the end point.
            let mut at = vec![0.0f32; 2];
            let plane = Plane::new(
                m.params.clone(),
                vec![
                    make_direction(DirectionKind::Gaussian, ravine.layout(), &m.params, 3)
                        .expect("d"),
                ],
            )
            .expect("plane");
            for (a, v) in m.alphas.iter().zip(&m.curve) {
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
    fn a_diverging_run_is_named_and_cancelling_stops() {
        let ravine: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Ravine));
        let spec = MinimaSpec {
            steps: 500,
            span: 0.5,
            points: 11,
            direction: DirectionKind::Gaussian,
            direction_seed: 3,
        };
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
}
