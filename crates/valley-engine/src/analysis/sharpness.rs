//! Flat vs sharp minima: one model trained from the same start under
//! different settings (small and large batches, or small and large learning
//! rates), and what each minimum looks like: its sharpness (the largest
//! Hessian eigenvalue, Keskar et al. 2017), the loss along the direction that
//! eigenvalue belongs to, the loss along a random filter-normalised direction
//! (Li et al. 2018, Fig. 3), and how it does on unseen data.
//!
//! Two slices, because they answer different questions. λmax is the
//! curvature along one direction, the sharpest; a random direction in a
//! network's many dimensions mostly sees the flat ones, so the two can order
//! the same minima differently. A chart that sits beside λmax has to be drawn
//! along the sharpest direction, or it contradicts its own numbers.

use std::sync::Arc;

use super::lanczos::{AnalysisError, Control, extremes};
use super::minima_verdict::{MinimumFacts, TIE};
use crate::exec::{Outcome, run_here};
use crate::landscape::{DirectionKind, GridAxis, GridSpec, Plane, make_direction};
use crate::problem::{Problem, Workspace};
use crate::train::TrainSteps;
use crate::train::{Run, TrainConfig};

/// How the minima are found and looked at.
#[derive(Clone, Copy, Debug)]
pub struct MinimaSpec {
    /// Training steps for every run.
    pub steps: u64,
    /// The random slices run over [−span, span] in filter-normalised units.
    /// (The sharpest-direction slices choose their own range: see
    /// [`sharpest_half_range`].)
    pub span: f32,
    /// Points along each slice, made odd so that α = 0, the minimum itself,
    /// is one of them.
    pub points: usize,
    /// The random slice direction's kind: filter-normalised for a network, so
    /// that minima of different scale compare fairly (Li et al. 2018).
    pub direction: DirectionKind,
    /// Seeds the random direction (drawn at each minimum, the same seed for all).
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
    /// The largest Hessian eigenvalue of the training loss at the end (λmax).
    pub sharpness: f64,
    /// The eigenvector λmax belongs to: unit length in parameter space.
    pub sharpest_direction: Vec<f32>,
    /// α along `sharpest_direction`, in parameter-space units (the distance
    /// from the minimum); the same values for every minimum of a comparison,
    /// so their curves share one chart.
    pub sharpest_alphas: Vec<f32>,
    /// The training loss along the sharpest direction: about ½·λmax·α² near
    /// the centre, so a higher λmax is a curve that rises faster.
    pub sharpest_curve: Vec<f32>,
    /// α along the random filter-normalised direction, in units of the
    /// filters' own norms.
    pub random_alphas: Vec<f32>,
    /// The training loss along the random filter-normalised direction.
    pub random_curve: Vec<f32>,
    /// The final parameters.
    pub params: Vec<f32>,
}

impl Minimum {
    /// How far the sharpest-direction slice climbs from the minimum to its ends.
    pub fn sharpest_rise(&self) -> f32 {
        rise_at_ends(&self.sharpest_alphas, &self.sharpest_curve)
    }

    /// How far the random-direction slice climbs from the minimum to its ends.
    pub fn random_rise(&self) -> f32 {
        rise_at_ends(&self.random_alphas, &self.random_curve)
    }

    /// The numbers the verdict sentence is made from.
    pub fn facts(&self) -> MinimumFacts<'_> {
        MinimumFacts {
            label: &self.label,
            sharpness: self.sharpness,
            train_loss: self.train_loss,
            test_loss: self.test_loss,
            sharpest_rise: self.sharpest_rise(),
            random_rise: self.random_rise(),
        }
    }
}

/// How far a slice climbs from its centre (α = 0, the minimum) to its ends:
/// the mean of the two end values less the value nearest α = 0. Averaging the
/// ends makes it blind to the sign of the direction.
pub fn rise_at_ends(alphas: &[f32], curve: &[f32]) -> f32 {
    assert_eq!(alphas.len(), curve.len(), "one loss per α");
    let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
        return 0.0;
    };
    let centre = alphas
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i);
    0.5 * (first + last) - curve[centre]
}

/// The smallest rise, in loss units, the sharpest slice is scaled to: a loss
/// trained close to zero still gets a curve that leaves the axis.
pub const MIN_SHARPEST_RISE: f32 = 0.05;

