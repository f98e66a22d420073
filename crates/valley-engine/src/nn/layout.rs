//! Named views into one flat parameter vector.
//!
//! Optimisers, landscapes and files all want the parameters as one flat
//! vector; people and PyTorch want them by layer. The layout maps one onto
//! the other with `nn.Sequential` names (`0.weight`, `0.bias`, `2.weight`, ...).

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One named tensor inside the flat parameter vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    /// PyTorch-style name, e.g. `2.weight`.
    pub name: String,
    /// Shape, row-major: `[out, in]` for a weight, `[out]` for a bias.
    pub shape: Vec<usize>,
    /// Index of the first element in the flat vector.
    pub offset: usize,
}

impl TensorSpec {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the tensor lives in the flat vector.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }

    /// A weight matrix whose rows are neurons ("filters" in Li et al. 2018).
    pub fn is_matrix(&self) -> bool {
        self.shape.len() == 2
    }
}

/// The names and shapes of all parameters, in flat order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamLayout {
    /// Tensors in flat order, without gaps.
    pub tensors: Vec<TensorSpec>,
}

impl ParamLayout {
    /// Builds a layout from (name, shape) pairs placed one after another.
    pub fn from_shapes<S: Into<String>>(shapes: impl IntoIterator<Item = (S, Vec<usize>)>) -> Self {
        let mut offset = 0;
        let tensors = shapes
            .into_iter()
            .map(|(name, shape)| {
                let spec = TensorSpec {
                    name: name.into(),
                    shape,
                    offset,
                };
                offset += spec.len();
                spec
            })
            .collect();
        Self { tensors }
    }

    /// Total number of scalar parameters.
    pub fn num_params(&self) -> usize {
        self.tensors.last().map_or(0, |t| t.offset + t.len())
    }

    /// The tensor with this name.
    pub fn get(&self, name: &str) -> Option<&TensorSpec> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// A human name for one flat index, e.g. `0.weight[3, 1]`.
    pub fn describe_index(&self, index: usize) -> String {
        for t in &self.tensors {
            if t.range().contains(&index) {
                let local = index - t.offset;
                return match t.shape.as_slice() {
                    [_, cols] => format!("{}[{}, {}]", t.name, local / cols, local % cols),
                    [_] => format!("{}[{local}]", t.name),
                    _ => format!("{}[{local}]", t.name),
                };
            }
        }
        format!("parameter {index}")
    }

    /// A name for one flat index that a student can read without knowing
    /// PyTorch's numbering: for an `nn.Sequential` MLP, "layer 2: neuron 5 ←
    /// neuron 3" for a weight (into neuron 5 of layer 2, from neuron 3 of
    /// the layer below; "input 3" below the first layer, "output 1" in the
    /// last), "layer 2: bias of neuron 5" for a bias; numbered from 1. Other
    /// tensors keep their own name (a surface's "x" and "y").
    pub fn plain_name(&self, index: usize) -> String {
        let layers = self
            .tensors
            .iter()
            .filter(|t| t.is_matrix() && t.name.ends_with(".weight"))
            .count();
        for t in &self.tensors {
            if !t.range().contains(&index) {
                continue;
            }
            let local = index - t.offset;
            let layer = t
                .name
                .split_once('.')
                .and_then(|(n, _)| n.parse::<usize>().ok())
                .map(|n| n / 2 + 1);
            let unit = |layer: usize, i: usize| match layer {
                0 => format!("input {}", i + 1),
                l if l == layers => format!("output {}", i + 1),
                _ => format!("neuron {}", i + 1),
            };
            return match (layer, t.shape.as_slice(), t.name.ends_with(".bias")) {
                (Some(l), [_, cols], false) => format!(
                    "layer {l}: {} ← {}",
                    unit(l, local / cols),
                    unit(l - 1, local % cols)
                ),
                (Some(l), [_], true) => format!("layer {l}: bias of {}", unit(l, local)),
                (_, [1], _) => t.name.clone(),
                _ => self.describe_index(index),
            };
        }
        format!("parameter {}", index + 1)
    }
}

/// Writes float32 `params` as a state dict under `layout`'s names and
/// shapes: any model whose layout follows its PyTorch module (an MLP's
/// `0.weight`, a character model's `embedding.weight`, `mlp.0.weight`, …)
/// loads with `load_state_dict(strict=True)`.
pub fn write_layout(
    path: &std::path::Path,
    layout: &ParamLayout,
    params: &[f32],
) -> Result<(), crate::io::IoError> {
    assert_eq!(params.len(), layout.num_params(), "parameters vs layout");
    let tensors: Vec<crate::io::NamedTensor> = layout
        .tensors
        .iter()
        .map(|t| crate::io::NamedTensor {
            name: t.name.clone(),
            shape: t.shape.clone(),
            data: params[t.range()].iter().map(|&p| f64::from(p)).collect(),
        })
        .collect();
    crate::io::write_safetensors(path, &tensors, crate::io::DType::F32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_each_other() {
        let layout = ParamLayout::from_shapes([
            ("0.weight", vec![4, 2]),
            ("0.bias", vec![4]),
            ("2.weight", vec![3, 4]),
            ("2.bias", vec![3]),
        ]);
        assert_eq!(layout.num_params(), 8 + 4 + 12 + 3);
        assert_eq!(layout.get("2.weight").map(|t| t.range()), Some(12..24));
        assert_eq!(layout.describe_index(5), "0.weight[2, 1]");
        assert_eq!(layout.describe_index(26), "2.bias[2]");
        assert!(layout.get("1.weight").is_none());
    }

    #[test]
    fn a_student_reads_which_weight_a_parameter_is() {
        // A 2-3-2 MLP: 0.weight [3, 2], 0.bias [3], 2.weight [2, 3], 2.bias [2].
        let layout = ParamLayout::from_shapes([
            ("0.weight", vec![3, 2]),
            ("0.bias", vec![3]),
            ("2.weight", vec![2, 3]),
            ("2.bias", vec![2]),
        ]);
        assert_eq!(layout.plain_name(0), "layer 1: neuron 1 ← input 1");
        assert_eq!(layout.plain_name(5), "layer 1: neuron 3 ← input 2");
        assert_eq!(layout.plain_name(7), "layer 1: bias of neuron 2");
        assert_eq!(layout.plain_name(9), "layer 2: output 1 ← neuron 1");
        assert_eq!(layout.plain_name(14), "layer 2: output 2 ← neuron 3");
        assert_eq!(layout.plain_name(16), "layer 2: bias of output 2");
        assert_eq!(layout.plain_name(17), "parameter 18");
        let surface = ParamLayout::from_shapes([("x", vec![1]), ("y", vec![1])]);
        assert_eq!(surface.plain_name(1), "y");
    }
}
