//! The JSON header of a safetensors file, checked entry by entry.
//!
//! Kept apart from the byte-level reading in `tensors.rs` because this is
//! where a file's claims (dtypes, shapes, byte ranges) are first trusted or
//! refused: every element count is computed with checked arithmetic and held
//! to [`MAX_PARAMS`] before anything is allocated from it.

use std::collections::HashSet;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::IoError;
use super::limits::{MAX_PARAMS, MAX_TENSORS};
use super::tensors::{DType, element_count};

/// Key of the optional string-to-string metadata map in the header.
pub(super) const METADATA_KEY: &str = "__metadata__";

/// Parses the JSON header and checks every tensor entry, in header order.
pub(super) fn read_header(header: &[u8], file: &str) -> Result<Vec<CheckedEntry>, IoError> {
    let entries = parse_header(header, file)?;
    let mut checked = Vec::with_capacity(entries.len());
    let mut total_params = 0usize;
    for (name, entry) in entries {
        checked.push(check_entry(name, &entry, file, &mut total_params)?);
    }
    Ok(checked)
}

/// A header entry as written in the file, before any check.
#[derive(Deserialize)]
struct RawEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// A header entry whose dtype, size and byte range agree.
pub(super) struct CheckedEntry {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Dimensions, each within `usize`, product at most [`MAX_PARAMS`].
    pub shape: Vec<usize>,
    /// Start of its data, relative to the end of the header.
    pub begin: u64,
    /// End (exclusive) of its data; `end - begin` matches shape and dtype.
    pub end: u64,
}

/// The header's top-level object, in file order, duplicates kept so they can
/// be reported rather than silently collapsed.
struct HeaderEntries(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for HeaderEntries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = HeaderEntries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object mapping tensor names to their descriptions")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderEntries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    entries.push(entry);
                }
                Ok(HeaderEntries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// Parses the JSON header into its tensor entries, dropping `__metadata__`.
fn parse_header(header: &[u8], file: &str) -> Result<Vec<(String, RawEntry)>, IoError> {
    let invalid = |reason: String| IoError::InvalidHeader {
        file: file.to_owned(),
        reason,
    };
    let HeaderEntries(entries) =
        serde_json::from_slice(header).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let count = entries
        .iter()
        .filter(|(name, _)| name != METADATA_KEY)
        .count();
    if count > MAX_TENSORS {
        return Err(IoError::TooManyTensors {
            file: file.to_owned(),
            count,
            max: MAX_TENSORS,
        });
    }
    let mut seen = HashSet::with_capacity(entries.len());
    let mut tensors = Vec::with_capacity(count);
    for (name, value) in entries {
        if !seen.insert(name.clone()) {
            return Err(IoError::DuplicateTensor {
                file: file.to_owned(),
                tensor: name,
            });
        }
        if name == METADATA_KEY {
            continue;
        }
        let entry = serde_json::from_value::<RawEntry>(value)
            .map_err(|e| invalid(format!("entry for tensor `{name}`: {e}")))?;
        tensors.push((name, entry));
    }
    Ok(tensors)
}

/// Checks one entry's dtype, element count and byte-range length, adding
/// its elements to `total_params`.
fn check_entry(
    name: String,
    entry: &RawEntry,
    file: &str,
    total_params: &mut usize,
) -> Result<CheckedEntry, IoError> {
    let Some(dtype) = DType::from_header_name(&entry.dtype) else {
        return Err(IoError::UnsupportedDtype {
            file: file.to_owned(),
            tensor: name,
            dtype: entry.dtype.clone(),
        });
    };
    let too_many = |tensor: String| IoError::TooManyParams {
        file: file.to_owned(),
        tensor,
        max: MAX_PARAMS,
    };
    let shape: Option<Vec<usize>> = entry
        .shape
        .iter()
        .map(|&dim| usize::try_from(dim).ok())
        .collect();
    let Some(count) = shape.as_deref().and_then(element_count) else {
        return Err(too_many(name));
    };
    *total_params = total_params.saturating_add(count);
    if *total_params > MAX_PARAMS {
        return Err(too_many(name));
    }
    let shape = shape.unwrap_or_default();
    let (begin, end) = entry.data_offsets;
    if end < begin {
        return Err(IoError::BadOffsets {
            file: file.to_owned(),
            tensor: name,
            reason: format!("its data ends (byte {end}) before it starts (byte {begin})"),
        });
    }
    // count <= MAX_PARAMS, so this cannot overflow.
    let expected = (count * dtype.byte_size()) as u64;
    if end - begin != expected {
        return Err(IoError::DataLength {
            file: file.to_owned(),
            tensor: name,
            shape,
            expected,
            actual: end - begin,
        });
    }
    Ok(CheckedEntry {
        name,
        dtype,
        shape,
        begin,
        end,
    })
}
