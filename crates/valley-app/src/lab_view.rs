//! The Generalisation view: double descent, lottery tickets and the luck of
//! the draw, run as sweeps off the UI thread. The plots grow as each model
//! finishes; a click on a point opens that model in the landscape views.

use std::sync::Arc;

use egui::{Color32, RichText};
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points, Polygon, VLine};
use valley_engine::exec::{self, Job, Outcome};
use valley_engine::generalisation::{
    Arm, DoubleDescent, DoubleDescentRow, DoubleDescentSettings, FitMode, Lottery, LotteryRow,
    LotterySettings, Rows, SeedRow, Seeds, SeedsSettings, Sweep, double_descent, lottery, seeds,
};
use valley_engine::problem::{MlpProblem, ProblemSpec};
use valley_engine::train::{Run, TrainConfig};
use valley_figure::plain_number;

use super::axes;
use super::command::AppCommand;
pub use super::lab_settings::{LabExperiment, LabSettings};
use super::wake::Wake;

/// A sweep in flight and where its rows appear.
enum Running {
    DoubleDescent(Job<Vec<DoubleDescentRow>>, Rows<DoubleDescentRow>),
    Lottery(Job<Vec<LotteryRow>>, Rows<LotteryRow>),
    Seeds(Job<Vec<SeedRow>>, Rows<SeedRow>),
}

/// The lab's settings, results and running sweep.
#[derive(Default)]
pub struct Lab {
    /// The experiment shown (the app's settings choose it each frame).
    experiment: LabExperiment,
    /// Double descent's settings.
    pub double_descent: DoubleDescentSettings,
    /// The lottery's.
    pub lottery: LotterySettings,
    /// The seeds experiment's.
    pub seeds: SeedsSettings,
    running: Option<Running>,
    /// The settings the rows on screen came from.
    shown: Option<(DoubleDescentSettings, LotterySettings, SeedsSettings)>,
    dd_rows: Vec<DoubleDescentRow>,
    lottery_rows: Vec<LotteryRow>,
    seed_rows: Vec<SeedRow>,
    seeds_problem: Option<Arc<MlpProblem>>,
    /// Why the last sweep stopped, when it failed.
    pub error: Option<String>,
    /// Which experiments have rows for their current settings.
    done: [bool; 3],
    /// The pruned network's layers as images, and the ticket they show.
    mask_images: Vec<egui::TextureHandle>,
    mask_shown: Option<(usize, usize)>,
}

impl Lab {
    /// Whether a sweep is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Opens the double-descent model of this width (its first seed).
    pub fn open_width(&self, width: usize) -> Option<Result<AppCommand, String>> {
        let row = self
            .dd_rows
            .iter()
            .filter(|r| r.width == width)
            .min_by_key(|r| r.seed)?;
        let train = TrainConfig {
            seed: row.seed,
            ..TrainConfig::default()
        };
        let spec = self.double_descent.problem_spec(row.width, row.seed);
        Some(session_of(spec, train, &row.weights))
    }

    /// Opens the lottery's ticket of this round (round 0: the dense network).
    pub fn open_round(&self, round: usize) -> Option<Result<AppCommand, String>> {
        let row = self
            .lottery_rows
            .iter()
            .find(|r| r.round == round && matches!(r.arm, Arm::Ticket | Arm::Dense))?;
        let base = &self.lottery.base;
        Some(session_of(base.problem_spec(), base.train, &row.weights))
    }

    /// Opens this seed's trained model.
    pub fn open_seed(&self, seed: u64) -> Option<Result<AppCommand, String>> {
        let row = self.seed_rows.iter().find(|r| r.seed == seed)?;
        let base = &self.seeds.base;
        let train = TrainConfig { seed, ..base.train };
        Some(session_of(base.problem_spec(), train, &row.weights))
    }

    /// The double-descent rows so far.
    pub fn double_descent_rows(&self) -> &[DoubleDescentRow] {
        &self.dd_rows
    }

    /// The lottery's rows so far.
    pub fn lottery_rows(&self) -> &[LotteryRow] {
        &self.lottery_rows
    }

    /// The seeds' rows so far.
    pub fn seed_rows(&self) -> &[SeedRow] {
        &self.seed_rows
    }

