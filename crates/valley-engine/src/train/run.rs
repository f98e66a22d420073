//! The training loop as plain data and methods: no threads, no clocks.
//!
//! The CLI drives a [`Run`] directly; the app drives it through the
//! [`super::Trainer`] thread. Both see the same steps for the same seed.

mod saved;

pub use saved::{RestoreError, SavedPoint, SavedRun};

use std::sync::Arc;

use chacha20::ChaCha12Rng;
use rand::SeedableRng as _;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::history::{Decimated, EvalPoint, HistoryPoint, TrajectoryPoint};
use crate::nn::Mask;
use crate::optim::l2_norm as norm;
use crate::optim::{LrSchedule, OptimError, Optimizer, OptimizerConfig};
use crate::problem::{Batch, Evaluation, Problem, Workspace};

/// Trajectory points kept (decimated) for trails and PCA.
pub const TRAJECTORY_CAPACITY: usize = 1024;
/// Loss-curve points kept (decimated).
pub const HISTORY_CAPACITY: usize = 4096;
/// Train/test evaluations kept (decimated). The series is its own schedule:
/// step s is evaluated only if it would be kept, so every step is evaluated
/// up to 256, then 128 more per doubling of the run (bounded cost), and any
/// run of 129+ steps keeps 129..=256 points, the same however fast it ran.
pub const EVALUATION_CAPACITY: usize = 256;
/// Most floats the trajectory may hold, so big models keep fewer points.
const TRAJECTORY_MAX_FLOATS: usize = 64 << 20;

/// How to train: optimiser, schedule, batch size, seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The optimiser and its hyperparameters.
    pub optimizer: OptimizerConfig,
    /// How the learning rate changes over steps.
    pub schedule: LrSchedule,
    /// Examples per step; `None` for the full training set.
    pub batch_size: Option<usize>,
    /// Seeds the initial parameters and the minibatch order.
    pub seed: u64,
}

impl TrainConfig {
    /// Checks every hyperparameter; the message says what to change.
    pub fn validate(&self) -> Result<(), OptimError> {
        self.optimizer.validate()?;
        self.schedule.validate()?;
        if self.batch_size == Some(0) {
            return Err(OptimError::Invalid("batch size must be at least 1".into()));
        }
        Ok(())
    }
}

/// A finite loss this many times the run's first loss (or times 1, if the
/// run started lower) counts as diverged: with tanh or a softmax the loss
/// of a run whose weights are flying apart can stay finite for a long time.
pub const BLOW_UP_FACTOR: f32 = 1e3;

/// Parameters whose norm has grown this many times (from at least 1) count as
/// diverged: saturated tanh units keep the loss finite while the weights run off.
pub const PARAMS_BLOW_UP_FACTOR: f32 = 100.0;

/// Mixed into the seed of the batch-order stream, so it differs from the
/// initialisation's stream for the same seed.
const SHUFFLE_SALT: u64 = 0x9E37_79B9_7F4A_7C15;

/// A ball this many half-widths of its surface's view from the centre has
/// left the map for good.
const OFF_THE_MAP: f64 = 20.0;

/// Whether every value is finite: a chunk at a time without stopping
/// early, so the loop vectorises (a million gradients in a few dozen
/// microseconds instead of a few hundred).
fn all_finite(values: &[f32]) -> bool {
    values
        .chunks(1024)
        .all(|chunk| chunk.iter().fold(true, |all, v| all & v.is_finite()))
}

/// Whether `loss` has blown up relative to the run's first loss.
fn blew_up(loss: f32, first: f32) -> bool {
    first.is_finite() && loss > BLOW_UP_FACTOR * first.max(1.0)
}

/// Whether the run is moving.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunState {
    /// Waiting for play or step.
    Paused,
    /// Training continuously.
    Running,
    /// Stopped because the loss or gradient stopped being a finite number.
    Diverged {
        /// The step at which it happened.
        step: u64,
        /// The loss seen (NaN or ±∞; finite with a non-finite gradient, or blown up).
        loss: f32,
    },
}

