//! The dense-layer kernel with the examples by row: the forward pass that
//! gives predictions, and the tape's small layers (a large one goes to
//! [`super::gemm`]; a landscape's loss to [`super::columns`]).
//!
//! The layer is computed in register tiles (a few
//! rows of the input times a strip of output columns), with the bias added
//! first and the activation applied while the tile is still in registers.
//! Weights are stored transposed and zero-padded to a multiple of [`LANES`]
//! columns, so every tile is full width and the padding contributes zeros.

use super::activation::Activation;
use crate::scalar::Scalar;
use crate::simd::{MulAdd, dispatched};

/// Output columns are padded to a multiple of this (one 256-bit vector of f32).
pub const LANES: usize = 8;

/// `width` rounded up to whole vectors.
pub fn padded(width: usize) -> usize {
    width.div_ceil(LANES) * LANES
}

/// Copies `weight` `[out, in]` (row-major) into `wt` as `[in, padded(out)]`, zeros in the padding.
/// Copies `matrix` `[rows, cols]` into `out` as `[rows, padded(cols)]`, zeros in the padding.
pub fn pad_columns<T: Scalar>(matrix: &[T], rows: usize, cols: usize, out: &mut Vec<T>) {
    let stride = padded(cols);
    out.clear();
    out.resize(rows * stride, T::zero());
    for (dst, src) in out
        .chunks_exact_mut(stride)
        .zip(matrix.chunks_exact(cols.max(1)))
    {
        dst[..cols].copy_from_slice(src);
    }
}

pub fn transpose_padded<T: Scalar>(weight: &[T], fan_out: usize, fan_in: usize, wt: &mut Vec<T>) {
    let stride = padded(fan_out);
    // Only the padding needs zeros: every other element is written below,
    // and a buffer reused at the same shape keeps its zeros.
    if wt.len() != fan_in * stride {
        wt.clear();
        wt.resize(fan_in * stride, T::zero());
    } else if stride > fan_out {
        for row in wt.chunks_exact_mut(stride) {
            row[fan_out..].fill(T::zero());
        }
    }
    // In tiles, so the strided writes of one tile stay in the L1 cache.
    const TILE: usize = 16;
    for o0 in (0..fan_out).step_by(TILE) {
        let o1 = (o0 + TILE).min(fan_out);
        for i0 in (0..fan_in).step_by(TILE) {
            let i1 = (i0 + TILE).min(fan_in);
            for o in o0..o1 {
                let source = &weight[o * fan_in + i0..o * fan_in + i1];
                for (i, &w) in (i0..i1).zip(source) {
                    wt[i * stride + o] = w;
                }
            }
        }
    }
}

/// Where [`dense`] writes: row r, column c goes to `data[r * stride + c]`
/// for c < `cols`; columns past `cols` (padding) are not written.
pub struct DenseOut<'a, T> {
    /// The output buffer.
    pub data: &'a mut [T],
    /// Distance between rows.
    pub stride: usize,
    /// Columns to write (≤ stride).
    pub cols: usize,
    /// Add to what `data` holds instead of overwriting it (for gradients).
    pub accumulate: bool,
}

dispatched! {
    /// `out = act(x · W + b)` for `x` `[n, k]` with row stride `x_stride`
    /// (`shape` is `(n, k, x_stride)`), `wt` `[k, m_pad]`, `bias` of length
    /// ≤ `m_pad` (the rest is zero). `activation = None` leaves the affine
    /// output (the last layer's logits). Compiled for each SIMD level.
    pub fn dense<T: Scalar>(
        x: &[T],
        shape: (usize, usize, usize),
        wt: &[T],
        bias: &[T],
        activation: Option<Activation>,
        out: DenseOut<'_, T>,
    ) => dense_at
}

