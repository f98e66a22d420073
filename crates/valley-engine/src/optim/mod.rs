//! Optimisers and learning-rate schedules, following PyTorch's update
//! formulas, so that what a student sees here carries over to torch.optim.

mod config;
mod optimizer;
mod schedule;

pub use config::{OptimError, OptimizerConfig, OptimizerKind};
pub(crate) use optimizer::l2_norm;
pub use optimizer::{Optimizer, clip_grad_norm};
pub use schedule::{LrSchedule, Schedule};
