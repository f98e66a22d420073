//! The arithmetic every model shares: dense layers, activations and losses
//! on flat buffers. Below the autograd (its ops call these) and the models
//! (their fused fast paths call them too), so both use one definition.

mod activation;
pub mod columns;
#[cfg(target_arch = "x86_64")]
mod columns_avx512;
pub mod dense;
pub mod gemm;
#[cfg(target_arch = "x86_64")]
mod gemm_avx512;
pub mod loss;

pub use activation::{Activation, sigmoid};
pub use loss::TargetsRef;
