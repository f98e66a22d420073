//! Hidden-layer nonlinearities, each with the derivative the backward pass needs.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr, VariantNames};

use crate::scalar::Scalar;
use crate::simd::{MulAdd, dispatched};

/// The nonlinearity between Linear layers, as in `nn.Sequential(Linear, Act, Linear, ...)`;
/// `iter()` lists them in menu order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    IntoStaticStr,
    VariantNames,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Activation {
    /// tanh: smooth, zero-centred, saturates at ±1.
    Tanh,
    /// max(0, x): piecewise linear, the default of modern networks.
    Relu,
    /// 1 / (1 + e^−x): the classic squashing function.
    Sigmoid,
    /// x Φ(x) with the exact normal CDF (PyTorch's default GELU).
    Gelu,
}

impl Activation {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Applies the activation in place.
    pub fn apply<T: Scalar>(self, values: &mut [T]) {
        apply_dispatched(self, values);
    }

    /// dL/dz from dL/dy for y = act(z), given both the input z and output y
    /// (whichever the derivative is cheaper in): tanh' = 1 − y²,
    /// relu' = [z > 0], sigmoid' = y (1 − y), gelu' = Φ(z) + z φ(z).
    pub fn backward<T: Scalar>(self, input: &[T], output: &[T], grad_out: &[T], grad_in: &mut [T]) {
        let one = T::one();
        match self {
            Activation::Tanh => {
                for ((g, &y), &d) in grad_in.iter_mut().zip(output).zip(grad_out) {
                    *g += d * (one - y * y);
                }
            }
            Activation::Relu => {
                for ((g, &z), &d) in grad_in.iter_mut().zip(input).zip(grad_out) {
                    if z > T::zero() {
                        *g += d;
                    }
                }
            }
            Activation::Sigmoid => {
                for ((g, &y), &d) in grad_in.iter_mut().zip(output).zip(grad_out) {
                    *g += d * y * (one - y);
                }
            }
            Activation::Gelu => {
                for ((g, &z), &d) in grad_in.iter_mut().zip(input).zip(grad_out) {
                    *g += d * gelu_derivative(z);
                }
            }
        }
    }
}

impl Activation {
    /// Adds `grad_out · act''(z) · tangent` to `out`: how the backward rule's
    /// factor act'(z) moves when z moves along `tangent` (for exact
    /// Hessian-vector products).
    pub fn second_order<T: Scalar>(
        self,
        input: &[T],
        output: &[T],
        grad_out: &[T],
        tangent: &[T],
        out: &mut [T],
    ) {
        let (one, two) = (T::one(), T::of(2.0));
        let terms = out
            .iter_mut()
            .zip(input)
            .zip(output)
            .zip(grad_out)
            .zip(tangent);
        match self {
            // tanh'' = −2 y (1 − y²).
            Activation::Tanh => terms.for_each(|((((o, _), &y), &d), &t)| {
                *o -= two * d * y * (one - y * y) * t;
            }),
            // Piecewise linear: no curvature off the kink.
            Activation::Relu => {}
            // σ'' = σ (1 − σ)(1 − 2σ).
            Activation::Sigmoid => terms.for_each(|((((o, _), &y), &d), &t)| {
                *o += d * y * (one - y) * (one - two * y) * t;
            }),
            // (Φ + z φ)' = φ (2 − z²).
            Activation::Gelu => terms.for_each(|((((o, &z), _), &d), &t)| {
                let pdf =
                    (-T::of(0.5) * z * z).exp() * T::of(1.0 / (2.0 * std::f64::consts::PI).sqrt());
                *o += d * pdf * (two - z * z) * t;
            }),
        }
    }
}

impl FromStr for Activation {
    type Err = String;
    /// Any case, surrounding spaces ignored; the error lists the names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::choice::parse_choice(s, "activation")
    }
}

dispatched! {
    /// [`Activation::apply`], compiled for each SIMD level.
    fn apply_dispatched<T: Scalar>(activation: Activation, values: &mut [T]) => apply_at
}

