//! One weight of a language model, dragged by hand: the probability of the
//! true next character after the prompt, the training loss, and the loss
//! along that weight alone with the ball on it move as the weight does; and
//! the map of two single weights. The main map beside it slices along
//! random directions, which move every weight at once: the contrast is why
//! one parameter at a time cannot explain training.
//!
//! The curve, the map and the loss at the dragged value are grids on the
//! engine's landscape workers (off the UI thread); the probability is one
//! row's forward pass, cheap enough to read every frame.

use std::sync::Arc;

use egui::RichText;
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points};

use super::axes;
use super::charts_view::line_points;
use super::landscape_view::{BALL_COLOUR, HeatmapCache, MapOptions, slice_map_ui};
use super::runtime::Runtime;
use super::wake::{Wake, boxed};
use super::widgets::fitted_slider;
use valley_engine::landscape::{
    GridSpec, LandscapeRequest, LandscapeResult, LandscapeWorker, Plane, axis_direction,
};
use valley_engine::language::show_symbol;
use valley_engine::nn::ParamLayout;
use valley_engine::numbers::plain_number as plain;
use valley_engine::problem::{LanguageProblem, Problem};

/// How far either way from its trained value a weight can be dragged.
pub const SPAN: f32 = 2.0;
/// Points on the curve along one weight.
const CURVE_POINTS: usize = 41;
/// Points per axis of the map of two weights.
const MAP_POINTS: usize = 25;
/// The trained value's marker on the curve.
const TRAINED: egui::Color32 = egui::Color32::from_rgb(0, 114, 178);

/// What the panel remembers between frames.
#[derive(Default)]
pub struct OneWeightPanel {
    /// The weight dragged, as a flat index.
    pub weight: usize,
    /// The map's second weight.
    pub partner: usize,
    /// How far the dragged weight is from its trained value.
    pub offset: f32,
    workers: Option<Workers>,
    map_cache: HeatmapCache,
}

/// The three grids' workers and what each was last asked.
struct Workers {
    curve: LandscapeWorker,
    map: LandscapeWorker,
    here: LandscapeWorker,
    asked: [Option<Key>; 3],
}

/// What a grid was asked for, and at which step of the run.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    step: u64,
    question: Question,
}

/// A grid's question: the parameter count, the weights, and for the loss
/// at the dragged value, the offset's bits.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Question {
    params: usize,
    weights: [usize; 2],
    offset: u32,
}

/// The parameters with one weight moved by `offset`.
pub fn moved(params: &[f32], weight: usize, offset: f32) -> Vec<f32> {
    let mut moved = params.to_vec();
    if let Some(w) = moved.get_mut(weight) {
        *w += offset;
    }
    moved
}

/// The probability the model gives `target` after `prompt` with one weight
/// moved by `offset`.
pub fn probability_with(
    language: &LanguageProblem,
    params: &[f32],
    prompt: &[usize],
    target: usize,
    weight: usize,
    offset: f32,
) -> f64 {
    let probabilities = language.next_probabilities(&moved(params, weight, offset), prompt);
    probabilities.get(target).copied().unwrap_or(0.0)
}

/// The plane through `params` along single weights (one for a curve, two for a map).
fn weight_plane(params: &[f32], weights: &[usize]) -> Option<Arc<Plane>> {
    let directions = weights
        .iter()
        .map(|&w| axis_direction(params.len(), w).ok())
        .collect::<Option<Vec<_>>>()?;
    Plane::new(params.to_vec(), directions).ok().map(Arc::new)
}

impl Workers {
    fn new(wake: &Wake) -> anyhow::Result<Self> {
        Ok(Self {
            curve: LandscapeWorker::spawn(boxed(wake))?,
            map: LandscapeWorker::spawn(boxed(wake))?,
            here: LandscapeWorker::spawn(boxed(wake))?,
            asked: [None; 3],
        })
    }

    /// Whether a worker has answered its newest request in full.
    fn idle(worker: &LandscapeWorker) -> bool {
        worker
            .latest()
            .is_none_or(|r| r.generation == worker.newest_generation() && r.is_final)
    }

