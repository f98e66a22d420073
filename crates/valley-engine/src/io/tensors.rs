//! Reading and writing safetensors files, the format PyTorch users save with
//! `safetensors.torch.save_file(model.state_dict(), path)`.
//!
//! The format is an 8-byte little-endian header length, a JSON header mapping
//! tensor names to `{dtype, shape, data_offsets}`, then the raw little-endian
//! data. The `safetensors` crate validates the layout and slices the data;
//! around it, Valley holds every size the file states to [`super::limits`]
//! before the crate sees the file, and turns each defect into its own
//! actionable [`IoError`] naming the tensor, which the crate's errors do not.
//! The tests check compatibility with the crate both ways.
//!
//! Only float32 and float64 are read; values are widened to `f64` in memory so
//! that float64 files lose nothing.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde::{Deserialize, Serialize};

use super::IoError;
use super::header::{CheckedEntry, METADATA_KEY, read_header};
use super::limits::{MAX_FILE_BYTES, MAX_HEADER_BYTES, MAX_PARAMS, MAX_TENSORS};
use super::read::{ReadError, read_at_most};

/// Bytes holding the header length at the start of every safetensors file.
const LENGTH_PREFIX_BYTES: usize = 8;

/// Label used in errors when encoding tensors that are not (yet) a file.
const IN_MEMORY: &str = "<tensors being encoded>";

/// Element type of a file's tensors; the only two Valley reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DType {
    /// IEEE 754 single precision (`torch.float32`), safetensors `F32`.
    F32,
    /// IEEE 754 double precision (`torch.float64`), safetensors `F64`.
    F64,
}

impl DType {
    /// Bytes per element.
    pub fn byte_size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// The `safetensors` crate's name for it.
    fn to_safetensors(self) -> Dtype {
        match self {
            DType::F32 => Dtype::F32,
            DType::F64 => Dtype::F64,
        }
    }

    /// The dtype a header states, if Valley reads it.
    pub(super) fn from_safetensors(dtype: Dtype) -> Option<Self> {
        match dtype {
            Dtype::F32 => Some(DType::F32),
            Dtype::F64 => Some(DType::F64),
            _ => None,
        }
    }
}

impl fmt::Display for DType {
    /// The name in a safetensors header (`F32`, `F64`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_safetensors().fmt(f)
    }
}

/// One tensor with its name, shape and values, row-major, widened to `f64`.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// Name as in the PyTorch state dict, e.g. `0.weight`.
    pub name: String,
    /// Dimensions, outermost first; `[]` is a scalar.
    pub shape: Vec<usize>,
    /// Row-major values; its length is the product of `shape`.
    pub data: Vec<f64>,
}

/// The tensors of one safetensors file.
#[derive(Clone, Debug)]
pub struct TensorFile {
    /// Tensors in file order, i.e. by the position of their data in the file
    /// (ties between empty tensors broken by header order). Files written by
    /// [`write_safetensors`] come back in the order they were written.
    pub tensors: Vec<NamedTensor>,
    /// `F64` if any tensor was float64, else `F32` (also for a file with no
    /// tensors); the dtype to write derived files in.
    pub dtype: DType,
}

/// Reads a safetensors file, checking its size before reading it.
pub fn read_safetensors(path: &Path) -> Result<TensorFile, IoError> {
    let file = path.display().to_string();
    let unreadable = |cause| IoError::Unreadable {
        file: file.clone(),
        cause,
    };
    let buffer = read_at_most(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadError::Io(cause) => unreadable(cause),
        ReadError::TooLarge(bytes) => IoError::FileTooLarge {
            file: file.clone(),
            bytes,
            max: MAX_FILE_BYTES,
        },
    })?;
    parse_safetensors(&buffer, &file)
}

