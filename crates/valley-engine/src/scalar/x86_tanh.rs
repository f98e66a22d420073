//! [`super::fast_tanh`] in explicit AVX-512 and AVX2 vectors, with the
//! quotient P/Q taken from the CPU's reciprocal estimate instead of a
//! division. A vector division occupies the divider for 8–16 cycles, which
//! made it the bottleneck of tanh; the estimate takes one instruction, and
//! a correction step with two fused multiply-adds (Markstein's: t = t₀ +
//! r·(p − q·t₀), its residual exact under FMA) brings the quotient to within
//! rounding of p/q. The compiler cannot do this rewrite itself: it changes
//! the last bit of a few results.

use std::arch::x86_64::*;

use super::{TANH_CLAMP, TANH_LINEAR_BELOW, TANH_P, TANH_Q, fast_tanh};
use crate::simd::Fused;

/// tanh of every element, sixteen at a time.
///
/// # Safety
/// The CPU must have AVX-512 F and DQ.
#[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
pub unsafe fn avx512(values: &mut [f32]) {
    let mut chunks = values.chunks_exact_mut(16);
    for chunk in &mut chunks {
        // SAFETY: the chunk holds 16 f32; unaligned loads and stores.
        unsafe {
            let x = _mm512_loadu_ps(chunk.as_ptr());
            _mm512_storeu_ps(chunk.as_mut_ptr(), tanh16(x));
        }
    }
    for v in chunks.into_remainder() {
        *v = fast_tanh::<Fused>(*v);
    }
}

/// tanh of 16 lanes: 18 vector instructions, where a division and the
/// blend of the linear range took 20 (tanh is a third of a landscape
/// grid's time).
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
pub(crate) fn tanh16(x: __m512) -> __m512 {
    // min and max return their second operand when either is NaN: a NaN
    // input passes through the clamp and poisons the result, as it must.
    // (`range`, one instruction for both, returns the bound for a NaN.)
    let c = _mm512_max_ps(
        _mm512_set1_ps(-TANH_CLAMP),
        _mm512_min_ps(_mm512_set1_ps(TANH_CLAMP), x),
    );
    let x2 = _mm512_mul_ps(c, c);
    let mut p = _mm512_set1_ps(TANH_P[0]);
    for &a in &TANH_P[1..] {
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(a));
    }
    let p = _mm512_mul_ps(p, c);
    let mut q = _mm512_set1_ps(TANH_Q[0]);
    for &b in &TANH_Q[1..] {
        q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(b));
    }
    // The lanes where tanh x = x, found from x² (no separate |x|).
    let rational = _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(
        x2,
        _mm512_set1_ps(TANH_LINEAR_BELOW * TANH_LINEAR_BELOW),
    );
    // q ≥ 4.9e-3 on the clamped range: no zero, infinity or subnormal for
    // the estimate (relative error < 2⁻¹⁴) to meet. The linear lanes take
    // c in the first product and keep it through the correction.
    let r = _mm512_rcp14_ps(q);
    let t0 = _mm512_mask_mul_ps(c, rational, p, r);
    let residual = _mm512_fnmadd_ps(q, t0, p);
    _mm512_mask3_fmadd_ps(r, residual, t0, rational)
}

/// tanh of every element, eight at a time.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn avx2(values: &mut [f32]) {
    let mut chunks = values.chunks_exact_mut(8);
    for chunk in &mut chunks {
        // SAFETY: the chunk holds 8 f32; unaligned loads and stores.
        unsafe {
            let x = _mm256_loadu_ps(chunk.as_ptr());
            _mm256_storeu_ps(chunk.as_mut_ptr(), tanh8(x));
        }
    }
    for v in chunks.into_remainder() {
        *v = fast_tanh::<Fused>(*v);
    }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
fn tanh8(x: __m256) -> __m256 {
    let c = _mm256_max_ps(
        _mm256_set1_ps(-TANH_CLAMP),
        _mm256_min_ps(_mm256_set1_ps(TANH_CLAMP), x),
    );
    let x2 = _mm256_mul_ps(c, c);
    let mut p = _mm256_set1_ps(TANH_P[0]);
    for &a in &TANH_P[1..] {
        p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(a));
    }
    let p = _mm256_mul_ps(p, c);
    let mut q = _mm256_set1_ps(TANH_Q[0]);
    for &b in &TANH_Q[1..] {
        q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(b));
    }
    // AVX2's estimate has only 12 bits: one Newton step on it first.
    let r0 = _mm256_rcp_ps(q);
    let r = _mm256_fmadd_ps(r0, _mm256_fnmadd_ps(q, r0, _mm256_set1_ps(1.0)), r0);
    let t0 = _mm256_mul_ps(p, r);
    let residual = _mm256_fnmadd_ps(q, t0, p);
    let t = _mm256_fmadd_ps(r, residual, t0);
    let abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0), c);
    let linear = _mm256_cmp_ps::<_CMP_LT_OQ>(abs, _mm256_set1_ps(TANH_LINEAR_BELOW));
    _mm256_blendv_ps(t, c, linear)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every level's vector tanh against f64 tanh, and against p/q itself.
    #[test]
    fn vector_tanh_matches_std_and_the_division() {
        let mut xs: Vec<f32> = Vec::new();
        let mut x = -12.0f32;
        while x < 12.0 {
            xs.push(x);
            x += 1.37e-4;
        }
        xs.extend([
            0.0,
            -0.0,
            1e-6,
            -3e-4,
            4e-4,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]);
        let mut runs: Vec<(&str, Vec<f32>)> = Vec::new();
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq") {
            let mut v = xs.clone();
            // SAFETY: checked just above.
            unsafe { avx512(&mut v) };
            runs.push(("avx512", v));
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            let mut v = xs.clone();
            // SAFETY: checked just above.
            unsafe { avx2(&mut v) };
            runs.push(("avx2", v));
        }
        for (name, ys) in &runs {
            let mut differ = 0;
            for (&x, &y) in xs.iter().zip(ys) {
                let exact = f64::from(x).tanh();
                let ulp = f64::from(f32::EPSILON) * exact.abs().max(1e-30);
                let err = (f64::from(y) - exact).abs();
                assert!(err <= 4.0 * ulp, "{name} tanh({x}) = {y}: error {err:e}");
                let divided = fast_tanh::<Fused>(x);
                assert!(
                    (y - divided).abs() <= f32::EPSILON * divided.abs(),
                    "{name} tanh({x}): {y} vs the division's {divided}"
                );
                differ += usize::from(y != divided);
            }
            // Nearly always the very bits of the division (0.3 % differ
            // in the last bit here).
            assert!(
                differ * 100 < xs.len(),
                "{name}: {differ} of {} differ",
                xs.len()
            );
        }
        for (name, _) in &runs {
            let mut nan = vec![f32::NAN; 17];
            nan[3] = 0.5;
            if *name == "avx512" {
                // SAFETY: this run exists only where the CPU has AVX-512.
                unsafe { avx512(&mut nan) };
            } else {
                // SAFETY: this run exists only where the CPU has AVX2.
                unsafe { avx2(&mut nan) };
            }
            assert!(
                nan.iter().enumerate().all(|(i, v)| (i == 3) != v.is_nan()),
                "{name}: NaN stays NaN"
            );
        }
    }
}