    /// Whether the shown experiment's rows are all in, for its settings
    /// (what a screenshot or a lesson export waits for).
    pub fn is_settled(&self) -> bool {
        self.running.is_none() && !self.stale()
    }

    /// How far the running sweep has got.
    fn progress(&self) -> Option<f32> {
        self.running.as_ref().map(|r| match r {
            Running::DoubleDescent(job, _) => job.progress(),
            Running::Lottery(job, _) => job.progress(),
            Running::Seeds(job, _) => job.progress(),
        })
    }

    fn index(&self) -> usize {
        self.experiment as usize
    }

    /// Cancels the sweep in flight without waiting for its last batch.
    pub fn stop(&mut self) {
        match self.running.take() {
            Some(Running::DoubleDescent(job, _)) => job.detach(),
            Some(Running::Lottery(job, _)) => job.detach(),
            Some(Running::Seeds(job, _)) => job.detach(),
            None => {}
        }
    }

    /// Starts the shown experiment afresh (cancelling one in flight).
    pub fn start(&mut self, wake: &Wake) {
        self.stop();
        self.error = None;
        let wake = {
            let wake = Arc::clone(wake);
            move || wake()
        };
        let started = match self.experiment {
            LabExperiment::DoubleDescent => DoubleDescent::new(self.double_descent.clone())
                .and_then(|e| {
                    let sweep = Sweep::new(e);
                    let rows = sweep.rows();
                    self.dd_rows.clear();
                    exec::spawn("valley-lab", sweep, wake)
                        .map(|job| Running::DoubleDescent(job, rows))
                }),
            LabExperiment::Lottery => Lottery::new(self.lottery.clone()).and_then(|e| {
                let sweep = Sweep::new(e);
                let rows = sweep.rows();
                self.lottery_rows.clear();
                exec::spawn("valley-lab", sweep, wake).map(|job| Running::Lottery(job, rows))
            }),
            LabExperiment::Seeds => Seeds::new(self.seeds.clone()).and_then(|e| {
                self.seeds_problem = Some(Arc::clone(e.problem()));
                let sweep = Sweep::new(e);
                let rows = sweep.rows();
                self.seed_rows.clear();
                exec::spawn("valley-lab", sweep, wake).map(|job| Running::Seeds(job, rows))
            }),
        };
        match started {
            Ok(running) => self.running = Some(running),
            Err(e) => self.error = Some(e),
        }
        self.done[self.index()] = true;
        self.shown = Some((
            self.double_descent.clone(),
            self.lottery.clone(),
            self.seeds.clone(),
        ));
    }

    /// Copies the rows that have arrived; ends the job when it is over.
    pub fn poll(&mut self) {
        let Some(running) = &self.running else {
            return;
        };
        let outcome = match running {
            Running::DoubleDescent(job, rows) => {
                self.dd_rows = rows.snapshot();
                job.take().map(|o| o.map_rows())
            }
            Running::Lottery(job, rows) => {
                self.lottery_rows = rows.snapshot();
                job.take().map(|o| o.map_rows())
            }
            Running::Seeds(job, rows) => {
                self.seed_rows = rows.snapshot();
                job.take().map(|o| o.map_rows())
            }
        };
        if let Some(outcome) = outcome {
            if let Err(message) = outcome {
                self.error = Some(message);
            }
            self.running = None;
        }
    }

    /// Whether the shown experiment's settings differ from its rows'.
    fn stale(&self) -> bool {
        match (&self.shown, self.experiment) {
            (None, _) => true,
            (Some(_), _) if !self.done[self.index()] => true,
            (Some((d, _, _)), LabExperiment::DoubleDescent) => *d != self.double_descent,
            (Some((_, l, _)), LabExperiment::Lottery) => *l != self.lottery,
            (Some((_, _, s)), LabExperiment::Seeds) => *s != self.seeds,
        }
    }
}

/// An outcome reduced to what the view reports.
trait RowsOutcome {
    fn map_rows(self) -> Result<(), String>;
}

impl<T> RowsOutcome for Outcome<T> {
    fn map_rows(self) -> Result<(), String> {
        match self {
            Outcome::Done(_) | Outcome::Cancelled => Ok(()),
            Outcome::Failed(message) => Err(message),
        }
    }
}

