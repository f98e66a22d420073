//! f32 matrix products in explicit AVX-512, packed and cache-blocked, for
//! the wide layers of a large model.
//!
//! A 6 × 64 tile keeps 24 sums in registers and loads 4 vectors of `b` plus
//! 6 broadcasts of `a` per 24 multiply-adds. `b` is packed in panels of 64
//! columns, a `512 × 512` block (1 MiB) of which stays in L2 while every
//! strip of `a` passes over it; a row-major `a` is read in place (its 6
//! rows stay in L1 across the panels), so a landscape's narrow blocks of
//! examples do not repack the weight for every block. A transposed `b` is
//! packed by 16 × 16 turns in registers.
//!
//! On the three products of a million-parameter model's training step
//! (`examples/gemm.rs`) this is level with faer's kernel on the forward
//! product and ahead on the two backward ones (16 % on `Wᵀ·dZ`), and in
//! the training step itself it ran at 155–159 GFLOP/s per core against
//! faer's 134–138 (packing included).

use std::arch::x86_64::*;
use std::cell::RefCell;

/// Rows of a tile.
const MR: usize = 6;
/// Columns of a tile: 4 vectors of 16.
const NR: usize = 64;
/// Depth of a block: a strip of `a` (12 KiB) stays in L1.
const KC: usize = 512;
/// Rows of `a` packed at once.
const MC: usize = 120;
/// Columns of `b` packed at once: a block of `KC × NC` (1 MiB) in L2.
const NC: usize = 512;

/// A matrix read through strides: element `(i, j)` at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub struct Strided {
    pub ptr: *const f32,
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

