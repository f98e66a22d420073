//! Hard ceilings on what Valley will read or write.
//!
//! A safetensors header is attacker-controlled text: it can claim a tensor of
//! 2^62 elements or a header of many gigabytes. Every size a file states is
//! checked against these limits *before* anything is allocated from it, so a
//! hostile or corrupt file costs at most a bounded amount of memory and time.
//! The numbers are generous for the small MLPs Valley teaches with.

/// Most parameters (tensor elements, summed over a file) Valley accepts.
///
/// Landscapes re-evaluate the loss thousands of times; beyond a few million
/// parameters the views stop being interactive anyway.
pub const MAX_PARAMS: usize = 5_000_000;

/// Longest JSON header accepted, in bytes (1 MiB).
///
/// A header costs roughly 80 bytes per tensor, so this allows far more
/// tensors than [`MAX_TENSORS`] while keeping JSON parsing cheap.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Most tensors accepted in one file (a Linear layer contributes two).
pub const MAX_TENSORS: usize = 4096;

/// Largest file accepted, in bytes (256 MiB).
///
/// [`MAX_PARAMS`] float64 values take 40 MB, so only a file with unrelated
/// payload comes near this; it stops Valley reading a huge file into memory
/// just to reject it.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