/// [`dense`] with `M`'s multiply-add, inlined into each SIMD version.
#[inline(always)]
fn dense_at<T: Scalar, M: MulAdd>(
    x: &[T],
    (n, k, x_stride): (usize, usize, usize),
    wt: &[T],
    bias: &[T],
    activation: Option<Activation>,
    out: DenseOut<'_, T>,
) {
    let m_pad = wt.len() / k.max(1);
    assert_eq!(wt.len(), k * m_pad, "wt is [k, m_pad]");
    assert_eq!(m_pad % LANES, 0, "padded width");
    assert!(
        out.cols <= out.stride && out.cols <= m_pad,
        "output columns"
    );
    assert!(
        n == 0 || out.data.len() >= (n - 1) * out.stride + out.cols,
        "out is [n, stride]"
    );
    assert!(n == 0 || x.len() >= (n - 1) * x_stride + k, "x is [n, k]");
    let DenseOut {
        data: out,
        stride: out_stride,
        cols: out_cols,
        accumulate,
    } = out;
    // Blocks of rows, and of the inner dimension, sized for the L1 cache:
    // a wide layer's weight strip and a block's rows then stay there while
    // every tile of the block reads them, instead of streaming from L2.
    for r0 in (0..n).step_by(ROW_BLOCK) {
        let rows = r0..(r0 + ROW_BLOCK).min(n);
        for k0 in (0..k.max(1)).step_by(K_BLOCK) {
            let k1 = (k0 + K_BLOCK).min(k);
            let block = Strip {
                x: &x[k0.min(x.len())..],
                k: k1 - k0,
                x_stride,
                wt: &wt[k0 * m_pad..k1 * m_pad],
                m_pad,
                col: 0,
                out_stride,
                out_cols,
                // Later blocks of k add to what the first wrote (with the bias).
                accumulate: accumulate || k0 > 0,
            };
            let bias = if k0 == 0 { bias } else { &[] };
            block.columns::<M>(rows.clone(), bias, out);
        }
        // Each block's rows while they are in cache, in one pass so the
        // activation's loop runs long enough to vectorise fully.
        if let Some(act) = activation {
            if out_cols == out_stride {
                act.apply(&mut out[rows.start * out_stride..rows.end * out_stride]);
            } else {
                for row in rows {
                    act.apply(&mut out[row * out_stride..][..out_cols]);
                }
            }
        }
    }
}

/// Rows per block of [`dense`].
const ROW_BLOCK: usize = 64;
/// Inner-dimension entries per block of [`dense`]: a 32-column weight
/// strip of this many rows is 16 KB of f32.
const K_BLOCK: usize = 128;

/// One strip of output columns `col..col + C` for every row.
#[derive(Clone, Copy)]
struct Strip<'a, T> {
    x: &'a [T],
    k: usize,
    x_stride: usize,
    wt: &'a [T],
    m_pad: usize,
    col: usize,
    out_stride: usize,
    out_cols: usize,
    accumulate: bool,
}