/// A model as a session's bytes, to open through the same door as a file.
fn session_of(
    spec: ProblemSpec,
    train: TrainConfig,
    weights: &[f32],
) -> Result<AppCommand, String> {
    let problem = spec.build().map_err(|e| format!("{e:#}"))?;
    let mut run = Run::new(problem, train).map_err(|e| e.to_string())?;
    if weights.len() != run.params().len() {
        return Err("the model does not fit its problem".into());
    }
    run.set_params(weights.to_vec());
    let session =
        valley_engine::session::Session::new(spec, train, run.save(), serde_json::Value::Null);
    let bytes = valley_engine::session::session_bytes(&session, std::path::Path::new("model.json"))
        .map_err(|e| e.to_string())?;
    Ok(AppCommand::OpenBytes {
        name: "a model from the generalisation lab".into(),
        bytes: bytes.into(),
    })
}

/// The view; a command when a point was clicked.
pub fn lab_ui(
    ui: &mut egui::Ui,
    lab: &mut Lab,
    (experiment, settings): (&mut LabExperiment, &mut LabSettings),
    wake: &Wake,
) -> Option<AppCommand> {
    lab.experiment = *experiment;
    // The settings live in the app's (a lesson may set them); the controls
    // below change them here and hand them back.
    lab.double_descent = settings.double_descent.clone();
    lab.lottery = settings.lottery.clone();
    lab.seeds = settings.seeds.clone();
    // Nothing here may widen the panel past the charts beside it.
    ui.set_max_width(ui.available_width());
    lab.poll();
    // A slider being dragged restarts the sweep when it is let go.
    if lab.stale() && !ui.ctx().input(|i| i.pointer.any_down()) {
        lab.start(wake);
    }
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(experiment, LabExperiment::DoubleDescent, "Double descent")
            .on_hover_text("Test loss against model size, across the point where the model can just fit every training point");
        ui.selectable_value(experiment, LabExperiment::Lottery, "Lottery tickets")
            .on_hover_text("Prune the smallest weights, rewind the rest to where they started, train again");
        ui.selectable_value(experiment, LabExperiment::Seeds, "Luck of the draw")
            .on_hover_text("The same model and data trained from many seeds");
        ui.separator();
        match lab.progress() {
            Some(p) => {
                ui.add(egui::ProgressBar::new(p).desired_width(120.0).show_percentage());
                if ui.button("Stop").clicked() {
                    lab.stop();
                }
                // Rows arrive between the job's wake-ups: draw them as they come.
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(60));
            }
            None => {
                if ui.button("Run again").on_hover_text("New seeds are not drawn: the same settings give the same rows").clicked() {
                    lab.start(wake);
                }
            }
        }
    });
    if let Some(error) = &lab.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if *experiment != lab.experiment {
        // A new tab shows next frame, with its own rows.
        ui.ctx().request_repaint();
        return None;
    }
    let command = match lab.experiment {
        LabExperiment::DoubleDescent => {
            double_descent_controls(ui, &mut settings.double_descent);
            double_descent_plots(ui, lab)
        }
        LabExperiment::Lottery => {
            lottery_controls(ui, &mut settings.lottery);
            lottery_plots(ui, lab)
        }
        LabExperiment::Seeds => {
            seeds_controls(ui, &mut settings.seeds);
            seeds_plots(ui, lab)
        }
    };
    command.and_then(|c| match c {
        Ok(c) => Some(c),
        Err(e) => {
            lab.error = Some(format!("cannot open that model: {e}"));
            None
        }
    })
}

/// A label that carries the value ("ridge: 0.01") and a slider without its
/// own number: one widget each, so a narrow panel wraps between them
/// instead of pushing a number box off its edge.
fn slider(ui: &mut egui::Ui, label: String, slider: egui::Slider<'_>) -> egui::Response {
    // A slider does not wrap by itself: start a new row when the pair
    // would run past the edge.
    let text = egui::WidgetText::from(label.as_str()).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Body,
    );
    let needed =
        text.size().x + ui.spacing().slider_width + 3.0 * ui.spacing().item_spacing.x + 16.0;
    // In a wrapping row `available_width` is the whole row's; what is left
    // runs from the cursor to the edge.
    if ui.max_rect().right() - ui.cursor().min.x < needed {
        ui.end_row();
    }
    ui.label(label);
    ui.add(slider.show_value(false))
}

