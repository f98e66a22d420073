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
}
