//! One error type for everything users bring in or take away.
//!
//! Users meet these messages when a file they saved from PyTorch does not
//! load, so each variant names the file, says what is wrong in the user's
//! terms (tensor names, shapes, dtypes) and, where there is one, how to fix
//! it on the PyTorch side.

use thiserror::Error;

/// Why a safetensors file could not be read, mapped or written.
///
/// Every variant carries `file`, the path (or label) of the file concerned,
/// so a message on its own tells the user where to look.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The operating system refused to read the file.
    #[error("cannot read `{file}`: {cause}")]
    Unreadable {
        /// Path of the file.
        file: String,
        /// What the operating system reported.
        #[source]
        cause: std::io::Error,
    },

    /// The operating system refused to write the file (or its temporary copy).
    #[error("cannot write `{file}`: {cause}")]
    Unwritable {
        /// Path of the file.
        file: String,
        /// What the operating system reported.
        #[source]
        cause: std::io::Error,
    },

    /// The file is larger than [`super::limits::MAX_FILE_BYTES`].
    #[error("`{file}` is {bytes} bytes; Valley reads safetensors files of at most {max} bytes")]
    FileTooLarge {
        /// Path of the file.
        file: String,
        /// Size of the file.
        bytes: u64,
        /// The limit.
        max: u64,
    },

    /// Fewer than the 8 bytes that hold the header length.
    #[error(
        "`{file}` is only {bytes} bytes, too short for a safetensors file \
         (which starts with an 8-byte header length); is it truncated?"
    )]
    TooShort {
        /// Path of the file.
        file: String,
        /// Size of the file.
        bytes: usize,
    },

    /// The header length points past the end of the file.
    #[error(
        "`{file}` says its header is {header_bytes} bytes but only {available} bytes follow; \
         the file is truncated or is not a safetensors file"
    )]
    HeaderPastEnd {
        /// Path of the file.
        file: String,
        /// Header length stated by the file.
        header_bytes: u64,
        /// Bytes present after the 8-byte length.
        available: usize,
    },

    /// The header is larger than [`super::limits::MAX_HEADER_BYTES`].
    #[error(
        "`{file}` has a {header_bytes}-byte header; Valley accepts headers of at most {max} bytes"
    )]
    HeaderTooLarge {
        /// Path of the file.
        file: String,
        /// Header length stated by (or computed for) the file.
        header_bytes: u64,
        /// The limit.
        max: usize,
    },

    /// The header is not the JSON object safetensors prescribes.
    #[error("`{file}` has an invalid safetensors header: {reason}")]
    InvalidHeader {
        /// Path of the file.
        file: String,
        /// What the JSON parser or the format check reported.
        reason: String,
    },

    /// The same tensor name appears twice.
    #[error("`{file}` lists tensor `{tensor}` twice")]
    DuplicateTensor {
        /// Path of the file.
        file: String,
        /// The repeated name.
        tensor: String,
    },

    /// A tensor is named `__metadata__`, which safetensors reserves.
    #[error("cannot save `{file}`: the name `{tensor}` is reserved by safetensors")]
    ReservedName {
        /// Path of the file.
        file: String,
        /// The reserved name.
        tensor: String,
    },

    /// More tensors than [`super::limits::MAX_TENSORS`].
    #[error("`{file}` has {count} tensors; Valley accepts at most {max}")]
    TooManyTensors {
        /// Path of the file.
        file: String,
        /// Number of tensors.
        count: usize,
        /// The limit.
        max: usize,
    },

    /// A tensor's dtype is neither float32 nor float64.
    #[error(
        "tensor `{tensor}` in `{file}` has dtype {dtype}, which Valley does not read; \
         save as float32 or float64 (e.g. call `model.float()` before `save_file`)"
    )]
    UnsupportedDtype {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The dtype as written in the header.
        dtype: String,
    },

    /// The tensors hold more than [`super::limits::MAX_PARAMS`] values in total.
    #[error(
        "`{file}` holds more than {max} parameters (the limit is passed at tensor `{tensor}`); \
         Valley is built for small models"
    )]
    TooManyParams {
        /// Path of the file.
        file: String,
        /// The tensor at which the running total passed the limit.
        tensor: String,
        /// The limit.
        max: usize,
    },

    /// A tensor's byte range does not match its shape and dtype.
    #[error(
        "tensor `{tensor}` in `{file}` has shape {shape:?}, which needs {expected} bytes, \
         but its data offsets span {actual} bytes"
    )]
    DataLength {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its stated shape.
        shape: Vec<usize>,
        /// Bytes the shape and dtype require.
        expected: u64,
        /// Bytes the offsets give it.
        actual: u64,
    },

    /// An in-memory tensor has a different number of values than its shape.
    #[error(
        "tensor `{tensor}` for `{file}` has shape {shape:?} ({expected} values) but {actual} values"
    )]
    ValueCount {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Values the shape requires.
        expected: usize,
        /// Values present.
        actual: usize,
    },

    /// Tensor byte ranges overlap, leave gaps or run backwards.
    #[error("data offsets in `{file}` are inconsistent at tensor `{tensor}`: {reason}")]
    BadOffsets {
        /// Path of the file.
        file: String,
        /// The tensor whose range is wrong.
        tensor: String,
        /// How it is wrong.
        reason: String,
    },

    /// A tensor's data runs past the end of the file.
    #[error(
        "`{file}` is truncated: tensor `{tensor}` ends at data byte {end} \
         but the file holds only {available} data bytes"
    )]
    TruncatedData {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Where its data should end.
        end: u64,
        /// Data bytes present.
        available: usize,
    },

    /// Bytes follow the last tensor's data.
    #[error(
        "`{file}` has {bytes} unexplained bytes after the last tensor; the header and data disagree"
    )]
    TrailingBytes {
        /// Path of the file.
        file: String,
        /// Number of extra bytes.
        bytes: usize,
    },

    /// A value is NaN or infinite.
    #[error(
        "tensor `{tensor}` in `{file}` holds a NaN or infinite value (element {index}{dtype_note}); \
         Valley needs finite numbers"
    )]
    NonFinite {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Row-major index of the first bad element.
        index: usize,
        /// Empty, or why the value is not finite (e.g. too large for float32).
        dtype_note: String,
    },

    /// The file holds no tensors at all.
    #[error("`{file}` contains no tensors; save `model.state_dict()` of an nn.Sequential")]
    NoTensors {
        /// Path of the file.
        file: String,
    },

    /// A tensor that is not the weight or bias of a Linear layer.
    #[error(
        "`{file}` has tensor `{tensor}`, but Valley reads only the Linear layers of an nn.Sequential \
         (tensors named `<index>.weight` and `<index>.bias`, optionally under one common prefix \
         such as `model.`); save a model built only from Linear and activation layers \
         (no BatchNorm or other layers with parameters or buffers)"
    )]
    UnexpectedTensor {
        /// Path of the file.
        file: String,
        /// The unexpected name.
        tensor: String,
    },

    /// A Linear layer has a weight but no bias, or the other way round.
    #[error(
        "`{file}` has `{present}` but no `{missing}`; Valley needs every Linear layer \
         to have both weight and bias (bias=True)"
    )]
    MissingLayerPart {
        /// Path of the file.
        file: String,
        /// The tensor that is there.
        present: String,
        /// The name that should be there too.
        missing: String,
    },

    /// A tensor has the wrong number of dimensions for its role.
    #[error("tensor `{tensor}` in `{file}` has shape {shape:?}, but a Linear {expected}")]
    WrongRank {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
        /// What its role requires, e.g. "weight must have rank 2, [out, in]".
        expected: &'static str,
    },

    /// A Linear layer with zero inputs or outputs.
    #[error(
        "tensor `{tensor}` in `{file}` has shape {shape:?}; a Linear layer needs at least one input and one output"
    )]
    EmptyLayer {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
    },

    /// A bias length differs from its weight's output count.
    #[error(
        "in `{file}`, bias `{bias}` has shape {bias_shape:?} but weight `{weight}` has shape \
         {weight_shape:?}; the bias needs one entry per output"
    )]
    BiasMismatch {
        /// Path of the file.
        file: String,
        /// The bias tensor.
        bias: String,
        /// Its shape.
        bias_shape: Vec<usize>,
        /// The weight tensor of the same layer.
        weight: String,
        /// Its shape.
        weight_shape: Vec<usize>,
    },

    /// Layer k's outputs do not match layer k+1's inputs.
    #[error(
        "in `{file}`, layer `{layer}` has shape {layer_shape:?} ({} outputs) but the next layer \
         `{next}` has shape {next_shape:?} ({} inputs); in an nn.Sequential each Linear layer's \
         outputs feed the next one's inputs",
        layer_shape.first().copied().unwrap_or(0),
        next_shape.get(1).copied().unwrap_or(0)
    )]
    ShapesDontChain {
        /// Path of the file.
        file: String,
        /// Weight tensor of the earlier layer.
        layer: String,
        /// Its shape, [out, in].
        layer_shape: Vec<usize>,
        /// Weight tensor of the next layer.
        next: String,
        /// Its shape, [out, in].
        next_shape: Vec<usize>,
    },

    /// A tensor the model's weights have is missing from a companion file.
    #[error(
        "`{file}` has no tensor `{tensor}`, which the model's weights have; it must hold one tensor per weight tensor"
    )]
    MissingTensor {
        /// Path of the file.
        file: String,
        /// The missing name.
        tensor: String,
    },

    /// A companion file has a tensor the model's weights do not have.
    #[error("`{file}` has tensor `{tensor}`, which the model's weights do not have")]
    ExtraTensor {
        /// Path of the file.
        file: String,
        /// The extra name.
        tensor: String,
    },

    /// A companion file's tensor has a different shape from the weights'.
    #[error(
        "tensor `{tensor}` in `{file}` has shape {shape:?}, but in the model's weights it has shape {expected:?}"
    )]
    ShapeDiffers {
        /// Path of the file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its shape in this file.
        shape: Vec<usize>,
        /// Its shape in the weights.
        expected: Vec<usize>,
    },
}
