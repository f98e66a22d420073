//! Model-wise double descent: test loss against model size, across the
//! interpolation threshold (parameters ≈ training points × outputs).
//!
//! Two ways to fit each width, on the hidden-plane data (20-D inputs, ±1
//! targets, a share of training labels flipped):
//! - **random features**: a frozen random ReLU layer and the output layer
//!   solved exactly by minimum-norm least squares (ridge 0 by default);
//! - **trained MLP**: a one-hidden-layer ReLU network trained with Adam
//!   until it fits the training set.
//!
//! Each fitted model is an ordinary MLP, so the app can open any row in the
//! landscape views.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::least_squares::LeastSquares;
use super::stats::Spread;
use super::sweep::{Experiment, Queue};
use crate::data::{
    DatasetKind, DatasetSpec, MAX_LABEL_NOISE, Split, TEACHER_DIMS, Targets, generate,
};
use crate::nn::{Activation, Init, Mlp, seeded_rng};
use crate::optim::{OptimizerConfig, OptimizerKind};
use crate::problem::{MlpProblem, Problem, ProblemSpec, Workspace};
use crate::train::{Run, TrainConfig};

/// How each width's model is fitted.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::Display, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FitMode {
    /// Frozen random first layer; output layer by minimum-norm least squares.
    RandomFeatures,
    /// Both layers trained by Adam on the squared error.
    TrainedMlp,
}

impl std::str::FromStr for FitMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "random_features" | "rf" => Ok(FitMode::RandomFeatures),
            "trained_mlp" | "trained" | "mlp" => Ok(FitMode::TrainedMlp),
            other => Err(format!(
                "unknown mode '{other}': use random-features or trained-mlp"
            )),
        }
    }
}

/// Fewest and most training points.
pub const TRAIN_SIZE_RANGE: (usize, usize) = (10, 2000);
/// Most seeds a sweep averages over.
pub const MAX_SEEDS: usize = 50;
/// Most log-spaced widths.
pub const MAX_WIDTHS: usize = 200;
/// Most training steps per trained model.
pub const MAX_STEPS: usize = 100_000;

/// Everything that sets a double-descent sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoubleDescentSettings {
    /// How each width is fitted.
    pub mode: FitMode,
    /// Training points (the threshold sits at this many parameters).
    pub train_size: usize,
    /// Clean test points.
    pub test_size: usize,
    /// Share of training labels flipped, in [0, 0.5].
    pub label_noise: f32,
    /// Ridge on the least-squares solve (random features only); 0 is the
    /// minimum-norm interpolator, where the peak is.
    pub ridge: f64,
    /// Seeds averaged over (each its own data, features and initialisation).
    pub seeds: usize,
    /// Log-spaced sizes from 0.1× to 10× the threshold; a few more are
    /// added close to it, where the curve turns.
    pub widths: usize,
    /// Adam steps per trained model (full batch).
    pub steps: usize,
    /// Adam's learning rate for trained models.
    pub lr: f32,
}

impl Default for DoubleDescentSettings {
    fn default() -> Self {
        Self {
            mode: FitMode::RandomFeatures,
            train_size: 100,
            test_size: 1000,
            label_noise: 0.1,
            ridge: 0.0,
            seeds: 5,
            widths: 24,
            steps: 4000,
            lr: 0.01,
        }
    }
}

/// Extra sizes near the threshold, as multiples of it.
const NEAR_THRESHOLD: [f64; 6] = [0.8, 0.9, 0.95, 1.05, 1.1, 1.25];

