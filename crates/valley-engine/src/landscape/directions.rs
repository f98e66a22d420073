//! Directions to slice along.
//!
//! A random direction in a network's parameter space says little on its own:
//! rescaling a layer's weights leaves a ReLU network's function unchanged but
//! stretches the landscape. Li et al. (2018) therefore normalise each filter
//! (each neuron's row of incoming weights) of a random direction to the norm
//! of the same row of the weights, and leave biases out.

use std::fmt;
use std::str::FromStr;

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::nn::{ParamLayout, seeded_rng};

/// How a slice direction is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectionKind {
    /// Independent standard normal entries.
    Gaussian,
    /// Gaussian, then each weight row rescaled to that row's norm in the
    /// parameters, bias entries zero (Li et al. 2018).
    Filter,
    /// One parameter alone: a unit vector along the given flat index.
    Axis(usize),
}

/// A direction that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DirectionError {
    /// Axis index past the parameter count.
    #[error("parameter index {index} is out of range: the model has {count} parameters")]
    AxisOutOfRange {
        /// Requested index.
        index: usize,
        /// Parameter count.
        count: usize,
    },
    /// The direction is all zeros (e.g. a filter-normalised direction of a zero model).
    #[error("the direction is zero everywhere, so it spans no slice")]
    Zero,
    /// Non-finite entries.
    #[error("the direction has non-finite entries")]
    NonFinite,
}

impl fmt::Display for DirectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectionKind::Gaussian => f.write_str("gaussian"),
            DirectionKind::Filter => f.write_str("filter"),
            DirectionKind::Axis(i) => write!(f, "axis {i}"),
        }
    }
}

impl FromStr for DirectionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gaussian" | "random" => Ok(DirectionKind::Gaussian),
            "filter" | "filter-normalized" | "filter-normalised" => Ok(DirectionKind::Filter),
            other => other
                .strip_prefix("axis")
                .and_then(|i| i.trim_start_matches([':', ' ', '=']).parse().ok())
                .map(DirectionKind::Axis)
                .ok_or_else(|| format!("unknown direction '{s}': use gaussian, filter or axis:N")),
        }
    }
}

/// A direction with independent N(0, 1) entries.
pub fn gaussian_direction(num_params: usize, seed: u64) -> Vec<f32> {
    let mut rng = seeded_rng(seed);
    (0..num_params)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect()
}

/// A unit vector along one parameter.
pub fn axis_direction(num_params: usize, index: usize) -> Result<Vec<f32>, DirectionError> {
    if index >= num_params {
        return Err(DirectionError::AxisOutOfRange {
            index,
            count: num_params,
        });
    }
    let mut d = vec![0.0; num_params];
    d[index] = 1.0;
    Ok(d)
}

/// Rescales every row of every weight matrix of `direction` to the norm of
/// the same row of `params`; zeroes vectors (biases), as Li et al. do.
pub fn filter_normalize(direction: &mut [f32], params: &[f32], layout: &ParamLayout) {
    assert_eq!(
        direction.len(),
        params.len(),
        "direction and parameters differ in length"
    );
    for tensor in &layout.tensors {
        let range = tensor.range();
        if !tensor.is_matrix() {
            direction[range].fill(0.0);
            continue;
        }
        let cols = tensor.shape[1].max(1);
        for (d_row, p_row) in direction[range.clone()]
            .chunks_mut(cols)
            .zip(params[range].chunks(cols))
        {
            let d_norm = norm(d_row);
            let p_norm = norm(p_row);
            let scale = if d_norm > 0.0 { p_norm / d_norm } else { 0.0 };
            d_row
                .iter_mut()
                .for_each(|d| *d = (f64::from(*d) * scale) as f32);
        }
    }
}

fn norm(values: &[f32]) -> f64 {
    values
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt()
}

/// A direction of the given kind for a model at `params`.
///
/// Layouts without weight matrices (a formula surface's `x`, `y`) have
/// nothing to filter-normalise; there a filter direction is a Gaussian one
/// scaled to the parameters' norm.
pub fn make_direction(
    kind: DirectionKind,
    layout: &ParamLayout,
    params: &[f32],
    seed: u64,
) -> Result<Vec<f32>, DirectionError> {
    let n = layout.num_params();
    let direction = match kind {
        DirectionKind::Gaussian => gaussian_direction(n, seed),
        DirectionKind::Axis(index) => axis_direction(n, index)?,
        DirectionKind::Filter => {
            let mut d = gaussian_direction(n, seed);
            if layout.tensors.iter().any(|t| t.is_matrix()) {
                filter_normalize(&mut d, params, layout);
            } else {
                let scale = norm(params) / norm(&d).max(f64::MIN_POSITIVE);
                d.iter_mut()
                    .for_each(|v| *v = (f64::from(*v) * scale) as f32);
            }
            d
        }
    };
    check_direction(&direction)?;
    Ok(direction)
}

/// A direction must be finite and not all zero.
pub(super) fn check_direction(direction: &[f32]) -> Result<(), DirectionError> {
    if direction.iter().any(|v| !v.is_finite()) {
        return Err(DirectionError::NonFinite);
    }
    if direction.iter().all(|&v| v == 0.0) {
        return Err(DirectionError::Zero);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Init, Mlp};

    #[test]
    fn filter_rows_match_weight_rows_and_biases_are_zero() {
        let mlp = Mlp::new(&[3, 5, 4, 2], Activation::Relu).expect("valid");
        let params = mlp.init(Init::Torch, 3);
        let d = make_direction(DirectionKind::Filter, mlp.layout(), &params, 9).expect("direction");
        for tensor in &mlp.layout().tensors {
            let range = tensor.range();
            if tensor.is_matrix() {
                let cols = tensor.shape[1];
                for (dr, pr) in d[range.clone()]
                    .chunks(cols)
                    .zip(params[range].chunks(cols))
                {
                    let (dn, pn) = (norm(dr), norm(pr));
                    assert!((dn - pn).abs() < 1e-5 * pn, "{}: {dn} vs {pn}", tensor.name);
                }
            } else {
                assert!(
                    d[range].iter().all(|&v| v == 0.0),
                    "{} not zero",
                    tensor.name
                );
            }
        }
        // Reproducible from the seed, different across seeds.
        assert_eq!(
            d,
            make_direction(DirectionKind::Filter, mlp.layout(), &params, 9).expect("d")
        );
        assert_ne!(
            d,
            make_direction(DirectionKind::Filter, mlp.layout(), &params, 10).expect("d")
        );
    }

    #[test]
    fn gaussian_has_unit_variance() {
        let d = gaussian_direction(100_000, 1);
        let mean = d.iter().map(|&v| f64::from(v)).sum::<f64>() / d.len() as f64;
        let var = d
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / d.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "mean {mean} var {var}"
        );
    }

    #[test]
    fn axes_and_errors() {
        assert_eq!(axis_direction(3, 1), Ok(vec![0.0, 1.0, 0.0]));
        assert_eq!(
            axis_direction(3, 3),
            Err(DirectionError::AxisOutOfRange { index: 3, count: 3 })
        );
        let mlp = Mlp::new(&[2, 2], Activation::Tanh).expect("valid");
        let zeros = vec![0.0; mlp.num_params()];
        assert_eq!(
            make_direction(DirectionKind::Filter, mlp.layout(), &zeros, 1),
            Err(DirectionError::Zero)
        );
        assert_eq!("axis:4".parse(), Ok(DirectionKind::Axis(4)));
        assert_eq!("Filter".parse(), Ok(DirectionKind::Filter));
        assert!("sideways".parse::<DirectionKind>().is_err());
    }
}
