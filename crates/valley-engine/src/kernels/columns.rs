//! The dense layer with the examples across the vector lanes: activations
//! stored feature-major (`[features, examples]`), so one vector holds one
//! feature of 16 (AVX-512, f32) consecutive examples.
//!
//! This is the layout of the tape-free loss, which a landscape grid runs
//! ten thousand times. Compared with [`super::dense`] (examples by row):
//! - every lane does useful work whatever a layer's width, where a
//!   two-logit output padded to a vector wasted three quarters of its lanes;
//! - the weights are read as stored (`[out, in]`, each a broadcast scalar),
//!   with no transposed copy to lay out for every parameter vector;
//! - a tile of 4 output features × 4 vectors of examples keeps 16 sums in
//!   flight and loads 8 operands for every 16 multiply-adds, where the
//!   row-major tile loaded 12 for 8.

#[cfg(target_arch = "x86_64")]
use std::any::TypeId;

use super::activation::Activation;
use crate::scalar::Scalar;
use crate::simd::{Level, MulAdd, dispatched, level};

/// Example columns are padded to a multiple of this, a whole number of the
/// widest tile at every level.
pub const COLUMN_ALIGN: usize = 64;

/// `examples` rounded up to whole tiles.
pub fn padded_columns(examples: usize) -> usize {
    examples.div_ceil(COLUMN_ALIGN) * COLUMN_ALIGN
}

/// Copies `x` `[rows, cols]` (row-major, rows `x_stride` apart) into `out`
/// as `[cols, stride]`, with zeros in the padding columns `rows..stride`.
pub fn transpose_into<T: Scalar>(
    x: &[T],
    (rows, cols, x_stride): (usize, usize, usize),
    stride: usize,
    out: &mut Vec<T>,
) {
    assert!(stride >= rows, "stride holds every example");
    assert!(
        rows == 0 || x.len() >= (rows - 1) * x_stride + cols,
        "x is [rows, cols]"
    );
    out.clear();
    out.resize(cols * stride, T::zero());
    for (r, row) in x.chunks(x_stride.max(1)).take(rows).enumerate() {
        for (c, &v) in row[..cols].iter().enumerate() {
            out[c * stride + r] = v;
        }
    }
}

/// `out = act(W · input + b)` for `weight` `[m, k]` (row-major, as a
/// model stores it), `input` `[k, stride]` and `out` `[m, stride]`
/// (`shape` is `(m, k, stride)`, `stride` a multiple of [`COLUMN_ALIGN`]),
/// `bias` of length `m`. `activation = None` leaves the affine output (the
/// last layer's logits). Padding columns are computed like the others:
/// whatever they hold stays in them.
pub fn dense_columns<T: Scalar>(
    weight: &[T],
    shape: (usize, usize, usize),
    input: &[T],
    bias: &[T],
    activation: Option<Activation>,
    out: &mut [T],
) {
    check_shapes(weight, shape, input, bias, out);
    #[cfg(target_arch = "x86_64")]
    if level() == Level::Avx512
        && let (Some(weight), Some(input), Some(bias), Some(out)) =
            (as_f32(weight), as_f32(input), as_f32(bias), as_f32_mut(out))
    {
        let tanh = activation == Some(Activation::Tanh);
        // SAFETY: `level` reports AVX-512 (F, DQ and more) only where the
        // CPU has it.
        unsafe { super::columns_avx512::dense_columns(weight, shape, input, bias, tanh, out) };
        if let Some(act) = activation.filter(|_| !tanh) {
            act.apply(&mut out[..shape.0 * shape.2]);
        }
        return;
    }
    dense_columns_portable(weight, shape, input, bias, activation, out);
}

/// The slice as `f32`s, when `T` is `f32`.
#[cfg(target_arch = "x86_64")]
fn as_f32<T: Scalar>(values: &[T]) -> Option<&[f32]> {
    (TypeId::of::<T>() == TypeId::of::<f32>())
        // SAFETY: `T` is `f32`: same layout, same length.
        .then(|| unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), values.len()) })
}

/// [`as_f32`], mutable.
#[cfg(target_arch = "x86_64")]
fn as_f32_mut<T: Scalar>(values: &mut [T]) -> Option<&mut [f32]> {
    (TypeId::of::<T>() == TypeId::of::<f32>())
        // SAFETY: `T` is `f32`: same layout, same length, and the borrow
        // is moved into the result.
        .then(|| unsafe {
            std::slice::from_raw_parts_mut(values.as_mut_ptr().cast(), values.len())
        })
}

