//! Soak test: a million training steps with the trainer streaming snapshots
//! to a reader that polls like a 60 Hz window. Resident memory is read from
//! /proc after warm-up and at the end; the records are decimated, so it
//! should not grow.
//!
//! Before the long run it measures what depends on the clock and so has no
//! place in the tests: the throttle's pace, how often an unread trainer
//! publishes, and how fresh a 100 Hz reader's snapshots are.
//!
//! `cargo run --release --example soak [STEPS]` (default 1,000,000).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    pacing(&problem, config)?;
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

/// The clock-bound figures: the throttle, unread publications, a 100 Hz reader.
fn pacing(problem: &Arc<dyn Problem>, config: TrainConfig) -> anyhow::Result<()> {
    let wakes = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&wakes);
    let trainer = Trainer::spawn(
        Arc::clone(problem),
        config,
        Box::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    )?;
    trainer.send(Command::SetSpeed(Speed::StepsPerSecond(40.0)));
    trainer.send(Command::Play);
    std::thread::sleep(Duration::from_millis(1000));
    let throttled = trainer.latest().step;
    println!("throttle at 40 steps/s: {throttled} steps in 1 s (target 30 to 50)");
    trainer.send(Command::SetSpeed(Speed::Max));
    std::thread::sleep(Duration::from_millis(500));
    let before = wakes.load(Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let unread = (wakes.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    println!("publications with nobody reading: {unread:.1} a second (target ≤ 12)");
    let before = wakes.load(Ordering::Relaxed);
    let started = Instant::now();
    let (mut fresh, mut last) = (0u32, u64::MAX);
    while started.elapsed() < Duration::from_millis(1000) {
        let step = trainer.latest().step;
        if step != last {
            fresh += 1;
            last = step;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let read = wakes.load(Ordering::Relaxed) - before;
    println!(
        "a 100 Hz reader: {fresh} fresh snapshots and {read} publications in 1 s (targets ≥ 40 and ≤ 130)"
    );
    if !(30..=50).contains(&throttled) || unread > 12.0 || fresh < 40 || read > 130 {
        anyhow::bail!("a pacing figure is off its target");
    }
    Ok(())
}
