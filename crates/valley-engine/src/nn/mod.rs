//! Multi-layer perceptrons: shape, flat parameters with named views, losses, initialisation.

mod activation;
mod init;
pub mod kernel;
mod layout;
pub mod loss;
mod mlp;

pub use activation::{Activation, sigmoid};
pub use init::{Init, seeded_rng};
pub use layout::{ParamLayout, TensorSpec};
pub use loss::TargetsRef;
pub use mlp::{
    ForwardScratch, MAX_LAYERS, MAX_WIDTH, Mlp, NnError, describe_sizes, param_count,
    parse_layer_sizes,
};