impl RunState {
    /// The state in a few words, for a status line with no room for
    /// advice: "escaped at step N" on a surface with no bottom, "diverged at
    /// step N", or the plain state.
    pub fn brief(&self) -> String {
        match self {
            RunState::Diverged { step, loss } if *loss < 0.0 => format!("escaped at step {step}"),
            RunState::Diverged { step, .. } => format!("diverged at step {step}"),
            state => state.describe(),
        }
    }

    /// "diverged at step N (loss = inf)", "escaped at step N" for a ball that
    /// ran off down a surface with no bottom, or the plain state.
    pub fn describe(&self) -> String {
        match self {
            RunState::Paused => "paused".into(),
            RunState::Running => "running".into(),
            // A loss below zero only happens on a formula surface that falls
            // forever (a saddle): the ball left downhill; nothing blew up.
            RunState::Diverged { step, loss } if *loss < 0.0 => format!(
                "escaped at step {step}: the loss kept falling (to {}), since this surface has no bottom that way; reset to start again",
                crate::numbers::readable_number(f64::from(*loss))
            ),
            RunState::Diverged { step, loss } if loss.is_finite() => format!(
                "diverged at step {step} (loss = {}): the loss or the weights blew up far past where they started; lower the learning rate and reset",
                crate::numbers::readable_number(f64::from(*loss))
            ),
            RunState::Diverged { step, loss } => {
                format!(
                    "diverged at step {step} (loss = {loss}); lower the learning rate and reset"
                )
            }
        }
    }
}

/// The result of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepOutcome {
    /// The parameters moved; the batch loss before the move.
    Stepped {
        /// Loss on the batch, at the parameters before the step.
        loss: f32,
    },
    /// Nothing moved: the loss or gradient is not finite.
    Diverged {
        /// Step index at which it happened.
        step: u64,
        /// The loss seen.
        loss: f32,
    },
}

/// Everything a view needs about one moment of training. Cheap to share.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Optimiser steps taken.
    pub step: u64,
    /// Current parameters.
    pub params: Arc<[f32]>,
    /// Parameters at step 0 of this run (for frozen planes and interpolation).
    pub initial_params: Arc<[f32]>,
    /// Train/test loss and accuracy at `params`.
    pub evaluation: Evaluation,
    /// Full-batch gradient at `params` (points uphill).
    pub gradient: Arc<[f32]>,
    /// Its norm.
    pub grad_norm: f32,
    /// The update the optimiser would apply next on the full batch (points downhill).
    pub next_step: Arc<[f32]>,
    /// Learning rate of the next step.
    pub lr: f32,
    /// Paused, running or diverged.
    pub state: RunState,
    /// Decimated parameters over the run.
    pub trajectory: Arc<Vec<TrajectoryPoint>>,
    /// Decimated per-step scalars over the run.
    pub history: Arc<Vec<HistoryPoint>>,
    /// Decimated train/test losses over the run, ending at `step`.
    pub evaluations: Arc<Vec<EvalPoint>>,
    /// Measured training speed (0 when paused).
    pub steps_per_second: f64,
}

/// The batch-order generator for a seed: the same stream `StdRng` gives for
/// the salted seed (rand 0.10's `StdRng` is ChaCha12), so runs and format-1
/// sessions written before the switch shuffle exactly as they did.
fn shuffle_rng(seed: u64) -> ChaCha12Rng {
    ChaCha12Rng::seed_from_u64(seed ^ SHUFFLE_SALT)
}

/// One training run: parameters, optimiser state, batch order, records.
pub struct Run {
    problem: Arc<dyn Problem>,
    config: TrainConfig,
    params: Vec<f32>,
    initial: Arc<[f32]>,
    optimizer: Optimizer,
    step: u64,
    /// Shuffles the batch order; named by algorithm (not `StdRng`) so a
    /// session can store its position and Valley can promise to read it.
    rng: ChaCha12Rng,
    order: Vec<usize>,
    cursor: usize,
    grad: Vec<f32>,
    workspace: Workspace,
    trajectory: Decimated<TrajectoryPoint>,
    history: Decimated<HistoryPoint>,
    evaluations: Decimated<EvalPoint>,
    diverged: Option<(u64, f32)>,
    /// The first batch loss of the run: the yardstick for a blow-up.
    first_loss: Option<f32>,
    /// The norm of the starting parameters: the other yardstick.
    start_norm: f32,
    /// Pruned parameters, held at exactly zero (a lottery ticket).
    mask: Option<Arc<Mask>>,
}

