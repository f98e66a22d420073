//! Optimisers and learning-rate schedules, following PyTorch's update formulas.

mod optimizer;
mod schedule;

pub use optimizer::{OptimError, Optimizer, OptimizerConfig, OptimizerKind, clip_grad_norm};
pub use schedule::{LrSchedule, Schedule};
