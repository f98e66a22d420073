//! Everything that computes: autograd, models, data, optimisers, problems,
//! landscapes and training. Nothing here knows about a screen.

pub mod analysis;
pub mod autograd;
mod choice;
pub mod data;
pub mod dimensions;
pub mod exec;
pub mod generalisation;
pub mod io;
pub mod kernels;
pub mod landscape;
pub mod language;
pub mod nn;
pub mod numbers;
pub mod optim;
pub mod problem;
pub mod scalar;
pub mod session;
pub mod simd;
pub mod surface;
pub mod train;
