//! Flat vs sharp: the model on screen trained twice from the same start, with
//! small batches and with the full batch (or with two learning rates), on a
//! thread with progress and Cancel; then both minima on one chart, with their
//! sharpness, test loss and a sentence saying what the numbers show. The
//! chart follows each minimum's sharpest direction by default, the one λmax
//! is measured along, so the picture agrees with the numbers beside it; a
//! random filter-normalised direction (Li et al. 2018) is one click away.

use std::sync::Arc;

use egui::Color32;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::axes;
use super::runtime::Runtime;
use super::settings::Settings;
use valley_engine::analysis::{MinimaSpec, MinimaTask, Minimum, MinimumFacts, minima_verdict};
use valley_engine::exec;
use valley_engine::landscape::DirectionKind;
use valley_engine::train::TrainConfig;
use valley_figure::plain_number;

/// Okabe–Ito blue and vermillion: the small batch and the full batch.
const COLOURS: [Color32; 2] = [
    Color32::from_rgb(0, 114, 178),
    Color32::from_rgb(213, 94, 0),
];

/// What the two runs differ in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compared {
    /// A small batch against the full batch.
    BatchSizes,
    /// The run's learning rate against another one.
    LearningRates,
}

/// Which direction the chart slices each minimum along.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Along {
    /// The top Hessian eigenvector: the direction λmax is measured along.
    #[default]
    Sharpest,
    /// A random filter-normalised direction (Li et al. 2018).
    Random,
}

impl Along {
    /// How the selector names it.
    pub fn name(self) -> &'static str {
        match self {
            Along::Sharpest => "each minimum's sharpest direction",
            Along::Random => "a random filter-normalised direction",
        }
    }

    /// The chart's x-axis label: which direction, and in what units.
    pub fn axis_label(self) -> &'static str {
        match self {
            Along::Sharpest => {
                "α: distance along each minimum's sharpest direction, parameter units (0: the minimum)"
            }
            Along::Random => {
                "α: along a random filter-normalised direction, in filter norms (0: the minimum)"
            }
        }
    }

    /// A minimum's slice along this direction: (α, loss).
    pub fn slice(self, minimum: &Minimum) -> (&[f32], &[f32]) {
        match self {
            Along::Sharpest => (&minimum.sharpest_alphas, &minimum.sharpest_curve),
            Along::Random => (&minimum.random_alphas, &minimum.random_curve),
        }
    }
}

/// The comparison's settings, its job and its result.
pub struct MinimaState {
    /// What the two runs differ in.
    pub compared: Compared,
    /// Which direction the chart follows.
    pub along: Along,
    /// Examples per step of the small-batch run.
    pub small_batch: usize,
    /// The second run's learning rate, when learning rates are compared.
    pub other_lr: f32,
    /// Steps each run trains.
    pub steps: u64,
    job: Option<exec::Job<Vec<Minimum>>>,
    result: Option<Result<Vec<Minimum>, String>>,
}

impl Default for MinimaState {
    fn default() -> Self {
        Self {
            compared: Compared::BatchSizes,
            along: Along::Sharpest,
            small_batch: 16,
            other_lr: 0.1,
            steps: 2000,
            job: None,
            result: None,
        }
    }
}

impl MinimaState {
    /// The two runs: the settings' optimiser with a small batch and with the
    /// full batch, or with its own learning rate and `other_lr`.
    pub fn runs_for(&self, config: TrainConfig) -> Vec<(String, TrainConfig)> {
        match self.compared {
            Compared::BatchSizes => {
                let small = self.small_batch.max(1);
                vec![
                    (
                        format!("batch {small}"),
                        TrainConfig {
                            batch_size: Some(small),
                            ..config
                        },
                    ),
                    (
                        "full batch".to_string(),
                        TrainConfig {
                            batch_size: None,
                            ..config
                        },
                    ),
                ]
            }
            Compared::LearningRates => [config.optimizer.lr, self.other_lr]
                .into_iter()
                .map(|lr| {
                    let mut run = config;
                    run.optimizer.lr = lr;
                    (format!("lr {}", plain_number(f64::from(lr))), run)
                })
                .collect(),
        }
    }
}