fn double_descent_controls(ui: &mut egui::Ui, s: &mut DoubleDescentSettings) {
    ui.spacing_mut().slider_width = 110.0;
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("dd mode")
            .selected_text(match s.mode {
                FitMode::RandomFeatures => "random features",
                FitMode::TrainedMlp => "trained MLP",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut s.mode, FitMode::RandomFeatures, "random features")
                    .on_hover_text("A frozen random layer; the output layer solved exactly (least squares)");
                ui.selectable_value(&mut s.mode, FitMode::TrainedMlp, "trained MLP")
                    .on_hover_text("Both layers trained with Adam until the training set is fitted");
            });
        let mut noise = (s.label_noise * 100.0).round();
        let label = format!("labels flipped: {} %", plain_number(f64::from(noise)));
        if slider(ui, label, egui::Slider::new(&mut noise, 0.0..=30.0).step_by(1.0)).changed() {
            s.label_noise = (noise / 100.0).clamp(0.0, 0.3);
        }
        let label = format!("training points: {}", s.train_size);
        slider(ui, label, egui::Slider::new(&mut s.train_size, 40..=300).step_by(10.0));
        let label = format!("ridge: {}", plain_number(s.ridge));
        slider(
            ui,
            label,
            egui::Slider::new(&mut s.ridge, 0.0..=1.0)
                .logarithmic(true)
                .smallest_positive(1e-4),
        )
        .on_hover_text("A penalty on the output weights' size: 0 is the interpolator with the peak; a little ridge melts it");
        let label = format!("seeds: {}", s.seeds);
        slider(ui, label, egui::Slider::new(&mut s.seeds, 1..=10));
    });
}

fn lottery_controls(ui: &mut egui::Ui, s: &mut LotterySettings) {
    ui.spacing_mut().slider_width = 110.0;
    ui.horizontal_wrapped(|ui| {
        let label = format!("rounds: {}", s.rounds);
        slider(ui, label, egui::Slider::new(&mut s.rounds, 1..=12));
        let mut rate = (s.prune_rate * 100.0).round();
        let label = format!("pruned per round: {} %", plain_number(rate));
        if slider(
            ui,
            label,
            egui::Slider::new(&mut rate, 10.0..=60.0).step_by(1.0),
        )
        .changed()
        {
            s.prune_rate = rate / 100.0;
        }
        let label = format!("rewind to step {}", s.rewind_step);
        slider(
            ui,
            label,
            egui::Slider::new(&mut s.rewind_step, 0..=100).step_by(10.0),
        )
        .on_hover_text(
            "0 rewinds the surviving weights to their initial values, as in the original paper",
        );
        let label = format!("steps per training: {}", s.base.steps);
        slider(
            ui,
            label,
            egui::Slider::new(&mut s.base.steps, 200..=2000).step_by(100.0),
        );
    });
}

fn seeds_controls(ui: &mut egui::Ui, s: &mut SeedsSettings) {
    ui.spacing_mut().slider_width = 110.0;
    ui.horizontal_wrapped(|ui| {
        let label = format!("seeds: {}", s.seeds);
        slider(ui, label, egui::Slider::new(&mut s.seeds, 2..=60));
        let label = format!("steps: {}", s.base.steps);
        slider(
            ui,
            label,
            egui::Slider::new(&mut s.base.steps, 100..=3000).step_by(100.0),
        );
        let label = format!("points: {}", s.base.data.size);
        slider(
            ui,
            label,
            egui::Slider::new(&mut s.base.data.size, 50..=1000).step_by(50.0),
        );
    });
}

/// A curve with a dot at each finished model, so a student sees what can be clicked.
fn dotted_line(
    plot: &mut egui_plot::PlotUi<'_>,
    name: &str,
    points: Vec<[f64; 2]>,
    colour: Color32,
) {
    plot.line(
        Line::new(name, PlotPoints::from(points.clone()))
            .color(colour)
            .width(2.5),
    );
    plot.points(
        Points::new("", PlotPoints::from(points))
            .color(colour)
            .radius(3.0),
    );
}

/// log10 of a positive value; NaN otherwise (a gap).
fn lg(v: f64) -> f64 {
    if v > 0.0 { v.log10() } else { f64::NAN }
}

