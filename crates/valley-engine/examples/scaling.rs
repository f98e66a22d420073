//! How Valley's cost grows with the model: MLP 2-H-H-2 tanh with H = 29,
//! 97, 314 and 997 (10³ to 10⁶ parameters) on 1,000 and 10,000 moons.
//!
//! For each case, one JSON line with the keys `bench/peers/scaling_jax.py`
//! prints: a 41 × 41 loss grid (filter-normalised directions), the top 5
//! Hessian eigenvalues (Lanczos on exact Hessian-vector products, f64), and
//! full-batch Adam steps per second. Where parameters × points exceed 10⁸
//! the grid is timed on its first row (41 points) and scaled to 1,681, and
//! the Hessian is timed on recording the point plus 10 products, scaled to
//! 60; the line says how much was measured. `python bench/scaling.py` runs
//! this and the JAX peer back to back and draws the plot in the README.
//!
//! `--preview` instead asks the app's landscape worker for a 41 × 41 slice
//! of the million-parameter model and prints when each of its passes (a
//! coarse picture first, then finer ones) arrives.
//!
//! Run: `cargo run --release -p valley-engine --example scaling [-- --quick | --cases 29:1000,997:10000 | --preview]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use valley_engine::analysis::{Control, extremes};
use valley_engine::landscape::{
    GridAxis, GridSpec, LandscapeRequest, LandscapeWorker, evaluate_grid,
};
use valley_engine::train::{Run, TrainConfig};

mod moons_case;
use moons_case::{MoonsCase, best_of, filter_plane};

const HIDDEN: [usize; 4] = [29, 97, 314, 997];
const POINTS: [usize; 2] = [1000, 10_000];
/// Past this many parameters × points a figure is timed on a part and scaled.
const PARTIAL_ABOVE: usize = 100_000_000;
/// Lanczos steps of the reference figure (as `hessian_torch.py`).
const LANCZOS_STEPS: usize = 60;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--preview") {
        for points in POINTS {
            preview(HIDDEN[3], points)?;
        }
        return Ok(());
    }
    let cases: Vec<(usize, usize)> = if args.iter().any(|a| a == "--quick") {
        vec![(HIDDEN[0], POINTS[0])]
    } else if let Some(i) = args.iter().position(|a| a == "--cases") {
        let list = args
            .get(i + 1)
            .ok_or_else(|| anyhow::anyhow!("--cases needs H:N,H:N"))?;
        list.split(',')
            .map(|case| {
                let (h, n) = case
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("case '{case}' is not H:N"))?;
                Ok((h.trim().parse()?, n.trim().parse()?))
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        HIDDEN
            .iter()
            .flat_map(|&h| POINTS.iter().map(move |&n| (h, n)))
            .collect()
    };
    for (hidden, points) in cases {
        measure(hidden, points)?;
    }
    Ok(())
}

/// The passes of a live 41 × 41 slice of 2-H-H-2 on `points` examples, as
/// the landscape worker delivers them (up to the full grid, or 2 minutes).
fn preview(hidden: usize, points: usize) -> anyhow::Result<()> {
    let problem = MoonsCase::new(&[2, hidden, hidden, 2], points)?.problem()?;
    let plane = Arc::new(filter_plane(problem.as_ref(), problem.init_params(0))?);
    let worker = LandscapeWorker::spawn(Box::new(|| {}))?;
    let started = Instant::now();
    let generation = worker.request(LandscapeRequest {
        problem: Arc::clone(&problem),
        plane,
        spec: GridSpec::square(1.0, 41),
    });
    let mut passes = Vec::new();
    let mut seen = None;
    while started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
        let Some(result) = worker.latest().filter(|r| r.generation == generation) else {
            continue;
        };
        let key = (
            result.grid.spec.alpha.points,
            result.is_final,
            result.sample,
        );
        if seen == Some(key) {
            continue;
        }
        seen = Some(key);
        // Points per axis, seconds, and the examples the pass used.
        passes.push(format!(
            "[{}, {:.3}, {}]",
            result.grid.spec.alpha.points,
            started.elapsed().as_secs_f64(),
            result.sample.map_or(points, |(examples, _)| examples)
        ));
        if result.is_final {
            break;
        }
    }
    println!(
        "{{\"peer\": \"valley\", \"preview\": true, \"hidden\": {hidden}, \"params\": {}, \"points\": {points}, \"passes_points_per_axis_seconds_and_examples\": [{}]}}",
        problem.num_params(),
        passes.join(", ")
    );
    Ok(())
}

