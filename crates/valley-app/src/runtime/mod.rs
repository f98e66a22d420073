//! The app's live state, in two parts: the run (the problem, the trainer
//! and the race it steps, the newest snapshot, the notices) here, and the
//! slices drawn around it ([`Slices`]: their workers, plans and grids).
//! `logic` ingests results and asks for new grids; the views only read.

use std::sync::Arc;

use super::notices::{Notices, Source};
use super::race::RaceState;
use super::settings::Settings;
use super::wake::{Wake, boxed};
mod slices;
mod wormhole_watch;

pub use slices::Slices;
pub(crate) use slices::random_plane;

use valley_engine::problem::Problem;
use valley_engine::train::{Command, Snapshot, Speed, Trainer};

/// The run and the slices around it.
pub struct Runtime {
    /// The problem being trained.
    pub problem: Arc<dyn Problem>,
    /// The trainer service (the main run, and the race's lanes).
    pub trainer: Trainer,
    /// The newest snapshot.
    pub snapshot: Arc<Snapshot>,
    /// The optimiser race, when one is on.
    pub race: RaceState,
    /// The 2D map, the 1D line, the frozen twin and the computed planes.
    pub slices: Slices,
    /// What the status bar says, each notice with its source and level.
    pub notices: Notices,
    wake: Wake,
}

impl Runtime {
    /// Builds the problem and starts the trainer and the landscape workers.
    pub fn new(settings: &Settings, wake: Wake) -> anyhow::Result<Self> {
        let problem = build_problem(settings)?;
        let trainer = spawn_trainer(&problem, settings, &wake)?;
        let snapshot = trainer.latest();
        Ok(Self {
            problem,
            trainer,
            snapshot,
            race: RaceState::default(),
            slices: Slices::new(&wake)?,
            notices: Notices::default(),
            wake,
        })
    }

    /// Swaps in a new problem (architecture or dataset changed) with a fresh run.
    pub fn rebuild(&mut self, settings: &Settings) {
        match build_problem(settings) {
            Ok(problem) => {
                self.trainer
                    .send(Command::SetProblem(Arc::clone(&problem), settings.train));
                self.problem = problem;
                self.race.forget();
                self.slices.forget();
                self.notices.clear(Source::Problem);
                self.notices.clear(Source::Trainer);
            }
            Err(e) => self.notices.error(Source::Problem, format!("{e:#}")),
        }
    }

    /// Asks for new slices at the next frame (the plane has changed).
    pub fn forget_slices(&mut self) {
        self.slices.ask_again();
    }

    /// The UI's wake-up call, for threads that report back.
    pub fn wake(&self) -> Wake {
        Arc::clone(&self.wake)
    }

    /// Sends a command to the trainer (which drives the race's lanes too).
    pub fn send(&self, command: Command) {
        self.trainer.send(command);
    }

    /// Ingests the newest results and asks for new slices when needed.
    pub fn logic(&mut self, settings: &Settings) {
        let snapshot = self.trainer.latest();
        let restarted = snapshot.step < self.snapshot.step
            || !Arc::ptr_eq(&snapshot.initial_params, &self.snapshot.initial_params);
        self.snapshot = snapshot;
        self.race
            .sync(settings, self.problem.as_ref(), &self.trainer);
        if let Some(error) = self.trainer.take_error() {
            self.notices.error(Source::Trainer, error);
        }
        if !self.trainer.is_alive() && self.notices.get(Source::Trainer).is_none() {
            self.notices.error(
                Source::Trainer,
                "the trainer stopped unexpectedly; press Reset to start it again",
            );
        }
        let run = slices::Here {
            problem: &self.problem,
            snapshot: &self.snapshot,
            ball: self
                .race
                .leader()
                .map_or(&self.snapshot.params[..], |lane| &lane.params[..]),
            wake: &self.wake,
        };
        self.slices
            .logic(&run, settings, restarted, &mut self.notices);
    }

    /// Restarts the trainer after it stopped.
    pub fn restart_trainer(&mut self, settings: &Settings) {
        match spawn_trainer(&self.problem, settings, &self.wake) {
            Ok(trainer) => {
                self.trainer = trainer;
                self.notices.clear(Source::Trainer);
                self.race.forget();
                self.slices.forget();
            }
            Err(e) => self.notices.error(Source::Trainer, e.to_string()),
        }
    }

    /// Whether the snapshot and the slices all belong to the current problem.
    pub fn is_consistent(&self) -> bool {
        let n = self.problem.num_params();
        self.snapshot.params.len() == n && self.slices.all_have(n)
    }

    /// Whether the frozen and following maps are shown side by side (a
    /// network only: a surface's plane is its whole space).
    pub fn is_side_by_side(&self) -> bool {
        self.slices.is_side_by_side()
    }

    /// Whether the views show the newest slice at full resolution.
    pub fn is_settled(&self) -> bool {
        self.slices.is_settled(self.snapshot.step)
    }
}

fn spawn_trainer(
    problem: &Arc<dyn Problem>,
    settings: &Settings,
    wake: &Wake,
) -> anyhow::Result<Trainer> {
    let trainer = Trainer::spawn(Arc::clone(problem), settings.train, boxed(wake))?;
    trainer.send(Command::SetSpeed(speed_of(settings)));
    Ok(trainer)
}

/// The trainer's throttle for these settings.
pub fn speed_of(settings: &Settings) -> Speed {
    match settings.steps_per_second {
        Some(rate) => Speed::StepsPerSecond(rate),
        None => Speed::Max,
    }
}

/// The problem the settings describe.
pub fn build_problem(settings: &Settings) -> anyhow::Result<Arc<dyn Problem>> {
    settings.problem_spec()?.build()
}
