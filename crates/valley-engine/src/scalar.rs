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

use crate::simd::{MulAdd, dispatched};

#[cfg(target_arch = "x86_64")]
mod x86_tanh;
#[cfg(target_arch = "x86_64")]
pub(crate) use x86_tanh::tanh16;

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
    + faer::traits::ComplexField
    + faer::traits::Conjugate<Canonical = Self>
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
    /// `x <- e^x` for every element.
    fn exp_in_place(values: &mut [Self]);
    /// `x <- ln x` for every element.
    fn ln_in_place(values: &mut [Self]);
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
    fn exp_in_place(values: &mut [Self]) {
        for v in values {
            *v = v.exp();
        }
    }
    fn ln_in_place(values: &mut [Self]) {
        for v in values {
            *v = v.ln();
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
        tanh_f32(values);
    }
    fn exp_in_place(values: &mut [Self]) {
        exp_f32(values);
    }
    fn ln_in_place(values: &mut [Self]) {
        ln_f32(values);
    }
}

/// e^x for `f32`, branch-free so loops over it vectorise (Cephes `expf`:
/// x = n ln 2 + r, a degree-5 polynomial for e^r, 2^n from the exponent bits).
/// Within 2 ulp on [−87, 88]; below it returns about 1e-38 instead of 0,
/// which a softmax cannot tell apart.
// Coefficients as published, even where f32 cannot hold every digit.
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn fast_exp<M: MulAdd>(x: f32) -> f32 {
    let fma = M::mul_add::<f32>;
    let c = x.clamp(-87.0, 88.0);
    let n = fma(c, std::f32::consts::LOG2_E, 0.5).floor();
    let r = fma(n, -0.693_359_4, c);
    let r = fma(n, 2.121_944_4e-4, r);
    let mut p = 1.987_569_1e-4;
    p = fma(p, r, 1.398_199_9e-3);
    p = fma(p, r, 8.333_452e-3);
    p = fma(p, r, 4.166_579_6e-2);
    p = fma(p, r, 1.666_666_5e-1);
    p = fma(p, r, 5.000_000_1e-1);
    let e = fma(p, r * r, r) + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    if x.is_nan() {
        x
    } else if x > 88.72 {
        f32::INFINITY
    } else {
        e * scale
    }
}

