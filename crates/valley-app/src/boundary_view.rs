//! What the network has learned, in data space: the decision regions
//! (classification) or the fitted curve (regression) over the data points,
//! as TensorFlow Playground shows them.

use std::time::Duration;
use valley_engine::exec::Instant;

use egui::{Color32, ColorImage, TextureHandle, TextureOptions, Vec2};
use egui_plot::{Line, MarkerShape, Plot, PlotImage, PlotPoint, PlotPoints, Points};
use ndarray::Array2;

use super::axes;
use super::runtime::Runtime;
use valley_engine::data::Targets;
use valley_engine::exec;
use valley_engine::problem::{Predictor, Workspace};

/// Class colours (Okabe–Ito, colour-blind safe).
const CLASS_COLOURS: [Color32; 6] = [
    Color32::from_rgb(0, 114, 178),
    Color32::from_rgb(230, 159, 0),
    Color32::from_rgb(0, 158, 115),
    Color32::from_rgb(204, 121, 167),
    Color32::from_rgb(86, 180, 233),
    Color32::from_rgb(213, 94, 0),
];
/// Pixels per side of the decision-region image.
const REGION_RES: usize = 72;

/// Points along the fitted curve of a regression.
const FIT_POINTS: usize = 200;

/// What the model predicts over the data, computed off the UI thread.
enum Picture {
    /// The decision regions' pixels over the cache's bounds.
    Regions(Vec<Color32>),
    /// The fitted curve of a one-feature regression.
    Fit(Vec<[f64; 2]>),
}

/// The regions image or fitted curve, recomputed off the UI thread when the
/// step changes: on a big network a forward pass over every pixel costs tens
/// of milliseconds, which the window must not pay each frame. At most one
/// computation is in flight; the newest finished one is shown.
#[derive(Default)]
pub struct BoundaryCache {
    step: Option<u64>,
    texture: Option<TextureHandle>,
    fit: Vec<[f64; 2]>,
    bounds: [f64; 4],
    /// The step and parameters being predicted, and the job doing it.
    pending: Option<(u64, exec::Job<Picture>)>,
    /// When the job in flight started, and when the last one finished and
    /// what it cost: the next waits twice that long, so on a big network the
    /// picture takes at most a third of a core from training and drawing.
    started: Option<Instant>,
    finished: Option<(Instant, Duration)>,
}

/// A picture rests this many times its own cost before the next one.
const REST: u32 = 2;

impl BoundaryCache {
    /// Takes a finished picture, and starts the next one when the run has
    /// moved: the regions over `bounds`, or with `fit` the curve over them.
    fn refresh(&mut self, ctx: &egui::Context, runtime: &Runtime, bounds: [f64; 4], fit: bool) {
        if let Some((step, job)) = &self.pending
            && let Some(outcome) = job.take()
        {
            match outcome {
                exec::Outcome::Done(Picture::Regions(pixels)) => {
                    let image = ColorImage::new([REGION_RES, REGION_RES], pixels);
                    match &mut self.texture {
                        Some(t) => t.set(image, TextureOptions::LINEAR),
                        None => {
                            self.texture =
                                Some(ctx.load_texture("regions", image, TextureOptions::LINEAR))
                        }
                    }
                    self.bounds = bounds;
                    self.step = Some(*step);
                }
                exec::Outcome::Done(Picture::Fit(curve)) => {
                    self.fit = curve;
                    self.step = Some(*step);
                }
                exec::Outcome::Failed(_) | exec::Outcome::Cancelled => {}
            }
            self.pending = None;
            if let Some(started) = self.started.take() {
                self.finished = Some((Instant::now(), started.elapsed()));
            }
        }
        let step = runtime.snapshot.step;
        let rested = self
            .finished
            .is_none_or(|(at, cost)| at.elapsed() >= cost * REST);
        let drawn = if fit {
            !self.fit.is_empty()
        } else {
            self.texture.is_some()
        };
        if self.pending.is_some() || (self.step == Some(step) && drawn) {
            return;
        }
        if drawn && !rested {
            // Look again once rested, even if nothing else wakes the window.
            if let Some((at, cost)) = self.finished {
                ctx.request_repaint_after((cost * REST).saturating_sub(at.elapsed()));
            }
            return;
        }
        let problem = std::sync::Arc::clone(&runtime.problem);
        let params = std::sync::Arc::clone(&runtime.snapshot.params);
        let started = exec::spawn_blocking(
            "valley-regions",
            move |_| match problem.predictor() {
                Some(predictor) if fit => {
                    exec::Outcome::Done(Picture::Fit(fit_curve(predictor, &params, bounds)))
                }
                Some(predictor) => {
                    exec::Outcome::Done(Picture::Regions(region_pixels(predictor, &params, bounds)))
                }
                None => exec::Outcome::Failed("no predictions to draw".into()),
            },
            {
                let wake = runtime.wake();
                move || wake()
            },
        );
        // Without a thread the last image stays; the next frame tries again.
        if let Ok(job) = started {
            self.pending = Some((step, job));
            self.started = Some(Instant::now());
        }
    }
}

/// The model's prediction at `FIT_POINTS` inputs across `bounds`' x range.
fn fit_curve(predictor: &dyn Predictor, params: &[f32], bounds: [f64; 4]) -> Vec<[f64; 2]> {
    let [lo, hi, ..] = bounds;
    let xs = Array2::from_shape_fn((FIT_POINTS, 1), |(i, _)| {
        (lo + (hi - lo) * i as f64 / (FIT_POINTS - 1) as f64) as f32
    });
    let fit = predictor.predict(params, xs.view(), &mut Workspace::default());
    xs.column(0)
        .iter()
        .zip(fit.column(0))
        .map(|(&x, &y)| [f64::from(x), f64::from(y)])
        .collect()
}