    /// Asks for the curve, the map and the loss at the dragged value when
    /// what they show has changed. While training runs, a new step alone
    /// waits for the last grid to finish, so the workers never queue up.
    fn ask(
        &mut self,
        problem: &Arc<dyn Problem>,
        params: &[f32],
        step: u64,
        panel: [usize; 2],
        offset: f32,
    ) {
        let question = |weights, offset| Key {
            step,
            question: Question {
                params: params.len(),
                weights,
                offset,
            },
        };
        let one = [panel[0], panel[0]];
        let keys = [
            question(one, 0),
            question(panel, 0),
            question(one, offset.to_bits()),
        ];
        let workers = [&self.curve, &self.map, &self.here];
        for (slot, (key, worker)) in keys.into_iter().zip(workers).enumerate() {
            let due = match self.asked[slot] {
                None => true,
                Some(asked) if asked == key => false,
                // Only the step moved: refresh once the last grid is in.
                Some(asked) if asked.question == key.question => Self::idle(worker),
                Some(_) => true,
            };
            if !due {
                continue;
            }
            let (weights, spec): (&[usize], GridSpec) = match slot {
                0 => (&panel[..1], GridSpec::line(SPAN, CURVE_POINTS)),
                1 => (&panel[..], GridSpec::square(SPAN, MAP_POINTS)),
                _ => {
                    let mut spec = GridSpec::line(SPAN, 1);
                    spec.alpha.min = offset;
                    spec.alpha.max = offset;
                    (&panel[..1], spec)
                }
            };
            let Some(plane) = weight_plane(params, weights) else {
                continue;
            };
            worker.request(LandscapeRequest {
                problem: Arc::clone(problem),
                plane,
                spec,
            });
            self.asked[slot] = Some(key);
        }
    }
}

/// A result that belongs to these parameters' space and these weights.
fn current(
    result: Option<LandscapeResult>,
    n: usize,
    weights: &[usize],
) -> Option<LandscapeResult> {
    let result = result?;
    let fits = result.plane.center.len() == n
        && result.plane.directions.len() == weights.len()
        && result
            .plane
            .directions
            .iter()
            .zip(weights)
            .all(|(d, &w)| d.get(w).copied() == Some(1.0));
    fits.then_some(result)
}

/// The panel, in the space below the charts; it scrolls rather than clip.
pub fn one_weight_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    panel: &mut OneWeightPanel,
    prompt: &str,
    height: f32,
) {
    let room = ui.available_height().max(height);
    egui::ScrollArea::vertical()
        .id_salt("one weight")
        .max_height(room)
        .show(ui, |ui| panel_ui(ui, runtime, panel, prompt, height));
}

