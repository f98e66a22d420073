//! Mapping between a PyTorch `nn.Sequential` state dict and Valley's flat
//! parameter vector.
//!
//! `nn.Sequential(Linear, Tanh, Linear, ...)` names its tensors after each
//! module's position: `0.weight`, `0.bias`, `2.weight`, ... (activations have
//! no parameters, so their indices are skipped). Valley's flat order is the
//! order of PyTorch's `model.parameters()`: for each Linear layer its weight
//! row-major `[out, in]`, then its bias `[out]`. Keeping the names found in the
//! file lets gradients or trained weights be written back under names
//! `model.load_state_dict` accepts.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::IoError;
use super::limits::{MAX_PARAMS, MAX_TENSORS};
use super::tensors::{DType, NamedTensor, TensorFile, element_count};

/// The Linear layers of an nn.Sequential state dict, in Valley's flat order.
#[derive(Clone, Debug, PartialEq)]
pub struct SequentialWeights {
    /// Units per layer boundary: `[in, h1, ..., out]`; one more than the
    /// number of Linear layers.
    pub layer_sizes: Vec<usize>,
    /// All parameters: for each layer, weight row-major `[out, in]` then bias
    /// `[out]` (PyTorch's `parameters()` order).
    pub params: Vec<f64>,
    /// Per layer, the (weight name, bias name) as found in the file, e.g.
    /// `("0.weight", "0.bias")`, `("2.weight", "2.bias")`.
    pub tensor_names: Vec<(String, String)>,
    /// Dtype of the file, for writing derived files alike.
    pub dtype: DType,
}

/// Whether a tensor is a layer's weight or its bias.
#[derive(Clone, Copy)]
enum Part {
    Weight,
    Bias,
}

/// The tensors found for one Linear layer.
#[derive(Default)]
struct LinearParts<'a> {
    weight: Option<&'a NamedTensor>,
    bias: Option<&'a NamedTensor>,
}

/// Maps the tensors of an nn.Sequential state dict to Valley's flat layout.
///
/// Tensor names must be `<prefix><index>.weight` / `<prefix><index>.bias`,
/// with one prefix (often empty, or e.g. `model.`) shared by all names. Layers
/// are ordered by numeric index; any strictly increasing indices are fine.
/// `source` names the file in errors.
pub fn sequential_from_file(file: &TensorFile, source: &str) -> Result<SequentialWeights, IoError> {
    let Some(first) = file.tensors.first() else {
        return Err(IoError::NoTensors {
            file: source.to_owned(),
        });
    };
    if file.tensors.len() > MAX_TENSORS {
        return Err(IoError::TooManyTensors {
            file: source.to_owned(),
            count: file.tensors.len(),
            max: MAX_TENSORS,
        });
    }
    let unexpected = |tensor: &NamedTensor| IoError::UnexpectedTensor {
        file: source.to_owned(),
        tensor: tensor.name.clone(),
    };
    let prefix = name_prefix(&first.name).ok_or_else(|| unexpected(first))?;

    let mut layers: BTreeMap<usize, LinearParts> = BTreeMap::new();
    for tensor in &file.tensors {
        let (index, part) = parse_name(&tensor.name, prefix).ok_or_else(|| unexpected(tensor))?;
        let parts = layers.entry(index).or_default();
        let slot = match part {
            Part::Weight => &mut parts.weight,
            Part::Bias => &mut parts.bias,
        };
        if slot.replace(tensor).is_some() {
            return Err(IoError::DuplicateTensor {
                file: source.to_owned(),
                tensor: tensor.name.clone(),
            });
        }
    }

    let mut layer_sizes = Vec::with_capacity(layers.len() + 1);
    let mut params = Vec::new();
    let mut tensor_names = Vec::with_capacity(layers.len());
    let mut previous: Option<&NamedTensor> = None;
    for (index, parts) in &layers {
        let (weight, bias) = match (parts.weight, parts.bias) {
            (Some(weight), Some(bias)) => (weight, bias),
            (Some(present), None) | (None, Some(present)) => {
                let missing_part = if parts.weight.is_some() {
                    "bias"
                } else {
                    "weight"
                };
                return Err(IoError::MissingLayerPart {
                    file: source.to_owned(),
                    present: present.name.clone(),
                    missing: format!("{prefix}{index}.{missing_part}"),
                });
            }
            (None, None) => continue,
        };
        let [outputs, inputs] = weight.shape[..] else {
            return Err(IoError::WrongRank {
                file: source.to_owned(),
                tensor: weight.name.clone(),
                shape: weight.shape.clone(),
                expected: "weight must have rank 2, [out, in]",
            });
        };
        if bias.shape.len() != 1 {
            return Err(IoError::WrongRank {
                file: source.to_owned(),
                tensor: bias.name.clone(),
                shape: bias.shape.clone(),
                expected: "bias must have rank 1, [out]",
            });
        }
        if outputs == 0 || inputs == 0 {
            return Err(IoError::EmptyLayer {
                file: source.to_owned(),
                tensor: weight.name.clone(),
                shape: weight.shape.clone(),
            });
        }
        if bias.shape[..] != [outputs] {
            return Err(IoError::BiasMismatch {
                file: source.to_owned(),
                bias: bias.name.clone(),
                bias_shape: bias.shape.clone(),
                weight: weight.name.clone(),
                weight_shape: weight.shape.clone(),
            });
        }
        match previous {
            None => layer_sizes.push(inputs),
            Some(prev) if prev.shape.first() != Some(&inputs) => {
                return Err(IoError::ShapesDontChain {
                    file: source.to_owned(),
                    layer: prev.name.clone(),
                    layer_shape: prev.shape.clone(),
                    next: weight.name.clone(),
                    next_shape: weight.shape.clone(),
                });
            }
            Some(_) => {}
        }
        for tensor in [weight, bias] {
            check_values(tensor, source)?;
            if params.len() + tensor.data.len() > MAX_PARAMS {
                return Err(IoError::TooManyParams {
                    file: source.to_owned(),
                    tensor: tensor.name.clone(),
                    max: MAX_PARAMS,
                });
            }
            params.extend_from_slice(&tensor.data);
        }
        layer_sizes.push(outputs);
        tensor_names.push((weight.name.clone(), bias.name.clone()));
        previous = Some(weight);
    }
    Ok(SequentialWeights {
        layer_sizes,
        params,
        tensor_names,
        dtype: file.dtype,
    })
}

