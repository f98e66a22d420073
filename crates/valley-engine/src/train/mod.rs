//! Training: the pure loop ([`Run`]), the bounded records it keeps, and the
//! worker thread ([`Trainer`]) that drives it for a live view; and a race
//! of several optimisers in lockstep ([`RaceTrainer`]).

mod history;
mod race;
mod run;
mod worker;

pub use history::{Decimated, EvalPoint, HistoryPoint, TrajectoryPoint};
pub use race::{Lane, LaneSnapshot, Race, RaceCommand, RaceSnapshot, RaceTrainer};
pub use run::{
    RestoreError, Run, RunState, SavedPoint, SavedRun, Snapshot, StepOutcome, TrainConfig,
};
pub use worker::{Command, Speed, Trainer, panic_message};