fn panel_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    panel: &mut OneWeightPanel,
    prompt: &str,
    height: f32,
) {
    let Some(language) = runtime.problem.language() else {
        return;
    };
    let n = runtime.problem.num_params();
    let snapshot = &runtime.snapshot;
    if snapshot.params.len() != n || n == 0 {
        ui.label("starting the new model…");
        return;
    }
    let params: &[f32] = &snapshot.params;
    if !params.iter().all(|p| p.is_finite()) {
        ui.label("The run diverged: its weights are no longer numbers. Lower the learning rate and reset.");
        return;
    }
    if panel.workers.is_none() {
        match Workers::new(&runtime.wake()) {
            Ok(workers) => panel.workers = Some(workers),
            Err(e) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("cannot start the workers: {e}"),
                );
                return;
            }
        }
    }
    let Ok(prompt) = language.encode(prompt) else {
        ui.label(
            "The prompt under Next character has a symbol the text does not: change it there.",
        );
        return;
    };
    let truth = language.continuation_in_text(&prompt);
    // Without a true continuation, follow the likeliest character.
    let target = truth.unwrap_or_else(|| {
        let p = language.next_probabilities(params, &prompt);
        (0..p.len())
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap_or(0)
    });
    if panel.weight >= n || panel.partner >= n || (panel.weight == 0 && panel.partner == 0) {
        let [i, j] = language.most_influential_parameters(params, &prompt, target);
        (panel.weight, panel.partner) = (i, j);
        panel.offset = 0.0;
    }
    let layout = runtime.problem.layout();
    let trained = params[panel.weight];
    let workers = panel.workers.as_mut().expect("started above");
    let curve = current(workers.curve.latest(), n, &[panel.weight]);
    // The loss at the dragged value as last computed, and the value it was
    // computed at (a frame or two behind a fast drag): the ball sits there.
    let here = current(workers.here.latest(), n, &[panel.weight])
        .and_then(|r| Some((r.grid.spec.alpha.min, *r.grid.values.first()?)));
    let at_trained = curve.as_ref().and_then(|c| {
        let middle = c.grid.spec.alpha.points / 2;
        c.grid.values.get(middle).copied()
    });

    // What moves, first: a projector shows the top of the panel.
    ui.strong(weight_name(language, layout, panel.weight));
    let p_trained = probability_with(language, params, &prompt, target, panel.weight, 0.0);
    let p_now = probability_with(
        language,
        params,
        &prompt,
        target,
        panel.weight,
        panel.offset,
    );
    let symbol = show_symbol(language.vocab()[target]);
    let whose = if truth.is_some() {
        "the true next character"
    } else {
        "the likeliest next character (this prompt is not in the text)"
    };
    let big = ui.text_style_height(&egui::TextStyle::Body) * 1.1;
    ui.label(
        RichText::new(format!(
            "p({symbol}) = {}  (trained {})",
            plain(p_now),
            plain(p_trained)
        ))
        .size(big)
        .strong(),
    )
    .on_hover_text(format!(
        "The probability of {whose}, {symbol}, after the prompt under Next character"
    ));
    let loss_text = match (here.map(|(_, loss)| loss), at_trained) {
        (Some(now), Some(then)) => format!(
            "training loss {} nats  (trained {})",
            plain(f64::from(now)),
            plain(f64::from(then))
        ),
        (Some(now), None) => format!("training loss {} nats", plain(f64::from(now))),
        _ => "training loss: computing…".to_string(),
    };
    ui.label(RichText::new(loss_text).size(big));

    let mut value = trained + panel.offset;
    ui.horizontal_wrapped(|ui| {
        ui.label("drag its value");
        if ui
            .button("back")
            .on_hover_text("Back to the value training gave it")
            .clicked()
        {
            value = trained;
        }
    });
    fitted_slider(
        ui,
        egui::Slider::new(&mut value, (trained - SPAN)..=(trained + SPAN))
            .custom_formatter(|v, _| plain(v))
            .clamping(egui::SliderClamping::Always),
    )
    .on_hover_text("Only this weight changes; every other weight stays where training left it");
    panel.offset = value - trained;
    workers.ask(
        &runtime.problem,
        params,
        snapshot.step,
        [panel.weight, panel.partner],
        panel.offset,
    );

    let plot_height = (height * 0.8).clamp(90.0, 220.0);
    match &curve {
        Some(curve) => curve_ui(ui, curve, trained, at_trained, here, plot_height),
        None => {
            ui.label("computing the loss along this weight…");
        }
    }
    ui.separator();
    pick_ui(ui, language, panel, params, &prompt, target, layout);
    ui.add_space(4.0);
    ui.strong("the loss as these two weights alone change")
        .on_hover_text(
            "The main map's random directions move every weight at once; here only two move",
        );
    let map = panel
        .workers
        .as_ref()
        .and_then(|w| current(w.map.latest(), n, &[panel.weight, panel.partner]));
    match map {
        Some(map) => {
            let side = ui.available_width();
            ui.allocate_ui(egui::vec2(side, side), |ui| {
                let options = MapOptions {
                    log_scale: false,
                    show_hover: true,
                    id: "two weights",
                    fit_height: true,
                    shared_scale: None,
                };
                slice_map_ui(ui, runtime, &map, &mut panel.map_cache, &options);
            });
        }
        None => {
            ui.label("computing the map of two weights…");
        }
    }
}

/// A weight as a student reads it: an embedding entry by its character,
/// a layer's weight by its tensor's PyTorch name and place.
pub fn weight_name(language: &LanguageProblem, layout: &ParamLayout, index: usize) -> String {
    if let Some(t) = layout
        .get("embedding.weight")
        .filter(|t| t.range().contains(&index))
        && let [_, dims] = t.shape[..]
    {
        let local = index - t.offset;
        if let Some(&c) = language.vocab().get(local / dims) {
            return format!(
                "embedding of {}, entry {}",
                show_symbol(c),
                local % dims + 1
            );
        }
    }
    // The last layer's rows are the vocabulary's logits.
    let vocab = language.vocab();
    if let Some(t) = layout
        .tensors
        .iter()
        .rev()
        .find(|t| t.name.ends_with(".weight"))
        && t.range().contains(&index)
        && let [rows, cols] = t.shape[..]
        && rows == vocab.len()
    {
        let local = index - t.offset;
        return format!(
            "output {} ← hidden unit {}",
            show_symbol(vocab[local / cols]),
            local % cols + 1
        );
    }
    if let Some(t) = layout.tensors.last().filter(|t| t.name.ends_with(".bias"))
        && t.range().contains(&index)
        && t.len() == vocab.len()
    {
        return format!("output bias of {}", show_symbol(vocab[index - t.offset]));
    }
    layout.describe_index(index)
}

