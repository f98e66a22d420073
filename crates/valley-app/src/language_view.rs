//! A language model's own panel: what it predicts after a prompt (the ten
//! likeliest next characters as bars, the one the text really has marked,
//! and the loss of that one prediction), and samples at a temperature,
//! kept as training goes so the text is seen getting less random.
//!
//! Each reading is one forward pass of a single row (microseconds), so it
//! runs on the UI thread without blocking it.

use egui::{Color32, RichText, Sense, Stroke, Vec2};

use super::runtime::Runtime;
use super::settings::{DirectionChoice, Settings};
use super::widgets::fitted_slider;
use valley_engine::language::show_symbol;
use valley_engine::numbers::plain_number as plain;
use valley_engine::problem::LanguageProblem;

/// Steps between kept samples.
const SAMPLE_EVERY: u64 = 500;
/// Samples kept (the oldest go first).
const KEPT_SAMPLES: usize = 4;
/// Characters per sample.
const SAMPLE_CHARS: usize = 60;
/// The true next character's bar.
const TRUTH: Color32 = Color32::from_rgb(230, 159, 0);
/// Every other bar.
const BAR: Color32 = Color32::from_rgb(0, 114, 178);

/// What the panel remembers between frames.
pub struct LanguagePanel {
    /// The text the model continues.
    pub prompt: String,
    /// Sampling temperature.
    pub temperature: f32,
    samples: Vec<(u64, String)>,
    /// The sample shown as "now", with the step and temperature it was drawn at
    /// (drawn again only when either changes, not every frame).
    now: Option<(u64, f32, String)>,
    /// The run the samples came from (its first parameters), so a new run starts a new list.
    run: Option<f32>,
}

impl Default for LanguagePanel {
    fn default() -> Self {
        Self {
            prompt: "ma".into(),
            temperature: 1.0,
            samples: Vec::new(),
            now: None,
            run: None,
        }
    }
}

/// The panel, in the space left below the charts; it scrolls rather than
/// clip when a projector's large text does not fit.
pub fn language_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    panel: &mut LanguagePanel,
    settings: &mut Settings,
    height: f32,
) {
    let room = ui.available_height().max(height);
    egui::ScrollArea::vertical()
        .id_salt("next character")
        .max_height(room)
        .show(ui, |ui| panel_ui(ui, runtime, panel, settings, room));
}

fn panel_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    panel: &mut LanguagePanel,
    settings: &mut Settings,
    height: f32,
) {
    let Some(language) = runtime.problem.language() else {
        return;
    };
    // Just after a new problem is chosen the snapshot is still the old
    // model's: wait a frame for the new one.
    if runtime.snapshot.params.len() != runtime.problem.num_params() {
        ui.label("starting the new model…");
        return;
    }
    let snapshot = &runtime.snapshot;
    let params: &[f32] = &snapshot.params;
    if !params.iter().all(|p| p.is_finite()) {
        ui.label("The run diverged: its weights are no longer numbers. Lower the learning rate and reset.");
        return;
    }
    ui.horizontal(|ui| {
        ui.label("prompt");
        ui.add(egui::TextEdit::singleline(&mut panel.prompt).desired_width(140.0))
            .on_hover_text("Type the start of a word: the bars show what the model expects next");
    });
    let prompt = match language.encode(&panel.prompt) {
        Ok(ids) => ids,
        Err(e) => {
            ui.colored_label(ui.visuals().warn_fg_color, e);
            return;
        }
    };
    let probabilities = language.next_probabilities(params, &prompt);
    let truth = language.continuation_in_text(&prompt);
    // Rows as tall as the body text, so they read from the back of a room;
    // as many as half the room holds, five to ten.
    let row_height = ui.text_style_height(&egui::TextStyle::Body) * 1.2;
    let shown = ((height * 0.45 / row_height) as usize).clamp(5, 10);
    let mut ranked: Vec<(usize, f64)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(shown);
    if let Some(id) = truth
        && !ranked.iter().any(|&(i, _)| i == id)
    {
        // The true character is always shown, even outside the top ten.
        ranked.pop();
        ranked.push((id, probabilities[id]));
    }
    bars(ui, language, &ranked, truth, row_height);
    match truth {
        Some(id) => {
            let p = probabilities[id];
            ui.label(
                RichText::new(format!(
                    "the text goes on with {}: p = {}, its loss −log p = {} nats",
                    show_symbol(language.vocab()[id]),
                    plain(p),
                    plain(-p.max(f64::MIN_POSITIVE).ln())
                ))
                .color(TRUTH),
            );
            // Wrapped: a button wider than the column would widen the
            // charts panel past the window and push the map under it.
            if ui
                .add(egui::Button::new("map the two parameters that most change this prediction").wrap())
                .on_hover_text("The landscape's axes become two single weights: the pair whose change moves this prediction's loss the most")
                .clicked()
            {
                let [i, j] = language.most_influential_parameters(params, &prompt, id);
                settings.directions = DirectionChoice::Parameters(i, j);
            }
            if let DirectionChoice::Parameters(i, j) = settings.directions {
                let layout = runtime.problem.layout();
                ui.label(format!(
                    "map axes: {} and {}",
                    layout.describe_index(i),
                    layout.describe_index(j)
                ));
            }
        }
        None => {
            ui.label("this prompt is not in the training text, so there is no true next character");
        }
    }
    ui.separator();
    samples_ui(
        ui,
        language,
        panel,
        snapshot.step,
        params,
        &snapshot.initial_params,
    );
}