impl Run {
    /// A fresh run from the config's seed.
    pub fn new(problem: Arc<dyn Problem>, config: TrainConfig) -> Result<Self, OptimError> {
        config.validate()?;
        let n = problem.num_params();
        let capacity = TRAJECTORY_CAPACITY.min((TRAJECTORY_MAX_FLOATS / n.max(1)).max(2));
        let mut run = Self {
            optimizer: Optimizer::new(config.optimizer, n),
            params: Vec::new(),
            initial: Arc::from(Vec::new()),
            step: 0,
            rng: shuffle_rng(config.seed),
            order: Vec::new(),
            cursor: 0,
            grad: vec![0.0; n],
            workspace: Workspace::default(),
            trajectory: Decimated::new(capacity),
            history: Decimated::new(HISTORY_CAPACITY),
            evaluations: Decimated::new(EVALUATION_CAPACITY),
            diverged: None,
            first_loss: None,
            start_norm: 0.0,
            mask: None,
            problem,
            config,
        };
        run.reset(None);
        Ok(run)
    }

    /// Back to step 0 with fresh parameters from `seed` (or the config's).
    pub fn reset(&mut self, seed: Option<u64>) {
        if let Some(seed) = seed {
            self.config.seed = seed;
        }
        let params = self.problem.init_params(self.config.seed);
        self.restart_from(params);
    }

    /// Moves the parameters to `params` and restarts the run from there
    /// ("what if we start here?"). Lengths must match the problem.
    pub fn set_params(&mut self, params: Vec<f32>) {
        assert_eq!(params.len(), self.problem.num_params(), "parameter count");
        self.restart_from(params);
    }

    fn restart_from(&mut self, mut params: Vec<f32>) {
        if let Some(mask) = &self.mask {
            mask.apply(&mut params);
        }
        self.initial = Arc::from(params.as_slice());
        self.params = params;
        self.optimizer.reset();
        self.step = 0;
        self.rng = shuffle_rng(self.config.seed);
        self.order = (0..self.problem.num_train_examples()).collect();
        self.cursor = self.order.len();
        self.trajectory.clear();
        self.history.clear();
        self.evaluations.clear();
        self.diverged = None;
        self.first_loss = None;
        self.start_norm = norm(&self.params);
    }

    /// Prunes the run: the masked parameters become zero now and stay zero,
    /// with their gradients and optimiser moments masked at every step.
    /// `None` lets every parameter move again.
    pub fn set_mask(&mut self, mask: Option<Arc<Mask>>) {
        if let Some(mask) = &mask {
            assert_eq!(mask.len(), self.params.len(), "one flag per parameter");
            mask.apply(&mut self.params);
            self.optimizer.mask_state(mask);
        }
        self.mask = mask;
    }

    /// Changes hyperparameters mid-run; optimiser state survives where it can.
    pub fn set_config(&mut self, config: TrainConfig) -> Result<(), OptimError> {
        config.validate()?;
        self.optimizer.set_config(config.optimizer);
        self.config = config;
        Ok(())
    }

    /// The problem being trained.
    pub fn problem(&self) -> &Arc<dyn Problem> {
        &self.problem
    }

    /// The current hyperparameters.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Parameters at step 0 of this run.
    pub fn initial_params(&self) -> &[f32] {
        &self.initial
    }

    /// Current parameters.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// Steps taken.
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// Where and how the run diverged, if it did.
    pub fn divergence(&self) -> Option<(u64, f32)> {
        self.diverged
    }

    /// Learning rate for the next step.
    pub fn current_lr(&self) -> f32 {
        self.config
            .schedule
            .lr_at(self.config.optimizer.lr, self.step)
    }

    /// The next minibatch's indices (epoch-wise shuffles, like a shuffling
    /// DataLoader that keeps the last, smaller batch), or `None` for full batch.
    fn next_batch(&mut self) -> Option<std::ops::Range<usize>> {
        let size = self.config.batch_size?;
        let n = self.order.len();
        if n == 0 || size >= n {
            return None;
        }
        if self.cursor >= n {
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
        }
        let range = self.cursor..(self.cursor + size).min(n);
        self.cursor = range.end;
        Some(range)
    }

