//! Valley makes gradient descent visible.
//!
//! The layers are crates of their own, re-exported here under their old
//! names so `valley::engine::…` keeps working for examples and tests:
//! - [`engine`] (`valley-engine`): a tiny reverse-mode autograd, MLPs,
//!   datasets, optimisers, analytic surfaces, loss-landscape slices and a
//!   background trainer; nothing in it knows about a screen, and its
//!   dependency tree holds no egui, eframe or winit.
//! - [`figure`] (`valley-figure`): landscapes rendered to PNG for handouts and slides.
//! - [`app`] (`valley-app`): the desktop app, a view over the engine.
//! - [`cli`]: the `valley` command line, which opens the app or runs a command.

pub use valley_app as app;
pub use valley_engine as engine;
pub use valley_figure as figure;

pub mod cli;
