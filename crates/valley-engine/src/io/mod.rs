//! The formats users bring and take away.
//!
//! Users train or build an MLP in PyTorch and save it with
//! `safetensors.torch.save_file(model.state_dict(), path)`; Valley reads it,
//! shows the landscape around it, and writes gradients, directions or trained
//! weights back in the same format and under the same tensor names. Files are
//! untrusted input: every size they state is bounded by [`limits`] before use,
//! and every defect becomes an [`IoError`] that names the file.

pub mod bounded;
mod error;
mod header;
pub mod limits;
mod read;
mod sequential;
mod tensors;
mod write;

pub use error::IoError;
pub use read::{ReadError, read_at_most};
pub use sequential::{
    SequentialWeights, default_tensor_names, flat_like, sequential_from_file, sequential_tensors,
    write_sequential,
};
pub use tensors::{
    DType, NamedTensor, TensorFile, parse_safetensors, read_safetensors, tensors_to_bytes,
    write_safetensors,
};
#[cfg(target_arch = "wasm32")]
pub use write::set_browser_sink;
pub use write::write_atomic;
