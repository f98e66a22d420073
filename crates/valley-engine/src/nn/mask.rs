//! Which weights of a network survive pruning (lottery tickets).
//!
//! Only the weight matrices are pruned; biases always stay, as in Frankle &
//! Carbin. A run with a mask keeps pruned weights exactly zero and masks
//! their gradients and optimiser moments (see `train::Run::set_mask`).

use rand::seq::SliceRandom;

use super::{ParamLayout, seeded_rng};

/// One flag per parameter: `true` where the parameter is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    keep: Vec<bool>,
}

/// How the weights to prune are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PruneScope {
    /// One ranking over every weight matrix: layers lose different shares.
    Global,
    /// Each weight matrix loses the same share of its own weights.
    PerLayer,
}

impl Mask {
    /// Keeps every parameter.
    pub fn dense(num_params: usize) -> Self {
        Self {
            keep: vec![true; num_params],
        }
    }

    /// The flags, one per parameter.
    pub fn keep(&self) -> &[bool] {
        &self.keep
    }

    /// Parameters it covers.
    pub fn len(&self) -> usize {
        self.keep.len()
    }

    /// Whether it covers no parameter.
    pub fn is_empty(&self) -> bool {
        self.keep.is_empty()
    }

    /// Zeroes every pruned entry of `values` (parameters, gradients, moments).
    pub fn apply(&self, values: &mut [f32]) {
        for (v, &keep) in values.iter_mut().zip(&self.keep) {
            if !keep {
                *v = 0.0;
            }
        }
    }

    /// Weights kept, of the weights in the matrices of `layout`.
    pub fn weights_left(&self, layout: &ParamLayout) -> usize {
        weight_indices(layout).filter(|&i| self.keep[i]).count()
    }

    /// The share of the matrices' weights kept, in [0, 1].
    pub fn fraction_left(&self, layout: &ParamLayout) -> f64 {
        let total = weight_indices(layout).count();
        if total == 0 {
            return 1.0;
        }
        self.weights_left(layout) as f64 / total as f64
    }

    /// Kept weights per weight matrix, in layout order.
    pub fn left_per_layer(&self, layout: &ParamLayout) -> Vec<usize> {
        layout
            .tensors
            .iter()
            .filter(|t| t.is_matrix())
            .map(|t| t.range().filter(|&i| self.keep[i]).count())
            .collect()
    }

    /// Iterative magnitude pruning's step: of the weights still kept, drops
    /// the `rate` share with the smallest |value| in `params` (ties broken by
    /// position, so the result is deterministic).
    pub fn prune_smallest(
        &self,
        params: &[f32],
        layout: &ParamLayout,
        rate: f64,
        scope: PruneScope,
    ) -> Mask {
        let mut keep = self.keep.clone();
        let groups: Vec<Vec<usize>> = match scope {
            PruneScope::Global => vec![weight_indices(layout).collect()],
            PruneScope::PerLayer => layout
                .tensors
                .iter()
                .filter(|t| t.is_matrix())
                .map(|t| t.range().collect())
                .collect(),
        };
        for group in groups {
            let mut alive: Vec<usize> = group.into_iter().filter(|&i| keep[i]).collect();
            let drop = (alive.len() as f64 * rate.clamp(0.0, 1.0)).round() as usize;
            alive.sort_by(|&a, &b| params[a].abs().total_cmp(&params[b].abs()).then(a.cmp(&b)));
            for &i in &alive[..drop.min(alive.len())] {
                keep[i] = false;
            }
        }
        Mask { keep }
    }

    /// A mask with the same number of kept weights in each matrix as this
    /// one, placed uniformly at random: the control arm of a lottery.
    pub fn random_like(&self, layout: &ParamLayout, seed: u64) -> Mask {
        let mut rng = seeded_rng(seed);
        let mut keep = self.keep.clone();
        for tensor in layout.tensors.iter().filter(|t| t.is_matrix()) {
            let range = tensor.range();
            let kept = range.clone().filter(|&i| self.keep[i]).count();
            let mut flags: Vec<bool> = (0..range.len()).map(|i| i < kept).collect();
            flags.shuffle(&mut rng);
            keep[range].copy_from_slice(&flags);
        }
        Mask { keep }
    }
}

/// Indices of every weight-matrix entry (not biases).
fn weight_indices(layout: &ParamLayout) -> impl Iterator<Item = usize> + '_ {
    layout
        .tensors
        .iter()
        .filter(|t| t.is_matrix())
        .flat_map(|t| t.range())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Mlp};

    fn layout() -> ParamLayout {
        Mlp::new(&[2, 4, 3], Activation::Tanh)
            .unwrap()
            .layout()
            .clone()
    }

    #[test]
    fn pruning_drops_the_smallest_weights_and_never_a_bias() {
        let layout = layout();
        let n = layout.num_params();
        // Weight magnitudes grow with the index; biases are tiny but stay.
        let params: Vec<f32> = (0..n).map(|i| i as f32 * 0.1 + 0.01).collect();
        let weights = 8 + 12;
        let mask = Mask::dense(n).prune_smallest(&params, &layout, 0.25, PruneScope::Global);
        assert_eq!(mask.weights_left(&layout), weights - 5);
        for t in &layout.tensors {
            if !t.is_matrix() {
                assert!(t.range().all(|i| mask.keep()[i]), "{} was pruned", t.name);
            }
        }
        // The five smallest weights are the first matrix's first five.
        let first = layout.tensors[0].range();
        assert!((first.start..first.start + 5).all(|i| !mask.keep()[i]));
        assert!((first.start + 5..first.end).all(|i| mask.keep()[i]));
    }

    #[test]
    fn per_layer_pruning_takes_the_same_share_of_each_matrix() {
        let layout = layout();
        let n = layout.num_params();
        let params: Vec<f32> = (0..n).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let mask = Mask::dense(n).prune_smallest(&params, &layout, 0.5, PruneScope::PerLayer);
        assert_eq!(mask.left_per_layer(&layout), vec![4, 6]);
        let again = mask.prune_smallest(&params, &layout, 0.5, PruneScope::PerLayer);
        assert_eq!(again.left_per_layer(&layout), vec![2, 3]);
        assert!(again.keep().iter().zip(mask.keep()).all(|(&a, &b)| !a || b));
    }

    #[test]
    fn a_random_mask_keeps_each_layers_count() {
        let layout = layout();
        let n = layout.num_params();
        let params: Vec<f32> = (0..n).map(|i| (i as f32).sin()).collect();
        let mask = Mask::dense(n).prune_smallest(&params, &layout, 0.6, PruneScope::Global);
        let random = mask.random_like(&layout, 3);
        assert_eq!(random.left_per_layer(&layout), mask.left_per_layer(&layout));
        assert_ne!(random, mask);
        let mut values = vec![1.0; n];
        random.apply(&mut values);
        assert_eq!(
            values.iter().filter(|&&v| v == 1.0).count(),
            random.keep().iter().filter(|&&k| k).count()
        );
    }
}