/// One row per candidate: the symbol, its bar and its probability.
fn bars(
    ui: &mut egui::Ui,
    language: &LanguageProblem,
    ranked: &[(usize, f64)],
    truth: Option<usize>,
    row_height: f32,
) {
    // Short of the full width, so the bars never push the scroll area wider.
    let width = ui.available_width() - ui.spacing().scroll.bar_width - 8.0;
    let font = egui::FontId::monospace(row_height * 0.8);
    let text_colour = ui.visuals().text_color();
    for &(id, p) in ranked {
        let (rect, _) = ui.allocate_exact_size(Vec2::new(width, row_height), Sense::hover());
        let painter = ui.painter_at(rect);
        let label_width = row_height * 1.6;
        let number_width = row_height * 3.2;
        let bar_max = (rect.width() - label_width - number_width).max(10.0);
        let colour = if Some(id) == truth { TRUTH } else { BAR };
        painter.text(
            rect.left_center() + Vec2::new(label_width * 0.5, 0.0),
            egui::Align2::CENTER_CENTER,
            show_symbol(language.vocab()[id]),
            font.clone(),
            text_colour,
        );
        let bar = egui::Rect::from_min_size(
            rect.min + Vec2::new(label_width, row_height * 0.15),
            Vec2::new((p as f32 * bar_max).max(1.0), row_height * 0.7),
        );
        painter.rect_filled(bar, 2.0, colour);
        if Some(id) == truth {
            painter.rect_stroke(
                bar,
                2.0,
                Stroke::new(2.0, text_colour),
                egui::StrokeKind::Outside,
            );
        }
        painter.text(
            egui::pos2(bar.right() + 6.0, rect.center().y),
            egui::Align2::LEFT_CENTER,
            plain(p),
            font.clone(),
            text_colour,
        );
    }
}

/// A sample now at the chosen temperature, and the ones kept from earlier steps.
fn samples_ui(
    ui: &mut egui::Ui,
    language: &LanguageProblem,
    panel: &mut LanguagePanel,
    step: u64,
    params: &[f32],
    initial: &[f32],
) {
    let run = initial.first().copied();
    if panel.run != run || panel.samples.last().is_some_and(|(s, _)| *s > step) {
        panel.samples.clear();
        panel.run = run;
        panel.now = None;
    }
    let due = step / SAMPLE_EVERY * SAMPLE_EVERY;
    if panel.samples.last().is_none_or(|(s, _)| *s < due) {
        let text = language.sample(params, &[], SAMPLE_CHARS, panel.temperature, step);
        panel.samples.push((step, text));
        if panel.samples.len() > KEPT_SAMPLES {
            panel.samples.remove(0);
        }
    }
    ui.strong("Samples");
    ui.label("temperature");
    fitted_slider(ui, egui::Slider::new(&mut panel.temperature, 0.0..=2.0))
        .on_hover_text("Low: always the likeliest character (repetitive). 1: the model's own odds. High: nearer random letters");
    let temperature = panel.temperature;
    let now = match &panel.now {
        Some((at, t, text)) if *at == step && *t == temperature => text.clone(),
        _ => {
            let text = language.sample(params, &[], SAMPLE_CHARS, temperature, 0);
            panel.now = Some((step, temperature, text.clone()));
            text
        }
    };
    let mono = |text: &str| RichText::new(text.replace('\n', " ↵ ")).monospace();
    ui.label(RichText::new(format!("now (step {step})")).weak());
    ui.label(mono(&now));
    for (at, text) in panel.samples.iter().rev().filter(|(s, _)| *s < step) {
        ui.label(RichText::new(format!("step {at}")).weak());
        ui.label(mono(text));
    }
}