/// The colour of each pixel of the regions image over `bounds`.
fn region_pixels(predictor: &dyn Predictor, params: &[f32], bounds: [f64; 4]) -> Vec<Color32> {
    let [x0, x1, y0, y1] = bounds;
    let grid = Array2::from_shape_fn((REGION_RES * REGION_RES, 2), |(k, c)| {
        let (i, j) = (k % REGION_RES, REGION_RES - 1 - k / REGION_RES);
        let t = if c == 0 { i } else { j } as f64 / (REGION_RES - 1) as f64;
        (if c == 0 {
            x0 + t * (x1 - x0)
        } else {
            y0 + t * (y1 - y0)
        }) as f32
    });
    let logits = predictor.predict(params, grid.view(), &mut Workspace::default());
    logits
        .rows()
        .into_iter()
        .map(|row| region_colour(row.as_slice().unwrap_or(&[])))
        .collect()
}

/// Draws the data and what the model predicts.
pub fn boundary_ui(ui: &mut egui::Ui, runtime: &Runtime, cache: &mut BoundaryCache, height: f32) {
    let Some(problem) = runtime.problem.predictor() else {
        if let Some(kind) = runtime.problem.surface() {
            ui.label(egui::RichText::new(kind.formula()).size(18.0));
            // Scrolls rather than running off the bottom at 1280 × 720.
            egui::ScrollArea::vertical()
                .id_salt("surface description")
                .max_height((ui.available_height().min(height) - 12.0).max(20.0))
                .show(ui, |ui| ui.label(kind.description()));
        }
        return;
    };
    let data = &problem.split().train;
    let params = &runtime.snapshot.params;
    if params.len() != runtime.problem.num_params() {
        return;
    }
    match &data.targets {
        Targets::Classes { labels, .. } if data.num_features() == 2 => {
            cache.refresh(ui.ctx(), runtime, bounds_of(&data.x), false);
            let [x0, x1, y0, y1] = cache.bounds;
            axes::marks_125_both(Plot::new("decision regions"))
                .x_axis_formatter(|mark, _| axes::linear(mark))
                .y_axis_formatter(|mark, _| axes::linear(mark))
                .show_background(false)
                .height(height)
                .data_aspect(1.0)
                .allow_scroll(false)
                .show(ui, |plot| {
                    if let Some(texture) = &cache.texture {
                        let centre = PlotPoint::new((x0 + x1) / 2.0, (y0 + y1) / 2.0);
                        plot.image(PlotImage::new(
                            "prediction",
                            texture.id(),
                            centre,
                            Vec2::new((x1 - x0) as f32, (y1 - y0) as f32),
                        ));
                    }
                    for (class, colour) in CLASS_COLOURS.iter().enumerate() {
                        let points: Vec<[f64; 2]> = data
                            .x
                            .rows()
                            .into_iter()
                            .zip(labels)
                            .filter(|(_, l)| **l == class)
                            .map(|(r, _)| [f64::from(r[0]), f64::from(r[1])])
                            .collect();
                        if !points.is_empty() {
                            plot.points(
                                Points::new(format!("class {class}"), PlotPoints::from(points))
                                    .shape(MarkerShape::Circle)
                                    .radius(2.5)
                                    .filled(true)
                                    .color(*colour),
                            );
                        }
                    }
                });
        }
        Targets::Values(values) if data.num_features() == 1 => {
            let lo = data.x.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = data.x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            cache.refresh(
                ui.ctx(),
                runtime,
                [f64::from(lo), f64::from(hi), 0.0, 0.0],
                true,
            );
            let curve = cache.fit.clone();
            let points: Vec<[f64; 2]> = data
                .x
                .column(0)
                .iter()
                .zip(values.column(0))
                .map(|(&x, &y)| [f64::from(x), f64::from(y)])
                .collect();
            axes::marks_125_both(Plot::new("fit"))
                .x_axis_formatter(|mark, _| axes::linear(mark))
                .y_axis_formatter(|mark, _| axes::linear(mark))
                .show_background(false)
                .height(height)
                .allow_scroll(false)
                .show(ui, |plot| {
                    plot.points(
                        Points::new("data", PlotPoints::from(points))
                            .radius(2.0)
                            .color(CLASS_COLOURS[0]),
                    );
                    plot.line(
                        Line::new("model", PlotPoints::from(curve))
                            .width(2.5)
                            .color(CLASS_COLOURS[5]),
                    );
                });
        }
        _ => {
            ui.label(
                "this data has more than two features, so its decision regions cannot be drawn",
            );
        }
    }
}

fn bounds_of(x: &Array2<f32>) -> [f64; 4] {
    let column = |c: usize| {
        let lo = x.column(c).iter().copied().fold(f32::INFINITY, f32::min);
        let hi = x
            .column(c)
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let pad = 0.1 * (hi - lo).max(1e-3);
        (f64::from(lo - pad), f64::from(hi + pad))
    };
    let ((x0, x1), (y0, y1)) = (column(0), column(1));
    [x0, x1, y0, y1]
}

/// The predicted class's colour, paler where the model is unsure.
fn region_colour(logits: &[f32]) -> Color32 {
    let (best, max) = logits
        .iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
        );
    let total: f32 = logits.iter().map(|&v| (v - max).exp()).sum();
    let confidence = if total.is_finite() && total > 0.0 {
        1.0 / total
    } else {
        0.0
    };
    let base = CLASS_COLOURS[best % CLASS_COLOURS.len()];
    let k = logits.len().max(2) as f32;
    let strength = ((confidence - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0) * 0.55;
    let mix = |c: u8| (255.0 + (f32::from(c) - 255.0) * strength) as u8;
    Color32::from_rgb(mix(base.r()), mix(base.g()), mix(base.b()))
}