fn measure(hidden: usize, points: usize) -> anyhow::Result<()> {
    let case = MoonsCase::new(&[2, hidden, hidden, 2], points)?;
    let problem = case.problem()?;
    let params = problem.num_params();
    let partial = params * points > PARTIAL_ABOVE;
    let center = problem.init_params(0);

    // The grid: all 1,681 points, or its first row of 41.
    let plane = filter_plane(problem.as_ref(), center.clone())?;
    let full = GridSpec::square(1.0, 41);
    let grid = if partial {
        GridSpec {
            beta: Some(GridAxis {
                min: -1.0,
                max: -1.0,
                points: 1,
            }),
            ..full
        }
    } else {
        full
    };
    let grid_seconds = best_of(if partial { 2 } else { 3 }, || {
        evaluate_grid(problem.as_ref(), &plane, &grid, &|| false).expect("not cancelled");
    }) * full.len() as f64
        / grid.len() as f64;

    // The Hessian's top 5 at the initial point, in f64.
    let at: Vec<f64> = center.iter().map(|&p| f64::from(p)).collect();
    let (hessian_seconds, products) = if partial {
        // Recording the point is paid once; the products scale to 60.
        let measured = 10;
        let direction: Vec<f64> = (0..params).map(|i| ((i % 7) as f64 - 3.0) / 3.0).collect();
        let problem = case.problem()?;
        let started = Instant::now();
        problem.hessian_vector(&at, &direction).expect("product");
        let first = started.elapsed().as_secs_f64();
        let started = Instant::now();
        for _ in 1..measured {
            problem.hessian_vector(&at, &direction).expect("product");
        }
        let each = started.elapsed().as_secs_f64() / (measured - 1) as f64;
        (first + each * (LANCZOS_STEPS - 1) as f64, measured)
    } else {
        let mut products = 0;
        let seconds = best_of(3, || {
            // A fresh problem each time, so every run records its point.
            let problem = case.problem().expect("built once already");
            let mut hvp = |v: &[f64]| problem.hessian_vector(&at, v);
            products = extremes(params, 5, &mut hvp, 0, &Control::none())
                .expect("not cancelled")
                .products;
        });
        // Same work as the peer's 60 Lanczos steps, if Lanczos stopped early.
        (
            seconds * LANCZOS_STEPS as f64 / products.max(1) as f64,
            products,
        )
    };

    // Full-batch Adam.
    let mut run = Run::new(Arc::clone(&problem), TrainConfig::default())?;
    for _ in 0..3 {
        run.step();
    }
    let mut best = 0.0f64;
    for _ in 0..2 {
        let started = Instant::now();
        let mut steps = 0u64;
        while steps < 5 || started.elapsed() < Duration::from_secs(1) {
            run.step();
            steps += 1;
        }
        best = best.max(steps as f64 / started.elapsed().as_secs_f64());
    }

    println!(
        "{{\"peer\": \"valley\", \"hidden\": {hidden}, \"params\": {params}, \"points\": {points}, \
         \"grid_41_s\": {grid_seconds:.5}, \"grid_points_measured\": {}, \
         \"hessian_top5_s\": {hessian_seconds:.5}, \"hessian_products_measured\": {products}, \
         \"adam_steps_per_s\": {best:.1}, \"simd\": \"{}\"}}",
        grid.len(),
        valley_engine::simd::level().name()
    );
    Ok(())
}
