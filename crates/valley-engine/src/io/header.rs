//! Valley's own rules on a safetensors header, applied before the
//! `safetensors` crate validates the file.
//!
//! The crate reads the header into a map, so it keeps only the last of two
//! entries with the same name and forgets the order they came in, and it
//! holds a claimed size only against the bytes present. Here the entries are
//! read in file order, with the crate's own [`TensorInfo`], so that a
//! repeated name, more than [`MAX_TENSORS`] tensors, a dtype Valley does not
//! read and more than [`MAX_PARAMS`] elements are refused with the tensor
//! named, before the crate is asked anything.

use std::collections::HashSet;
use std::fmt;

use safetensors::tensor::TensorInfo;
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
    for (name, info) in entries {
        checked.push(check_entry(name, info, file, &mut total_params)?);
    }
    Ok(checked)
}

/// A header entry whose dtype Valley reads and whose size is within its limits.
pub(super) struct CheckedEntry {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Dimensions; their product is at most [`MAX_PARAMS`].
    pub shape: Vec<usize>,
    /// Start of its data, relative to the end of the header.
    pub begin: usize,
    /// End (exclusive) of its data, as stated; not yet checked.
    pub end: usize,
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

/// Parses the JSON header into its tensor entries, dropping `__metadata__`
/// (whose form the crate checks).
fn parse_header(header: &[u8], file: &str) -> Result<Vec<(String, TensorInfo)>, IoError> {
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
        let info = serde_json::from_value::<TensorInfo>(value)
            .map_err(|e| invalid(format!("entry for tensor `{name}`: {e}")))?;
        tensors.push((name, info));
    }
    Ok(tensors)
}

/// Checks one entry's dtype and element count, adding its elements to
/// `total_params`.
fn check_entry(
    name: String,
    info: TensorInfo,
    file: &str,
    total_params: &mut usize,
) -> Result<CheckedEntry, IoError> {
    let Some(dtype) = DType::from_safetensors(info.dtype) else {
        return Err(IoError::UnsupportedDtype {
            file: file.to_owned(),
            tensor: name,
            dtype: info.dtype.to_string(),
        });
    };
    let too_many = |tensor: String| IoError::TooManyParams {
        file: file.to_owned(),
        tensor,
        max: MAX_PARAMS,
    };
    let Some(count) = element_count(&info.shape) else {
        return Err(too_many(name));
    };
    *total_params = total_params.saturating_add(count);
    if *total_params > MAX_PARAMS {
        return Err(too_many(name));
    }
    let (begin, end) = info.data_offsets;
    Ok(CheckedEntry {
        name,
        dtype,
        shape: info.shape,
        begin,
        end,
    })
}