thread_local! {
    /// Packing space, kept per thread: a fresh megabyte per product would
    /// be mapped, faulted in and zeroed every call.
    static PACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `c = a · b`, or `c += a · b` when `accumulate`; `c` has rows `ldc`
/// apart and unit column stride.
///
/// # Safety
/// The CPU must have AVX-512 F. `a` and `b` must describe readable memory
/// of their shapes and strides, `c` writable memory of `a.rows × b.cols`
/// with rows `ldc` apart, aliasing neither.
#[target_feature(enable = "avx512f,avx2,fma")]
pub unsafe fn product(a: Strided, b: Strided, accumulate: bool, c: *mut f32, ldc: isize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    debug_assert_eq!(k, b.rows);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                // SAFETY: row `i` of `c` holds `n` values.
                unsafe { std::ptr::write_bytes(c.offset(i as isize * ldc), 0, n) };
            }
        }
        return;
    }
    // A row-major `a` is read in place: a strip's 6 rows stay in L1 while
    // it passes every panel. Otherwise it is packed, a block at a time.
    let direct = a.cs == 1;
    PACKED.with_borrow_mut(|space| {
        let b_len = KC * NC.min(n.div_ceil(NR) * NR);
        let a_len = if direct { 0 } else { MC.div_ceil(MR) * MR * KC };
        // 16 spare values so both blocks can start on a 64-byte line.
        let need = b_len + a_len + 32;
        if space.len() < need {
            space.resize(need, 0.0);
        }
        let base = space.as_mut_ptr();
        let skip = base.align_offset(64);
        // SAFETY: `skip < 16` and `need` leaves room for both blocks.
        let (b_block, a_block) = unsafe {
            let b_block = base.add(skip);
            (b_block, b_block.add(b_len))
        };
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                // SAFETY: the block is within `b`, the buffer holds it.
                unsafe { pack_b(b, (pc, kc), (jc, nc), b_block) };
                let add = accumulate || pc > 0;
                let block = if direct { m } else { MC };
                for ic in (0..m).step_by(block) {
                    let mc = block.min(m - ic);
                    if !direct {
                        // SAFETY: as above, for `a`.
                        unsafe { pack_a(a, (ic, mc), (pc, kc), a_block) };
                    }
                    for ir in (0..mc).step_by(MR) {
                        let rows = MR.min(mc - ir);
                        // SAFETY: the strip is within `a` or the buffer.
                        let strip = unsafe {
                            if direct {
                                Strip {
                                    ptr: a.ptr.offset((ic + ir) as isize * a.rs + pc as isize),
                                    rs: a.rs,
                                    rows,
                                }
                            } else {
                                Strip {
                                    ptr: a_block.add(ir * KC),
                                    rs: 1,
                                    rows: MR,
                                }
                            }
                        };
                        for jr in (0..nc).step_by(NR) {
                            let cols = NR.min(nc - jr);
                            // SAFETY: the tile's rows and columns are
                            // within `c`; the panels within the buffers.
                            unsafe {
                                let panel = b_block.add(jr * KC);
                                let out = c.offset((ic + ir) as isize * ldc + (jc + jr) as isize);
                                let args =
                                    (kc, strip, panel.cast_const(), (out, ldc), (rows, cols), add);
                                match (direct, cols.div_ceil(16)) {
                                    (true, 1) => tile::<true, 1>(args),
                                    (true, 2) => tile::<true, 2>(args),
                                    (true, 3) => tile::<true, 3>(args),
                                    (true, _) => tile::<true, 4>(args),
                                    (false, 1) => tile::<false, 1>(args),
                                    (false, 2) => tile::<false, 2>(args),
                                    (false, 3) => tile::<false, 3>(args),
                                    (false, _) => tile::<false, 4>(args),
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

/// Up to `MR` rows of `a` from the block's first column: row `r < rows`
/// starts at `ptr + r·rs` (its columns are 1 apart in place, `MR` packed).
#[derive(Clone, Copy)]
struct Strip {
    ptr: *const f32,
    rs: isize,
    rows: usize,
}

/// Rows `pc..pc + kc`, columns `jc..jc + nc` of `b` into panels of `NR`
/// columns, each `kc × NR` row by row, zero past the last column.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn pack_b(b: Strided, (pc, kc): (usize, usize), (jc, nc): (usize, usize), out: *mut f32) {
    let at = |p: usize, j: usize| (p as isize) * b.rs + (j as isize) * b.cs;
    for (q, j0) in (0..nc).step_by(NR).enumerate() {
        let width = NR.min(nc - j0);
        // SAFETY (whole loop): panel `q` holds `kc × NR` values of `out`,
        // 64-byte aligned; every read is an element of `b`, the masks keep
        // to the panel's `width` columns.
        let panel = unsafe { out.add(q * KC * NR) };
        if b.cs == 1 {
            for p in 0..kc {
                unsafe {
                    let from = b.ptr.offset(at(pc + p, jc + j0));
                    for v in 0..NR / 16 {
                        let mask = lanes(width.saturating_sub(16 * v));
                        let x = _mm512_maskz_loadu_ps(mask, from.add(16 * v));
                        _mm512_store_ps(panel.add(p * NR + 16 * v), x);
                    }
                }
            }
        } else if b.rs == 1 {
            // A column-major `b` (a transposed operand): 16 × 16 blocks
            // turned in registers, 16 loads and 16 stores each.
            let column = |j: usize| unsafe { b.ptr.offset(at(pc, jc + j0 + j)) };
            let mut p0 = 0;
            while p0 + 16 <= kc {
                for jj in (0..NR).step_by(16) {
                    let mut block: [__m512; 16] = std::array::from_fn(|t| {
                        if jj + t < width {
                            unsafe { _mm512_loadu_ps(column(jj + t).add(p0)) }
                        } else {
                            _mm512_setzero_ps()
                        }
                    });
                    transpose16(&mut block);
                    for (u, row) in block.iter().enumerate() {
                        unsafe { _mm512_store_ps(panel.add((p0 + u) * NR + jj), *row) };
                    }
                }
                p0 += 16;
            }
            for p in p0..kc {
                for j in 0..NR {
                    let value = if j < width {
                        unsafe { *column(j).add(p) }
                    } else {
                        0.0
                    };
                    unsafe { *panel.add(p * NR + j) = value };
                }
            }
        } else {
            for p in 0..kc {
                for j in 0..NR {
                    let value = if j < width {
                        unsafe { *b.ptr.offset(at(pc + p, jc + j0 + j)) }
                    } else {
                        0.0
                    };
                    unsafe { *panel.add(p * NR + j) = value };
                }
            }
        }
    }
}

/// A mask of the first `count` of 16 lanes.
#[inline]
fn lanes(count: usize) -> __mmask16 {
    if count >= 16 {
        0xffff
    } else {
        (1u16 << count) - 1
    }
}

/// Sixteen rows of 16 into sixteen columns: `rows[i][j]` becomes
/// `rows[j][i]`, in 64 shuffles.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
fn transpose16(rows: &mut [__m512; 16]) {
    let r = *rows;
    // Within each 128-bit lane: pairs, then quads of rows.
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    let mut u = [_mm512_setzero_ps(); 16];
    for i in 0..4 {
        u[4 * i] = _mm512_shuffle_ps::<0x44>(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_shuffle_ps::<0xEE>(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_shuffle_ps::<0x44>(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_shuffle_ps::<0xEE>(t[4 * i + 1], t[4 * i + 3]);
    }
    // `u[4i + c]`'s lane `l` holds column `4l + c` of rows `4i..4i + 4`;
    // gather each column's four lanes.
    for c in 0..4 {
        let x0 = _mm512_shuffle_f32x4::<0x88>(u[c], u[4 + c]);
        let x1 = _mm512_shuffle_f32x4::<0xDD>(u[c], u[4 + c]);
        let x2 = _mm512_shuffle_f32x4::<0x88>(u[8 + c], u[12 + c]);
        let x3 = _mm512_shuffle_f32x4::<0xDD>(u[8 + c], u[12 + c]);
        rows[c] = _mm512_shuffle_f32x4::<0x88>(x0, x2);
        rows[4 + c] = _mm512_shuffle_f32x4::<0x88>(x1, x3);
        rows[8 + c] = _mm512_shuffle_f32x4::<0xDD>(x0, x2);
        rows[12 + c] = _mm512_shuffle_f32x4::<0xDD>(x1, x3);
    }
}

/// Rows `ic..ic + mc`, columns `pc..pc + kc` of `a` into strips of `MR`
/// rows, each `kc × MR` column by column, zero past the last row.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn pack_a(a: Strided, (ic, mc): (usize, usize), (pc, kc): (usize, usize), out: *mut f32) {
    for (s, i0) in (0..mc).step_by(MR).enumerate() {
        let height = MR.min(mc - i0);
        // SAFETY (whole loop): strip `s` holds `KC × MR` values of `out`;
        // every read is an element of `a`, the masks keep to `height` rows.
        let strip = unsafe { out.add(s * KC * MR) };
        let first = unsafe { a.ptr.offset((ic + i0) as isize * a.rs + pc as isize * a.cs) };
        if a.rs == 1 {
            // Column-major (a transposed operand): a column's rows are
            // contiguous.
            let (rows, all) = (lanes(height), lanes(MR));
            for p in 0..kc {
                unsafe {
                    let x = _mm512_maskz_loadu_ps(rows, first.offset(p as isize * a.cs));
                    _mm512_mask_storeu_ps(strip.add(p * MR), all, x);
                }
            }
        } else {
            for p in 0..kc {
                for r in 0..MR {
                    let value = if r < height {
                        unsafe { *first.offset(r as isize * a.rs + p as isize * a.cs) }
                    } else {
                        0.0
                    };
                    unsafe { *strip.add(p * MR + r) = value };
                }
            }
        }
    }
}

/// What a tile works on: depth, strip, panel, `c` and its row stride, the
/// real rows and columns, and whether to add to `c`.
type TileArgs = (
    usize,
    Strip,
    *const f32,
    (*mut f32, isize),
    (usize, usize),
    bool,
);

/// One tile of `c`, `MR` rows by `NV` vectors of 16 (a panel's last
/// columns take a narrower tile), over depth `kc`: `rows × cols` of it are
/// real; added to what `c` holds when `add`. `DIRECT`: the strip is rows
/// of `a` in place (`cs = 1`); otherwise packed (`rs = 1`, `cs = MR`).
#[allow(clippy::needless_range_loop)]
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn tile<const DIRECT: bool, const NV: usize>(
    (kc, strip, panel, (c, ldc), (rows, cols), add): TileArgs,
) {
    // A short strip read in place repeats its last row: the extra sums are
    // never stored, and no read strays past `a`.
    let row_of: [*const f32; MR] = std::array::from_fn(|r| {
        let r = if DIRECT { r.min(strip.rows - 1) } else { r };
        // SAFETY: row `r` of the strip is within `a` or the buffer.
        unsafe { strip.ptr.offset(r as isize * strip.rs) }
    });
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    for p in 0..kc {
        // SAFETY: the panel holds `kc × NR` values, 64-byte aligned; the
        // strip `kc` values of each row.
        let b: [__m512; NV] =
            std::array::from_fn(|v| unsafe { _mm512_load_ps(panel.add(p * NR + 16 * v)) });
        for r in 0..MR {
            let at = if DIRECT {
                p as isize
            } else {
                p as isize * MR as isize
            };
            let a = _mm512_set1_ps(unsafe { *row_of[r].offset(at) });
            for v in 0..NV {
                acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
            }
        }
    }
    for r in 0..rows {
        // SAFETY: row `r < rows` of the tile is within `c`, and so are the
        // first `cols` values of it; the masks keep to them.
        let row = unsafe { c.offset(r as isize * ldc) };
        for v in 0..NV {
            let first = 16 * v;
            if first >= cols {
                break;
            }
            let mask: __mmask16 = if cols - first >= 16 {
                0xffff
            } else {
                (1u16 << (cols - first)) - 1
            };
            unsafe {
                let at = row.add(first);
                let sum = if add {
                    _mm512_add_ps(_mm512_maskz_loadu_ps(mask, at), acc[r][v])
                } else {
                    acc[r][v]
                };
                _mm512_mask_storeu_ps(at, mask, sum);
            }
        }
    }
}
