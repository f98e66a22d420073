//! Everything that computes: autograd, models, data, optimisers, problems,
//! landscapes and training. Nothing here knows about a screen.

pub mod autograd;
pub mod io;
pub mod nn;
pub mod scalar;