/// Which weight: "most changes this prediction", or any by tensor and index.
fn pick_ui(
    ui: &mut egui::Ui,
    language: &LanguageProblem,
    panel: &mut OneWeightPanel,
    params: &[f32],
    prompt: &[usize],
    target: usize,
    layout: &ParamLayout,
) {
    if ui
        .add(egui::Button::new("the two weights that most change this prediction").wrap())
        .on_hover_text("The largest entries of this one prediction's gradient: the weights it is most sensitive to")
        .clicked()
    {
        let [i, j] = language.most_influential_parameters(params, prompt, target);
        (panel.weight, panel.partner) = (i, j);
        panel.offset = 0.0;
    }
    for (label, index) in [
        ("weight", &mut panel.weight),
        ("second", &mut panel.partner),
    ] {
        ui.horizontal_wrapped(|ui| {
            ui.label(label);
            let tensor = layout
                .tensors
                .iter()
                .position(|t| t.range().contains(index))
                .unwrap_or(0);
            let mut chosen = tensor;
            egui::ComboBox::from_id_salt(("weight tensor", label))
                .selected_text(layout.tensors.get(tensor).map_or("", |t| t.name.as_str()))
                .show_ui(ui, |ui| {
                    for (k, t) in layout.tensors.iter().enumerate() {
                        ui.selectable_value(&mut chosen, k, &t.name);
                    }
                });
            let Some(spec) = layout.tensors.get(chosen) else {
                return;
            };
            let mut local = if chosen == tensor {
                *index - spec.offset
            } else {
                0
            };
            ui.add(egui::DragValue::new(&mut local).range(0..=spec.len().saturating_sub(1)))
                .on_hover_text(format!("Which entry of {} (flat, row by row)", spec.name));
            let picked = spec.offset + local.min(spec.len().saturating_sub(1));
            if picked != *index {
                *index = picked;
            }
        });
    }
    ui.label(
        RichText::new(format!(
            "second: {}",
            weight_name(language, layout, panel.partner)
        ))
        .weak(),
    );
    if panel.weight == panel.partner {
        panel.partner = if panel.weight + 1 < params.len() {
            panel.weight + 1
        } else {
            panel.weight.saturating_sub(1)
        };
    }
}

/// The loss along the one weight, the ball at the dragged value and a
/// marker at the trained one (the curve's middle, `at_trained`).
fn curve_ui(
    ui: &mut egui::Ui,
    curve: &LandscapeResult,
    trained: f32,
    at_trained: Option<f32>,
    here: Option<(f32, f32)>,
    height: f32,
) {
    let points = line_points(&curve.grid, f64::from(trained));
    axes::marks_125_both(Plot::new("one weight"))
        .show_background(false)
        .height(height)
        .x_axis_label("value of this weight")
        .y_axis_label("loss")
        .x_axis_formatter(|mark, _| axes::linear(mark))
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .show(ui, |plot| {
            plot.line(Line::new("loss along this weight", PlotPoints::from(points)).width(2.0));
            if let Some(loss) = at_trained.filter(|v| v.is_finite()) {
                plot.points(
                    Points::new(
                        "trained",
                        PlotPoints::from(vec![[f64::from(trained), f64::from(loss)]]),
                    )
                    .shape(MarkerShape::Circle)
                    .radius(6.0)
                    .filled(false)
                    .color(TRAINED),
                );
            }
            if let Some((offset, loss)) = here.filter(|(_, v)| v.is_finite()) {
                plot.points(
                    Points::new(
                        "ball",
                        PlotPoints::from(vec![[f64::from(trained + offset), f64::from(loss)]]),
                    )
                    .shape(MarkerShape::Circle)
                    .radius(7.0)
                    .filled(true)
                    .color(BALL_COLOUR),
                );
            }
        });
}

#[cfg(test)]
#[path = "one_weight_view_tests.rs"]
mod tests;