// `M` only gives the body the dispatch's shape: what matters is that the
// loops below are compiled inside each version, with its instructions.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn apply_at<T: Scalar, M: MulAdd>(activation: Activation, values: &mut [T]) {
    match activation {
        // Dispatched on its own (f32's is a polynomial with multiply-adds).
        Activation::Tanh => T::tanh_in_place(values),
        Activation::Relu => values.iter_mut().for_each(|v| *v = relu(*v)),
        Activation::Sigmoid => values.iter_mut().for_each(|v| *v = sigmoid(*v)),
        Activation::Gelu => values.iter_mut().for_each(|v| *v = gelu(*v)),
    }
}

fn relu<T: Scalar>(z: T) -> T {
    // NaN must propagate (max would swallow it and hide a divergence).
    if z > T::zero() || z.is_nan() {
        z
    } else {
        T::zero()
    }
}

/// Logistic sigmoid, computed without overflow for large |z|.
pub fn sigmoid<T: Scalar>(z: T) -> T {
    if z >= T::zero() {
        T::one() / (T::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::one() + e)
    }
}

fn gelu<T: Scalar>(z: T) -> T {
    let half = T::of(0.5);
    half * z * (T::one() + (z * T::of(std::f64::consts::FRAC_1_SQRT_2)).erf())
}

fn gelu_derivative<T: Scalar>(z: T) -> T {
    let half = T::of(0.5);
    let cdf = half * (T::one() + (z * T::of(std::f64::consts::FRAC_1_SQRT_2)).erf());
    let pdf = (-half * z * z).exp() * T::of(1.0 / (2.0 * std::f64::consts::PI).sqrt());
    cdf + z * pdf
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn derivatives_match_central_differences() {
        let points = [-3.1, -1.0, -0.2, 0.3, 0.9, 2.5];
        for act in Activation::iter() {
            for &z in &points {
                let h = 1e-6;
                let f = |v: f64| {
                    let mut a = [v];
                    act.apply(&mut a);
                    a[0]
                };
                let numeric = (f(z + h) - f(z - h)) / (2.0 * h);
                let mut grad = [0.0];
                act.backward(&[z], &[f(z)], &[1.0], &mut grad);
                assert!(
                    (grad[0] - numeric).abs() < 1e-8,
                    "{act} at {z}: analytic {} vs numeric {numeric}",
                    grad[0]
                );
            }
        }
    }

    #[test]
    fn second_derivatives_match_central_differences_of_the_first() {
        let points = [-3.1, -1.0, -0.2, 0.3, 0.9, 2.5];
        for act in Activation::iter() {
            for &z in &points {
                let slope = |v: f64| {
                    let mut y = [v];
                    act.apply(&mut y);
                    let mut g = [0.0];
                    act.backward(&[v], &y, &[1.0], &mut g);
                    g[0]
                };
                let h = 1e-6;
                let numeric = (slope(z + h) - slope(z - h)) / (2.0 * h);
                let mut y = [z];
                act.apply(&mut y);
                // grad_out 0.7 and tangent −1.3 scale the product.
                let mut out = [0.25];
                act.second_order(&[z], &y, &[0.7], &[-1.3], &mut out);
                let analytic = (out[0] - 0.25) / (0.7 * -1.3);
                assert!(
                    (analytic - numeric).abs() < 1e-7,
                    "{act} at {z}: analytic {analytic} vs numeric {numeric}"
                );
            }
        }
    }

    #[test]
    fn known_values() {
        let mut v = [1.0f64, -1.0, 0.0];
        Activation::Gelu.apply(&mut v);
        assert!((v[0] - 0.841_344_746_068_542_9).abs() < 1e-12);
        assert!((v[1] + 0.158_655_253_931_457_05).abs() < 1e-12);
        assert!(sigmoid(-1000.0f64) >= 0.0 && sigmoid(1000.0f64) == 1.0);
        assert!(relu(f64::NAN).is_nan());
        assert_eq!("ReLU".parse::<Activation>(), Ok(Activation::Relu));
        assert!("swish".parse::<Activation>().is_err());
    }
}
