//! Lottery tickets (Frankle & Carbin 2019) by iterative magnitude pruning:
//! train, prune the smallest surviving weights, rewind the survivors to
//! their starting values (or to step k), train again; round after round.
//!
//! Each round trains three networks with the same number of weights:
//! - **ticket**: the pruned mask with the rewound weights;
//! - **reinit**: the same mask with fresh random weights;
//! - **random mask**: as many weights per layer, kept at random, with the
//!   rewound weights.
//!
//! A round's ticket prunes the previous round's trained ticket, so rounds
//! run one after another; within a round, and across neighbouring rounds,
//! the arms run in parallel.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::sweep::Experiment;
use super::trained::{TrainedSetting, train_from};
use crate::data::{DatasetKind, DatasetSpec};
use crate::nn::{Mask, PruneScope};
use crate::problem::{MlpProblem, Problem};

/// Most pruning rounds.
pub const MAX_ROUNDS: usize = 30;

/// Which network of a round.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::Display, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Arm {
    /// The unpruned network of round 0.
    Dense,
    /// The winning ticket: pruned mask, rewound weights.
    Ticket,
    /// The same mask, fresh random weights.
    Reinit,
    /// A random mask of the same size per layer, rewound weights.
    RandomMask,
}

impl Arm {
    /// A label for a legend.
    pub fn title(self) -> &'static str {
        match self {
            Arm::Dense => "dense network",
            Arm::Ticket => "ticket (rewound weights)",
            Arm::Reinit => "same mask, fresh weights",
            Arm::RandomMask => "random mask",
        }
    }
}

/// Everything that sets a lottery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LotterySettings {
    /// The network, its data and its training (every arm trains the same way).
    pub base: TrainedSetting,
    /// Pruning rounds after the dense one.
    pub rounds: usize,
    /// Share of the surviving weights pruned each round.
    pub prune_rate: f64,
    /// One ranking over all layers, or each layer pruned alike.
    pub scope: PruneScope,
    /// Rewind the survivors to their values after this many steps of the
    /// dense run (0: to the initialisation, as in the original paper).
    pub rewind_step: usize,
    /// Test accuracy that counts as learned (for steps-to-threshold).
    pub threshold: f32,
    /// Steps between two checks of the threshold.
    pub eval_every: usize,
}

impl Default for LotterySettings {
    fn default() -> Self {
        let mut data = DatasetSpec::new(DatasetKind::Spirals);
        data.size = 1000;
        Self {
            base: TrainedSetting::adam(data, vec![64, 64], 64, 500),
            rounds: 10,
            prune_rate: 0.32,
            scope: PruneScope::Global,
            rewind_step: 0,
            threshold: 0.9,
            eval_every: 25,
        }
    }
}

impl LotterySettings {
    /// Checks the settings that are the lottery's own.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_ROUNDS).contains(&self.rounds) {
            return Err(format!(
                "rounds {} must be between 1 and {MAX_ROUNDS}",
                self.rounds
            ));
        }
        if !(self.prune_rate > 0.0 && self.prune_rate < 1.0) {
            return Err(format!(
                "prune rate {} must be between 0 and 1 (a share of the surviving weights)",
                self.prune_rate
            ));
        }
        if self.rewind_step > self.base.steps {
            return Err(format!(
                "rewind step {} is past the end of training ({} steps)",
                self.rewind_step, self.base.steps
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(format!(
                "threshold {} must be an accuracy in [0, 1]",
                self.threshold
            ));
        }
        if self.eval_every == 0 {
            return Err("eval-every must be at least 1 step".into());
        }
        if !self.base.data.kind.is_classification() {
            return Err(format!(
                "the lottery measures accuracy: pick a classification dataset, not {}",
                self.base.data.kind
            ));
        }
        Ok(())
    }

    /// The share of weights left after `round` rounds of pruning.
    pub fn fraction_after(&self, round: usize) -> f64 {
        (1.0 - self.prune_rate).powi(round as i32)
    }
}

/// One trained network of the lottery.
#[derive(Clone, Debug, Serialize)]
pub struct LotteryRow {
    /// Which network.
    pub arm: Arm,
    /// Pruning round (0 is the dense network).
    pub round: usize,
    /// Share of the weight matrices' entries left.
    pub fraction_left: f64,
    /// Weights left per layer.
    pub weights_left: Vec<usize>,
    /// Test accuracy at the end of training.
    pub test_accuracy: f64,
    /// Training accuracy at the end.
    pub train_accuracy: f64,
    /// Test loss at the end.
    pub test_loss: f64,
    /// The first checked step at which the test accuracy reached the threshold.
    pub steps_to_threshold: Option<usize>,
    /// The trained parameters (pruned ones exactly zero).
    #[serde(skip)]
    pub weights: Arc<[f32]>,
    /// Where its training started.
    #[serde(skip)]
    pub start: Arc<[f32]>,
    /// Which parameters it kept.
    #[serde(skip)]
    pub mask: Arc<Mask>,
}

/// A network to train.
pub struct Piece {
    arm: Arm,
    round: usize,
    mask: Arc<Mask>,
    start: Vec<f32>,
}

/// The lottery as an [`Experiment`].
pub struct Lottery {
    settings: LotterySettings,
    problem: Arc<MlpProblem>,
    init: Vec<f32>,
    /// The dense run's weights at the rewind step (known after round 0).
    rewind: Option<Vec<f32>>,
    pending: VecDeque<Piece>,
    /// The last round whose successor has been queued (`None`: not started).
    expanded: Option<usize>,
}

