//! `valley --measure SECONDS`: the app's own speed, measured in the real
//! window. First the trainer runs alone for a baseline; then the app trains
//! at full speed (its script says so) with a following slice, rendering
//! continuously, and
//! reports frames per second, the UI's time per frame, training steps per
//! second against the baseline, resident memory, and how long the window
//! took to show its first frame.

use std::sync::{Arc, Mutex};
use valley_engine::exec::Instant;

use serde::Serialize;

use super::runtime::Runtime;
use valley_engine::train::{Run, StepOutcome};

/// The figures, printed as JSON.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Measurement {
    /// Seconds from launch to the first frame.
    pub first_frame_s: f64,
    /// Frames drawn per second while training.
    pub fps: f64,
    /// Mean time the UI spent per frame, in milliseconds.
    pub ui_ms_per_frame: f64,
    /// Training steps per second with the window open.
    pub steps_per_s_with_window: f64,
    /// Training steps per second without a window (same problem, same process).
    pub steps_per_s_alone: f64,
    /// 1 − with/alone.
    pub training_slowdown: f64,
    /// Following 2D slices finished per second while training.
    pub slice_refreshes_per_s: f64,
    /// Resident memory at the end, in MB.
    pub resident_mb: f64,
    /// Seconds measured.
    pub seconds: f64,
}

/// Shared with `run`, which prints it after the window closes.
pub type Report = Arc<Mutex<Option<Measurement>>>;

/// Steps per second of a bare run of the settings' problem, for the baseline.
pub fn baseline(settings: &super::Settings, seconds: f64) -> f64 {
    let Ok(problem) = super::runtime::build_problem(settings) else {
        return 0.0;
    };
    let Ok(mut run) = Run::new(problem, settings.train) else {
        return 0.0;
    };
    let started = Instant::now();
    let mut steps = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        for _ in 0..32 {
            if let StepOutcome::Diverged { .. } = run.step() {
                run.reset(None);
            }
        }
        steps += 32;
    }
    steps as f64 / started.elapsed().as_secs_f64()
}

/// The measurement in progress.
pub struct MeasurePlan {
    launched: Instant,
    seconds: f64,
    alone: f64,
    started: Option<(Instant, u64)>,
    frames: u64,
    ui_ms: f64,
    first_frame: Option<f64>,
    /// The generation of the last finished 2D slice, and how many arrived.
    last_slice: u64,
    slices: u64,
    report: Report,
}

impl MeasurePlan {
    /// A plan to measure for `seconds`, with the baseline already taken.
    pub fn new(launched: Instant, seconds: f64, alone: f64, report: Report) -> Self {
        Self {
            launched,
            seconds,
            alone,
            started: None,
            frames: 0,
            ui_ms: 0.0,
            first_frame: None,
            last_slice: 0,
            slices: 0,
            report,
        }
    }

    /// Whether the figures are in (the script then pauses and closes).
    pub fn is_done(&self) -> bool {
        self.report.lock().is_ok_and(|r| r.is_some())
    }

    /// Records one frame, with the UI's time for the previous one; the
    /// script has started training at full speed.
    pub fn advance(&mut self, ctx: &egui::Context, runtime: &Runtime, ui_ms: f32) {
        if self.is_done() {
            return;
        }
        ctx.request_repaint();
        if self.first_frame.is_none() {
            self.first_frame = Some(self.launched.elapsed().as_secs_f64());
            return;
        }
        let Some((started, first_step)) = self.started else {
            // Give the trainer a moment to get going before the clock starts.
            if runtime.snapshot.step > 0 {
                self.started = Some((Instant::now(), runtime.snapshot.step));
            }
            return;
        };
        self.frames += 1;
        self.ui_ms += f64::from(ui_ms);
        if let Some(grid) = &runtime.slices.grid
            && grid.is_final
            && grid.generation != self.last_slice
        {
            self.last_slice = grid.generation;
            self.slices += 1;
        }
        let elapsed = started.elapsed().as_secs_f64();
        if elapsed < self.seconds {
            return;
        }
        let with_window = (runtime.snapshot.step - first_step) as f64 / elapsed;
        let measurement = Measurement {
            first_frame_s: self.first_frame.unwrap_or_default(),
            fps: self.frames as f64 / elapsed,
            ui_ms_per_frame: self.ui_ms / self.frames.max(1) as f64,
            steps_per_s_with_window: with_window,
            steps_per_s_alone: self.alone,
            training_slowdown: 1.0 - with_window / self.alone.max(1e-9),
            slice_refreshes_per_s: self.slices as f64 / elapsed,
            resident_mb: resident_mb(),
            seconds: elapsed,
        };
        if let Ok(mut slot) = self.report.lock() {
            *slot = Some(measurement);
        }
    }
}

fn resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}

/// The browser build's yardstick: the same work timed by the same code in a
/// browser (`valley_web`'s `yardstick`) and natively on one thread
/// (`examples/browser_reference.rs`), on the default demo the app opens.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Yardstick {
    /// Training steps per second of a bare run.
    pub train_steps_per_s: f64,
    /// A 61 × 61 slice along filter-normalised directions, in milliseconds.
    pub slice_61_ms: f64,
    /// The Hessian's five largest eigenvalues (Lanczos), in milliseconds.
    pub hessian_top5_ms: f64,
    /// Parameters of the model measured.
    pub params: usize,
}

/// Times [`Yardstick`]'s figures, best of `runs`, training for `seconds` each.
pub fn yardstick(seconds: f64, runs: usize) -> anyhow::Result<Yardstick> {
    let mut best = yardstick_once(seconds)?;
    for _ in 1..runs {
        let once = yardstick_once(seconds)?;
        best.train_steps_per_s = best.train_steps_per_s.max(once.train_steps_per_s);
        best.slice_61_ms = best.slice_61_ms.min(once.slice_61_ms);
        best.hessian_top5_ms = best.hessian_top5_ms.min(once.hessian_top5_ms);
    }
    Ok(best)
}

fn yardstick_once(seconds: f64) -> anyhow::Result<Yardstick> {
    use valley_engine::analysis::{Control, extremes};
    use valley_engine::landscape::{DirectionKind, GridSpec, Plane, evaluate_grid, make_direction};

    let settings = super::Settings::default();
    let problem = super::runtime::build_problem(&settings)?;
    let center = problem.init_params(settings.train.seed);
    let directions = (1..=2)
        .map(|seed| make_direction(DirectionKind::Filter, problem.layout(), &center, seed))
        .collect::<Result<Vec<_>, _>>()?;
    let plane = Plane::new(center, directions)?;
    let spec = GridSpec::square(1.0, 61);
    let started = Instant::now();
    evaluate_grid(problem.as_ref(), &plane, &spec, &|| false)
        .ok_or_else(|| anyhow::anyhow!("the slice was cancelled"))?;
    let slice_61_ms = started.elapsed().as_secs_f64() * 1e3;
    let at: Vec<f64> = plane.center.iter().map(|&p| f64::from(p)).collect();
    let mut hvp = |v: &[f64]| problem.hessian_vector(&at, v);
    let started = Instant::now();
    extremes(at.len(), 5, &mut hvp, 0, &Control::none())
        .map_err(|e| anyhow::anyhow!("the Hessian's eigenvalues: {e:?}"))?;
    let hessian_top5_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(Yardstick {
        train_steps_per_s: baseline(&settings, seconds),
        slice_61_ms,
        hessian_top5_ms,
        params: at.len(),
    })
}