impl<T: Scalar> Strip<'_, T> {
    /// Every strip of columns for `rows`: strips of 4 vectors while they
    /// fit, then single vectors; `bias` (of length ≤ m_pad) starts each sum.
    #[inline(always)]
    fn columns<M: MulAdd>(&self, rows: std::ops::Range<usize>, bias: &[T], out: &mut [T]) {
        let mut bias_padded = [T::zero(); 4 * LANES];
        let mut col = 0;
        while col < self.m_pad && col < self.out_cols {
            let width = if self.m_pad - col >= 4 * LANES {
                4 * LANES
            } else {
                LANES
            };
            // A copy, not an element-wise `get`: that compiled to a masked
            // vector load, which qemu's AVX2 (7.2) faults on past the slice's end.
            let present = bias.len().saturating_sub(col).min(width);
            bias_padded[..width].fill(T::zero());
            if present > 0 {
                bias_padded[..present].copy_from_slice(&bias[col..col + present]);
            }
            let strip = Strip { col, ..*self };
            let mut row = rows.start;
            if width == 4 * LANES {
                while row + 4 <= rows.end {
                    strip.tile::<M, 4, { 4 * LANES }>(row, &bias_padded, out);
                    row += 4;
                }
                while row < rows.end {
                    strip.tile::<M, 1, { 4 * LANES }>(row, &bias_padded, out);
                    row += 1;
                }
            } else {
                // A single-vector strip (a classifier's few logits) needs
                // eight sums in flight to hide the multiply-add's latency:
                // with four, a 32 → 2 layer cost as much as the 32 → 32 before it.
                while row + 8 <= rows.end {
                    strip.tile::<M, 8, LANES>(row, &bias_padded, out);
                    row += 8;
                }
                while row + 4 <= rows.end {
                    strip.tile::<M, 4, LANES>(row, &bias_padded, out);
                    row += 4;
                }
                while row < rows.end {
                    strip.tile::<M, 1, LANES>(row, &bias_padded, out);
                    row += 1;
                }
            }
            col += width;
        }
    }

    /// Rows `row..row + R` of the strip, accumulated in registers.
    #[inline(always)]
    fn tile<M: MulAdd, const R: usize, const C: usize>(
        &self,
        row: usize,
        bias: &[T],
        out: &mut [T],
    ) {
        let bias: &[T; C] = bias[..C].try_into().expect("bias strip width");
        // The accumulators must stay in registers: they are only ever indexed
        // by constants after unrolling, and are copied out before anything
        // takes a reference to them.
        let mut acc = [*bias; R];
        let valid = C.min(self.out_cols - self.col);
        if self.accumulate {
            for (r, a) in acc.iter_mut().enumerate() {
                let start = (row + r) * self.out_stride + self.col;
                let mut existing = [T::zero(); C];
                existing[..valid].copy_from_slice(&out[start..start + valid]);
                for c in 0..C {
                    a[c] += existing[c];
                }
            }
        }
        let rows: [&[T]; R] =
            std::array::from_fn(|r| &self.x[(row + r) * self.x_stride..][..self.k]);
        for (kk, w_row) in self.wt.chunks_exact(self.m_pad).enumerate() {
            let w: &[T; C] = w_row[self.col..self.col + C]
                .try_into()
                .expect("strip width");
            for r in 0..R {
                let xv = rows[r][kk];
                for c in 0..C {
                    acc[r][c] = M::mul_add(xv, w[c], acc[r][c]);
                }
            }
        }
        // Whole-tile stores have a constant length, which keeps `acc` in
        // registers; only a ragged last strip takes the slower copy.
        for (r, &tile_row) in acc.iter().enumerate() {
            let start = (row + r) * self.out_stride + self.col;
            if valid == C {
                let dst: &mut [T; C] = (&mut out[start..start + C]).try_into().expect("tile width");
                *dst = tile_row;
            } else {
                out[start..start + valid].copy_from_slice(&tile_row[..valid]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_matches_naive_for_awkward_shapes() {
        for &(n, k, m) in &[
            (1, 1, 1),
            (5, 3, 7),
            (9, 2, 33),
            (4, 32, 32),
            (11, 17, 40),
            (130, 300, 41),
            (67, 129, 2),
        ] {
            let x: Vec<f64> = (0..n * k)
                .map(|i| ((i * 37 % 11) as f64 - 5.0) / 3.0)
                .collect();
            let w: Vec<f64> = (0..m * k)
                .map(|i| ((i * 29 % 13) as f64 - 6.0) / 7.0)
                .collect();
            let b: Vec<f64> = (0..m).map(|i| i as f64 * 0.1 - 0.5).collect();
            let mut wt = Vec::new();
            transpose_padded(&w, m, k, &mut wt);
            let mut out = vec![f64::NAN; n * m];
            let target = DenseOut {
                data: &mut out,
                stride: m,
                cols: m,
                accumulate: false,
            };
            dense(&x, (n, k, k), &wt, &b, Some(Activation::Tanh), target);
            for r in 0..n {
                for o in 0..m {
                    let expected =
                        (b[o] + (0..k).map(|i| x[r * k + i] * w[o * k + i]).sum::<f64>()).tanh();
                    let got = out[r * m + o];
                    assert!(
                        (got - expected).abs() < 1e-12,
                        "({n},{k},{m}) [{r},{o}]: {got} vs {expected}"
                    );
                }
            }
            // Accumulating (as gradients do) adds the affine output to what is there.
            let mut twice = vec![0.5; n * m];
            let target = DenseOut {
                data: &mut twice,
                stride: m,
                cols: m,
                accumulate: true,
            };
            dense(&x, (n, k, k), &wt, &b, None, target);
            for r in 0..n {
                for o in 0..m {
                    let affine = b[o] + (0..k).map(|i| x[r * k + i] * w[o * k + i]).sum::<f64>();
                    let got = twice[r * m + o];
                    assert!(
                        (got - 0.5 - affine).abs() < 1e-12,
                        "({n},{k},{m}) accumulated [{r},{o}]"
                    );
                }
            }
        }
    }
}
