//! [`super::columns`]'s f32 layer in explicit AVX-512, the landscape grid's
//! hot loop, with tanh applied to the sums while they are still in
//! registers.
//!
//! The portable tile leaves the example vectors to the compiler, which
//! folded them into every multiply-add as a memory operand: 20 loads and
//! six bounds checks for 16 multiply-adds, so the loads, not the two FMA
//! ports, set the pace. Here a step loads the 4 example vectors once and
//! broadcasts 4 weights: 8 loads for 16 multiply-adds, no checks.

use std::arch::x86_64::*;

use crate::scalar::tanh16;

/// Vectors of examples per tile, 16 examples each.
const VECTORS: usize = 4;
/// Examples per tile.
const WIDTH: usize = 16 * VECTORS;

/// `out = W · input + b`, then tanh if `tanh`, as
/// [`super::columns::dense_columns`] (whose checks have run: `stride` is a
/// multiple of 64 and every slice is long enough).
///
/// # Safety
/// The CPU must have AVX-512 F and DQ.
#[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
pub unsafe fn dense_columns(
    weight: &[f32],
    (m, k, stride): (usize, usize, usize),
    input: &[f32],
    bias: &[f32],
    tanh: bool,
    out: &mut [f32],
) {
    assert_eq!(stride % WIDTH, 0, "stride is whole tiles");
    assert!(weight.len() >= m * k && bias.len() >= m, "weight and bias");
    assert!(input.len() >= k * stride && out.len() >= m * stride);
    let layer = Layer {
        weight,
        k,
        input,
        stride,
        bias,
        tanh,
    };
    let mut j = 0;
    while j + 4 <= m {
        layer.tiles::<4>(j, out);
        j += 4;
    }
    while j < m {
        layer.tiles::<1>(j, out);
        j += 1;
    }
}

/// One layer's operands.
struct Layer<'a> {
    weight: &'a [f32],
    k: usize,
    input: &'a [f32],
    stride: usize,
    bias: &'a [f32],
    tanh: bool,
}

impl Layer<'_> {
    /// Output features `j..j + R`, every tile of examples.
    // Ranges, not iterators: every loop below is unrolled by its constant
    // bound, so the arrays of vectors live in registers.
    #[allow(clippy::needless_range_loop)]
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    fn tiles<const R: usize>(&self, j: usize, out: &mut [f32]) {
        let (k, stride) = (self.k, self.stride);
        let weights: [&[f32]; R] = std::array::from_fn(|r| &self.weight[(j + r) * k..][..k]);
        for col in (0..stride).step_by(WIDTH) {
            let mut acc = [[_mm512_setzero_ps(); VECTORS]; R];
            for r in 0..R {
                acc[r] = [_mm512_set1_ps(self.bias[j + r]); VECTORS];
            }
            let examples = &self.input[col..];
            for kk in 0..k {
                // SAFETY: `kk * stride + col + WIDTH <= k * stride`, checked
                // on entry; unaligned loads.
                let mut x = [_mm512_setzero_ps(); VECTORS];
                for c in 0..VECTORS {
                    x[c] = unsafe { _mm512_loadu_ps(examples.as_ptr().add(kk * stride + 16 * c)) };
                }
                for r in 0..R {
                    // SAFETY: `kk < k`, the row's length.
                    let w = _mm512_set1_ps(unsafe { *weights[r].get_unchecked(kk) });
                    for c in 0..VECTORS {
                        acc[r][c] = _mm512_fmadd_ps(w, x[c], acc[r][c]);
                    }
                }
            }
            for r in 0..R {
                let row = &mut out[(j + r) * stride + col..][..WIDTH];
                for c in 0..VECTORS {
                    let v = if self.tanh {
                        tanh16(acc[r][c])
                    } else {
                        acc[r][c]
                    };
                    // SAFETY: the row holds WIDTH = 16 * VECTORS values.
                    unsafe { _mm512_storeu_ps(row.as_mut_ptr().add(16 * c), v) };
                }
            }
        }
    }
}

/// `out = a · bᵀ` as [`super::columns::dots`] (whose checks have run): 4 × 4
/// pairs of rows at a time, 16 sums in flight, 8 loads for 16 multiply-adds.
///
/// # Safety
/// The CPU must have AVX-512 F and DQ.
#[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
pub unsafe fn dots(a: &[f32], b: &[f32], (m, k, stride): (usize, usize, usize), out: &mut [f32]) {
    assert_eq!(stride % 16, 0, "stride is whole vectors");
    assert!(a.len() >= m * stride && b.len() >= k * stride && out.len() >= m * k);
    let pairs = Pairs { a, b, k, stride };
    let mut o = 0;
    while o + 4 <= m {
        pairs.rows::<4>(o, out);
        o += 4;
    }
    while o < m {
        pairs.rows::<1>(o, out);
        o += 1;
    }
}

/// The operands of [`dots`].
struct Pairs<'a> {
    a: &'a [f32],
    b: &'a [f32],
    k: usize,
    stride: usize,
}

impl Pairs<'_> {
    /// Rows `o..o + P` of `a` against every row of `b`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    fn rows<const P: usize>(&self, o: usize, out: &mut [f32]) {
        let mut i = 0;
        while i + 4 <= self.k {
            self.tile::<P, 4>(o, i, out);
            i += 4;
        }
        while i < self.k {
            self.tile::<P, 1>(o, i, out);
            i += 1;
        }
    }

    #[allow(clippy::needless_range_loop)]
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    fn tile<const P: usize, const Q: usize>(&self, o: usize, i: usize, out: &mut [f32]) {
        let stride = self.stride;
        let mut acc = [[_mm512_setzero_ps(); Q]; P];
        for col in (0..stride).step_by(16) {
            let mut xa = [_mm512_setzero_ps(); P];
            let mut xb = [_mm512_setzero_ps(); Q];
            for p in 0..P {
                // SAFETY: `(o + P) * stride <= a.len()`, `col + 16 <= stride`.
                xa[p] = unsafe { _mm512_loadu_ps(self.a.as_ptr().add((o + p) * stride + col)) };
            }
            for q in 0..Q {
                // SAFETY: as above, for `b`.
                xb[q] = unsafe { _mm512_loadu_ps(self.b.as_ptr().add((i + q) * stride + col)) };
            }
            for p in 0..P {
                for q in 0..Q {
                    acc[p][q] = _mm512_fmadd_ps(xa[p], xb[q], acc[p][q]);
                }
            }
        }
        for p in 0..P {
            for q in 0..Q {
                out[(o + p) * self.k + i + q] = _mm512_reduce_add_ps(acc[p][q]);
            }
        }
    }
}
