//! Valley makes gradient descent visible.
//!
//! - [`engine`]: a tiny reverse-mode autograd, MLPs, datasets, optimisers,
//!   analytic surfaces, loss-landscape slices and a background trainer;
//!   nothing in it knows about a screen.
//! - [`figure`]: landscapes rendered to PNG for handouts and slides.
//! - [`app`]: the desktop app, a view over the engine.
//! - [`cli`]: the `valley` command line.

pub mod app;
pub mod cli;
pub mod engine;
pub mod figure;