impl MinimaState {
    /// Starts the comparison for the problem on screen.
    fn start(&mut self, runtime: &Runtime, settings: &Settings) {
        if runtime.problem.num_train_examples() == 0 {
            self.result = Some(Err(
                "a formula surface has no data to batch: flat vs sharp needs a network".into(),
            ));
            return;
        }
        let problem = Arc::clone(&runtime.problem);
        let runs = self.runs_for(settings.train);
        let spec = MinimaSpec {
            steps: self.steps,
            span: settings.span,
            points: 101,
            direction: DirectionKind::Filter,
            direction_seed: settings.train.seed.wrapping_mul(2).wrapping_add(1),
        };
        let wake = runtime.wake();
        // Each run trains in slices and each minimum is described in a
        // turn of its own, so a page keeps drawing meanwhile.
        let spawned = MinimaTask::new(problem, runs, spec)
            .map_err(|e| e.to_string())
            .and_then(|task| exec::spawn("valley-minima", task, move || wake()));
        match spawned {
            Ok(job) => {
                self.job = Some(job);
                self.result = None;
            }
            Err(e) => self.result = Some(Err(e)),
        }
    }

    /// Takes the job's outcome once it is there.
    fn poll(&mut self) {
        if let Some(outcome) = self.job.as_ref().and_then(exec::Job::take) {
            self.result = Some(match outcome {
                exec::Outcome::Done(minima) => Ok(minima),
                exec::Outcome::Failed(message) => Err(message),
                exec::Outcome::Cancelled => Err("cancelled".into()),
            });
            self.job = None;
        }
    }

    /// The last comparison's minima, or why it failed.
    pub fn result(&self) -> Option<&Result<Vec<Minimum>, String>> {
        self.result.as_ref()
    }

    /// What the last comparison found, in the words the panel shows.
    pub fn verdict(&self) -> Option<String> {
        match &self.result {
            Some(Ok(minima)) => Some(verdict_of(minima)),
            _ => None,
        }
    }
}

/// The sentence under the chart, with numbers as the panel writes them.
fn verdict_of(minima: &[Minimum]) -> String {
    let facts: Vec<MinimumFacts<'_>> = minima.iter().map(Minimum::facts).collect();
    minima_verdict(&facts, &plain_number)
}

/// The panel: settings and Compare, progress and Cancel, then the chart.
pub fn minima_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    settings: &Settings,
    state: &mut MinimaState,
    height: f32,
) {
    state.poll();
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("compared")
            .selected_text(match state.compared {
                Compared::BatchSizes => "batch sizes",
                Compared::LearningRates => "learning rates",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.compared, Compared::BatchSizes, "batch sizes")
                    .on_hover_text("A small batch against the full batch, at this run's learning rate");
                ui.selectable_value(&mut state.compared, Compared::LearningRates, "learning rates")
                    .on_hover_text("This run's learning rate against another one, at this run's batch size");
            })
            .response
            .on_hover_text("What the two runs differ in");
        match state.compared {
            Compared::BatchSizes => {
                ui.add(
                    egui::DragValue::new(&mut state.small_batch)
                        .range(1..=4096)
                        .prefix("batch "),
                )
                .on_hover_text("The small batch; the other run uses every example each step");
            }
            Compared::LearningRates => {
                ui.add(
                    egui::DragValue::new(&mut state.other_lr)
                        .range(1e-5..=100.0)
                        .speed(0.001)
                        .prefix("lr "),
                )
                .on_hover_text("The second run's learning rate; the first uses this run's own");
            }
        }
        ui.add(
            egui::DragValue::new(&mut state.steps)
                .range(100..=100_000)
                .suffix(" steps"),
        )
        .on_hover_text("How long each run trains, from the same start as this run");
        match &state.job {
            Some(job) => {
                ui.add(egui::ProgressBar::new(job.progress()).desired_width(90.0).show_percentage());
                if ui.button("Cancel").on_hover_text("Stop the comparison").clicked() {
                    job.cancel();
                }
            }
            None => {
                if ui
                    .button("Compare")
                    .on_hover_text("Train this model twice from the same start, with small batches and with the full batch (or two learning rates), and compare the minima they reach. Keskar et al. (2017) found small batches often settle in flatter minima; whether these two runs do is what the numbers below say")
                    .clicked()
                {
                    state.start(runtime, settings);
                }
            }
        }
    });
    match &state.result {
        None if state.job.is_none() => {
            ui.label(match state.compared {
                Compared::BatchSizes => "Press Compare: two runs from the same start, one with small batches and one with the full batch, then the shape of each minimum along its sharpest direction.",
                Compared::LearningRates => "Press Compare: two runs from the same start, one with this run's learning rate and one with the other, then the shape of each minimum along its sharpest direction.",
            });
        }
        None => {}
        Some(Err(message)) => {
            ui.colored_label(Color32::from_rgb(230, 150, 40), message);
        }
        Some(Ok(minima)) => {
            numbers_ui(ui, minima, &mut state.along);
            plot_ui(ui, minima, state.along, height - 24.0);
        }
    }
}