/// The operands' shapes, as [`dense_columns`] documents them (checked once,
/// before a kernel is picked).
fn check_shapes<T>(
    weight: &[T],
    (m, k, stride): (usize, usize, usize),
    input: &[T],
    bias: &[T],
    out: &[T],
) {
    assert_eq!(stride % COLUMN_ALIGN, 0, "stride is whole tiles");
    assert_eq!(weight.len(), m * k, "weight is [m, k]");
    assert_eq!(bias.len(), m, "one bias per output");
    assert!(input.len() >= k * stride, "input is [k, stride]");
    assert!(out.len() >= m * stride, "out is [m, stride]");
}

dispatched! {
    /// [`dense_columns`] in portable code, compiled for each level.
    fn dense_columns_portable<T: Scalar>(
        weight: &[T],
        shape: (usize, usize, usize),
        input: &[T],
        bias: &[T],
        activation: Option<Activation>,
        out: &mut [T],
    ) => dense_columns_at
}

#[inline(always)]
fn dense_columns_at<T: Scalar, M: MulAdd>(
    weight: &[T],
    (m, k, stride): (usize, usize, usize),
    input: &[T],
    bias: &[T],
    activation: Option<Activation>,
    out: &mut [T],
) {
    let layer = Layer {
        weight,
        k,
        input,
        stride,
        bias,
    };
    // The tile's width in bytes: 4 vectors at each level, 16 sums in flight
    // where there are 32 registers (AVX-512), 8 where there are 16.
    let wide = std::mem::size_of::<T>() == 4;
    match (level(), wide) {
        (Level::Avx512, true) => layer.rows::<M, 4, 64>(m, out),
        (Level::Avx512, false) => layer.rows::<M, 4, 32>(m, out),
        (Level::Avx2Fma, true) => layer.rows::<M, 4, 16>(m, out),
        (Level::Avx2Fma, false) => layer.rows::<M, 4, 8>(m, out),
        (Level::Baseline, true) => layer.rows::<M, 4, 8>(m, out),
        (Level::Baseline, false) => layer.rows::<M, 4, 4>(m, out),
    }
    if let Some(act) = activation {
        act.apply(&mut out[..m * stride]);
    }
}

/// `out[o][i] = Σ_n a[o][n] · b[i][n]` (`out = a · bᵀ`) for `a`
/// `[m, stride]` and `b` `[k, stride]`, `out` `[m, k]`, `shape` being
/// `(m, k, stride)`, `stride` a multiple of [`COLUMN_ALIGN`]: a layer's
/// weight gradient `dZ · Aᵀ` from feature-major rows, each product a dot of
/// two contiguous rows (a general product packs the transposed operand
/// first, which took as long as the product).
pub fn dots<T: Scalar>(a: &[T], b: &[T], shape: (usize, usize, usize), out: &mut [T]) {
    let (m, k, stride) = shape;
    assert_eq!(stride % COLUMN_ALIGN, 0, "stride is whole tiles");
    assert!(a.len() >= m * stride && b.len() >= k * stride, "a and b");
    assert_eq!(out.len(), m * k, "out is [m, k]");
    #[cfg(target_arch = "x86_64")]
    if level() == Level::Avx512
        && let (Some(a), Some(b), Some(out)) = (as_f32(a), as_f32(b), as_f32_mut(out))
    {
        // SAFETY: `level` reports AVX-512 (F, DQ and more) only where the
        // CPU has it.
        unsafe { super::columns_avx512::dots(a, b, shape, out) };
        return;
    }
    dots_portable(a, b, shape, out);
}

dispatched! {
    /// [`dots`] in portable code, compiled for each level.
    fn dots_portable<T: Scalar>(
        a: &[T],
        b: &[T],
        shape: (usize, usize, usize),
        out: &mut [T],
    ) => dots_at
}

/// Σ of a row, in running sums that vectorise (a single running sum must
/// add in order, one element at a time). Sixteen, not the eight of
/// `loss::lane_sum`: the sums round differently, and a training run that
/// took the other rounding wandered into a region where it ran 30 % slower.
pub fn row_sum<T: Scalar>(row: &[T]) -> T {
    let mut lanes = [T::zero(); DOT_LANES];
    let chunks = row.chunks_exact(DOT_LANES);
    let tail = chunks.remainder().iter().fold(T::zero(), |s, &v| s + v);
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().fold(tail, |s, &v| s + v)
}

