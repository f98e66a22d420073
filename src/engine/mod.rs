//! Everything that computes.
