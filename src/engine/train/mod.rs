//! Training: the pure loop ([`Run`]), the bounded records it keeps, and the
//! worker thread ([`Trainer`]) that drives it for a live view.

mod history;
mod run;
mod worker;

pub use history::{Decimated, HistoryPoint, TrajectoryPoint};
pub use run::{Run, RunState, Snapshot, StepOutcome, TrainConfig};
pub use worker::{Command, Speed, Trainer};