    /// One optimiser step. A non-finite loss or gradient, or a loss that has
    /// blown up far past where the run started, leaves the parameters where
    /// they are and marks the run diverged.
    pub fn step(&mut self) -> StepOutcome {
        if let Some((step, loss)) = self.diverged {
            return StepOutcome::Diverged { step, loss };
        }
        let batch_range = self.next_batch();
        let loss = {
            let batch = match &batch_range {
                Some(range) => Batch::Indices(&self.order[range.clone()]),
                None => Batch::Full,
            };
            self.problem
                .loss_and_grad(&self.params, batch, &mut self.grad, &mut self.workspace)
        };
        if let Some(mask) = &self.mask {
            mask.apply(&mut self.grad);
        }
        let grad_finite = all_finite(&self.grad);
        let first = *self.first_loss.get_or_insert(loss);
        // The norm costs a pass over the parameters: for a big model every
        // 8th step is soon enough; a small one (a surface) bounces faster.
        let due = self.params.len() <= 64 || self.step.is_multiple_of(8);
        let flew_apart = due && self.flew_apart();
        if !loss.is_finite() || !grad_finite || blew_up(loss, first) || flew_apart {
            self.diverged = Some((self.step, loss));
            return StepOutcome::Diverged {
                step: self.step,
                loss,
            };
        }
        if self.trajectory.wants_next() {
            self.trajectory.push(TrajectoryPoint {
                step: self.step,
                params: Arc::from(self.params.as_slice()),
                loss,
            });
        } else {
            self.trajectory.skip();
        }
        if self.evaluations.wants_next() {
            // A full batch has just computed the train loss at these very
            // parameters.
            let full_batch = batch_range.is_none().then_some(loss);
            let (train_loss, test_loss) =
                self.problem
                    .curve_losses(&self.params, full_batch, &mut self.workspace);
            // JSON has no infinity: an overflowing loss is kept as the
            // largest float, so the run can still be saved and reopened.
            let finite = |loss: f32| if loss.is_finite() { loss } else { f32::MAX };
            self.evaluations.push(EvalPoint {
                step: self.step,
                train_loss: finite(train_loss),
                test_loss: test_loss.map(finite),
            });
        } else {
            self.evaluations.skip();
        }
        let lr = self.current_lr();
        let grad_norm = self.optimizer.step(&mut self.params, &self.grad, lr);
        if let Some(mask) = &self.mask {
            // Weight decay or AdamW's shrink leave a zero at zero, but exact
            // is the promise: re-zero after every update.
            mask.apply(&mut self.params);
            self.optimizer.mask_state(mask);
        }
        self.history.push(HistoryPoint {
            step: self.step,
            batch_loss: loss,
            grad_norm,
            lr,
        });
        self.step += 1;
        StepOutcome::Stepped { loss }
    }

    /// Whether the parameters have run off: their norm has grown a hundredfold,
    /// or, on a formula surface, the ball is far off the map (an optimiser
    /// whose steps are bounded, like Adam, bounces there instead of overflowing).
    fn flew_apart(&self) -> bool {
        if norm(&self.params) > PARAMS_BLOW_UP_FACTOR * self.start_norm.max(1.0) {
            return true;
        }
        self.problem.surface().is_some_and(|kind| {
            let ([cx, cy], half_width) = kind.view();
            let (x, y) = (f64::from(self.params[0]), f64::from(self.params[1]));
            (x - cx).hypot(y - cy) > OFF_THE_MAP * half_width
        })
    }

