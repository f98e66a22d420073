//! Everything that computes: autograd, models, data, optimisers, problems,
//! landscapes and training. Nothing here knows about a screen.

pub mod analysis;
pub mod autograd;
mod choice;
pub mod data;
pub mod exec;
pub mod io;
pub mod landscape;
pub mod nn;
pub mod optim;
pub mod problem;
pub mod scalar;
pub mod surface;
pub mod train;
