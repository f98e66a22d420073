//! A network and how to train it: the base setting that the lottery and
//! the seed experiments vary.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::DatasetSpec;
use crate::nn::{Activation, Mask};
use crate::problem::{MlpProblem, Problem, ProblemSpec, Workspace};
use crate::train::{Run, StepOutcome, TrainConfig};

/// Most steps one training may take.
pub const MAX_STEPS: usize = 200_000;

/// A network on a built-in dataset, and its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainedSetting {
    /// The dataset (its seed fixes the points and the split).
    pub data: DatasetSpec,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Optimiser, schedule, batch and seed.
    pub train: TrainConfig,
    /// Steps per training.
    pub steps: usize,
}

impl TrainedSetting {
    /// A tanh network trained with Adam (lr 0.01) on minibatches: the
    /// lab's defaults differ only in data, widths, batch and steps.
    pub fn adam(data: DatasetSpec, hidden: Vec<usize>, batch: usize, steps: usize) -> Self {
        Self {
            data,
            hidden,
            activation: Activation::Tanh,
            train: TrainConfig {
                optimizer: crate::optim::OptimizerConfig {
                    kind: crate::optim::OptimizerKind::Adam,
                    lr: 0.01,
                    ..Default::default()
                },
                batch_size: Some(batch),
                seed: 0,
                ..TrainConfig::default()
            },
            steps,
        }
    }

    /// "two spirals · MLP 64-64", for titles.
    pub fn describe(&self) -> String {
        let widths: Vec<String> = self.hidden.iter().map(|h| h.to_string()).collect();
        format!("{} · MLP {}", self.data.kind.title(), widths.join("-"))
    }

    /// The problem as data (what a session stores).
    pub fn problem_spec(&self) -> ProblemSpec {
        ProblemSpec::Dataset {
            data: self.data,
            hidden: self.hidden.clone(),
            activation: self.activation,
        }
    }

    /// Checks the setting and builds its problem.
    pub fn build(&self) -> Result<Arc<MlpProblem>, String> {
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return Err(format!(
                "steps {} must be between 1 and {MAX_STEPS}",
                self.steps
            ));
        }
        self.train.validate().map_err(|e| e.to_string())?;
        let spec = self.problem_spec();
        spec.check()?;
        spec.build_mlp().map_err(|e| format!("{e:#}"))
    }
}

/// What one training gave.
#[derive(Clone, Debug)]
pub struct Trained {
    /// Parameters at the end.
    pub weights: Vec<f32>,
    /// Parameters after `keep_at` steps, when asked for.
    pub kept: Option<Vec<f32>>,
    /// Train and test loss and accuracy at the end.
    pub evaluation: crate::problem::Evaluation,
    /// The first evaluated step whose test accuracy reached the threshold.
    pub steps_to_threshold: Option<usize>,
}

/// Trains `problem` from `start` (masked by `mask`) for `steps` steps.
/// Every `eval_every` steps the test accuracy is compared with `threshold`.
pub fn train_from(
    problem: &Arc<MlpProblem>,
    config: TrainConfig,
    start: Vec<f32>,
    mask: Option<Arc<Mask>>,
    steps: usize,
    threshold: Option<(f32, usize)>,
    keep_at: Option<usize>,
) -> Result<Trained, String> {
    let dyn_problem: Arc<dyn Problem> = Arc::clone(problem) as Arc<dyn Problem>;
    let mut run = Run::new(dyn_problem, config).map_err(|e| e.to_string())?;
    run.set_mask(mask);
    run.set_params(start);
    let mut workspace = Workspace::default();
    let mut reached = None;
    let mut kept = None;
    for step in 0..=steps {
        if keep_at == Some(step) {
            kept = Some(run.params().to_vec());
        }
        if let Some((level, every)) = threshold
            && reached.is_none()
            && step % every.max(1) == 0
        {
            let e = problem.evaluate(run.params(), &mut workspace);
            if e.test_accuracy
                .or(e.train_accuracy)
                .is_some_and(|a| a >= level)
            {
                reached = Some(step);
            }
        }
        if step == steps {
            break;
        }
        if let StepOutcome::Diverged { step, .. } = run.step() {
            return Err(format!(
                "training diverged at step {step}: lower the learning rate"
            ));
        }
    }
    Ok(Trained {
        evaluation: problem.evaluate(run.params(), &mut workspace),
        weights: run.params().to_vec(),
        kept,
        steps_to_threshold: reached,
    })
}
