//! Valley: gradient descent made visible.
pub mod engine;
pub mod figure;
