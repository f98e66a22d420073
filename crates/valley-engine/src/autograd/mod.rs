//! A small reverse-mode automatic differentiation tape over 2D arrays.
//!
//! In the manner of micrograd: every operation pushes one node (its value and
//! how it was made) onto a tape, so the tape is already in topological order;
//! `backward` is one reverse loop that accumulates gradients with `+=`. Every
//! value is an `Array2` (a bias is one row, a loss is 1 × 1), which keeps the
//! ops few and their derivatives easy to check against finite differences.

mod ops;
mod second_order;
mod tape;

pub use second_order::{Linearised, Tangents};
pub use tape::{Gradients, Tape, Var};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod second_order_tests;
