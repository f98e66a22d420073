//! The curvature at the ball: sharpness (the largest Hessian eigenvalue),
//! the smallest eigenvalue, a verdict (still descending, near a minimum, at
//! a saddle) in one sentence, and the density of eigenvalues. Computed on a
//! thread of its own, with progress and a way to cancel, whenever the run
//! pauses at a new step or the user asks.

use std::sync::Arc;

use egui::Color32;
use egui_plot::{Line, Plot, PlotPoints, VLine};

use super::runtime::Runtime;
use valley_engine::analysis::{AnalysisError, Control, density, extremes};
use valley_engine::exec;
use valley_engine::problem::Problem;
use valley_engine::train::RunState;

/// What the analysis found at one step.
#[derive(Clone, Debug)]
pub struct Curvature {
    /// The step analysed.
    pub step: u64,
    /// Largest eigenvalues, descending.
    pub top: Vec<f64>,
    /// Smallest eigenvalue.
    pub min: f64,
    /// Gradient norm at that point.
    pub grad_norm: f64,
    /// (eigenvalue, density) points of the spectrum.
    pub density: Vec<[f64; 2]>,
}

/// Where the ball stands, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The slope still dominates.
    Descending,
    /// Flat slope, and some direction curves down.
    Saddle,
    /// Flat slope, and no direction curves down.
    Minimum,
}

impl Curvature {
    /// The verdict: a slope steep next to the sharpness means descent goes on;
    /// otherwise the sign of the smallest eigenvalue tells a saddle from a minimum.
    pub fn verdict(&self) -> Verdict {
        let sharpness = self.top.first().copied().unwrap_or(0.0).abs().max(1e-12);
        if self.grad_norm > 1e-2 * sharpness.max(1.0) {
            Verdict::Descending
        } else if self.min < -1e-3 * sharpness {
            Verdict::Saddle
        } else {
            Verdict::Minimum
        }
    }
}

impl Verdict {
    /// One sentence for a student.
    pub fn explain(self) -> &'static str {
        match self {
            Verdict::Descending => {
                "Still descending: the slope is steep compared with how the surface curves, so the next steps still go clearly downhill."
            }
            Verdict::Saddle => {
                "At a saddle: the slope has nearly vanished, but the surface curves down along at least one direction, so a nudge that way goes further down."
            }
            Verdict::Minimum => {
                "Near a minimum: the slope has nearly vanished and the surface curves up (or stays flat) in every direction."
            }
        }
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Verdict::Descending => "still descending",
            Verdict::Saddle => "at a saddle (negative curvature)",
            Verdict::Minimum => "near a minimum",
        }
    }
}

/// The analysis job's state, as the panel sees it.
#[derive(Default)]
pub struct CurvatureState {
    /// The newest finished analysis.
    result: Option<Result<Curvature, String>>,
    /// The running (or last) analysis.
    job: Option<exec::Job<Curvature>>,
    /// The step and parameters of the running (or last started) analysis.
    started_for: Option<(u64, Arc<[f32]>)>,
}

impl CurvatureState {
    fn is_running(&self) -> bool {
        self.job.as_ref().is_some_and(|job| !job.is_finished())
    }

    /// Starts an analysis at the runtime's current parameters (the one
    /// running is cancelled: its result would be for another point).
    fn start(&mut self, runtime: &Runtime) {
        if let Some(old) = &self.job {
            old.cancel();
        }
        let problem: Arc<dyn Problem> = Arc::clone(&runtime.problem);
        let snapshot = Arc::clone(&runtime.snapshot);
        let wake = runtime.wake();
        self.started_for = Some((snapshot.step, Arc::clone(&snapshot.params)));
        let started = exec::spawn_blocking(
            "valley-curvature",
            move |control| {
                let control = Control {
                    cancelled: control.cancelled,
                    progress: control.progress,
                };
                match analyse(problem.as_ref(), &snapshot, &control) {
                    Ok(curvature) => exec::Outcome::Done(curvature),
                    Err(AnalysisError::Cancelled) => exec::Outcome::Cancelled,
                    Err(e) => exec::Outcome::Failed(e.to_string()),
                }
            },
            move || wake(),
        );
        match started {
            Ok(job) => self.job = Some(job),
            Err(e) => self.result = Some(Err(e)),
        }
    }

    /// Takes the job's result once it is there (a cancelled one leaves the last).
    fn poll(&mut self) {
        match self.job.as_ref().and_then(exec::Job::take) {
            Some(exec::Outcome::Done(curvature)) => self.result = Some(Ok(curvature)),
            Some(exec::Outcome::Failed(message)) => self.result = Some(Err(message)),
            Some(exec::Outcome::Cancelled) | None => {}
        }
    }
}