/// Parses the bytes of a safetensors file; `source` names it in errors.
///
/// Valley's limits come first (total size, header length, then in
/// [`read_header`] tensor count, names, dtypes and element counts, with
/// checked multiplication); then the `safetensors` crate validates the layout
/// and slices the data; then values are decoded and NaN or infinite ones
/// refused.
pub fn parse_safetensors(bytes: &[u8], source: &str) -> Result<TensorFile, IoError> {
    let file = source;
    let file_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if file_bytes > MAX_FILE_BYTES {
        return Err(IoError::FileTooLarge {
            file: file.to_owned(),
            bytes: file_bytes,
            max: MAX_FILE_BYTES,
        });
    }
    let header = header_within_limits(bytes, file)?;
    let available = bytes.len() - LENGTH_PREFIX_BYTES - header.len();

    let mut layout: Vec<(usize, CheckedEntry)> =
        read_header(header, file)?.into_iter().enumerate().collect();
    // The crate's order (by data offsets), ties broken by header order.
    layout.sort_by_key(|(position, entry)| (entry.begin, entry.end, *position));
    let layout: Vec<CheckedEntry> = layout.into_iter().map(|(_, entry)| entry).collect();

    let parsed = SafeTensors::deserialize(bytes)
        .map_err(|error| explain_refusal(&error, &layout, available, file))?;

    let mut tensors = Vec::with_capacity(layout.len());
    let mut dtype = DType::F32;
    for entry in layout {
        let view = parsed
            .tensor(&entry.name)
            .map_err(|error| IoError::InvalidHeader {
                file: file.to_owned(),
                reason: error.to_string(),
            })?;
        let values = decode(view.data(), entry.dtype);
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(IoError::NonFinite {
                file: file.to_owned(),
                tensor: entry.name,
                index,
                dtype_note: String::new(),
            });
        }
        if entry.dtype == DType::F64 {
            dtype = DType::F64;
        }
        tensors.push(NamedTensor {
            name: entry.name,
            shape: entry.shape,
            data: values,
        });
    }
    Ok(TensorFile { tensors, dtype })
}

/// The JSON header, once the 8-byte length before it is held to what the
/// file holds and to [`MAX_HEADER_BYTES`] (the crate allows 100 MB).
fn header_within_limits<'a>(bytes: &'a [u8], file: &str) -> Result<&'a [u8], IoError> {
    let Some((length_prefix, rest)) = bytes.split_first_chunk::<LENGTH_PREFIX_BYTES>() else {
        return Err(IoError::TooShort {
            file: file.to_owned(),
            bytes: bytes.len(),
        });
    };
    let header_bytes = u64::from_le_bytes(*length_prefix);
    let Some(header) = usize::try_from(header_bytes)
        .ok()
        .and_then(|len| rest.get(..len))
    else {
        return Err(IoError::HeaderPastEnd {
            file: file.to_owned(),
            header_bytes,
            available: rest.len(),
        });
    };
    if header.len() > MAX_HEADER_BYTES {
        return Err(IoError::HeaderTooLarge {
            file: file.to_owned(),
            header_bytes,
            max: MAX_HEADER_BYTES,
        });
    }
    Ok(header)
}

/// Why the crate refused a file, in Valley's terms: its errors about the
/// layout name at most one tensor and give no sizes, so the layout is walked
/// again to name the tensor, its neighbour and the byte counts. Any other
/// refusal (e.g. a `__metadata__` that is not a map of strings) keeps the
/// crate's message.
fn explain_refusal(
    error: &SafeTensorError,
    layout: &[CheckedEntry],
    available: usize,
    file: &str,
) -> IoError {
    let about_layout = matches!(
        error,
        SafeTensorError::InvalidOffset(_)
            | SafeTensorError::TensorInvalidInfo
            | SafeTensorError::MetadataIncompleteBuffer
            | SafeTensorError::ValidationOverflow
    );
    about_layout
        .then(|| layout_defect(layout, available, file))
        .flatten()
        .unwrap_or_else(|| IoError::InvalidHeader {
            file: file.to_owned(),
            reason: error.to_string(),
        })
}

