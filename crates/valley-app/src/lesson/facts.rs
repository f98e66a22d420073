//! What a lesson can watch for in a run: a check's trigger ("the loss went
//! up") and a prediction's answer ("the ball reached the bottom"), each a
//! plain fact about what the screen shows, written in the lesson file.

use serde::{Deserialize, Serialize};

use super::scene_spec::Named;
use crate::curvature_view::SpectrumPoint;
use valley_engine::optim::OptimizerKind;
use valley_engine::train::{RaceSnapshot, RunState, Snapshot};

/// A loss counts as having gone up when it rose by more than this share
/// between two evaluations (rounding and minibatch noise stay below it).
const RISE: f32 = 0.01;

/// A test loss this far above its lowest (relative, and absolute so that
/// wobbles of a near-zero loss do not count), while the training loss is at
/// its own lowest, is overfitting.
const OVERFIT_RISE: f32 = 0.10;
const OVERFIT_RISE_ABSOLUTE: f32 = 0.02;

/// A fact about the run on screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fact {
    /// The loss blew up (the run, or any racing lane).
    Diverged,
    /// The ball left a surface with no bottom.
    Escaped,
    /// The training loss went up between two evaluations of this step's run.
    LossRose,
    /// The training loss is below this.
    LossBelow(f32),
    /// The training loss is above this.
    LossAbove(f32),
    /// The test loss has risen from its lowest while the training loss still falls.
    TestLossRising,
    /// This step's run has taken at least this many steps.
    StepsAtLeast(u64),
    /// The learning-rate setting is above this.
    LrAbove(f32),
    /// The learning-rate setting is below this.
    LrBelow(f32),
    /// The parameters are at least this far from the plane through the start.
    OffPlaneAbove(f32),
    /// The largest Hessian eigenvalue at the ball is above this.
    LambdaMaxAbove(f32),
    /// The share of negative Hessian eigenvalues at the ball is below this.
    NegativeShareBelow(f32),
    /// The share of negative eigenvalues is lower now than at this run's
    /// first analysis (at least two analyses).
    NegativeShareFell,
    /// The ball is within `within` of the point `at` (formula surfaces).
    Near {
        /// The point (x, y).
        at: [f32; 2],
        /// The radius.
        within: f32,
    },
    /// This optimiser leads the race (the lowest loss).
    Leader(Named<OptimizerKind>),
    /// The optimiser setting is this one.
    Optimizer(Named<OptimizerKind>),
    /// Every fact holds.
    All(Vec<Fact>),
    /// At least one fact holds.
    Any(Vec<Fact>),
    /// The fact does not hold.
    Not(Box<Fact>),
}

/// What a fact can see.
pub struct Seen<'a> {
    /// The run now.
    pub snapshot: &'a Snapshot,
    /// The race's lanes, when one is on.
    pub race: Option<&'a RaceSnapshot>,
    /// The learning-rate setting.
    pub lr: f32,
    /// The optimiser setting.
    pub optimizer: OptimizerKind,
    /// Distance off the plane through the start, when it is tracked.
    pub off_plane: Option<f32>,
    /// The largest Hessian eigenvalue at the ball, once analysed.
    pub lambda_max: Option<f32>,
    /// The run's step when this lesson step's run began.
    pub since: u64,
    /// The share of negative eigenvalues at the ball, once analysed.
    pub negative_share: Option<f32>,
    /// The run's curvature analyses so far.
    pub spectrum: &'a [SpectrumPoint],
    /// The dimension the many-dimensions view shows.
    pub dimensions: f64,
}

impl Seen<'_> {
    /// The loss the student sees: the race leader's during a race.
    pub fn loss(&self) -> f32 {
        match self.leader() {
            Some((_, loss)) => loss,
            None => self.snapshot.evaluation.train_loss,
        }
    }

    /// The race's leader and its loss (diverged lanes cannot lead).
    pub fn leader(&self) -> Option<(OptimizerKind, f32)> {
        self.race?
            .lanes
            .iter()
            .filter(|lane| {
                lane.loss.is_finite()
                    && !matches!(lane.state, RunState::Diverged { loss, .. } if loss >= 0.0 || loss.is_nan())
            })
            .min_by(|a, b| a.loss.total_cmp(&b.loss))
            .map(|lane| (lane.kind, lane.loss))
    }

    fn states(&self) -> impl Iterator<Item = RunState> + '_ {
        let lanes = self
            .race
            .into_iter()
            .flat_map(|race| race.lanes.iter().map(|lane| lane.state));
        std::iter::once(self.snapshot.state).chain(lanes)
    }
}

