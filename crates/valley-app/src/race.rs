//! The optimiser race on a formula surface: which lanes run, the thread
//! that steps them, and the commands the run buttons send to it.

use std::sync::Arc;

use egui::Color32;

use super::runtime::Wake;
use super::settings::Settings;
use valley_engine::optim::{OptimizerConfig, OptimizerKind};
use valley_engine::problem::Problem;
use valley_engine::train::{
    Command, Lane, RaceCommand, RaceSnapshot, RaceTrainer, RunState, Snapshot, Speed, TrainConfig,
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

/// The race, when one is on.
#[derive(Default)]
pub struct RaceState {
    trainer: Option<RaceTrainer>,
    /// What the running race was built from: its lanes' configs and start.
    key: Option<(Vec<TrainConfig>, Arc<[f32]>)>,
    /// The newest positions of every lane.
    pub latest: Option<Arc<RaceSnapshot>>,
}

impl RaceState {
    /// Starts, rebuilds or stops the race to match the settings. A race
    /// needs a formula surface and at least one chosen optimiser; the lanes
    /// share the user's hyperparameters and start where the main run started.
    pub fn sync(
        &mut self,
        settings: &Settings,
        problem: &Arc<dyn Problem>,
        snapshot: &Snapshot,
        wake: &Wake,
    ) {
        let wanted = problem.surface().is_some() && !settings.race.is_empty();
        if !wanted {
            *self = Self::default();
            return;
        }
        let configs = lane_configs(settings);
        let start = Arc::clone(&snapshot.initial_params);
        let key = (configs.clone(), start);
        if self.key.as_ref() != Some(&key) {
            let lanes: Vec<Lane> = settings
                .race
                .iter()
                .zip(&configs)
                .map(|(kind, config)| Lane {
                    name: kind.name().into(),
                    config: *config,
                })
                .collect();
            let wake = Arc::clone(wake);
            let speed = settings
                .steps_per_second
                .map_or(Speed::Max, Speed::StepsPerSecond);
            self.trainer = RaceTrainer::spawn(problem, &lanes, speed, Box::new(move || wake()))
                .ok()
                .inspect(|race| {
                    race.send(RaceCommand::StartAt(key.1.to_vec()));
                    if snapshot.state == RunState::Running {
                        race.send(RaceCommand::Play);
                    }
                });
            self.key = Some(key);
        }
        self.latest = self.trainer.as_ref().map(|t| t.latest());
    }

    /// Passes a run command on to the race, so one set of buttons drives both.
    pub fn mirror(&self, command: &Command, problem: &dyn Problem, seed: u64) {
        let Some(race) = &self.trainer else { return };
        let forwarded = match command {
            Command::Play => RaceCommand::Play,
            Command::Pause => RaceCommand::Pause,
            Command::Step(n) => RaceCommand::Step(*n),
            Command::Reset { seed: chosen } => {
                RaceCommand::StartAt(problem.init_params(chosen.unwrap_or(seed)))
            }
            Command::SetParams(params) => RaceCommand::StartAt(params.clone()),
            Command::SetSpeed(speed) => RaceCommand::SetSpeed(*speed),
            _ => return,
        };
        race.send(forwarded);
    }

    /// Whether a race is on.
    pub fn is_on(&self) -> bool {
        self.trainer.is_some()
    }
}

/// One config per chosen optimiser: the user's hyperparameters, each lane's own rule.
fn lane_configs(settings: &Settings) -> Vec<TrainConfig> {
    settings
        .race
        .iter()
        .map(|&kind: &OptimizerKind| TrainConfig {
            optimizer: OptimizerConfig {
                kind,
                ..settings.train.optimizer
            },
            ..settings.train
        })
        .collect()
}