/// Half the width, in parameter-space units, of the sharpest-direction slices
/// of one comparison, chosen after all runs so every minimum shares it (a
/// start: [`compare_minima`] halves it while the curves, further out than
/// λmax describes, do not order like it; see [`ordered_like_sharpness`]).
///
/// Near a minimum the loss along the top eigenvector is ½·λmax·α², so at
/// α = ±a the sharpest minimum (the largest λmax) climbs by `rise` where
/// a = √(2·rise / λmax). `rise` is the largest training loss (at least
/// [`MIN_SHARPEST_RISE`]): the sharpest curve about doubles the loss it
/// starts from, which reads well on a linear loss axis that has to hold
/// every minimum's loss, while the slice stays near enough the minimum for
/// λmax, a local number, to describe it. The flatter minima, on the same α,
/// climb by rise · λmax / λmax_largest: less, in proportion. When no λmax is
/// positive (nothing curves up) the range is one unit.
pub fn sharpest_half_range(sharpness: &[f64], train_losses: &[f32]) -> f32 {
    let largest = sharpness
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if largest <= 0.0 || !largest.is_finite() {
        return 1.0;
    }
    let rise = train_losses
        .iter()
        .copied()
        .filter(|l| l.is_finite())
        .fold(MIN_SHARPEST_RISE, f32::max);
    (2.0 * f64::from(rise) / largest).sqrt() as f32
}

/// How many times the sharpest slices' range may be halved to reach the
/// neighbourhood λmax describes (a factor of 1024 at most).
pub const MAX_NARROWINGS: usize = 10;

/// Whether every minimum with a clearly higher λmax (more than [`TIE`]
/// apart) also has the higher rise: the slices are where λmax describes them.
///
/// λmax is the curvature at α = 0; further out the loss's higher-order terms
/// can outweigh it, and a slice long enough to read may leave the region it
/// describes. As α shrinks the ½·λmax·α² term dominates, so halving the
/// range until this holds finds the neighbourhood the numbers speak about.
pub fn ordered_like_sharpness(sharpness: &[f64], rises: &[f32]) -> bool {
    assert_eq!(sharpness.len(), rises.len(), "one rise per minimum");
    sharpness.iter().zip(rises).all(|(&s_high, &r_high)| {
        sharpness.iter().zip(rises).all(|(&s_low, &r_low)| {
            let clearly_sharper = s_high - s_low > TIE * s_high.abs().max(s_low.abs());
            !clearly_sharper || r_high > r_low
        })
    })
}

/// The training loss at `params + α·direction` for each α.
pub fn loss_along(
    problem: &dyn Problem,
    params: &[f32],
    direction: &[f32],
    alphas: &[f32],
) -> Result<Vec<f32>, MinimaError> {
    let plane = Plane::new(params.to_vec(), vec![direction.to_vec()])
        .map_err(|e| MinimaError::Invalid(e.to_string()))?;
    // A line is a few hundred forward passes: no need for threads.
    let mut workspace = Workspace::default();
    let mut at = vec![0.0f32; params.len()];
    Ok(alphas
        .iter()
        .map(|&a| {
            plane.point(&[a], &mut at);
            problem.loss(&at, &mut workspace)
        })
        .collect())
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
    let line = line_of(spec)?;
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
        let quiet = Control {
            cancelled: control.cancelled,
            progress: &|_| {},
        };
        out.push(describe_minimum(
            problem, label, config, &run, spec, &line, &quiet,
        )?);
        (control.progress)(base + 0.98 * share);
    }
    shared_sharpest_range(problem, &mut out, line.alpha.points)?;
    (control.progress)(1.0);
    Ok(out)
}

/// The random slice's line of a comparison.
fn line_of(spec: &MinimaSpec) -> Result<GridSpec, MinimaError> {
    let points = spec.points.max(3) | 1;
    let line = GridSpec::line(spec.span, points);
    line.validate().map_err(MinimaError::Invalid)?;
    Ok(line)
}

/// One trained run's minimum: its sharpness and sharpest direction (Lanczos),
/// the loss along a random direction, and how it does on the test set. The
/// sharpest slice is drawn later, on the range all runs share.
fn describe_minimum(
    problem: &Arc<dyn Problem>,
    label: &str,
    config: &TrainConfig,
    run: &Run,
    spec: &MinimaSpec,
    line: &GridSpec,
    control: &Control<'_>,
) -> Result<Minimum, MinimaError> {
    if let Some((step, _)) = run.divergence() {
        return Err(MinimaError::Diverged {
            label: label.to_string(),
            step,
        });
    }
    let params = run.params().to_vec();
    let at: Vec<f64> = params.iter().map(|&p| f64::from(p)).collect();
    let mut product = |v: &[f64]| problem.hessian_vector(&at, v);
    let found = extremes(at.len(), 1, &mut product, config.seed, control)?;
    let direction = make_direction(
        spec.direction,
        problem.layout(),
        &params,
        spec.direction_seed,
    )
    .map_err(|e| MinimaError::Invalid(format!("{label}: {e}")))?;
    let random_alphas = line.alpha.values();
    let random_curve = loss_along(problem.as_ref(), &params, &direction, &random_alphas)
        .map_err(|e| MinimaError::Invalid(format!("{label}: {e}")))?;
    let evaluation = problem.evaluate(&params, &mut Workspace::default());
    Ok(Minimum {
        label: label.to_string(),
        config: *config,
        train_loss: evaluation.train_loss,
        test_loss: evaluation.test_loss,
        test_accuracy: evaluation.test_accuracy,
        sharpness: found.top[0],
        sharpest_direction: found.top_vectors[0].iter().map(|&v| v as f32).collect(),
        sharpest_alphas: Vec::new(),
        sharpest_curve: Vec::new(),
        random_alphas,
        random_curve,
        params,
    })
}