impl DoubleDescentSettings {
    /// Checks every setting; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        let (lo, hi) = TRAIN_SIZE_RANGE;
        if !(lo..=hi).contains(&self.train_size) {
            return Err(format!(
                "training size {} must be between {lo} and {hi}",
                self.train_size
            ));
        }
        if !(10..=20_000).contains(&self.test_size) {
            return Err(format!(
                "test size {} must be between 10 and 20000",
                self.test_size
            ));
        }
        if !(0.0..=MAX_LABEL_NOISE).contains(&self.label_noise) {
            return Err(format!(
                "label noise {} must be between 0 and {MAX_LABEL_NOISE}",
                self.label_noise
            ));
        }
        if !self.ridge.is_finite() || !(0.0..=1e6).contains(&self.ridge) {
            return Err(format!("ridge {} must be between 0 and 1e6", self.ridge));
        }
        if !(1..=MAX_SEEDS).contains(&self.seeds) {
            return Err(format!(
                "seeds {} must be between 1 and {MAX_SEEDS}",
                self.seeds
            ));
        }
        if !(2..=MAX_WIDTHS).contains(&self.widths) {
            return Err(format!(
                "widths {} must be between 2 and {MAX_WIDTHS}",
                self.widths
            ));
        }
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return Err(format!(
                "steps {} must be between 1 and {MAX_STEPS}",
                self.steps
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 1.0) {
            return Err(format!("learning rate {} must be in (0, 1]", self.lr));
        }
        Ok(())
    }

    /// Model outputs (one: the ±1 target).
    pub fn outputs(&self) -> usize {
        1
    }

    /// The interpolation threshold: training points × outputs.
    pub fn threshold_params(&self) -> usize {
        self.train_size * self.outputs()
    }

    /// Fitted parameters at `width`: the output weights for random features
    /// (the first layer is frozen), every weight and bias for a trained MLP.
    pub fn params_at(&self, width: usize) -> usize {
        match self.mode {
            FitMode::RandomFeatures => width * self.outputs(),
            FitMode::TrainedMlp => crate::nn::param_count(&[TEACHER_DIMS, width, self.outputs()]),
        }
    }

    /// The widths swept, smallest first: sizes log-spaced in parameters
    /// from 0.1× to 10× the threshold, plus a few close to it.
    pub fn width_list(&self) -> Vec<usize> {
        let threshold = self.threshold_params() as f64;
        let count = self.widths.max(2);
        let mut targets: Vec<f64> = (0..count)
            .map(|i| threshold * 0.1 * 100f64.powf(i as f64 / (count - 1) as f64))
            .collect();
        targets.extend(NEAR_THRESHOLD.iter().map(|f| threshold * f));
        let mut widths: Vec<usize> = targets
            .into_iter()
            .map(|params| self.width_for(params))
            .collect();
        widths.sort_unstable();
        widths.dedup();
        widths
    }

    /// The width whose parameter count is nearest `params` (at least 1).
    fn width_for(&self, params: f64) -> usize {
        let per_unit = (self.params_at(2) - self.params_at(1)) as f64;
        let fixed = self.params_at(1) as f64 - per_unit;
        (((params - fixed) / per_unit).round() as usize).max(1)
    }

    /// The data for one seed.
    pub fn data_spec(&self, seed: u64) -> DatasetSpec {
        let size = self.train_size + self.test_size;
        DatasetSpec {
            kind: DatasetKind::Teacher,
            size,
            noise: self.label_noise,
            test_fraction: self.test_size as f32 / size as f32,
            seed,
            classes: 2,
        }
    }

    /// The problem a row's model lives in, for the landscape views.
    pub fn problem_spec(&self, width: usize, seed: u64) -> ProblemSpec {
        ProblemSpec::Dataset {
            data: self.data_spec(seed),
            hidden: vec![width],
            activation: Activation::Relu,
        }
    }
}

/// One fitted model.
#[derive(Clone, Debug, Serialize)]
pub struct DoubleDescentRow {
    /// Hidden units.
    pub width: usize,
    /// Fitted parameters.
    pub params: usize,
    /// Its seed.
    pub seed: u64,
    /// Mean squared error on the training set.
    pub train_loss: f64,
    /// Mean squared error on the test set.
    pub test_loss: f64,
    /// Share of training points on the wrong side (sign of the output).
    pub train_error: f64,
    /// Share of test points on the wrong side.
    pub test_error: f64,
    /// The model's parameters, as an MLP 20-width-1 (ReLU).
    #[serde(skip)]
    pub weights: Arc<[f32]>,
}

/// The sweep as an [`Experiment`].
pub struct DoubleDescent {
    settings: DoubleDescentSettings,
    data: Vec<Arc<Split>>,
    queue: Queue<(usize, u64)>,
}

