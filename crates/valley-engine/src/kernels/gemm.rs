//! Large matrix products (the tape's: the Hessian's recording and products,
//! the language model's training; and the wide layers of an MLP's tape-free
//! loss and gradient). f32 on an AVX-512 CPU goes through Valley's own
//! packed kernel ([`super::gemm_avx512`]); everything else through faer's,
//! which picks its instructions at run time like Valley's own.
//!
//! On one core here (`f32`, a Linear layer's `X Wᵀ` on 1,000 rows) faer
//! reached 110–140 GFLOP/s on layers of 32 to 997 units, where
//! `matrixmultiply` (ndarray's default) reached 57–68 and the register-tiled
//! [`super::dense`] kernel 38–92: large models train several times faster.
//! The tape-free loss of a landscape keeps its own kernel
//! ([`super::columns`]), which fuses the bias and the activation.

use faer::mat::{MatMut, MatRef};
use faer::{Accum, Par};
use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut2, Data, Ix2};

use crate::scalar::Scalar;

/// Multiply-adds below which a product stays on the kernels it had before
/// faer: `matrixmultiply` and the register-tiled kernel. faer's setup costs
/// more than a small product saves (a minibatch of 64 on a 32-wide layer
/// trained 25 % slower through it).
const SMALL: usize = 1 << 20;

/// Multiply-adds from which Valley's own kernel takes a product it can
/// (f32 on AVX-512): it packs little and sets up nothing, so it pays well
/// below faer's threshold.
#[cfg(target_arch = "x86_64")]
const OWN_FROM: usize = 1 << 15;

/// Whether products of `T` on this CPU go through Valley's own packed
/// kernel (f32 on AVX-512), which is worth calling on smaller products
/// than faer.
pub fn own_kernel_for<T: Scalar>() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
            && crate::simd::level() == crate::simd::Level::Avx512
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether an `[n, k] · [k, m]` product is large enough for faer.
pub fn is_large(n: usize, k: usize, m: usize) -> bool {
    n.saturating_mul(k).saturating_mul(m) >= SMALL
}

/// `c = a · b`, or `c += a · b` when `accumulate`, for views with any
/// strides (a transposed view costs nothing). On the calling thread: the
/// callers already share their work over the cores.
pub fn product<T: Scalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    accumulate: bool,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (n, k) = a.dim();
    let (k_b, m) = b.dim();
    assert_eq!(k, k_b, "inner dimensions differ");
    assert_eq!(c.dim(), (n, m), "output shape");
    #[cfg(target_arch = "x86_64")]
    if n.saturating_mul(k).saturating_mul(m) >= OWN_FROM
        && own_kernel::<T>(&a, &b, &mut c, accumulate)
    {
        return;
    }
    if !is_large(n, k, m) {
        let beta = if accumulate {
            T::one_impl()
        } else {
            T::zero_impl()
        };
        ndarray::linalg::general_mat_mul(T::one_impl(), &a, &b, beta, &mut c);
        return;
    }
    let (a_rows, a_cols) = (a.strides()[0], a.strides()[1]);
    let (b_rows, b_cols) = (b.strides()[0], b.strides()[1]);
    let (c_rows, c_cols) = (c.strides()[0], c.strides()[1]);
    // SAFETY: each view's pointer, shape and strides describe memory that
    // view owns or borrows for as long as this call; `c` is borrowed
    // mutably, so it aliases neither `a` nor `b`.
    let (a, b, c) = unsafe {
        (
            MatRef::from_raw_parts(a.as_ptr(), n, k, a_rows, a_cols),
            MatRef::from_raw_parts(b.as_ptr(), k, m, b_rows, b_cols),
            MatMut::from_raw_parts_mut(c.as_mut_ptr(), n, m, c_rows, c_cols),
        )
    };
    let accum = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    faer::linalg::matmul::matmul(c, accum, a, b, T::one_impl(), Par::Seq);
    clear_upper_vector_state();
}

