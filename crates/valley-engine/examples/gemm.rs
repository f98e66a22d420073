//! Valley's f32 matrix product against faer's, in the same run, on the
//! three products of a million-parameter model's training step (2-997-997-2
//! on 1,000 points, each core taking half the batch): the forward `W·A`,
//! the weight gradient `dZ·Aᵀ` and the back-propagated `Wᵀ·dZ`.
//!
//! Prints one JSON line per product: GFLOP/s of each on one core, and on
//! both cores at once (each on its own half, as training runs them).
//!
//! Run: `cargo run --release -p valley-engine --example gemm`

use std::time::Instant;

use faer::mat::{MatMut, MatRef};
use faer::{Accum, Par};
use ndarray::{Array2, ArrayView2, ArrayViewMut2};
use valley_engine::kernels::gemm;

/// Width of the hidden layers and examples per core.
const WIDTH: usize = 997;
const HALF: usize = 500;

fn main() {
    let w = filled(WIDTH, WIDTH, 1);
    let act = filled(WIDTH, HALF, 2);
    let dz = filled(WIDTH, HALF, 3);
    let cases: [(&str, ArrayView2<f32>, ArrayView2<f32>); 3] = [
        ("forward W.A", w.view(), act.view()),
        ("weight gradient dZ.A^T", dz.view(), act.t()),
        ("back W^T.dZ", w.t(), dz.view()),
    ];
    println!(
        "{{\"simd\": \"{}\", \"threads\": {}}}",
        valley_engine::simd::level().name(),
        rayon::current_num_threads()
    );
    for (name, a, b) in cases {
        let flops = 2.0 * (a.nrows() * a.ncols() * b.ncols()) as f64;
        let mut row = Vec::new();
        for (kernel, run) in [
            (
                "valley",
                valley as fn(ArrayView2<f32>, ArrayView2<f32>, ArrayViewMut2<f32>),
            ),
            ("faer", faer_product),
        ] {
            let one = best_seconds(|| timed(run, a, b));
            let two = best_seconds(|| {
                let (x, y) = rayon::join(|| timed(run, a, b), || timed(run, a, b));
                x.max(y)
            });
            row.push(format!(
                "\"{kernel}_gflops_one_core\": {:.1}, \"{kernel}_gflops_two_cores\": {:.1}",
                flops / one / 1e9,
                2.0 * flops / two / 1e9
            ));
        }
        println!("{{\"product\": \"{name}\", {}}}", row.join(", "));
    }
}

fn filled(rows: usize, cols: usize, seed: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 31 + j * 17 + seed * 7) % 97) as f32 / 97.0 - 0.5
    })
}

/// Seconds of one product into a fresh output.
fn timed(
    run: fn(ArrayView2<f32>, ArrayView2<f32>, ArrayViewMut2<f32>),
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
) -> f64 {
    let mut c = Array2::<f32>::zeros((a.nrows(), b.ncols()));
    let started = Instant::now();
    run(a, b, c.view_mut());
    started.elapsed().as_secs_f64()
}

/// The best of 20 (after 3 to warm up).
fn best_seconds(mut once: impl FnMut() -> f64) -> f64 {
    (0..23)
        .map(|_| once())
        .skip(3)
        .fold(f64::INFINITY, f64::min)
}

fn valley(a: ArrayView2<f32>, b: ArrayView2<f32>, c: ArrayViewMut2<f32>) {
    gemm::product(a, b, false, c);
}

fn faer_product(a: ArrayView2<f32>, b: ArrayView2<f32>, mut c: ArrayViewMut2<f32>) {
    let (n, k, m) = (a.nrows(), a.ncols(), b.ncols());
    // SAFETY: each view describes memory it borrows for this call; `c` is
    // borrowed mutably, so it aliases neither operand.
    let (a, b, c) = unsafe {
        (
            MatRef::from_raw_parts(a.as_ptr(), n, k, a.strides()[0], a.strides()[1]),
            MatRef::from_raw_parts(b.as_ptr(), k, m, b.strides()[0], b.strides()[1]),
            MatMut::from_raw_parts_mut(c.as_mut_ptr(), n, m, c.strides()[0], c.strides()[1]),
        )
    };
    faer::linalg::matmul::matmul(c, Accum::Replace, a, b, 1.0f32, Par::Seq);
}
