//! Training: the pure loop ([`Run`]), the bounded records it keeps, a race
//! of several optimisers in lockstep ([`Race`]), and the [`Trainer`]
//! service that drives the run and the race for a live view.

mod history;
mod race;
mod run;
mod train_steps;
mod worker;

pub use history::{Decimated, EvalPoint, HistoryPoint, TrajectoryPoint, early_stopping_point};
pub use race::{Lane, LaneSnapshot, Race, RaceSnapshot};
pub use run::{
    RestoreError, Run, RunState, SavedPoint, SavedRun, Snapshot, StepOutcome, TrainConfig,
};
pub use train_steps::TrainSteps;
pub use worker::{Command, Speed, Trainer};
