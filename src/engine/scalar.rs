//! The floating-point types the engine computes in.
//!
//! Training and landscapes run in `f32` for speed; gradient checks and
//! reference comparisons run the very same code in `f64`. The few
//! elementwise kernels whose speed matters (tanh on every hidden unit of
//! every landscape point) get a type-specific implementation here.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::Float;

/// A float the engine can train and evaluate in: `f32` or `f64`.
pub trait Scalar:
    Float
    + LinalgScalar
    + ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
{
    /// Converts from `f64`, rounding to the nearest representable value.
    fn of(value: f64) -> Self;
    /// Widens to `f64` (exact).
    fn to_f64_lossless(self) -> f64;
    /// The error function, for exact (erf-based) GELU as PyTorch computes it.
    fn erf(self) -> Self;
    /// `x <- tanh(x)` for every element.
    fn tanh_in_place(values: &mut [Self]);
}

impl Scalar for f64 {
    fn of(value: f64) -> Self {
        value
    }
    fn to_f64_lossless(self) -> f64 {
        self
    }
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn tanh_in_place(values: &mut [Self]) {
        for v in values {
            *v = v.tanh();
        }
    }
}

impl Scalar for f32 {
    fn of(value: f64) -> Self {
        value as f32
    }
    fn to_f64_lossless(self) -> f64 {
        f64::from(self)
    }
    fn erf(self) -> Self {
        libm::erff(self)
    }
    fn tanh_in_place(values: &mut [Self]) {
        for v in values {
            *v = fast_tanh(*v);
        }
    }
}

/// tanh for `f32` as a branch-free rational function that the compiler
/// vectorises: Eigen's `generic_fast_tanh_float` (13/6 minimax rational on
/// [-9, 9]), within a few ulp of the correctly rounded result. The standard
/// library's scalar `tanhf` would make tanh, not matrix work, the bottleneck
/// of a landscape grid (about 0.65 G evaluations for 101 × 101 points).
#[inline(always)]
pub fn fast_tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_671_5e-11;
    const A11: f32 = 2.000_187_9e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525_2e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    // NaN must stay NaN so that a diverged run is noticed, not hidden.
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = A13;
    p = p * x2 + A11;
    p = p * x2 + A9;
    p = p * x2 + A7;
    p = p * x2 + A5;
    p = p * x2 + A3;
    p = p * x2 + A1;
    p *= c;
    let mut q = B6;
    q = q * x2 + B4;
    q = q * x2 + B2;
    q = q * x2 + B0;
    let t = p / q;
    // Below this the rational form loses relative accuracy; tanh(x) = x there.
    if c.abs() < 4e-4 { c } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_matches_std_to_a_few_ulp() {
        let mut x = -12.0f32;
        while x < 12.0 {
            let exact = f64::from(x).tanh();
            let err = (f64::from(fast_tanh(x)) - exact).abs();
            let ulp = f64::from(f32::EPSILON) * exact.abs().max(1e-30);
            assert!(err <= 4.0 * ulp, "tanh({x}): error {err:e} is over 4 ulp");
            x += 1.37e-4;
        }
    }

    #[test]
    fn fast_tanh_keeps_nan_and_saturates() {
        assert!(fast_tanh(f32::NAN).is_nan());
        assert_eq!(fast_tanh(f32::INFINITY), 1.0);
        assert_eq!(fast_tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(fast_tanh(0.0), 0.0);
        assert_eq!(fast_tanh(1e-6), 1e-6);
    }

    #[test]
    fn erf_matches_known_values() {
        assert!((Scalar::erf(1.0f64) - 0.842_700_792_949_714_9).abs() < 1e-15);
        assert!((Scalar::erf(0.5f32) - 0.520_499_9).abs() < 1e-6);
    }
}