    /// A full picture of the present: evaluation, gradient, the next update.
    pub fn snapshot(&mut self, state: RunState, steps_per_second: f64) -> Snapshot {
        // Published many times a second: a long text is read through its
        // fixed sample, as the loss chart's points are.
        let evaluation = self
            .problem
            .evaluate_for_curve(&self.params, &mut self.workspace);
        let mut gradient = vec![0.0; self.params.len()];
        let batch = match self.problem.curve_batch() {
            Some(indices) => Batch::Indices(indices),
            None => Batch::Full,
        };
        self.problem
            .loss_and_grad(&self.params, batch, &mut gradient, &mut self.workspace);
        if let Some(mask) = &self.mask {
            mask.apply(&mut gradient);
        }
        let grad_norm = gradient
            .iter()
            .map(|&g| f64::from(g) * f64::from(g))
            .sum::<f64>()
            .sqrt() as f32;
        // Preview the update on a copy, so the arrow shows what Adam or
        // momentum will really do, not just −lr · gradient.
        let mut preview = self.params.clone();
        if gradient.iter().all(|g| g.is_finite()) {
            self.optimizer
                .clone()
                .step(&mut preview, &gradient, self.current_lr());
            if let Some(mask) = &self.mask {
                mask.apply(&mut preview);
            }
        }
        let next_step: Vec<f32> = preview
            .iter()
            .zip(&self.params)
            .map(|(a, b)| a - b)
            .collect();
        // The present ends the curve (as it ends the trajectory).
        let mut evaluations = self.evaluations.items().to_vec();
        if evaluations.last().is_none_or(|p| p.step < self.step) {
            evaluations.push(EvalPoint {
                step: self.step,
                train_loss: evaluation.train_loss,
                test_loss: evaluation.test_loss,
            });
        }
        let state = match self.diverged {
            Some((step, loss)) => RunState::Diverged { step, loss },
            None => state,
        };
        Snapshot {
            step: self.step,
            params: Arc::from(self.params.as_slice()),
            initial_params: Arc::clone(&self.initial),
            evaluation,
            gradient: Arc::from(gradient),
            grad_norm,
            next_step: Arc::from(next_step),
            lr: self.current_lr(),
            state,
            trajectory: Arc::new(self.trajectory_points()),
            history: Arc::new(self.history.items().to_vec()),
            evaluations: Arc::new(evaluations),
            steps_per_second,
        }
    }

    /// The kept trajectory points, plus the present as the last point.
    pub fn trajectory_points(&self) -> Vec<TrajectoryPoint> {
        let mut points = self.trajectory.items().to_vec();
        points.push(TrajectoryPoint {
            step: self.step,
            params: Arc::from(self.params.as_slice()),
            loss: self
                .history
                .items()
                .last()
                .map_or(f32::NAN, |h| h.batch_loss),
        });
        points
    }

    /// The kept loss-curve points.
    pub fn history(&self) -> &[HistoryPoint] {
        self.history.items()
    }

    /// The kept train/test evaluations.
    pub fn evaluations(&self) -> &[EvalPoint] {
        self.evaluations.items()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetKind, DatasetSpec, generate};
    use crate::nn::{Activation, Init, Mlp};
    use crate::problem::MlpProblem;

    /// The chart's losses, taken from the step (full batch) or the
    /// tape-free loss (minibatch), are the evaluation's to rounding.
    #[test]
    fn recorded_losses_are_the_evaluations() {
        let spec = DatasetSpec {
            size: 800,
            ..DatasetSpec::new(DatasetKind::Moons)
        };
        let data = Arc::new(generate(&spec).expect("moons"));
        let mlp = Mlp::new(&[2, 16, 16, 2], Activation::Tanh).expect("widths");
        let problem: Arc<dyn Problem> =
            Arc::new(MlpProblem::new(mlp, data, Init::Torch, "moons").expect("fits"));
        for batch_size in [None, Some(32)] {
            let config = TrainConfig {
                batch_size,
                ..TrainConfig::default()
            };
            let mut run = Run::new(Arc::clone(&problem), config).expect("valid");
            let mut workspace = Workspace::default();
            for step in 0..12 {
                let expected = problem.evaluate(run.params(), &mut workspace);
                run.step();
                let got = run.evaluations().last().expect("every early step is kept");
                assert_eq!(got.step, step);
                let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
                assert!(
                    close(got.train_loss, expected.train_loss),
                    "{batch_size:?} step {step}: train {} vs {}",
                    got.train_loss,
                    expected.train_loss
                );
                let (test, expected_test) =
                    (got.test_loss.expect("a test set"), expected.test_loss);
                assert!(close(test, expected_test.expect("a test set")));
            }
        }
    }
}