/// The first defect of `layout` (sorted by offsets), checked as the crate
/// does: each tensor starts where the previous one ended and spans the bytes
/// its shape needs, and the last ends where the file ends.
fn layout_defect(layout: &[CheckedEntry], available: usize, file: &str) -> Option<IoError> {
    let bad_offsets = |tensor: &str, reason: String| IoError::BadOffsets {
        file: file.to_owned(),
        tensor: tensor.to_owned(),
        reason,
    };
    let mut cursor = 0;
    let mut previous: Option<&str> = None;
    for entry in layout {
        let (begin, end, name) = (entry.begin, entry.end, entry.name.as_str());
        if end < begin {
            return Some(bad_offsets(
                name,
                format!("its data ends (byte {end}) before it starts (byte {begin})"),
            ));
        }
        if begin != cursor {
            let reason = match previous {
                Some(prev) if begin < cursor => format!("its data overlaps that of `{prev}`"),
                Some(prev) => format!(
                    "{} unused bytes lie between it and `{prev}`",
                    begin - cursor
                ),
                None => format!("the first tensor's data starts at byte {begin}, not 0"),
            };
            return Some(bad_offsets(name, reason));
        }
        // The element count is at most MAX_PARAMS (read_header), so this
        // cannot overflow.
        let expected = element_count(&entry.shape).unwrap_or(0) * entry.dtype.byte_size();
        if end - begin != expected {
            return Some(IoError::DataLength {
                file: file.to_owned(),
                tensor: entry.name.clone(),
                shape: entry.shape.clone(),
                expected: expected as u64,
                actual: (end - begin) as u64,
            });
        }
        if end > available {
            return Some(IoError::TruncatedData {
                file: file.to_owned(),
                tensor: entry.name.clone(),
                end: end as u64,
                available,
            });
        }
        cursor = end;
        previous = Some(name);
    }
    (cursor != available).then(|| IoError::TrailingBytes {
        file: file.to_owned(),
        bytes: available - cursor,
    })
}

/// Writes `tensors` as a safetensors file in `dtype`, atomically: the bytes go
/// to a temporary file in the same directory, which is then renamed over
/// `path`, so a reader never sees a half-written file.
pub fn write_safetensors(
    path: &Path,
    tensors: &[NamedTensor],
    dtype: DType,
) -> Result<(), IoError> {
    let file = path.display().to_string();
    let bytes = encode(tensors, dtype, &file)?;
    super::write_atomic(path, &bytes).map_err(|cause| IoError::Unwritable { file, cause })
}

/// Encodes `tensors` as the bytes of a safetensors file in `dtype`, in the
/// given order, with `{"format": "pt"}` metadata as PyTorch tooling expects.
pub fn tensors_to_bytes(tensors: &[NamedTensor], dtype: DType) -> Result<Vec<u8>, IoError> {
    encode(tensors, dtype, IN_MEMORY)
}