/// Draws every minimum's sharpest slice on one α range, which depends on
/// every run: narrowed until the sharper minimum visibly rises more.
fn shared_sharpest_range(
    problem: &Arc<dyn Problem>,
    out: &mut [Minimum],
    points: usize,
) -> Result<(), MinimaError> {
    let sharpness: Vec<f64> = out.iter().map(|m| m.sharpness).collect();
    let losses: Vec<f32> = out.iter().map(|m| m.train_loss).collect();
    let mut half_range = sharpest_half_range(&sharpness, &losses);
    for narrowing in 0..=MAX_NARROWINGS {
        let alphas = GridAxis::symmetric(half_range, points).values();
        for m in out.iter_mut() {
            m.sharpest_curve =
                loss_along(problem.as_ref(), &m.params, &m.sharpest_direction, &alphas)
                    .map_err(|e| MinimaError::Invalid(format!("{}: {e}", m.label)))?;
            m.sharpest_alphas = alphas.clone();
        }
        let rises: Vec<f32> = out.iter().map(Minimum::sharpest_rise).collect();
        if narrowing == MAX_NARROWINGS || ordered_like_sharpness(&sharpness, &rises) {
            break;
        }
        half_range *= 0.5;
    }
    Ok(())
}

/// [`compare_minima`] as an executor task: each run trains in slices, and
/// each minimum is described in a turn of its own, so a page keeps drawing.
/// The minima are the ones [`compare_minima`] gives.
pub struct MinimaTask {
    problem: Arc<dyn Problem>,
    runs: Vec<(String, TrainConfig)>,
    spec: MinimaSpec,
    line: GridSpec,
    /// The run being trained.
    training: Option<TrainSteps>,
    out: Vec<Minimum>,
}

impl MinimaTask {
    /// A comparison of `runs` on `problem` (see [`compare_minima`]).
    pub fn new(
        problem: Arc<dyn Problem>,
        runs: Vec<(String, TrainConfig)>,
        spec: MinimaSpec,
    ) -> Result<Self, MinimaError> {
        Ok(Self {
            line: line_of(&spec)?,
            out: Vec::with_capacity(runs.len()),
            problem,
            runs,
            spec,
            training: None,
        })
    }
}

impl crate::exec::Task for MinimaTask {
    type Output = Vec<Minimum>;

    fn advance(
        &mut self,
        budget: std::time::Duration,
    ) -> Result<crate::exec::Step<Vec<Minimum>>, String> {
        use crate::exec::Step;
        let index = self.out.len();
        let share = 1.0 / self.runs.len().max(1) as f32;
        let Some((label, config)) = self.runs.get(index).cloned() else {
            let points = self.line.alpha.points;
            shared_sharpest_range(&self.problem, &mut self.out, points)
                .map_err(|e| e.to_string())?;
            return Ok(Step::Done(std::mem::take(&mut self.out)));
        };
        let training = match &mut self.training {
            Some(training) => training,
            None => {
                let run = Run::new(Arc::clone(&self.problem), config)
                    .map_err(|e| format!("{label}: {e}"))?;
                self.training.insert(TrainSteps::new(run, self.spec.steps))
            }
        };
        match training.advance(budget)? {
            Step::Working(fraction) => Ok(Step::Working(share * (index as f32 + 0.8 * fraction))),
            Step::Done(run) => {
                self.training = None;
                let minimum = describe_minimum(
                    &self.problem,
                    &label,
                    &config,
                    &run,
                    &self.spec,
                    &self.line,
                    &Control::none(),
                )
                .map_err(|e| e.to_string())?;
                self.out.push(minimum);
                Ok(Step::Working(share * self.out.len() as f32))
            }
        }
    }
}

#[cfg(test)]
#[path = "sharpness_tests.rs"]
mod tests;