/// The plot's height for one of `count` stacked plots under the controls.
fn plot_height(ui: &egui::Ui, count: f32, caption_rows: f32) -> f32 {
    let caption = ui.text_style_height(&egui::TextStyle::Body) * caption_rows;
    ((ui.available_height() - caption) / count - 20.0).max(110.0)
}

/// A plot's own width: egui_plot lays its axes outside the width it is
/// given, so the full width would run under the charts beside the view.
fn plot_width(ui: &egui::Ui) -> f32 {
    (ui.available_width() - 72.0).max(160.0)
}

fn log_x_plot<'a>(id: &'a str, height: f32, width: f32) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .width(width)
        .x_grid_spacer(|input| axes::marks_decades(input, 72.0))
        .x_axis_formatter(|mark, _| axes::log10(mark))
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_boxed_zoom(false)
        .show_background(false)
}

fn double_descent_plots(ui: &mut egui::Ui, lab: &Lab) -> Option<Result<AppCommand, String>> {
    let s = &lab.double_descent;
    let summary = double_descent::summarise(s, &lab.dd_rows);
    let threshold = summary.threshold_params as f64;
    let caption = match (&summary.peak, summary.peak_over_largest) {
        // Only a maximum well above the far end, near the threshold, is a peak.
        (Some(peak), Some(ratio))
            if !lab.is_running()
                && (ratio < 1.5 || !(0.5..=2.0).contains(&(peak.params as f64 / threshold))) =>
        {
            format!(
                "No peak at the threshold of {}: the highest test loss, {} at {} parameters, is {}× the loss at the largest width. Click a point to open that model (seed 0) in the landscape views.",
                summary.threshold_params,
                plain_number(peak.test_loss.mean),
                peak.params,
                plain_number(ratio)
            )
        }
        (Some(peak), Some(ratio)) if !lab.is_running() => format!(
            "Peak: test loss {} at {} parameters ({}× the threshold of {}), {}× the loss at the largest width. Click a point to open that model (seed 0) in the landscape views.",
            plain_number(peak.test_loss.mean),
            peak.params,
            plain_number(peak.params as f64 / threshold),
            summary.threshold_params,
            plain_number(ratio)
        ),
        _ => format!(
            "{} of {} models fitted. The threshold: {} parameters (training points × outputs).",
            lab.dd_rows.len(),
            s.width_list().len() * s.seeds,
            summary.threshold_params
        ),
    };
    ui.add(egui::Label::new(RichText::new(caption).strong()).wrap());
    // Beside a lesson's card on a projector there is room for one plot.
    let two = ui.available_height() > 330.0;
    let height = plot_height(ui, if two { 2.0 } else { 1.0 }, 1.0);
    let xs: Vec<f64> = summary.points.iter().map(|p| lg(p.params as f64)).collect();
    let test: Vec<[f64; 2]> = xs
        .iter()
        .zip(&summary.points)
        .map(|(&x, p)| [x, lg(p.test_loss.mean)])
        .collect();
    // The band as one trapezoid per stretch: egui_plot fills a polygon as a
    // fan, which only suits convex shapes.
    let edges: Vec<[f64; 3]> = xs
        .iter()
        .zip(&summary.points)
        .map(|(&x, p)| [x, lg(p.test_loss.low), lg(p.test_loss.high)])
        .filter(|e| e.iter().all(|v| v.is_finite()))
        .collect();
    let blue = Color32::from_rgb(0, 114, 178);
    let orange = Color32::from_rgb(213, 94, 0);
    let mut clicked_x = None;
    let response = log_x_plot("double descent loss", height, plot_width(ui))
        .legend(Legend::default().position(egui_plot::Corner::RightTop))
        .y_grid_spacer(|input| axes::marks_decades(input, 27.0))
        .y_axis_formatter(|mark, _| axes::log10(mark))
        .y_axis_label("test loss (log)")
        .x_axis_label(if two {
            ""
        } else {
            "parameters fitted (log scale)"
        })
        .show(ui, |plot| {
            for pair in edges.windows(2) {
                let [a, b] = [pair[0], pair[1]];
                let quad = vec![[a[0], a[2]], [b[0], b[2]], [b[0], b[1]], [a[0], a[1]]];
                plot.polygon(
                    Polygon::new("seeds' range", PlotPoints::from(quad))
                        .fill_color(blue.gamma_multiply(0.25))
                        .stroke(egui::Stroke::NONE),
                );
            }
            dotted_line(plot, "test loss", test.clone(), blue);
            plot.vline(
                VLine::new("threshold", lg(threshold))
                    .color(Color32::GRAY)
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
            if plot.response().clicked() {
                clicked_x = plot.pointer_coordinate().map(|p| p.x);
            }
        });
    let _ = response;
    let train_err: Vec<[f64; 2]> = xs
        .iter()
        .zip(&summary.points)
        .map(|(&x, p)| [x, 100.0 * p.train_error.mean])
        .collect();
    let test_err: Vec<[f64; 2]> = xs
        .iter()
        .zip(&summary.points)
        .map(|(&x, p)| [x, 100.0 * p.test_error.mean])
        .collect();
    if two {
        log_x_plot("double descent error", height, plot_width(ui))
            .legend(Legend::default().position(egui_plot::Corner::RightTop))
            .y_grid_spacer(|input| axes::marks_125(input, 27.0))
            .y_axis_formatter(|mark, _| axes::linear(mark))
            .y_axis_label("wrong side (%)")
            .x_axis_label("parameters fitted (log scale)")
            .include_y(0.0)
            .include_y(65.0)
            .show(ui, |plot| {
                plot.line(
                    Line::new("test error", PlotPoints::from(test_err))
                        .color(blue)
                        .width(2.5),
                );
                plot.line(
                    Line::new("training error", PlotPoints::from(train_err))
                        .color(orange)
                        .width(2.5),
                );
                plot.vline(
                    VLine::new("threshold", lg(threshold))
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
                if plot.response().clicked() {
                    clicked_x = plot.pointer_coordinate().map(|p| p.x);
                }
            });
    }
    let x = clicked_x?;
    let point = summary.points.iter().min_by(|a, b| {
        (lg(a.params as f64) - x)
            .abs()
            .total_cmp(&(lg(b.params as f64) - x).abs())
    })?;
    lab.open_width(point.width)
}

fn lottery_plots(ui: &mut egui::Ui, lab: &mut Lab) -> Option<Result<AppCommand, String>> {
    mask_strip(ui, lab);
    let lab = &*lab;
    let s = &lab.lottery;
    let rows = &lab.lottery_rows;
    let summary = lottery::summarise(rows);
    let caption = match &summary {
        Some(sm) if !lab.is_running() => match sm.ticket_matches_dense_down_to {
            Some(f) => format!(
                "The ticket keeps the dense network's {:.1} % test accuracy (within 1 point) down to {} % of the weights. Click a point to open that ticket in the landscape views.",
                100.0 * sm.dense_test_accuracy,
                plain_number(100.0 * f)
            ),
            None => format!(
                "The ticket fell behind the dense network's {:.1} % at the first round.",
                100.0 * sm.dense_test_accuracy
            ),
        },
        _ => format!("{} of {} networks trained.", rows.len(), 1 + 3 * s.rounds),
    };
    ui.add(egui::Label::new(RichText::new(caption).strong()).wrap());
    let arms = [
        (Arm::Ticket, Color32::from_rgb(0, 114, 178)),
        (Arm::Reinit, Color32::from_rgb(213, 94, 0)),
        (Arm::RandomMask, Color32::from_rgb(0, 158, 115)),
    ];
    // One legend for both plots, above them, where it covers no point.
    ui.horizontal_wrapped(|ui| {
        for (arm, colour) in arms {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("● {}", arm.title()))
                        .color(colour)
                        .strong(),
                )
                .wrap_mode(egui::TextWrapMode::Extend),
            );
        }
    });
    let two = ui.available_height() > 330.0;
    let height = plot_height(ui, if two { 2.0 } else { 1.0 }, 0.0);
    let sparsest = lg(100.0 * s.fraction_after(s.rounds));
    let curve = |arm: Arm, value: &dyn Fn(&LotteryRow) -> Option<f64>| -> Vec<[f64; 2]> {
        let mut points: Vec<[f64; 2]> = rows
            .iter()
            .filter(|r| r.arm == arm || r.arm == Arm::Dense)
            .filter_map(|r| value(r).map(|v| [lg(100.0 * r.fraction_left), v]))
            .collect();
        points.sort_by(|a, b| b[0].total_cmp(&a[0]));
        points
    };
    let mut clicked_x = None;
    log_x_plot("lottery accuracy", height, plot_width(ui))
        .include_x(sparsest - 0.05)
        .include_x(2.05)
        .y_grid_spacer(|input| axes::marks_125(input, 27.0))
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .y_axis_label("test accuracy (%)")
        .x_axis_label(if two {
            ""
        } else {
            "weights left (%, log scale)"
        })
        .show(ui, |plot| {
            for (arm, colour) in arms {
                let points = curve(arm, &|r| Some(100.0 * r.test_accuracy));
                dotted_line(plot, arm.title(), points, colour);
            }
            if plot.response().clicked() {
                clicked_x = plot.pointer_coordinate().map(|p| p.x);
            }
        });
    if two {
        log_x_plot("lottery steps", height, plot_width(ui))
            .include_x(sparsest - 0.05)
            .include_x(2.05)
            .y_grid_spacer(|input| axes::marks_125(input, 27.0))
            .y_axis_formatter(|mark, _| axes::linear(mark))
            .y_axis_label(format!(
                "steps to {} %",
                plain_number(f64::from(s.threshold) * 100.0)
            ))
            .x_axis_label("weights left (%, log scale; no point: not reached)")
            .include_y(0.0)
            .show(ui, |plot| {
                for (arm, colour) in arms {
                    let points = curve(arm, &|r| r.steps_to_threshold.map(|s| s as f64));
                    dotted_line(plot, arm.title(), points, colour);
                }
                if plot.response().clicked() {
                    clicked_x = plot.pointer_coordinate().map(|p| p.x);
                }
            });
    }
    let x = clicked_x?;
    let row = rows
        .iter()
        .filter(|r| matches!(r.arm, Arm::Ticket | Arm::Dense))
        .min_by(|a, b| {
            (lg(100.0 * a.fraction_left) - x)
                .abs()
                .total_cmp(&(lg(100.0 * b.fraction_left) - x).abs())
        })?;
    lab.open_round(row.round)
}

