use ndarray::Array2;
use rayon::prelude::*;
use std::time::Instant;
use valley::engine::nn::*;
fn main() {
    let mlp = Mlp::new(&[2, 32, 32, 2], Activation::Tanh).unwrap();
    let p = mlp.init(Init::Torch, 0);
    let x = Array2::from_shape_fn((1000, 2), |(i, j)| {
        ((i * 7 + j * 3) % 13) as f32 / 6.0 - 1.0
    });
    let labels: Vec<usize> = (0..1000).map(|i| i % 2).collect();
    let t = Instant::now();
    let n = 10201;
    let total: f32 = (0..n)
        .into_par_iter()
        .map_init(ForwardScratch::default, |s, k| {
            let mut q = p.clone();
            q[0] += k as f32 * 1e-5;
            mlp.loss(&q, x.view(), TargetsRef::Classes(&labels), s)
        })
        .sum();
    println!("grid {:.3}s {}", t.elapsed().as_secs_f64(), total);
}