impl Fact {
    /// Whether the fact holds now.
    pub fn holds(&self, seen: &Seen) -> bool {
        let s = seen.snapshot;
        let evaluations = || s.evaluations.iter().filter(|e| e.step >= seen.since);
        match self {
            Fact::Diverged => seen
                .states()
                .any(|state| matches!(state, RunState::Diverged { loss, .. } if loss >= 0.0 || loss.is_nan())),
            Fact::Escaped => seen
                .states()
                .any(|state| matches!(state, RunState::Diverged { loss, .. } if loss < 0.0)),
            Fact::LossRose => {
                let losses: Vec<f32> = evaluations().map(|e| e.train_loss).collect();
                losses
                    .windows(2)
                    .any(|w| w[1] > w[0] * (1.0 + RISE) + f32::EPSILON)
                    || Fact::Diverged.holds(seen)
            }
            Fact::LossBelow(x) => seen.loss() < *x,
            Fact::LossAbove(x) => seen.loss() > *x,
            Fact::TestLossRising => {
                let points: Vec<(f32, f32)> = evaluations()
                    .filter_map(|e| Some((e.train_loss, e.test_loss?)))
                    .collect();
                let lowest_test = points.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
                let lowest_train = points.iter().map(|p| p.0).fold(f32::INFINITY, f32::min);
                points.last().is_some_and(|&(train, test)| {
                    test > lowest_test * (1.0 + OVERFIT_RISE) + OVERFIT_RISE_ABSOLUTE
                        && train <= lowest_train * (1.0 + RISE)
                })
            }
            Fact::StepsAtLeast(n) => s.step.saturating_sub(seen.since) >= *n,
            Fact::LrAbove(x) => seen.lr > *x,
            Fact::LrBelow(x) => seen.lr < *x,
            Fact::OffPlaneAbove(x) => seen.off_plane.is_some_and(|d| d > *x),
            Fact::LambdaMaxAbove(x) => seen.lambda_max.is_some_and(|l| l > *x),
            Fact::NegativeShareBelow(x) => seen.negative_share.is_some_and(|v| v < *x),
            Fact::NegativeShareFell => match (seen.spectrum.first(), seen.spectrum.last()) {
                (Some(first), Some(last)) => {
                    seen.spectrum.len() >= 2 && last.negative_share < first.negative_share
                }
                _ => false,
            },
            Fact::Near { at, within } => {
                let ball = &s.params;
                ball.len() == 2 && (ball[0] - at[0]).hypot(ball[1] - at[1]) <= *within
            }
            Fact::Leader(Named(kind)) => seen.leader().is_some_and(|(k, _)| k == *kind),
            Fact::Optimizer(Named(kind)) => seen.optimizer == *kind,
            Fact::All(facts) => facts.iter().all(|f| f.holds(seen)),
            Fact::Any(facts) => facts.iter().any(|f| f.holds(seen)),
            Fact::Not(fact) => !fact.holds(seen),
        }
    }

    /// Whether the app has what the fact reads (the curvature analysis,
    /// the distance off the plane) yet: until then it is neither true nor false.
    pub fn is_decidable(&self, seen: &Seen) -> bool {
        match self {
            Fact::OffPlaneAbove(_) => seen.off_plane.is_some(),
            Fact::LambdaMaxAbove(_) => seen.lambda_max.is_some(),
            Fact::NegativeShareBelow(_) => seen.negative_share.is_some(),
            Fact::NegativeShareFell => seen.spectrum.len() >= 2,
            Fact::All(facts) | Fact::Any(facts) => facts.iter().all(|f| f.is_decidable(seen)),
            Fact::Not(fact) => fact.is_decidable(seen),
            _ => true,
        }
    }

    /// Whether the fact reads the race, the plane or the curvature (so a
    /// step must show them for the fact to be decidable).
    pub fn needs(&self) -> Needs {
        match self {
            Fact::Leader(_) => Needs::Race,
            Fact::OffPlaneAbove(_) => Needs::OffPlane,
            Fact::LambdaMaxAbove(_) | Fact::NegativeShareBelow(_) | Fact::NegativeShareFell => {
                Needs::Curvature
            }
            Fact::Near { .. } => Needs::Surface,
            Fact::All(facts) | Fact::Any(facts) => {
                facts.iter().map(Fact::needs).max().unwrap_or(Needs::Run)
            }
            Fact::Not(fact) => fact.needs(),
            _ => Needs::Run,
        }
    }
}

/// What a fact reads besides the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Needs {
    /// The run alone.
    Run,
    /// A formula surface.
    Surface,
    /// A race.
    Race,
    /// The distance off the plane.
    OffPlane,
    /// The curvature panel.
    Curvature,
}