/// ln x for `f32`, branch-free (Cephes `logf`: x = m 2^e with m in
/// [√½, √2), a degree-9 polynomial in m − 1). Within 2 ulp for positive
/// x, subnormals included; 0, negatives, NaN and ∞ give what `f32::ln` gives.
// Coefficients as published, even where f32 cannot hold every digit.
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn fast_ln<M: MulAdd>(x: f32) -> f32 {
    let fma = M::mul_add::<f32>;
    // Subnormals are scaled into the normal range first; everything is a
    // select rather than a branch, so the loop still vectorises.
    let subnormal = x < f32::MIN_POSITIVE;
    let scaled = if subnormal { x * 8_388_608.0 } else { x };
    let bits = scaled.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 126 - if subnormal { 23 } else { 0 };
    let mantissa = f32::from_bits((bits & 0x807f_ffff) | 0x3f00_0000);
    let small = mantissa < std::f32::consts::FRAC_1_SQRT_2;
    let e = (exponent - i32::from(small)) as f32;
    let m = if small {
        mantissa + mantissa - 1.0
    } else {
        mantissa - 1.0
    };
    let z = m * m;
    let mut p = 7.037_683_6e-2;
    p = fma(p, m, -1.151_461e-1);
    p = fma(p, m, 1.167_699_9e-1);
    p = fma(p, m, -1.242_014_1e-1);
    p = fma(p, m, 1.424_932_3e-1);
    p = fma(p, m, -1.666_805_8e-1);
    p = fma(p, m, 2.000_071_4e-1);
    p = fma(p, m, -2.499_999_4e-1);
    p = fma(p, m, 3.333_333_1e-1);
    let mut y = p * m * z;
    y = fma(e, -2.121_944_4e-4, y);
    y = fma(z, -0.5, y);
    let result = fma(e, 0.693_359_4, m + y);
    if x > 0.0 && x < f32::INFINITY {
        result
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else {
        f32::NAN
    }
}

/// tanh's rational form (Eigen's float tanh): on |x| ≤ [`TANH_CLAMP`],
/// tanh x = x·P(x²) / Q(x²), within a few ulp. Both polynomials are listed
/// from the highest power down, in Horner order.
const TANH_CLAMP: f32 = 7.905_311;
// Coefficients as published, even where f32 cannot hold every digit.
#[allow(clippy::excessive_precision)]
const TANH_P: [f32; 7] = [
    -2.760_768_5e-16,
    2.000_187_9e-13,
    -8.604_671_5e-11,
    5.122_297e-8,
    1.485_722_4e-5,
    6.372_619_3e-4,
    4.893_524_6e-3,
];
#[allow(clippy::excessive_precision)]
const TANH_Q: [f32; 4] = [
    1.198_258_4e-6,
    1.185_347_1e-4,
    2.268_434_6e-3,
    4.893_525_2e-3,
];
/// Below this the rational form loses relative accuracy; tanh(x) = x there.
const TANH_LINEAR_BELOW: f32 = 4e-4;

/// tanh for `f32`, branch-free so loops over it vectorise.
#[inline(always)]
pub fn fast_tanh<M: MulAdd>(x: f32) -> f32 {
    // NaN must stay NaN so that a diverged run is noticed, not hidden.
    let c = x.clamp(-TANH_CLAMP, TANH_CLAMP);
    let x2 = c * c;
    let fma = M::mul_add::<f32>;
    let p = TANH_P[1..].iter().fold(TANH_P[0], |p, &a| fma(p, x2, a)) * c;
    let q = TANH_Q[1..].iter().fold(TANH_Q[0], |q, &b| fma(q, x2, b));
    let t = p / q;
    if c.abs() < TANH_LINEAR_BELOW { c } else { t }
}

/// `f32` tanh, e^x and ln over a slice, one loop each: compiled into each
/// [`dispatched`] version, where they vectorise with its instructions.
#[inline(always)]
fn tanh_loop<M: MulAdd>(values: &mut [f32]) {
    for v in values {
        *v = fast_tanh::<M>(*v);
    }
}

#[inline(always)]
fn exp_loop<M: MulAdd>(values: &mut [f32]) {
    for v in values {
        *v = fast_exp::<M>(*v);
    }
}

#[inline(always)]
fn ln_loop<M: MulAdd>(values: &mut [f32]) {
    for v in values {
        *v = fast_ln::<M>(*v);
    }
}

/// `f32` tanh over a slice: by explicit vectors with a reciprocal estimate
/// where the CPU has one (a vector division is a third of tanh's time),
/// else the loop above, vectorised by the compiler.
fn tanh_f32(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    match crate::simd::level() {
        // SAFETY: `level` reports these only where the CPU has them.
        crate::simd::Level::Avx512 => return unsafe { x86_tanh::avx512(values) },
        // SAFETY: as above.
        crate::simd::Level::Avx2Fma => return unsafe { x86_tanh::avx2(values) },
        crate::simd::Level::Baseline => {}
    }
    tanh_loop::<crate::simd::BaselineMulAdd>(values)
}
dispatched! { fn exp_f32(values: &mut [f32]) => exp_loop }
dispatched! { fn ln_f32(values: &mut [f32]) => ln_loop }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{Fused, Split};

    // Each kernel as both multiply-adds compute it, so every claim below
    // holds for the baseline's split path and the vector levels' fused one.
    fn fast_tanh(x: f32) -> [f32; 2] {
        [super::fast_tanh::<Split>(x), super::fast_tanh::<Fused>(x)]
    }

    fn fast_exp(x: f32) -> [f32; 2] {
        [super::fast_exp::<Split>(x), super::fast_exp::<Fused>(x)]
    }

    fn fast_ln(x: f32) -> [f32; 2] {
        [super::fast_ln::<Split>(x), super::fast_ln::<Fused>(x)]
    }

    #[test]
    fn fast_tanh_matches_std_to_a_few_ulp() {
        let mut x = -12.0f32;
        while x < 12.0 {
            let exact = f64::from(x).tanh();
            let ulp = f64::from(f32::EPSILON) * exact.abs().max(1e-30);
            for y in fast_tanh(x) {
                let err = (f64::from(y) - exact).abs();
                assert!(err <= 4.0 * ulp, "tanh({x}): error {err:e} is over 4 ulp");
            }
            x += 1.37e-4;
        }
    }

    #[test]
    fn fast_exp_and_ln_match_std_to_a_few_ulp() {
        let mut x = -80.0f32;
        while x < 80.0 {
            let exact = f64::from(x).exp();
            for y in fast_exp(x) {
                let err = (f64::from(y) - exact).abs() / exact;
                assert!(
                    err <= 3.0 * f64::from(f32::EPSILON),
                    "exp({x}): relative error {err:e}"
                );
            }
            x += 0.0123;
        }
        // Stepping in f64 so the subnormal range (where ×1.013 rounds back
        // to the same f32) cannot stall the loop.
        let mut v = 1e-44f64;
        while v < 1e38 {
            let x = v as f32;
            let exact = f64::from(x).ln();
            for y in fast_ln(x) {
                let err = (f64::from(y) - exact).abs();
                assert!(
                    err <= 3.0 * f64::from(f32::EPSILON) * exact.abs().max(1.0),
                    "ln({x}): error {err:e}"
                );
            }
            v *= 1.013;
        }
        for k in 0..2 {
            assert!(fast_exp(f32::NAN)[k].is_nan() && fast_ln(f32::NAN)[k].is_nan());
            assert_eq!(fast_ln(0.0)[k], f32::NEG_INFINITY);
            assert!(fast_ln(-1.0)[k].is_nan());
            assert_eq!(fast_ln(f32::INFINITY)[k], f32::INFINITY);
            assert_eq!(fast_ln(1.0)[k], 0.0);
            assert!(fast_exp(-1000.0)[k] < 1e-37 && fast_exp(0.0)[k] == 1.0);
        }
    }

    #[test]
    fn fast_tanh_keeps_nan_and_saturates() {
        for k in 0..2 {
            assert!(fast_tanh(f32::NAN)[k].is_nan());
            assert!((fast_tanh(f32::INFINITY)[k] - 1.0).abs() <= 4.0 * f32::EPSILON);
            assert!((fast_tanh(f32::NEG_INFINITY)[k] + 1.0).abs() <= 4.0 * f32::EPSILON);
            assert_eq!(fast_tanh(0.0)[k], 0.0);
            assert_eq!(fast_tanh(1e-6)[k], 1e-6);
        }
    }

    #[test]
    fn erf_matches_known_values() {
        assert!((Scalar::erf(1.0f64) - 0.842_700_792_949_714_9).abs() < 1e-15);
        assert!((Scalar::erf(0.5f32) - 0.520_499_9).abs() < 1e-6);
    }
}
