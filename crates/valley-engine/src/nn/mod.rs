//! Multi-layer perceptrons: shape, flat parameters with named views, losses, initialisation.

mod init;
mod layout;
mod mask;
mod mlp;

pub use crate::io::limits::{MAX_LAYERS, MAX_WIDTH};
pub use crate::kernels::{Activation, TargetsRef, dense as kernel, loss, sigmoid};
pub use init::{Init, seeded_rng};
pub use layout::{ParamLayout, TensorSpec, write_layout};
pub use mask::{Mask, PruneScope};
pub use mlp::{
    ForwardScratch, GradientScratch, Mlp, NnError, describe_sizes, param_count, parse_layer_sizes,
};
