//! The optimiser race on a formula surface: which lanes the trainer runs
//! beside the main run (it steps them together, so one set of run buttons
//! drives both), and their colours.

use std::sync::Arc;

use egui::Color32;

use super::settings::Settings;
use valley_engine::optim::{OptimizerConfig, OptimizerKind};
use valley_engine::problem::Problem;
use valley_engine::train::{
    Command, Lane, LaneSnapshot, RaceSnapshot, RunState, TrainConfig, Trainer,
};

/// Each optimiser's colour, from the Okabe–Ito palette (distinguishable with
/// every common colour-vision deficiency) minus its greens and yellow, which
/// vanish on a viridis map; white stands in for them.
pub fn lane_colour(kind: OptimizerKind) -> Color32 {
    match kind {
        OptimizerKind::Sgd => Color32::from_rgb(230, 159, 0),
        OptimizerKind::Momentum => Color32::from_rgb(86, 180, 233),
        OptimizerKind::Nesterov => Color32::from_rgb(0, 114, 178),
        OptimizerKind::RmsProp => Color32::from_rgb(204, 121, 167),
        OptimizerKind::Adam => Color32::from_rgb(213, 94, 0),
        OptimizerKind::AdamW => Color32::from_rgb(245, 245, 245),
    }
}

/// The race, when one is on: which lanes the trainer was asked to run
/// beside the main run, and where they are.
#[derive(Default)]
pub struct RaceState {
    /// The lanes the trainer races now (none: no race).
    lanes: Vec<TrainConfig>,
    /// The newest positions of every lane.
    pub latest: Option<Arc<RaceSnapshot>>,
}

impl RaceState {
    /// Starts, changes or ends the race to match the settings. A race
    /// needs a formula surface and at least one chosen optimiser; the lanes
    /// share the user's hyperparameters and start where the main run started.
    pub fn sync(&mut self, settings: &Settings, problem: &dyn Problem, trainer: &Trainer) {
        let wanted = match problem.surface() {
            Some(_) => lane_configs(settings),
            None => Vec::new(),
        };
        if wanted != self.lanes {
            let lanes = settings
                .race
                .iter()
                .zip(&wanted)
                .map(|(kind, config)| Lane {
                    name: kind.name().into(),
                    config: *config,
                })
                .collect();
            trainer.send(Command::SetLanes(lanes));
            self.lanes = wanted;
        }
        self.latest = match self.lanes.is_empty() {
            true => None,
            false => trainer.latest_race(),
        };
    }

    /// Forgets the race after the trainer dropped it (a new problem or
    /// trainer); the next `sync` asks for it again.
    pub fn forget(&mut self) {
        *self = Self::default();
    }

    /// Whether a race is on.
    pub fn is_on(&self) -> bool {
        !self.lanes.is_empty()
    }

    /// The lane the 1D slice and its ball follow during a race: the first
    /// that has not diverged (else the first), so the chart never tracks the
    /// hidden main run.
    pub fn leader(&self) -> Option<&LaneSnapshot> {
        let lanes = &self.latest.as_ref()?.lanes;
        lanes
            .iter()
            .find(|lane| !matches!(lane.state, RunState::Diverged { .. }))
            .or_else(|| lanes.first())
    }
}

/// One config per chosen optimiser: the user's hyperparameters, each lane's own rule.
pub(crate) fn lane_configs(settings: &Settings) -> Vec<TrainConfig> {
    settings
        .race
        .iter()
        .map(|&kind: &OptimizerKind| {
            let mut optimizer = OptimizerConfig {
                kind,
                ..settings.train.optimizer
            };
            if let Some(own) = settings.lane_tuning.iter().find(|t| t.kind == kind) {
                optimizer.lr = own.lr;
                optimizer.momentum = own.momentum;
            }
            TrainConfig {
                optimizer,
                ..settings.train
            }
        })
        .collect()
}
