//! Optimisers and learning-rate schedules, following PyTorch's update
//! formulas, so that what a student sees here carries over to torch.optim.

mod config;
mod optimizer;
mod schedule;

pub use config::{OptimError, OptimizerConfig, OptimizerKind};
pub use optimizer::{Optimizer, clip_grad_norm};
pub(crate) use optimizer::{elementwise, l2_norm};
pub use schedule::{LrSchedule, Schedule};