/// Sums in flight per pair of rows: one AVX-512 vector of f32.
const DOT_LANES: usize = 16;

#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn dots_at<T: Scalar, M: MulAdd>(
    a: &[T],
    b: &[T],
    (m, k, stride): (usize, usize, usize),
    out: &mut [T],
) {
    // 4 × 4 pairs of rows at a time: 8 rows read for 16 dots.
    const R: usize = 4;
    let mut o = 0;
    while o < m {
        let rows_a = R.min(m - o);
        let mut i = 0;
        while i < k {
            let rows_b = R.min(k - i);
            let mut acc = [[[T::zero(); DOT_LANES]; R]; R];
            for col in (0..stride).step_by(DOT_LANES) {
                let mut xa = [[T::zero(); DOT_LANES]; R];
                let mut xb = [[T::zero(); DOT_LANES]; R];
                for r in 0..rows_a {
                    xa[r].copy_from_slice(&a[(o + r) * stride + col..][..DOT_LANES]);
                }
                for r in 0..rows_b {
                    xb[r].copy_from_slice(&b[(i + r) * stride + col..][..DOT_LANES]);
                }
                for p in 0..R {
                    for q in 0..R {
                        for l in 0..DOT_LANES {
                            acc[p][q][l] = M::mul_add(xa[p][l], xb[q][l], acc[p][q][l]);
                        }
                    }
                }
            }
            for p in 0..rows_a {
                for q in 0..rows_b {
                    out[(o + p) * k + i + q] = acc[p][q].iter().fold(T::zero(), |s, &v| s + v);
                }
            }
            i += R;
        }
        o += R;
    }
}

/// One layer's operands.
#[derive(Clone, Copy)]
struct Layer<'a, T> {
    weight: &'a [T],
    k: usize,
    input: &'a [T],
    stride: usize,
    bias: &'a [T],
}