impl Lottery {
    /// Checks the settings and builds the network.
    pub fn new(settings: LotterySettings) -> Result<Self, String> {
        settings.validate()?;
        let problem = settings.base.build()?;
        let init = problem.init_params(settings.base.train.seed);
        Ok(Self {
            settings,
            problem,
            init,
            rewind: None,
            pending: VecDeque::new(),
            expanded: None,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &LotterySettings {
        &self.settings
    }

    /// Queues round `round + 1`'s three arms, pruning `from` (the trained ticket).
    fn queue_after(&mut self, from: &LotteryRow) {
        let layout = self.problem.layout();
        let s = &self.settings;
        let round = from.round + 1;
        let mask = from
            .mask
            .prune_smallest(&from.weights, layout, s.prune_rate, s.scope);
        let rewound = self.rewind.clone().unwrap_or_else(|| self.init.clone());
        let salt = s.base.train.seed.wrapping_mul(1_000_003);
        let fresh = self
            .problem
            .init_params(salt.wrapping_add(1000 + round as u64));
        let random = mask.random_like(layout, salt.wrapping_add(2000 + round as u64));
        let mask = Arc::new(mask);
        self.pending.push_back(Piece {
            arm: Arm::Ticket,
            round,
            mask: Arc::clone(&mask),
            start: rewound.clone(),
        });
        self.pending.push_back(Piece {
            arm: Arm::Reinit,
            round,
            mask,
            start: fresh,
        });
        self.pending.push_back(Piece {
            arm: Arm::RandomMask,
            round,
            mask: Arc::new(random),
            start: rewound,
        });
    }
}

impl Experiment for Lottery {
    type Item = Piece;
    type Row = LotteryRow;

    fn ready(&mut self, rows: &[LotteryRow], room: usize) -> Vec<Piece> {
        self.note_rewind(rows);
        match self.expanded {
            None => {
                self.expanded = Some(0);
                let n = self.init.len();
                self.pending.push_back(Piece {
                    arm: Arm::Dense,
                    round: 0,
                    mask: Arc::new(Mask::dense(n)),
                    start: self.init.clone(),
                });
            }
            Some(last) if last < self.settings.rounds => {
                let finished = rows
                    .iter()
                    .find(|r| r.round == last && matches!(r.arm, Arm::Dense | Arm::Ticket));
                if let Some(row) = finished.cloned() {
                    self.expanded = Some(last + 1);
                    self.queue_after(&row);
                }
            }
            Some(_) => {}
        }
        let take = room.min(self.pending.len());
        self.pending.drain(..take).collect()
    }

    fn run(&self, piece: Piece) -> Result<LotteryRow, String> {
        let s = &self.settings;
        let keep_at = (piece.arm == Arm::Dense).then_some(s.rewind_step);
        let start: Arc<[f32]> = Arc::from(piece.start.as_slice());
        let trained = train_from(
            &self.problem,
            s.base.train,
            piece.start,
            Some(Arc::clone(&piece.mask)),
            s.base.steps,
            Some((s.threshold, s.eval_every)),
            keep_at,
        )?;
        let layout = self.problem.layout();
        let e = trained.evaluation;
        Ok(LotteryRow {
            arm: piece.arm,
            round: piece.round,
            fraction_left: piece.mask.fraction_left(layout),
            weights_left: piece.mask.left_per_layer(layout),
            test_accuracy: f64::from(e.test_accuracy.unwrap_or(f32::NAN)),
            train_accuracy: f64::from(e.train_accuracy.unwrap_or(f32::NAN)),
            test_loss: f64::from(e.test_loss.unwrap_or(f32::NAN)),
            steps_to_threshold: trained.steps_to_threshold,
            weights: Arc::from(trained.weights),
            start: if piece.arm == Arm::Dense {
                // The rewind point travels with the dense row.
                trained.kept.map(Arc::from).unwrap_or(start)
            } else {
                start
            },
            mask: piece.mask,
        })
    }

    fn total(&self) -> usize {
        1 + 3 * self.settings.rounds
    }
}

impl Lottery {
    /// Learns the rewind point from the dense row, before round 1 is queued.
    fn note_rewind(&mut self, rows: &[LotteryRow]) {
        if self.rewind.is_none()
            && let Some(dense) = rows.iter().find(|r| r.arm == Arm::Dense)
        {
            self.rewind = Some(dense.start.to_vec());
        }
    }
}

/// The lottery's result in the numbers its goal is stated in.
#[derive(Clone, Debug, Serialize)]
pub struct LotterySummary {
    /// The dense network's test accuracy.
    pub dense_test_accuracy: f64,
    /// The smallest fraction of weights at which the ticket is still within
    /// one point of the dense network's test accuracy (and every larger
    /// fraction is too).
    pub ticket_matches_dense_down_to: Option<f64>,
    /// Test accuracy per arm at the sparsest round.
    pub sparsest: Vec<(Arm, f64)>,
}

/// Summarises rows (finished or still arriving).
pub fn summarise(rows: &[LotteryRow]) -> Option<LotterySummary> {
    let dense = rows.iter().find(|r| r.arm == Arm::Dense)?.test_accuracy;
    let mut tickets: Vec<&LotteryRow> = rows.iter().filter(|r| r.arm == Arm::Ticket).collect();
    tickets.sort_by_key(|r| r.round);
    let mut matches = None;
    for t in &tickets {
        if t.test_accuracy >= dense - 0.01 {
            matches = Some(t.fraction_left);
        } else {
            break;
        }
    }
    let last = rows.iter().map(|r| r.round).max().unwrap_or(0);
    let sparsest = rows
        .iter()
        .filter(|r| r.round == last && r.arm != Arm::Dense)
        .map(|r| (r.arm, r.test_accuracy))
        .collect();
    Some(LotterySummary {
        dense_test_accuracy: dense,
        ticket_matches_dense_down_to: matches,
        sparsest,
    })
}

#[cfg(test)]
#[path = "lottery_tests.rs"]
mod tests;