/// Each minimum's numbers, which direction to draw, and what the numbers add up to.
fn numbers_ui(ui: &mut egui::Ui, minima: &[Minimum], along: &mut Along) {
    for (m, colour) in minima.iter().zip(COLOURS) {
        let test = m.test_loss.map_or(String::new(), |t| {
            format!(" · test loss {}", plain_number(f64::from(t)))
        });
        ui.colored_label(
            colour,
            format!(
                "{}: sharpness λmax {} · train loss {}{test}",
                m.label,
                plain_number(m.sharpness),
                plain_number(f64::from(m.train_loss))
            ),
        );
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("along:");
        ui.selectable_value(along, Along::Sharpest, Along::Sharpest.name())
            .on_hover_text("The top Hessian eigenvector of each minimum, the direction λmax is measured along, over one shared distance: a higher λmax is a curve that climbs faster");
        ui.selectable_value(along, Along::Random, Along::Random.name())
            .on_hover_text("One random direction per minimum, scaled to each filter's norm (Li et al. 2018): it mostly sees the many flat directions, so it can order the minima differently from λmax");
    });
    // A long verdict scrolls rather than pushing the chart out of the column.
    let rows = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .id_salt("minima verdict")
        .max_height(4.5 * rows)
        .show(ui, |ui| {
            ui.label(verdict_of(minima))
                .on_hover_text("Read off the numbers above: λmax for flat or sharp, the test loss for unseen data. One pair of runs shows what these runs did, not a rule");
        });
}

/// The minima's slices along the chosen direction, on one chart.
fn plot_ui(ui: &mut egui::Ui, minima: &[Minimum], along: Along, height: f32) {
    axes::marks_125_both(Plot::new("flat vs sharp"))
        .x_axis_formatter(|mark, _| axes::linear(mark))
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .show_background(false)
        .height(ui.available_height().min(height - 60.0).max(60.0))
        .legend(Legend::default())
        .x_axis_label(along.axis_label())
        .y_axis_label("training loss")
        .allow_scroll(false)
        .show(ui, |plot| {
            for (m, colour) in minima.iter().zip(COLOURS) {
                let (alphas, curve) = along.slice(m);
                let points: Vec<[f64; 2]> = alphas
                    .iter()
                    .zip(curve)
                    .filter(|(_, v)| v.is_finite())
                    .map(|(&a, &v)| [f64::from(a), f64::from(v)])
                    .collect();
                plot.line(
                    Line::new(m.label.clone(), PlotPoints::from(points))
                        .width(2.0)
                        .color(colour),
                );
            }
        });
}