/// Tensors named like PyTorch for a flat vector laid out like
/// [`SequentialWeights::params`] (e.g. a gradient or trained weights), with
/// shapes `[out, in]` and `[out]`.
///
/// # Panics
/// If `tensor_names` does not have one entry per layer of `layer_sizes`, or
/// `flat` does not have exactly the parameter count of `layer_sizes`; both
/// are invariants of the caller's model, not of any file.
pub fn sequential_tensors(
    layer_sizes: &[usize],
    tensor_names: &[(String, String)],
    flat: &[f64],
) -> Vec<NamedTensor> {
    let layers: Vec<(usize, usize)> = layer_sizes.windows(2).map(|w| (w[0], w[1])).collect();
    assert_eq!(
        layers.len(),
        tensor_names.len(),
        "one (weight, bias) name pair per Linear layer"
    );
    let expected: usize = layers.iter().map(|&(i, o)| o * i + o).sum();
    assert_eq!(flat.len(), expected, "flat vector length vs layer sizes");

    let mut tensors = Vec::with_capacity(2 * layers.len());
    let mut rest = flat;
    for (&(inputs, outputs), (weight_name, bias_name)) in layers.iter().zip(tensor_names) {
        let (weight, after_weight) = rest.split_at(outputs * inputs);
        let (bias, after_bias) = after_weight.split_at(outputs);
        rest = after_bias;
        tensors.push(NamedTensor {
            name: weight_name.clone(),
            shape: vec![outputs, inputs],
            data: weight.to_vec(),
        });
        tensors.push(NamedTensor {
            name: bias_name.clone(),
            shape: vec![outputs],
            data: bias.to_vec(),
        });
    }
    tensors
}

/// Writes float32 `params` of an MLP with `layer_sizes` as an nn.Sequential
/// state dict that `load_state_dict(strict=True)` accepts, under `names`
/// (one (weight, bias) pair per layer) or the default `0.weight`, `0.bias`,
/// `2.weight`, ...
pub fn write_sequential(
    path: &std::path::Path,
    layer_sizes: &[usize],
    names: Option<&[(String, String)]>,
    params: &[f32],
) -> Result<(), IoError> {
    let default_names = default_tensor_names(layer_sizes.len().saturating_sub(1));
    let names = names.unwrap_or(&default_names);
    let flat: Vec<f64> = params.iter().map(|&p| f64::from(p)).collect();
    super::write_safetensors(
        path,
        &sequential_tensors(layer_sizes, names, &flat),
        DType::F32,
    )
}