/// The sparsest ticket so far, one image per weight matrix (a column per
/// unit of the layer, a row per input): blue where a weight is positive,
/// orange where negative, stronger for larger weights, white where pruned.
fn mask_strip(ui: &mut egui::Ui, lab: &mut Lab) {
    let Some(ticket) = lab
        .lottery_rows
        .iter()
        .filter(|r| r.arm == Arm::Ticket)
        .max_by_key(|r| r.round)
        .cloned()
    else {
        return;
    };
    let base = &lab.lottery.base;
    let outputs = match base.data.kind {
        valley_engine::data::DatasetKind::Blobs => base.data.classes,
        _ => 2,
    };
    let mut sizes = vec![2];
    sizes.extend(&base.hidden);
    sizes.push(outputs);
    let shapes: Vec<(usize, usize)> = sizes.windows(2).map(|w| (w[1], w[0])).collect();
    let total: usize = shapes.iter().map(|(o, i)| o * i + o).sum();
    if total != ticket.weights.len() {
        return;
    }
    let key = (ticket.round, ticket.weights.len());
    if lab.mask_shown != Some(key) {
        let mut offset = 0;
        lab.mask_images = shapes
            .iter()
            .enumerate()
            .map(|(l, &(outs, ins))| {
                let w = &ticket.weights[offset..offset + outs * ins];
                let keep = &ticket.mask.keep()[offset..offset + outs * ins];
                offset += outs * ins + outs;
                let largest = w.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12);
                let pixels = (0..ins)
                    .flat_map(|i| (0..outs).map(move |o| o * ins + i))
                    .map(|k| {
                        if !keep[k] {
                            return Color32::WHITE;
                        }
                        let strength = 0.35 + 0.65 * (w[k].abs() / largest).sqrt();
                        let base = if w[k] >= 0.0 {
                            Color32::from_rgb(0, 114, 178)
                        } else {
                            Color32::from_rgb(213, 94, 0)
                        };
                        Color32::WHITE.lerp_to_gamma(base, strength)
                    })
                    .collect();
                let image = egui::ColorImage::new([outs, ins], pixels);
                ui.ctx().load_texture(
                    format!("lottery mask {l}"),
                    image,
                    egui::TextureOptions::NEAREST,
                )
            })
            .collect();
        lab.mask_shown = Some(key);
    }
    ui.label(format!(
        "The ticket at round {}, {} % of its weights left, layer by layer (white: pruned):",
        ticket.round,
        plain_number(100.0 * ticket.fraction_left)
    ));
    ui.horizontal(|ui| {
        for (texture, &(outs, ins)) in lab.mask_images.iter().zip(&shapes) {
            let height = 44.0;
            let width = (height * outs as f32 / ins.max(1) as f32).clamp(10.0, 140.0);
            ui.add(egui::Image::new((texture.id(), egui::vec2(width, height))))
                .on_hover_text(format!("{ins} inputs × {outs} units"));
        }
    });
}