/// [`tensors_to_bytes`] with `file` to name in errors.
///
/// The header is the crate's [`Metadata`] as JSON, entries in the given
/// order; `safetensors::serialize` would sort them by name, and files are
/// read back in data order, so Valley lays out the data itself.
fn encode(tensors: &[NamedTensor], dtype: DType, file: &str) -> Result<Vec<u8>, IoError> {
    if tensors.len() > MAX_TENSORS {
        return Err(IoError::TooManyTensors {
            file: file.to_owned(),
            count: tensors.len(),
            max: MAX_TENSORS,
        });
    }
    let mut seen = HashSet::with_capacity(tensors.len());
    let mut total_params = 0usize;
    for tensor in tensors {
        if tensor.name == METADATA_KEY {
            return Err(IoError::ReservedName {
                file: file.to_owned(),
                tensor: tensor.name.clone(),
            });
        }
        if !seen.insert(tensor.name.as_str()) {
            return Err(IoError::DuplicateTensor {
                file: file.to_owned(),
                tensor: tensor.name.clone(),
            });
        }
        let expected = element_count(&tensor.shape);
        if expected != Some(tensor.data.len()) {
            return Err(IoError::ValueCount {
                file: file.to_owned(),
                tensor: tensor.name.clone(),
                shape: tensor.shape.clone(),
                expected: expected.unwrap_or(usize::MAX),
                actual: tensor.data.len(),
            });
        }
        total_params = total_params.saturating_add(tensor.data.len());
        if total_params > MAX_PARAMS {
            return Err(IoError::TooManyParams {
                file: file.to_owned(),
                tensor: tensor.name.clone(),
                max: MAX_PARAMS,
            });
        }
    }

    let mut entries = Vec::with_capacity(tensors.len());
    let mut data = Vec::with_capacity(total_params * dtype.byte_size());
    for tensor in tensors {
        let begin = data.len();
        for (index, &value) in tensor.data.iter().enumerate() {
            let finite = match dtype {
                DType::F32 => {
                    let narrowed = value as f32;
                    data.extend_from_slice(&narrowed.to_le_bytes());
                    narrowed.is_finite()
                }
                DType::F64 => {
                    data.extend_from_slice(&value.to_le_bytes());
                    value.is_finite()
                }
            };
            if !finite {
                let dtype_note = if value.is_finite() {
                    format!(", {value} is too large for float32")
                } else {
                    String::new()
                };
                return Err(IoError::NonFinite {
                    file: file.to_owned(),
                    tensor: tensor.name.clone(),
                    index,
                    dtype_note,
                });
            }
        }
        let info = TensorInfo {
            dtype: dtype.to_safetensors(),
            shape: tensor.shape.clone(),
            data_offsets: (begin, data.len()),
        };
        entries.push((tensor.name.clone(), info));
    }
    let pytorch_format = [("format".to_owned(), "pt".to_owned())]
        .into_iter()
        .collect();
    let mut header = Metadata::new(Some(pytorch_format), entries)
        .and_then(|metadata| Ok(serde_json::to_vec(&metadata)?))
        .map_err(|e| IoError::InvalidHeader {
            file: file.to_owned(),
            reason: e.to_string(),
        })?;
    // Pad with spaces (valid JSON whitespace) so the data starts 8-byte
    // aligned, as the crate does.
    header.resize(header.len().next_multiple_of(LENGTH_PREFIX_BYTES), b' ');
    if header.len() > MAX_HEADER_BYTES {
        return Err(IoError::HeaderTooLarge {
            file: file.to_owned(),
            header_bytes: u64::try_from(header.len()).unwrap_or(u64::MAX),
            max: MAX_HEADER_BYTES,
        });
    }

    let mut bytes = Vec::with_capacity(LENGTH_PREFIX_BYTES + header.len() + data.len());
    bytes.extend_from_slice(
        &u64::try_from(header.len())
            .unwrap_or(u64::MAX)
            .to_le_bytes(),
    );
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&data);
    Ok(bytes)
}

/// Number of elements of `shape`, or `None` if the product overflows.
pub(super) fn element_count(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
}

/// Little-endian bytes of `dtype` values, widened to `f64`.
fn decode(raw: &[u8], dtype: DType) -> Vec<f64> {
    match dtype {
        DType::F32 => raw
            .chunks_exact(4)
            .filter_map(|chunk| chunk.try_into().ok())
            .map(|bytes| f64::from(f32::from_le_bytes(bytes)))
            .collect(),
        DType::F64 => raw
            .chunks_exact(8)
            .filter_map(|chunk| chunk.try_into().ok())
            .map(f64::from_le_bytes)
            .collect(),
    }
}

#[cfg(test)]
#[path = "tensors_tests.rs"]
mod tests;