/// Default nn.Sequential names for `num_layers` Linear layers with one
/// activation between them: `0`, `2`, `4`, ...
pub fn default_tensor_names(num_layers: usize) -> Vec<(String, String)> {
    (0..num_layers)
        .map(|layer| {
            let index = 2 * layer;
            (format!("{index}.weight"), format!("{index}.bias"))
        })
        .collect()
}

/// A flat vector (e.g. a direction file) laid out like `reference`; every
/// tensor of `reference` must be present in `file` with the same shape, and
/// `file` may hold no others. `source` names the file in errors.
pub fn flat_like(
    file: &TensorFile,
    reference: &SequentialWeights,
    source: &str,
) -> Result<Vec<f64>, IoError> {
    let mut by_name = HashMap::with_capacity(file.tensors.len());
    for tensor in &file.tensors {
        if by_name.insert(tensor.name.as_str(), tensor).is_some() {
            return Err(IoError::DuplicateTensor {
                file: source.to_owned(),
                tensor: tensor.name.clone(),
            });
        }
    }
    let mut wanted = HashSet::with_capacity(2 * reference.tensor_names.len());
    let mut flat = Vec::with_capacity(reference.params.len());
    let layers = reference.layer_sizes.windows(2);
    for (sizes, (weight_name, bias_name)) in layers.zip(&reference.tensor_names) {
        let (inputs, outputs) = (sizes[0], sizes[1]);
        for (name, expected) in [
            (weight_name, vec![outputs, inputs]),
            (bias_name, vec![outputs]),
        ] {
            let Some(tensor) = by_name.get(name.as_str()) else {
                return Err(IoError::MissingTensor {
                    file: source.to_owned(),
                    tensor: name.clone(),
                });
            };
            if tensor.shape != expected {
                return Err(IoError::ShapeDiffers {
                    file: source.to_owned(),
                    tensor: name.clone(),
                    shape: tensor.shape.clone(),
                    expected,
                });
            }
            check_values(tensor, source)?;
            flat.extend_from_slice(&tensor.data);
            wanted.insert(name.as_str());
        }
    }
    if let Some(extra) = file
        .tensors
        .iter()
        .find(|tensor| !wanted.contains(tensor.name.as_str()))
    {
        return Err(IoError::ExtraTensor {
            file: source.to_owned(),
            tensor: extra.name.clone(),
        });
    }
    Ok(flat)
}

/// Checks that a tensor built in memory (not necessarily by the parser) has
/// as many values as its shape says, all finite.
fn check_values(tensor: &NamedTensor, source: &str) -> Result<(), IoError> {
    let expected = element_count(&tensor.shape);
    if expected != Some(tensor.data.len()) {
        return Err(IoError::ValueCount {
            file: source.to_owned(),
            tensor: tensor.name.clone(),
            shape: tensor.shape.clone(),
            expected: expected.unwrap_or(usize::MAX),
            actual: tensor.data.len(),
        });
    }
    if let Some(index) = tensor.data.iter().position(|v| !v.is_finite()) {
        return Err(IoError::NonFinite {
            file: source.to_owned(),
            tensor: tensor.name.clone(),
            index,
            dtype_note: String::new(),
        });
    }
    Ok(())
}

/// The prefix before the layer index in `name`: `""` for `0.weight`,
/// `"model."` for `model.0.weight`; `None` if `name` has no index.
fn name_prefix(name: &str) -> Option<&str> {
    let (stem, _part) = name.rsplit_once('.')?;
    let index_start = stem.rfind('.').map_or(0, |dot| dot + 1);
    parse_index(&stem[index_start..])?;
    Some(&name[..index_start])
}

/// Splits `<prefix><index>.weight|bias` into index and part.
fn parse_name(name: &str, prefix: &str) -> Option<(usize, Part)> {
    let (index, part) = name.strip_prefix(prefix)?.split_once('.')?;
    let part = match part {
        "weight" => Part::Weight,
        "bias" => Part::Bias,
        _ => return None,
    };
    Some((parse_index(index)?, part))
}

/// A module index as PyTorch writes it: decimal digits, no leading zeros.
fn parse_index(text: &str) -> Option<usize> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

#[cfg(test)]
#[path = "sequential_tests.rs"]
mod tests;