fn seeds_plots(ui: &mut egui::Ui, lab: &Lab) -> Option<Result<AppCommand, String>> {
    let s = &lab.seeds;
    let mut rows: Vec<&SeedRow> = lab.seed_rows.iter().collect();
    rows.sort_by(|a, b| a.test_loss.total_cmp(&b.test_loss));
    let summary = lab
        .seeds_problem
        .as_ref()
        .filter(|_| !lab.is_running())
        .and_then(|p| seeds::summarise(p.as_ref(), &lab.seed_rows));
    let caption = match &summary {
        Some(sm) => format!(
            "Test loss from {} to {} over {} seeds. On the straight line from the best (seed {}) to the worst (seed {}) the training loss rises {} above the higher end. Click a point to open that seed's model.",
            plain_number(sm.test_loss.low),
            plain_number(sm.test_loss.high),
            rows.len(),
            sm.best_seed,
            sm.worst_seed,
            plain_number(sm.barrier)
        ),
        None => format!("{} of {} seeds trained.", rows.len(), s.seeds),
    };
    ui.add(egui::Label::new(RichText::new(caption).strong()).wrap());
    let two = ui.available_height() > 330.0;
    let height = plot_height(ui, if two { 2.0 } else { 1.0 }, 1.0);
    let test: Vec<[f64; 2]> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| [i as f64 + 1.0, r.test_loss])
        .collect();
    let train: Vec<[f64; 2]> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| [i as f64 + 1.0, r.train_loss])
        .collect();
    let mut clicked = None;
    axes::marks_125_both(Plot::new("seeds losses"))
        .height(height)
        .width(plot_width(ui))
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .x_axis_formatter(|mark, _| axes::step(mark))
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .x_axis_label("seeds, from the best test loss to the worst")
        .y_axis_label("final loss")
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .show_background(false)
        .show(ui, |plot| {
            plot.points(
                Points::new("test loss", PlotPoints::from(test))
                    .color(Color32::from_rgb(0, 114, 178))
                    .radius(5.0)
                    .filled(true),
            );
            plot.points(
                Points::new("training loss", PlotPoints::from(train))
                    .color(Color32::from_rgb(213, 94, 0))
                    .radius(4.0)
                    .shape(MarkerShape::Diamond),
            );
            if plot.response().clicked() {
                clicked = plot.pointer_coordinate().map(|p| p.x.round() as usize);
            }
        });
    if let Some(sm) = summary.as_ref().filter(|_| two) {
        let n = sm.line_train_loss.len().max(2);
        let line: Vec<[f64; 2]> = sm
            .line_train_loss
            .iter()
            .enumerate()
            .map(|(i, &l)| [i as f64 / (n - 1) as f64, l])
            .collect();
        axes::marks_125_both(Plot::new("seeds line"))
            .height(height)
            .width(plot_width(ui))
            .x_axis_formatter(|mark, _| axes::linear(mark))
            .y_axis_formatter(|mark, _| axes::linear(mark))
            .x_axis_label(format!(
                "t: seed {} at 0, seed {} at 1",
                sm.best_seed, sm.worst_seed
            ))
            .y_axis_label("training loss")
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .show_background(false)
            .show(ui, |plot| {
                plot.line(
                    Line::new(
                        "straight line from the best run to the worst",
                        PlotPoints::from(line),
                    )
                    .color(Color32::from_rgb(0, 114, 178))
                    .width(2.5),
                );
            });
    }
    let rank = clicked?.checked_sub(1)?;
    lab.open_seed(rows.get(rank)?.seed)
}
