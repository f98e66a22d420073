//! The generalisation lab: experiments that train or solve many models and
//! compare how they do on data they never saw (double descent, lottery
//! tickets, the luck of the draw).
//!
//! Every experiment is an [`Experiment`] run by a [`Sweep`]: its pieces run
//! in parallel on the background pool, rows stream out as they finish, and
//! a cancel stops it between two batches.

pub mod double_descent;
pub mod least_squares;
pub mod lottery;
pub mod seeds;
mod stats;
mod sweep;
mod trained;

pub use double_descent::{
    DoubleDescent, DoubleDescentPoint, DoubleDescentRow, DoubleDescentSettings,
    DoubleDescentSummary, FitMode,
};
pub use least_squares::LeastSquares;
pub use lottery::{Arm, Lottery, LotteryRow, LotterySettings, LotterySummary};
pub use seeds::{SeedRow, Seeds, SeedsSettings, SeedsSummary};
pub use stats::Spread;
pub use sweep::{Experiment, Queue, Rows, Sweep};
pub use trained::{Trained, TrainedSetting, train_from};
