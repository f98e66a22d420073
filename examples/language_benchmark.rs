//! Valley's speed and learning on the character language model.
//!
//! The standard small model (Bengio et al. 2003, as Karpathy's makemore
//! builds it): 27 symbols, context 3, embedding 10, 200 tanh units, on the
//! first 90 % of the names corpus's windows. Prints one JSON line per figure:
//! - `lm_train_steps_per_s`: Adam (lr 0.01) on minibatches of 32, the
//!   gradient from the tape (the same loop the peers time: gradient and
//!   update, no evaluation);
//! - `lm_run_steps_per_s`: the same through `Run::step`, which also
//!   evaluates train and test loss on its schedule for the loss chart;
//! - `lm_grid_61_s`: a 61 × 61 filter-normalised slice of the full training loss;
//! - `lm_loss_10000_<corpus>`: train and test loss after 10,000 steps on
//!   each built-in corpus, beside the exact bigram bound.
//!
//! The peers in `bench/peers/*language*` time the same case;
//! `bench/compare.py` runs them all and prints the ratios.
//!
//! Run: `cargo run --release --example language_benchmark [FIGURE]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use valley::engine::landscape::{DirectionKind, GridSpec, Plane, evaluate_grid, make_direction};
use valley::engine::language::{Corpus, Text};
use valley::engine::nn::Activation;
use valley::engine::optim::{Optimizer, OptimizerConfig};
use valley::engine::problem::{Batch, LanguageProblem, Problem, Workspace};
use valley::engine::train::{Run, TrainConfig};

fn standard(corpus: Corpus) -> anyhow::Result<LanguageProblem> {
    let text = Text::parse(corpus.text(), corpus.name())?;
    LanguageProblem::new(&text, corpus.title(), 3, 10, &[200], Activation::Tanh, 0.1)
}

fn adam() -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig {
            lr: 0.01,
            ..OptimizerConfig::default()
        },
        batch_size: Some(32),
        ..TrainConfig::default()
    }
}

fn main() -> anyhow::Result<()> {
    let only = std::env::args().nth(1).unwrap_or_default();
    let problem: Arc<dyn Problem> = Arc::new(standard(Corpus::Names)?);
    eprintln!(
        "{} ({} parameters, {} training examples)",
        problem.name(),
        problem.num_params(),
        problem.num_train_examples()
    );
    if "lm_train_steps_per_s".contains(&only) {
        // Epochs of a fixed shuffled order cut into batches of 32, as the peers do.
        let n = problem.num_train_examples();
        let mut order: Vec<usize> = (0..n).collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for i in (1..n).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.swap(i, (state >> 33) as usize % (i + 1));
        }
        let mut params = problem.init_params(0);
        let mut grad = vec![0.0; params.len()];
        let mut optimizer = Optimizer::new(adam().optimizer, params.len());
        let mut workspace = Workspace::default();
        let mut cursor = 0;
        let mut step = |params: &mut Vec<f32>| {
            if cursor + 32 > n {
                cursor = 0;
            }
            let batch = Batch::Indices(&order[cursor..cursor + 32]);
            cursor += 32;
            problem.loss_and_grad(params, batch, &mut grad, &mut workspace);
            optimizer.step(params, &grad, 0.01);
        };
        let best = (0..3)
            .map(|_| {
                let started = Instant::now();
                let mut steps = 0u64;
                while started.elapsed() < Duration::from_secs(2) {
                    for _ in 0..200 {
                        step(&mut params);
                    }
                    steps += 200;
                }
                steps as f64 / started.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max);
        report("lm_train_steps_per_s", best, "steps/s", 1);
    }
    if "lm_run_steps_per_s".contains(&only) {
        let mut run = Run::new(Arc::clone(&problem), adam())?;
        let started = Instant::now();
        for _ in 0..10_000 {
            run.step();
        }
        report(
            "lm_run_steps_per_s",
            10_000.0 / started.elapsed().as_secs_f64(),
            "steps/s",
            1,
        );
    }
    if "lm_grid_61_s".contains(&only) {
        let center = problem.init_params(0);
        let directions = (1..=2)
            .map(|seed| make_direction(DirectionKind::Filter, problem.layout(), &center, seed))
            .collect::<Result<Vec<_>, _>>()?;
        let plane = Plane::new(center, directions)?;
        // VALLEY_GRID_RES sets a smaller grid for quick profiling.
        let res: usize = std::env::var("VALLEY_GRID_RES")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(61);
        let spec = GridSpec::square(1.0, res);
        let mut best = f64::INFINITY;
        let mut centre_loss = 0.0;
        for _ in 0..2 {
            let started = Instant::now();
            let grid =
                evaluate_grid(problem.as_ref(), &plane, &spec, &|| false).expect("not cancelled");
            best = best.min(started.elapsed().as_secs_f64());
            centre_loss = grid.values[(res / 2) * res + res / 2];
        }
        report("lm_grid_61_s", best, "s", rayon::current_num_threads());
        eprintln!("  (centre loss {centre_loss:.6})");
    }
    for corpus in [Corpus::Names, Corpus::Prose] {
        let name = format!("lm_loss_10000_{corpus}");
        if !name.contains(&only) {
            continue;
        }
        let problem = Arc::new(standard(corpus)?);
        let mut run = Run::new(Arc::clone(&problem) as Arc<dyn Problem>, adam())?;
        for _ in 0..10_000 {
            run.step();
        }
        let e = problem.evaluate(run.params(), &mut Workspace::default());
        println!(
            "{{\"peer\":\"valley\",\"figure\":\"{name}\",\"train_loss\":{:.4},\"test_loss\":{:.4},\"bigram_bound\":{:.4},\"uniform\":{:.4}}}",
            e.train_loss,
            e.test_loss.unwrap_or(f32::NAN),
            problem.bigram_bound(),
            (problem.vocab().len() as f64).ln()
        );
    }
    Ok(())
}

fn report(name: &str, value: f64, unit: &str, threads: usize) {
    println!(
        "{{\"peer\":\"valley\",\"figure\":\"{name}\",\"value\":{value:.4},\"unit\":\"{unit}\",\"threads\":{threads}}}"
    );
}