/// An f32 product on an AVX-512 CPU by [`super::gemm_avx512`], when `c`
/// has a unit stride (its rows or, through `cᵀ = bᵀ·aᵀ`, its columns);
/// whether it ran.
#[cfg(target_arch = "x86_64")]
fn own_kernel<T: Scalar>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    c: &mut ArrayViewMut2<'_, T>,
    accumulate: bool,
) -> bool {
    use super::gemm_avx512::{Strided, product};
    if !own_kernel_for::<T>() {
        return false;
    }
    let view = |m: &ArrayView2<'_, T>, transposed: bool| {
        let (rows, cols) = m.dim();
        let (rs, cs) = (m.strides()[0], m.strides()[1]);
        let ptr = m.as_ptr().cast::<f32>();
        if transposed {
            Strided {
                ptr,
                rows: cols,
                cols: rows,
                rs: cs,
                cs: rs,
            }
        } else {
            Strided {
                ptr,
                rows,
                cols,
                rs,
                cs,
            }
        }
    };
    let (c_rows, c_cols) = (c.strides()[0], c.strides()[1]);
    let ptr = c.as_mut_ptr().cast::<f32>();
    // SAFETY: `T` is `f32`; the views describe memory they borrow, `c`
    // mutably, so it aliases neither operand; the CPU has AVX-512.
    unsafe {
        if c_cols == 1 || c.ncols() <= 1 {
            product(view(a, false), view(b, false), accumulate, ptr, c_rows);
        } else if c_rows == 1 || c.nrows() <= 1 {
            product(view(b, true), view(a, true), accumulate, ptr, c_cols);
        } else {
            return false;
        }
    }
    true
}

/// faer's AVX-512 kernels can return with the upper halves of the vector
/// registers in use; every SSE instruction of the baseline code after them
/// (Valley's, ndarray's, libm's) then pays for it. `vzeroupper` clears
/// them: without it, a bigram model's training ran twenty times slower.
fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        #[target_feature(enable = "avx")]
        fn zero_upper() {
            std::arch::x86_64::_mm256_zeroupper();
        }
        // SAFETY: the CPU has AVX, checked just above.
        unsafe { zero_upper() };
    }
}

/// `c += a · b`, in the shape of ndarray's `general_mat_mul(1, a, b, 1, c)`.
pub fn mul_add<T, A, B>(a: &ArrayBase<A, Ix2>, b: &ArrayBase<B, Ix2>, c: &mut Array2<T>)
where
    T: Scalar,
    A: Data<Elem = T>,
    B: Data<Elem = T>,
{
    product(a.view(), b.view(), true, c.view_mut());
}

