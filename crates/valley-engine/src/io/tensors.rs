//! Reading and writing safetensors files, the format PyTorch users save with
//! `safetensors.torch.save_file(model.state_dict(), path)`.
//!
//! The format is an 8-byte little-endian header length, a JSON header mapping
//! tensor names to `{dtype, shape, data_offsets}`, then the raw little-endian
//! data. Valley parses it itself (with `serde_json`) rather than through the
//! `safetensors` crate so that every size the file states is checked against
//! [`super::limits`] before it is used, and so that each defect gets its own
//! actionable [`IoError`]. The tests check compatibility with that crate both
//! ways.
//!
//! Only float32 and float64 are read; values are widened to `f64` in memory so
//! that float64 files lose nothing.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// The dtype's name in a safetensors header.
    pub fn header_name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F64 => "F64",
        }
    }

    /// Bytes per element.
    pub fn byte_size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// The dtype named `name` in a header, if Valley reads it.
    pub(super) fn from_header_name(name: &str) -> Option<Self> {
        match name {
            "F32" => Some(DType::F32),
            "F64" => Some(DType::F64),
            _ => None,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header_name())
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
/// Checks, in order and before any allocation sized by the file: total size,
/// header length, tensor count, dtypes, per-tensor and total element counts
/// (with checked multiplication), byte ranges; then decodes and rejects
/// NaN or infinite values.
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
    let Some((length_prefix, rest)) = bytes.split_first_chunk::<LENGTH_PREFIX_BYTES>() else {
        return Err(IoError::TooShort {
            file: file.to_owned(),
            bytes: bytes.len(),
        });
    };
    let header_bytes = u64::from_le_bytes(*length_prefix);
    let Some((header, data)) = usize::try_from(header_bytes)
        .ok()
        .and_then(|len| rest.split_at_checked(len))
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

    let mut layout: Vec<(usize, CheckedEntry)> =
        read_header(header, file)?.into_iter().enumerate().collect();
    layout.sort_by_key(|(position, entry)| (entry.begin, entry.end, *position));

    let mut cursor = 0u64;
    let mut previous: Option<&str> = None;
    for (_, entry) in &layout {
        if entry.begin != cursor {
            let reason = match previous {
                Some(prev) if entry.begin < cursor => {
                    format!("its data overlaps that of `{prev}`")
                }
                Some(prev) => format!(
                    "{} unused bytes lie between it and `{prev}`",
                    entry.begin - cursor
                ),
                None => format!(
                    "the first tensor's data starts at byte {}, not 0",
                    entry.begin
                ),
            };
            return Err(IoError::BadOffsets {
                file: file.to_owned(),
                tensor: entry.name.clone(),
                reason,
            });
        }
        if data
            .get(to_usize(entry.begin)..to_usize(entry.end))
            .is_none()
        {
            return Err(IoError::TruncatedData {
                file: file.to_owned(),
                tensor: entry.name.clone(),
                end: entry.end,
                available: data.len(),
            });
        }
        cursor = entry.end;
        previous = Some(&entry.name);
    }
    let used = to_usize(cursor);
    if used != data.len() {
        return Err(IoError::TrailingBytes {
            file: file.to_owned(),
            bytes: data.len().saturating_sub(used),
        });
    }

    let mut tensors = Vec::with_capacity(layout.len());
    let mut dtype = DType::F32;
    for (_, entry) in layout {
        let raw = data
            .get(to_usize(entry.begin)..to_usize(entry.end))
            .unwrap_or_default();
        let values = decode(raw, entry.dtype);
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

/// Writes `tensors` as a safetensors file in `dtype`, atomically: the bytes go
/// to a temporary file in the same directory, which is then renamed over
/// `path`, so a reader never sees a half-written file.
pub fn write_safetensors(
    path: &Path,
    tensors: &[NamedTensor],
    dtype: DType,
) -> Result<(), IoError> {
    static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

    let file = path.display().to_string();
    let bytes = encode(tensors, dtype, &file)?;
    let unwritable = |cause| IoError::Unwritable {
        file: file.clone(),
        cause,
    };
    let Some(file_name) = path.file_name() else {
        return Err(unwritable(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        )));
    };
    let temp_name = format!(
        ".{}.{}-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let temp_path = path.with_file_name(temp_name);
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp_path)
        .and_then(|mut handle| {
            handle.write_all(&bytes)?;
            handle.sync_all()
        })
        .and_then(|()| fs::rename(&temp_path, path));
    if let Err(cause) = written {
        // Best effort: the temporary file may not exist, and the write error
        // is the one worth reporting.
        let _ = fs::remove_file(&temp_path);
        return Err(unwritable(cause));
    }
    Ok(())
}

/// Encodes `tensors` as the bytes of a safetensors file in `dtype`, in the
/// given order, with `{"format": "pt"}` metadata as PyTorch tooling expects.
pub fn tensors_to_bytes(tensors: &[NamedTensor], dtype: DType) -> Result<Vec<u8>, IoError> {
    encode(tensors, dtype, IN_MEMORY)
}

/// [`tensors_to_bytes`] with `file` to name in errors.
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

    let mut header = format!("{{\"{METADATA_KEY}\":{{\"format\":\"pt\"}}");
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
        let name = serde_json::to_string(&tensor.name).map_err(|e| IoError::InvalidHeader {
            file: file.to_owned(),
            reason: e.to_string(),
        })?;
        let shape: Vec<String> = tensor.shape.iter().map(usize::to_string).collect();
        header.push_str(&format!(
            ",{name}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{begin},{}]}}",
            dtype.header_name(),
            shape.join(","),
            data.len()
        ));
    }
    header.push('}');
    // Pad with spaces (valid JSON whitespace) so the data starts 8-byte aligned,
    // as the reference implementation does.
    while header.len() % LENGTH_PREFIX_BYTES != 0 {
        header.push(' ');
    }
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
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    Ok(bytes)
}

/// Number of elements of `shape`, or `None` if the product overflows.
pub(super) fn element_count(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
}

/// Converts an offset already checked against the file length (itself at most
/// [`MAX_FILE_BYTES`]) to an index.
fn to_usize(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
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
