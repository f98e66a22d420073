//! Valley's speed on the reference case: MLP 2-32-32-2 tanh on 1,000 points.
//!
//! Prints one JSON line per figure: the 101 × 101 and 41 × 41 landscape
//! grids (filter-normalised directions, as Li et al. 2018), and Adam
//! training steps per second with the full batch and with minibatches of 64,
//! and the time for the Hessian's 5 largest eigenvalues (Lanczos on
//! Hessian-vector products) at the initial point; and, as a reference for
//! the film strip, four 41 × 41 frames through four points of a run.
//! The peers in `bench/peers/` measure the same case; `bench/compare.sh`
//! runs both and prints the ratios.
//!
//! Run: `cargo run --release -p valley-engine --example benchmark`

use std::sync::Arc;
use std::time::{Duration, Instant};

use valley_engine::analysis::{Control, extremes};
use valley_engine::landscape::{
    DirectionKind, FilmSpec, GridSpec, StepParams, evaluate_grid, film_strip,
};
use valley_engine::optim::OptimizerConfig;
use valley_engine::train::{Run, TrainConfig};

mod moons_case;
use moons_case::{MoonsCase, best_of, filter_plane};

fn main() -> anyhow::Result<()> {
    // An optional argument picks the figures whose names contain it (for profiling).
    let only = std::env::args().nth(1).unwrap_or_default();
    let case = MoonsCase::new(&[2, 32, 32, 2], 1000)?;
    let problem = case.problem()?;
    let plane = filter_plane(problem.as_ref(), problem.init_params(0))?;
    for res in [101, 41] {
        if !format!("grid_{res}").contains(&only) {
            continue;
        }
        let spec = GridSpec::square(1.0, res);
        let seconds = best_of(5, || {
            evaluate_grid(problem.as_ref(), &plane, &spec, &|| false).expect("not cancelled");
        });
        report(
            &format!("grid_{res}_s"),
            seconds,
            "s",
            rayon::current_num_threads(),
        );
    }
    if "hessian_top5_s".contains(&only) {
        let at: Vec<f64> = plane.center.iter().map(|&p| f64::from(p)).collect();
        let n = at.len();
        let mut products = 0;
        let mut top = Vec::new();
        let seconds = best_of(3, || {
            let problem = case.problem().expect("built once already");
            let mut hvp = |v: &[f64]| problem.hessian_vector(&at, v);
            let found = extremes(n, 5, &mut hvp, 0, &Control::none()).expect("not cancelled");
            products = found.products;
            top = found.top;
        });
        report("hessian_top5_s", seconds, "s", rayon::current_num_threads());
        eprintln!("  ({products} Hessian-vector products, {n} parameters, top 5 {top:.6?})");
    }
    if "film_strip_4x41_s".contains(&only) {
        // Four frames at four points along a short run, each with its own directions.
        let mut run = Run::new(Arc::clone(&problem), TrainConfig::default())?;
        let mut points = Vec::new();
        for step in 0..=300u64 {
            if [0, 10, 100, 300].contains(&step) {
                points.push((step, run.params().to_vec()));
            }
            run.step();
        }
        let frames: Vec<StepParams> = points
            .iter()
            .map(|(step, params)| StepParams {
                step: *step,
                params,
            })
            .collect();
        let film = FilmSpec {
            kind: DirectionKind::Filter,
            seed: 0,
            grid: GridSpec::square(1.0, 41),
        };
        let seconds = best_of(3, || {
            film_strip(problem.as_ref(), &frames, &frames, &film, &|_| {}, &|| {
                false
            })
            .expect("valid directions")
            .expect("not cancelled");
        });
        report(
            "film_strip_4x41_s",
            seconds,
            "s",
            rayon::current_num_threads(),
        );
    }
    for (name, batch) in [
        ("train_full_steps_per_s", None),
        ("train_mb64_steps_per_s", Some(64)),
    ] {
        if !name.contains(&only) {
            continue;
        }
        let config = TrainConfig {
            optimizer: OptimizerConfig::default(),
            batch_size: batch,
            ..TrainConfig::default()
        };
        let mut run = Run::new(Arc::clone(&problem), config)?;
        for _ in 0..200 {
            run.step();
        }
        let started = Instant::now();
        let mut steps = 0u64;
        while started.elapsed() < Duration::from_secs(2) {
            for _ in 0..100 {
                run.step();
            }
            steps += 100;
        }
        // A full batch of 1,000 rows is split over two cores; a minibatch is not.
        let threads = if batch.is_none() {
            rayon::current_num_threads().min(2)
        } else {
            1
        };
        report(
            name,
            steps as f64 / started.elapsed().as_secs_f64(),
            "steps/s",
            threads,
        );
    }
    Ok(())
}

fn report(name: &str, value: f64, unit: &str, threads: usize) {
    println!(
        "{{\"peer\":\"valley\",\"figure\":\"{name}\",\"value\":{value:.4},\"unit\":\"{unit}\",\"threads\":{threads}}}"
    );
}