impl DoubleDescent {
    /// Checks the settings and makes each seed's data.
    pub fn new(settings: DoubleDescentSettings) -> Result<Self, String> {
        settings.validate()?;
        let data = (0..settings.seeds as u64)
            .map(|seed| generate(&settings.data_spec(seed)).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        // Widest first within a pass: the longest solves start early.
        let items = settings
            .width_list()
            .into_iter()
            .flat_map(|w| (0..settings.seeds as u64).map(move |s| (w, s)))
            .collect();
        Ok(Self {
            settings,
            data,
            queue: Queue::new(items),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &DoubleDescentSettings {
        &self.settings
    }

    fn fit(&self, width: usize, seed: u64) -> Result<DoubleDescentRow, String> {
        let data = &self.data[seed as usize];
        let mlp =
            Mlp::new(&[TEACHER_DIMS, width, 1], Activation::Relu).map_err(|e| e.to_string())?;
        let problem = Arc::new(
            MlpProblem::new(mlp.clone(), Arc::clone(data), Init::Torch, "hidden plane")
                .map_err(|e| e.to_string())?,
        );
        let weights = match self.settings.mode {
            FitMode::RandomFeatures => {
                random_features(&mlp, data, width, seed, self.settings.ridge)?
            }
            FitMode::TrainedMlp => self.train(Arc::clone(&problem) as Arc<dyn Problem>, seed)?,
        };
        let mut workspace = Workspace::default();
        let evaluation = problem.evaluate(&weights, &mut workspace);
        let wrong = |set: &crate::data::Dataset, workspace: &mut Workspace| -> f64 {
            let out = problem.predict(&weights, set.x.view(), workspace);
            sign_error(out.view(), set)
        };
        let train_error = wrong(&data.train, &mut workspace);
        let test_error = wrong(&data.test, &mut workspace);
        Ok(DoubleDescentRow {
            width,
            params: self.settings.params_at(width),
            seed,
            train_loss: f64::from(evaluation.train_loss),
            test_loss: f64::from(evaluation.test_loss.unwrap_or(f32::NAN)),
            train_error,
            test_error,
            weights: Arc::from(weights),
        })
    }

    fn train(&self, problem: Arc<dyn Problem>, seed: u64) -> Result<Vec<f32>, String> {
        let config = TrainConfig {
            optimizer: OptimizerConfig {
                kind: OptimizerKind::Adam,
                lr: self.settings.lr,
                ..OptimizerConfig::default()
            },
            seed,
            ..TrainConfig::default()
        };
        let mut run = Run::new(problem, config).map_err(|e| e.to_string())?;
        for _ in 0..self.settings.steps {
            if let crate::train::StepOutcome::Diverged { step, .. } = run.step() {
                return Err(format!(
                    "a width diverged at step {step}: lower the learning rate"
                ));
            }
        }
        Ok(run.params().to_vec())
    }
}

/// Share of points whose output's sign differs from the ±1 target's.
fn sign_error(out: ArrayView2<'_, f32>, set: &crate::data::Dataset) -> f64 {
    let Targets::Values(targets) = &set.targets else {
        return f64::NAN;
    };
    if targets.is_empty() {
        return f64::NAN;
    }
    let wrong = out
        .iter()
        .zip(targets.iter())
        .filter(|&(&o, &t)| (o >= 0.0) != (t >= 0.0))
        .count();
    wrong as f64 / targets.len() as f64
}

/// The random-features model for `width`: first-layer weights drawn from
/// N(0, 1/d), scaled by √(2/width) so a feature vector has about unit norm
/// whatever the width (which keeps a ridge meaning the same at every
/// width); zero hidden biases; output weights by least squares.
fn random_features(
    mlp: &Mlp,
    data: &Split,
    width: usize,
    seed: u64,
    ridge: f64,
) -> Result<Vec<f32>, String> {
    let d = TEACHER_DIMS;
    let mut rng = seeded_rng(seed.wrapping_mul(0x9E37_79B9).wrapping_add(width as u64));
    let scale = (2.0 / width as f64).sqrt() / (d as f64).sqrt();
    let first = Array2::from_shape_fn((width, d), |_| {
        let z: f64 = StandardNormal.sample(&mut rng);
        z * scale
    });
    let x = data.train.x.mapv(f64::from);
    let features = x.dot(&first.t()).mapv(|v| v.max(0.0));
    let Targets::Values(y) = &data.train.targets else {
        return Err("random features fit ±1 targets".into());
    };
    let y = y.mapv(f64::from);
    let solver = LeastSquares::factor(features.view())?;
    let output = solver.solve(y.view(), ridge)?;
    let layout = mlp.layout();
    let mut params = vec![0.0f32; mlp.num_params()];
    params[layout.tensors[0].range()]
        .iter_mut()
        .zip(first.iter())
        .for_each(|(p, &w)| *p = w as f32);
    params[layout.tensors[2].range()]
        .iter_mut()
        .zip(output.iter())
        .for_each(|(p, &w)| *p = w as f32);
    Ok(params)
}

impl Experiment for DoubleDescent {
    type Item = (usize, u64);
    type Row = DoubleDescentRow;

    fn ready(&mut self, _: &[DoubleDescentRow], room: usize) -> Vec<(usize, u64)> {
        self.queue.take(room)
    }

    fn run(&self, (width, seed): (usize, u64)) -> Result<DoubleDescentRow, String> {
        self.fit(width, seed)
    }

    fn total(&self) -> usize {
        self.queue.len()
    }
}

/// One width, over its seeds.
#[derive(Clone, Debug, Serialize)]
pub struct DoubleDescentPoint {
    /// Hidden units.
    pub width: usize,
    /// Fitted parameters.
    pub params: usize,
    /// Seeds finished at this width.
    pub seeds: usize,
    /// Training loss: mean, lowest and highest over seeds.
    pub train_loss: Spread,
    /// Test loss over seeds.
    pub test_loss: Spread,
    /// Training error over seeds.
    pub train_error: Spread,
    /// Test error over seeds.
    pub test_error: Spread,
}

/// The curve, its threshold and its peak.
#[derive(Clone, Debug, Serialize)]
pub struct DoubleDescentSummary {
    /// Training points × outputs.
    pub threshold_params: usize,
    /// One point per width, smallest first.
    pub points: Vec<DoubleDescentPoint>,
    /// The width whose mean test loss is highest.
    pub peak: Option<DoubleDescentPoint>,
    /// Its mean test loss over the mean at the largest width.
    pub peak_over_largest: Option<f64>,
    /// Its parameters over the threshold's.
    pub peak_over_threshold: Option<f64>,
}

/// Means over seeds, width by width (for rows that may still be arriving).
pub fn summarise(
    settings: &DoubleDescentSettings,
    rows: &[DoubleDescentRow],
) -> DoubleDescentSummary {
    let mut widths: Vec<usize> = rows.iter().map(|r| r.width).collect();
    widths.sort_unstable();
    widths.dedup();
    let points: Vec<DoubleDescentPoint> = widths
        .into_iter()
        .map(|width| {
            let at: Vec<&DoubleDescentRow> = rows.iter().filter(|r| r.width == width).collect();
            let spread = |f: fn(&DoubleDescentRow) -> f64| Spread::of(at.iter().map(|r| f(r)));
            DoubleDescentPoint {
                width,
                params: settings.params_at(width),
                seeds: at.len(),
                train_loss: spread(|r| r.train_loss),
                test_loss: spread(|r| r.test_loss),
                train_error: spread(|r| r.train_error),
                test_error: spread(|r| r.test_error),
            }
        })
        .collect();
    let peak = points
        .iter()
        .filter(|p| p.test_loss.mean.is_finite())
        .max_by(|a, b| a.test_loss.mean.total_cmp(&b.test_loss.mean))
        .cloned();
    let threshold = settings.threshold_params();
    let peak_over_largest = peak
        .as_ref()
        .zip(points.last())
        .map(|(peak, last)| peak.test_loss.mean / last.test_loss.mean);
    let peak_over_threshold = peak.as_ref().map(|p| p.params as f64 / threshold as f64);
    DoubleDescentSummary {
        threshold_params: threshold,
        points,
        peak,
        peak_over_largest,
        peak_over_threshold,
    }
}

#[cfg(test)]
#[path = "double_descent_tests.rs"]
mod tests;