impl<T: Scalar> Layer<'_, T> {
    /// Every output feature, four at a time while there are four, in tiles
    /// `C` examples wide.
    #[inline(always)]
    fn rows<M: MulAdd, const R: usize, const C: usize>(&self, m: usize, out: &mut [T]) {
        let mut j = 0;
        while j + R <= m {
            self.tiles::<M, R, C>(j, out);
            j += R;
        }
        if m - j >= 4 {
            self.tiles::<M, 4, C>(j, out);
            j += 4;
        }
        if m - j >= 2 {
            self.tiles::<M, 2, C>(j, out);
            j += 2;
        }
        if j < m {
            self.tiles::<M, 1, C>(j, out);
        }
    }

    /// Output features `j..j + R` for every tile of examples.
    // Indices over ranges, not iterators: the chained iterators left a
    // division and a bounds check per step in the inner loop.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn tiles<M: MulAdd, const R: usize, const C: usize>(&self, j: usize, out: &mut [T]) {
        let (k, stride) = (self.k, self.stride);
        let weights: [&[T]; R] = std::array::from_fn(|r| &self.weight[(j + r) * k..][..k]);
        let bias: [T; R] = std::array::from_fn(|r| self.bias[j + r]);
        for tile in 0..stride / C {
            let col = tile * C;
            // The sums stay in registers: indexed only by constants once
            // unrolled, and copied out whole. Plain loops, not closures,
            // which the compiler left as calls through the stack.
            let mut acc = [[T::zero(); C]; R];
            for r in 0..R {
                acc[r] = [bias[r]; C];
            }
            for kk in 0..k {
                let x: &[T; C] = self.input[kk * stride + col..][..C]
                    .try_into()
                    .expect("tile width");
                for r in 0..R {
                    let w = weights[r][kk];
                    for c in 0..C {
                        acc[r][c] = M::mul_add(w, x[c], acc[r][c]);
                    }
                }
            }
            for (r, sums) in acc.iter().enumerate() {
                let start = (j + r) * stride + col;
                let dst: &mut [T; C] = (&mut out[start..start + C]).try_into().expect("tile width");
                *dst = *sums;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_a_times_b_transposed() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (2, 32, 130),
            (5, 7, 64),
            (32, 2, 200),
            (9, 13, 3),
        ] {
            let stride = padded_columns(n);
            let fill = |rows: usize, seed: usize| -> Vec<f64> {
                (0..rows * stride)
                    .map(|i| {
                        if i % stride < n {
                            ((i * seed % 17) as f64 - 8.0) / 5.0
                        } else {
                            0.0
                        }
                    })
                    .collect()
            };
            let (a, b) = (fill(m, 31), fill(k, 23));
            let mut out = vec![f64::NAN; m * k];
            dots(&a, &b, (m, k, stride), &mut out);
            // f32, by whichever kernel the CPU runs, to its rounding.
            let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            let mut out32 = vec![f32::NAN; m * k];
            dots(&f32s(&a), &f32s(&b), (m, k, stride), &mut out32);
            for (&g, &w) in out32.iter().zip(&out) {
                assert!((f64::from(g) - w).abs() < 1e-5 * (1.0 + w.abs()) * (n as f64).sqrt());
            }
            for o in 0..m {
                for i in 0..k {
                    let want: f64 = (0..n).map(|c| a[o * stride + c] * b[i * stride + c]).sum();
                    let got = out[o * k + i];
                    assert!(
                        (got - want).abs() < 1e-12 * (1.0 + want.abs()),
                        "({m},{k},{n}) [{o},{i}]"
                    );
                }
            }
        }
    }

    #[test]
    fn columns_match_naive_for_awkward_shapes() {
        for &(n, k, m) in &[
            (1, 1, 1),
            (5, 3, 7),
            (64, 2, 32),
            (100, 32, 32),
            (130, 300, 41),
            (67, 129, 2),
            (200, 32, 3),
        ] {
            let x: Vec<f64> = (0..n * k)
                .map(|i| ((i * 37 % 11) as f64 - 5.0) / 3.0)
                .collect();
            let w: Vec<f64> = (0..m * k)
                .map(|i| ((i * 29 % 13) as f64 - 6.0) / 7.0)
                .collect();
            let b: Vec<f64> = (0..m).map(|i| i as f64 * 0.1 - 0.5).collect();
            let stride = padded_columns(n);
            let mut xt = Vec::new();
            transpose_into(&x, (n, k, k), stride, &mut xt);
            assert!(xt[k * stride - 1] == 0.0 || n == stride, "padding is zero");
            let mut out = vec![f64::NAN; m * stride];
            dense_columns(
                &w,
                (m, k, stride),
                &xt,
                &b,
                Some(Activation::Tanh),
                &mut out,
            );
            let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let wf: Vec<f32> = w.iter().map(|&v| v as f32).collect();
            let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            let mut xtf = Vec::new();
            transpose_into(&xf, (n, k, k), stride, &mut xtf);
            let mut outf = vec![f32::NAN; m * stride];
            dense_columns(&wf, (m, k, stride), &xtf, &bf, None, &mut outf);
            // Whichever kernel runs (AVX-512's explicit one, with tanh on
            // the sums in registers, where the CPU has it), the very bits
            // of the portable one and its separate tanh pass.
            for act in [None, Some(Activation::Tanh), Some(Activation::Relu)] {
                let mut got = vec![f32::NAN; m * stride];
                dense_columns(&wf, (m, k, stride), &xtf, &bf, act, &mut got);
                let mut portable = vec![f32::NAN; m * stride];
                dense_columns_portable(&wf, (m, k, stride), &xtf, &bf, act, &mut portable);
                assert!(
                    got.iter()
                        .zip(&portable)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "({n},{k},{m}) {act:?}: the kernels differ"
                );
                if act == Some(Activation::Tanh) {
                    for (&t, &a) in got.iter().zip(&outf) {
                        let exact = f64::from(a).tanh();
                        assert!((f64::from(t) - exact).abs() <= 4.0 * f64::from(f32::EPSILON));
                    }
                }
            }
            for r in 0..n {
                for o in 0..m {
                    let affine = b[o] + (0..k).map(|i| x[r * k + i] * w[o * k + i]).sum::<f64>();
                    let got = out[o * stride + r];
                    assert!(
                        (got - affine.tanh()).abs() < 1e-12,
                        "({n},{k},{m}) [{r},{o}]: {got} vs {}",
                        affine.tanh()
                    );
                    let got = f64::from(outf[o * stride + r]);
                    assert!(
                        (got - affine).abs() < 1e-5 * (1.0 + affine.abs()) * (k as f64).sqrt(),
                        "f32 ({n},{k},{m}) [{r},{o}]: {got} vs {affine}"
                    );
                }
            }
        }
    }
}