/// `c = a · b`, in the shape of ndarray's `general_mat_mul(1, a, b, 0, c)`.
pub fn mul_into<T, A, B>(a: &ArrayBase<A, Ix2>, b: &ArrayBase<B, Ix2>, c: &mut Array2<T>)
where
    T: Scalar,
    A: Data<Elem = T>,
    B: Data<Elem = T>,
{
    product(a.view(), b.view(), false, c.view_mut());
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, s};

    fn naive(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols()).map(|p| a[(i, p)] * b[(p, j)]).sum()
        })
    }

    #[test]
    fn products_match_naive_for_transposes_slices_and_empty_shapes() {
        let big = Array2::from_shape_fn((40, 37), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let other = Array2::from_shape_fn((37, 23), |(i, j)| ((i * 5 + j) % 9) as f64 / 4.0);
        let cases: Vec<(ArrayView2<f64>, ArrayView2<f64>)> = vec![
            (big.view(), other.view()),
            (other.t(), big.t()),
            (big.slice(s![3..9, ..]), other.view()),
            (big.slice(s![.., 1..30;2]), other.slice(s![..15, ..])),
            (big.slice(s![..0, ..]), other.view()),
            (big.slice(s![.., ..0]), other.slice(s![..0, ..])),
        ];
        // Past the threshold, through faer.
        let wide = Array2::from_shape_fn((130, 100), |(i, j)| ((i * 3 + j * 5) % 13) as f64 - 6.0);
        let tall = Array2::from_shape_fn((100, 90), |(i, j)| ((i + j * 7) % 10) as f64 / 3.0);
        assert!(is_large(130, 100, 90) && !is_large(40, 37, 23));
        let cases = cases
            .into_iter()
            .chain([
                (wide.view(), tall.view()),
                (tall.t(), wide.t()),
                (wide.slice(s![..;2, ..]), tall.view()),
            ])
            .collect::<Vec<_>>();
        for (a, b) in cases {
            let expected = naive(a, b);
            let mut c = Array2::from_elem(expected.dim(), f64::NAN);
            product(a, b, false, c.view_mut());
            assert!(c.iter().zip(&expected).all(|(x, y)| (x - y).abs() < 1e-12));
            // Accumulating adds to what is there.
            let mut twice = Array2::from_elem(expected.dim(), 0.5);
            product(a, b, true, twice.view_mut());
            assert!(
                twice
                    .iter()
                    .zip(&expected)
                    .all(|(x, y)| (x - 0.5 - y).abs() < 1e-12)
            );
        }
        // f32 too, into a transposed output.
        let a = big.mapv(|v| v as f32);
        let b = other.mapv(|v| v as f32);
        let mut ct = Array2::<f32>::zeros((23, 40));
        product(a.view(), b.view(), false, ct.view_mut().reversed_axes());
        let expected = naive(big.view(), other.view());
        assert!(
            ct.t()
                .iter()
                .zip(&expected)
                .all(|(x, y)| (f64::from(*x) - y).abs() < 1e-3)
        );
    }

    /// The f32 products past the threshold (Valley's AVX-512 kernel where
    /// the CPU has it, faer elsewhere): every edge of its tiles and blocks
    /// (6 rows, 64 columns, depth 512, 120 rows and 512 columns packed),
    /// operands transposed and strided, outputs by rows and by columns,
    /// replaced and accumulated, against f64.
    #[test]
    fn f32_products_match_f64_across_tile_and_block_edges() {
        let shapes = [
            (1, 300, 4096),
            (7, 257, 1025),
            (121, 513, 65),
            (130, 100, 90),
            (997, 64, 500),
            (64, 1000, 17),
        ];
        for (n, k, m) in shapes {
            let a64 =
                Array2::from_shape_fn((n, k), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 8.0 - 0.6);
            let b64 = Array2::from_shape_fn((k, m), |(i, j)| ((i * 5 + j) % 9) as f64 / 4.0 - 1.0);
            let expected = naive(a64.view(), b64.view());
            let tolerance = 1e-5 * k as f64;
            let a = a64.mapv(|v| v as f32);
            let b = b64.mapv(|v| v as f32);
            let (at, bt) = (a.t().to_owned(), b.t().to_owned());
            let close = |c: ArrayView2<f32>, offset: f64| {
                c.iter()
                    .zip(&expected)
                    .all(|(x, y)| (f64::from(*x) - offset - y).abs() < tolerance)
            };
            for (a, b) in [(a.view(), b.view()), (at.t(), bt.t()), (a.view(), bt.t())] {
                let mut c = Array2::from_elem((n, m), f32::NAN);
                product(a, b, false, c.view_mut());
                assert!(close(c.view(), 0.0), "{n}x{k}x{m}");
                let mut c = Array2::from_elem((n, m), 0.5f32);
                product(a, b, true, c.view_mut());
                assert!(close(c.view(), 0.5), "{n}x{k}x{m} accumulated");
                let mut ct = Array2::from_elem((m, n), f32::NAN);
                product(a, b, false, ct.view_mut().reversed_axes());
                assert!(close(ct.t(), 0.0), "{n}x{k}x{m} into columns");
            }
        }
        // Every other row of an operand and of the output.
        let (n, k, m) = (150, 300, 70);
        let a = Array2::from_shape_fn((2 * n, k), |(i, j)| ((i + 3 * j) % 7) as f32 - 3.0);
        let b = Array2::from_shape_fn((k, m), |(i, j)| ((2 * i + j) % 5) as f32 - 2.0);
        let a_rows = a.slice(s![..;2, ..]);
        let expected = naive(a_rows.mapv(f64::from).view(), b.mapv(f64::from).view());
        let mut c = Array2::from_elem((2 * n, m), f32::NAN);
        product(a_rows, b.view(), false, c.slice_mut(s![..;2, ..]));
        assert!(
            c.slice(s![..;2, ..])
                .iter()
                .zip(&expected)
                .all(|(x, y)| f64::from(*x) == *y)
        );
        assert!(
            c.slice(s![1..;2, ..]).iter().all(|x| x.is_nan()),
            "rows between left alone"
        );
    }
}
