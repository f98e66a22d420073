//! The curvature panel: the engine's analysis at the ball (sharpness, the
//! smallest eigenvalue, a verdict in one sentence, the density of
//! eigenvalues), run as a job with progress and Cancel whenever the run
//! pauses at a new step or the user asks.

use std::sync::Arc;

use egui::Color32;
use egui_plot::{Line, Plot, PlotPoints, VLine};
use valley_figure::plain_number;

use super::axes;
use super::runtime::Runtime;
use valley_engine::analysis::{Control, Curvature, analyse_curvature};
use valley_engine::exec;
use valley_engine::problem::Problem;
use valley_engine::train::RunState;

/// The analysis job's state, as the panel sees it.
#[derive(Default)]
pub struct CurvatureState {
    /// The newest finished analysis.
    result: Option<Result<Curvature, String>>,
    /// The running (or last) analysis.
    job: Option<exec::Job<Curvature>>,
    /// The step and parameters of the running (or last started) analysis.
    started_for: Option<(u64, Arc<[f32]>)>,
    /// The loss where that analysis started, and the start of its run.
    started_loss: f32,
    started_run: Option<Arc<[f32]>>,
    /// The parameters the newest finished analysis is of.
    result_at: Option<Arc<[f32]>>,
    /// The run's analyses so far, by step, and the start of that run.
    history: Vec<SpectrumPoint>,
    history_run: Option<Arc<[f32]>>,
}

/// One analysis along a run: how far training had gone, and how much of the
/// Hessian's spectrum was negative there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectrumPoint {
    /// The step analysed.
    pub step: u64,
    /// The training loss there.
    pub loss: f32,
    /// The share of negative eigenvalues.
    pub negative_share: f64,
    /// The largest eigenvalue.
    pub lambda_max: f64,
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
        self.started_loss = snapshot.evaluation.train_loss;
        self.started_run = Some(Arc::clone(&snapshot.initial_params));
        // Sliced by replay in a browser: the panel re-analyses as the run
        // goes on, and a page must keep drawing meanwhile.
        let started = valley_engine::analysis::spawn_analysis(
            "valley-curvature",
            problem,
            Box::new(move |problem: &Arc<dyn Problem>, control: &Control<'_>| {
                analyse_curvature(problem.as_ref(), &snapshot, control).map_err(|e| e.to_string())
            }),
            move || wake(),
        );
        match started {
            Ok(job) => self.job = Some(job),
            Err(e) => self.result = Some(Err(e)),
        }
    }

    /// Adds an analysis to the run's history; one from an earlier step
    /// than the last means a new run (a reset), which starts it over.
    fn remember(&mut self, c: &Curvature) {
        // Another run (a new problem, a lesson's next step at the same step
        // count) or a reset starts the history over.
        let same_run = match (&self.history_run, &self.started_run) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if !same_run || self.history.last().is_some_and(|p| p.step > c.step) {
            self.history.clear();
            self.history_run = self.started_run.clone();
        }
        self.history.retain(|p| p.step != c.step);
        self.history.push(SpectrumPoint {
            step: c.step,
            loss: self.started_loss,
            negative_share: c.negative_share,
            lambda_max: c.top.first().copied().unwrap_or(f64::NAN),
        });
    }

    /// The run's analyses so far, in step order.
    pub fn history(&self) -> &[SpectrumPoint] {
        &self.history
    }

    /// The newest analysis, when it is of exactly these parameters (the
    /// same step of another run does not count).
    fn result_of(&self, params: &Arc<[f32]>) -> Option<&Curvature> {
        match (&self.result, &self.result_at) {
            (Some(Ok(c)), Some(at)) if Arc::ptr_eq(at, params) || at[..] == params[..] => Some(c),
            _ => None,
        }
    }

    /// The share of negative eigenvalues at these parameters, once analysed.
    pub fn negative_share(&self, params: &Arc<[f32]>) -> Option<f32> {
        self.result_of(params).map(|c| c.negative_share as f32)
    }

    /// The largest eigenvalue at these parameters, once analysed.
    pub fn lambda_max(&self, params: &Arc<[f32]>) -> Option<f32> {
        self.result_of(params)
            .and_then(|c| c.top.first().map(|&l| l as f32))
    }

    /// Takes the job's result once it is there (a cancelled one leaves the last).
    fn poll(&mut self) {
        match self.job.as_ref().and_then(exec::Job::take) {
            Some(exec::Outcome::Done(curvature)) => {
                self.remember(&curvature);
                self.result_at = self.started_for.as_ref().map(|(_, p)| Arc::clone(p));
                self.result = Some(Ok(curvature));
            }
            Some(exec::Outcome::Failed(message)) => self.result = Some(Err(message)),
            Some(exec::Outcome::Cancelled) | None => {}
        }
    }
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
            // Room for Cancel beside it, however narrow the column.
            let width = (ui.available_width() - 80.0).clamp(60.0, 140.0);
            ui.add(egui::ProgressBar::new(done).desired_width(width).text("Hessian…"));
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
                "at step {}: sharpness λmax = {}, λmin = {}, {:.0} % negative",
                c.step,
                plain_number(sharpness),
                plain_number(c.min),
                100.0 * c.negative_share
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
            axes::marks_decades_y(axes::marks_125_x(Plot::new("spectrum")))
                .show_background(false)
                .height((height - 100.0).max(60.0))
                .x_axis_label("Hessian eigenvalue")
                .y_axis_label("density (log)")
                .x_axis_formatter(|mark, _| axes::linear(mark))
                .y_axis_formatter(|mark, _| axes::log10(mark))
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
