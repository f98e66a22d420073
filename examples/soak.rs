//! Soak test: a million training steps with the trainer streaming snapshots
//! to a reader that polls like a 60 Hz window. Resident memory is read from
//! /proc after warm-up and at the end; the records are decimated, so it
//! should not grow.
//!
//! `cargo run --release --example soak [STEPS]` (default 1,000,000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use valley::engine::data::{DatasetKind, DatasetSpec, generate};
use valley::engine::nn::{Activation, Init, Mlp};
use valley::engine::problem::{MlpProblem, Problem};
use valley::engine::train::{Command, Speed, TrainConfig, Trainer};

fn resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(f64::NAN, |pages| pages * 4096.0 / 1e6)
}

fn main() -> anyhow::Result<()> {
    let steps: u64 = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |s| s.parse())?;
    let data = generate(&DatasetSpec::new(DatasetKind::Spirals))?;
    let mlp = Mlp::new(&[2, 16, 16, 2], Activation::Tanh)?;
    let problem: Arc<dyn Problem> = Arc::new(MlpProblem::new(
        mlp,
        Arc::new(data),
        Init::Torch,
        "spirals",
    )?);
    let config = TrainConfig {
        batch_size: Some(32),
        ..TrainConfig::default()
    };
    let trainer = Trainer::spawn(problem, config, Box::new(|| {}))?;
    trainer.send(Command::SetSpeed(Speed::Max));
    trainer.send(Command::Play);
    let started = Instant::now();
    let warm_up = steps / 20;
    let mut warm: Option<(f64, u64)> = None;
    let mut snapshots = 0u64;
    let mut trail_points = 0usize;
    loop {
        let snapshot = trainer.latest();
        snapshots += 1;
        // Touch what a view touches, so nothing is optimised away.
        trail_points = trail_points.max(snapshot.trajectory.len() + snapshot.history.len());
        if warm.is_none() && snapshot.step >= warm_up {
            warm = Some((resident_mb(), snapshot.step));
            println!(
                "warm-up done at step {}: {:.1} MB resident",
                snapshot.step,
                resident_mb()
            );
        }
        if snapshot.step >= steps {
            break;
        }
        std::thread::sleep(Duration::from_millis(16));
    }
    trainer.send(Command::Pause);
    let seconds = started.elapsed().as_secs_f64();
    let end = resident_mb();
    let (warm_mb, _) = warm.unwrap_or((end, 0));
    let growth = 100.0 * (end - warm_mb) / warm_mb;
    println!(
        "{steps} steps in {seconds:.1} s ({:.0} steps/s), {snapshots} snapshots read, at most {trail_points} trail and curve points",
        steps as f64 / seconds
    );
    println!(
        "resident memory: {warm_mb:.1} MB after warm-up, {end:.1} MB at the end: {growth:+.1} % (target < 10 %)"
    );
    if growth >= 10.0 {
        anyhow::bail!("resident memory grew by {growth:.1} %");
    }
    Ok(())
}