fn analyse(
    problem: &dyn Problem,
    snapshot: &valley_engine::train::Snapshot,
    control: &Control<'_>,
) -> Result<Curvature, AnalysisError> {
    let at: Vec<f64> = snapshot.params.iter().map(|&p| f64::from(p)).collect();
    let n = at.len();
    let mut hvp = |v: &[f64]| problem.hessian_vector(&at, v);
    let half = |from: f32| move |f: f32| (control.progress)(from + 0.5 * f);
    let first = half(0.0);
    let found = extremes(
        n,
        3,
        &mut hvp,
        0,
        &Control {
            cancelled: control.cancelled,
            progress: &first,
        },
    )?;
    let second = half(0.5);
    let spectrum = density(
        n,
        &mut hvp,
        4,
        40,
        200,
        1,
        &Control {
            cancelled: control.cancelled,
            progress: &second,
        },
    )?;
    Ok(Curvature {
        step: snapshot.step,
        top: found.top,
        min: found.min,
        grad_norm: f64::from(snapshot.grad_norm),
        density: spectrum
            .eigenvalues
            .iter()
            .zip(&spectrum.density)
            .map(|(&x, &y)| [x, y])
            .collect(),
    })
}

/// The panel: numbers, verdict, density; recomputed when the run pauses at a new step.
pub fn curvature_ui(ui: &mut egui::Ui, runtime: &Runtime, state: &mut CurvatureState, height: f32) {
    let snapshot = &runtime.snapshot;
    let paused = !matches!(snapshot.state, RunState::Running) && runtime.is_consistent();
    let stale = state.started_for.as_ref().is_none_or(|(step, params)| {
        *step != snapshot.step || !Arc::ptr_eq(params, &snapshot.params)
    });
    state.poll();
    if paused && stale && !matches!(snapshot.state, RunState::Diverged { .. }) {
        state.start(runtime);
    }
    ui.horizontal(|ui| {
        if state.is_running() {
            let done = state.job.as_ref().map_or(0.0, exec::Job::progress);
            ui.add(egui::ProgressBar::new(done).desired_width(140.0).text("computing the Hessian…"));
            if ui.button("Cancel").on_hover_text("Stop this analysis").clicked()
                && let Some(job) = &state.job
            {
                job.cancel();
            }
        } else if ui
            .button("Analyse here")
            .on_hover_text("Compute the Hessian's extreme eigenvalues and its spectrum at the ball now (it also happens by itself when training pauses)")
            .clicked()
        {
            state.start(runtime);
        }
    });
    let result = state.result.clone();
    match result {
        None => {
            ui.label("pause training to see the curvature at the ball");
        }
        Some(Err(message)) => {
            ui.colored_label(ui.visuals().warn_fg_color, message);
        }
        Some(Ok(c)) => {
            let verdict = c.verdict();
            let sharpness = c.top.first().copied().unwrap_or(f64::NAN);
            ui.label(format!(
                "at step {}: sharpness λmax = {sharpness:.3e}, λmin = {:.3e}",
                c.step, c.min
            ))
            .on_hover_text("The largest and smallest eigenvalues of the Hessian: how steeply the loss curves up (or down) along its sharpest and most negative directions");
            ui.strong(verdict.title());
            ui.label(verdict.explain());
            // Log scale: a network's spectrum is a tall bulk near zero with a
            // few outliers, which a linear axis would flatten to nothing.
            let floor = 1e-6;
            let log_density: Vec<[f64; 2]> = c
                .density
                .iter()
                .map(|&[x, y]| [x, (y.max(0.0) + floor).log10()])
                .collect();
            Plot::new("spectrum")
                .show_background(false)
                .height((height - 100.0).max(60.0))
                .x_axis_label("Hessian eigenvalue")
                .y_axis_label("density (log)")
                .y_axis_formatter(|mark, _| format!("{:.0e}", 10f64.powf(mark.value)))
                .allow_scroll(false)
                .show(ui, |plot| {
                    plot.line(
                        Line::new("eigenvalue density", PlotPoints::from(log_density))
                            .width(2.0)
                            .color(Color32::from_rgb(120, 170, 255)),
                    );
                    plot.vline(VLine::new("zero", 0.0).color(Color32::GRAY));
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(grad_norm: f64, top: f64, min: f64) -> Curvature {
        Curvature {
            step: 0,
            top: vec![top],
            min,
            grad_norm,
            density: Vec::new(),
        }
    }

    #[test]
    fn the_verdict_reads_the_slope_then_the_sign_of_the_curvature() {
        assert_eq!(at(0.5, 2.0, 0.1).verdict(), Verdict::Descending);
        assert_eq!(at(1e-5, 2.0, -0.5).verdict(), Verdict::Saddle);
        assert_eq!(at(1e-5, 2.0, 1e-6).verdict(), Verdict::Minimum);
        // A tiny negative eigenvalue (flat directions, rounding) is still a minimum.
        assert_eq!(at(1e-5, 2.0, -1e-6).verdict(), Verdict::Minimum);
    }
}
