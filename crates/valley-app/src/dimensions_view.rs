//! The geometry of many dimensions as a view: drag the dimension from 2 to
//! 10¹¹ and watch four facts move (the engine computes them in log space),
//! then the network's own Hessian at the ball, whose share of negative
//! eigenvalues falls as training lowers the loss.

use egui::{Color32, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};

use super::axes;
use super::curvature_view::SpectrumPoint;
use super::settings::Settings;
use super::settings_check::DIMENSION_RANGE;
use super::widgets::slider;
use valley_engine::dimensions::{Geometry, almost_all_in_words, grouped, share_in_words};
use valley_figure::plain_number;

/// The shell whose share of the volume the view reports.
pub const SHELL: f64 = 0.01;
/// Width below which the facts stack in one column.
const TWO_COLUMNS: f32 = 520.0;

const INNER: Color32 = Color32::from_rgb(230, 159, 0);
const SHELL_COLOUR: Color32 = Color32::from_rgb(86, 180, 233);
const MINIMA: Color32 = Color32::from_rgb(204, 121, 167);

/// The view; `num_params` is the model's parameter count, `history` its
/// curvature analyses along the run.
pub fn dimensions_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    num_params: usize,
    history: &[SpectrumPoint],
) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.add(
                slider(
                    &mut settings.dimensions,
                    DIMENSION_RANGE.0..=DIMENSION_RANGE.1,
                )
                .logarithmic(true)
                .integer()
                .custom_formatter(|d, _| grouped(d))
                .text("dimensions d"),
            )
            .on_hover_text("Drag from a plane (2) to a large language model (10¹¹ parameters)");
            if num_params > 1
                && ui
                    .button(format!("this model: {}", grouped(num_params as f64)))
                    .on_hover_text("Set d to the number of parameters of the model being trained")
                    .clicked()
            {
                settings.dimensions = num_params as f64;
            }
        });
        let g = Geometry::new(settings.dimensions, SHELL, settings.inner_radius);
        let facts = [
            (
                "Diagonal of a unit cube".to_string(),
                format!("√d = {} edges", big(g.diagonal)),
                "Every edge is 1 long, yet corner to corner is √d: distances stretch.",
                None,
            ),
            (
                "Volume within 1 % of a ball's surface".to_string(),
                almost_all_in_words(g.deeper_than_shell_log10),
                "A high-dimensional ball is nearly all skin: random points sit near the edge.",
                Some(SHELL_COLOUR),
            ),
            (
                format!(
                    "Volume inside {:.0} % of the radius",
                    100.0 * settings.inner_radius
                ),
                share_in_words(g.inner_ball_log10),
                "A bowl a little smaller than the ball holds almost nothing: rᵈ.",
                Some(INNER),
            ),
            (
                "Minima among flat points, if curvatures were coin flips".to_string(),
                share_in_words(g.minima_log10),
                "All d directions must curve up: 2⁻ᵈ. Almost every flat point is a saddle.",
                Some(MINIMA),
            ),
        ];
        // Narrow (a projector's central panel): each fact on one line, its
        // sentence on hover, so all four fit above the charts.
        let narrow = ui.available_width() < TWO_COLUMNS;
        let columns = if narrow { 1 } else { 2 };
        // Grid cells do not bound their width: each card is told its own.
        let card_width = match narrow {
            true => ui.available_width() - 14.0,
            false => (ui.available_width() / 2.0 - 18.0).min(340.0),
        };
        egui::Grid::new("dimension facts")
            .num_columns(columns)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                for (i, (title, value, sentence, colour)) in facts.iter().enumerate() {
                    let width = card_width;
                    let mut heading = RichText::new(title).strong();
                    if let Some(colour) = colour {
                        heading = heading.color(*colour);
                    }
                    let card = egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.set_width(width);
                        if narrow {
                            ui.horizontal_wrapped(|ui| {
                                ui.label(heading);
                                ui.add(
                                    egui::Label::new(RichText::new(value).size(20.0).strong())
                                        .wrap(),
                                );
                            });
                        } else {
                            ui.label(heading);
                            ui.label(RichText::new(value).size(22.0).strong());
                            ui.add(egui::Label::new(RichText::new(*sentence).weak()).wrap());
                        }
                        if i == 2 {
                            ui.add(slider(&mut settings.inner_radius, 0.5..=0.999).text("r"));
                        }
                    });
                    if narrow {
                        card.response.on_hover_text(*sentence);
                    }
                    if (i + 1) % columns == 0 {
                        ui.end_row();
                    }
                }
            });
        let chart_height = if narrow { 120.0 } else { 170.0 };
        // Once the run has been measured twice the model's own story comes
        // first; before that the shares do.
        if history.len() >= 2 {
            network_ui(ui, num_params, history, chart_height);
            shares_plot_ui(ui, settings, chart_height);
        } else {
            shares_plot_ui(ui, settings, chart_height);
            network_ui(ui, num_params, history, chart_height);
        }
    });
}

/// Whole numbers grouped, smaller ones plain.
fn big(x: f64) -> String {
    if x >= 1000.0 {
        grouped(x.round())
    } else {
        plain_number(x)
    }
}

/// The three shares against d on log axes, the chosen d marked.
fn shares_plot_ui(ui: &mut egui::Ui, settings: &Settings, height: f32) {
    let r = settings.inner_radius;
    let curve = |f: &dyn Fn(&Geometry) -> f64| -> Vec<[f64; 2]> {
        (0..=200)
            .map(|i| {
                let (low, high) = (DIMENSION_RANGE.0.log10(), DIMENSION_RANGE.1.log10());
                let log_d = low + (high - low) * f64::from(i) / 200.0;
                let g = Geometry::new(10f64.powf(log_d), SHELL, r);
                [log_d, f(&g).max(-14.0)]
            })
            .collect()
    };
    ui.add_space(4.0);
    ui.strong("How fast the shares vanish");
    axes::marks_decades_y(Plot::new("dimension shares"))
        .height(height)
        .show_background(false)
        .legend(Legend::default().position(egui_plot::Corner::RightTop))
        .include_y(0.0)
        .include_y(-14.0)
        .x_axis_label("dimensions d")
        .y_axis_label("share (log)")
        .x_axis_formatter(|mark, _| axes::log10(mark))
        .y_axis_formatter(|mark, _| axes::log10(mark))
        .allow_scroll(false)
        .allow_drag(false)
        .show(ui, |plot| {
            plot.line(
                Line::new(
                    format!("inside {:.0} % of the radius", 100.0 * r),
                    PlotPoints::from(curve(&|g| g.inner_ball_log10)),
                )
                .color(INNER)
                .width(2.5),
            );
            plot.line(
                Line::new(
                    "deeper than the 1 % skin",
                    PlotPoints::from(curve(&|g| g.deeper_than_shell_log10)),
                )
                .color(SHELL_COLOUR)
                .width(2.5),
            );
            plot.line(
                Line::new("minima (2⁻ᵈ)", PlotPoints::from(curve(&|g| g.minima_log10)))
                    .color(MINIMA)
                    .width(2.5),
            );
            plot.vline(
                VLine::new("d", settings.dimensions.log10())
                    .color(Color32::GRAY)
                    .width(2.0),
            );
        });
}

/// The network's own Hessian at the ball, along the run.
fn network_ui(ui: &mut egui::Ui, num_params: usize, history: &[SpectrumPoint], height: f32) {
    ui.add_space(4.0);
    ui.strong(format!(
        "This model's Hessian ({} parameters)",
        grouped(num_params as f64)
    ));
    let Some(last) = history.last() else {
        ui.label("Pause training with the Curvature panel open: each pause measures the Hessian at the ball and adds a point here.");
        return;
    };
    ui.label(format!(
        "At step {}: {:.0} % of the eigenvalues are negative, λmax = {}, loss {}.",
        last.step,
        100.0 * last.negative_share + 0.0,
        plain_number(last.lambda_max),
        plain_number(f64::from(last.loss))
    ));
    let points: Vec<[f64; 2]> = history
        .iter()
        .map(|p| {
            [
                f64::from(p.loss.max(1e-12)).log10(),
                100.0 * p.negative_share,
            ]
        })
        .collect();
    let (left, right) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, r), p| {
            (l.min(p[0]), r.max(p[0]))
        });
    axes::marks_125_x(Plot::new("negative share"))
        .height(height)
        .include_x(left - 0.3)
        .include_x(right + 0.3)
        .show_background(false)
        .include_y(0.0)
        .include_y(50.0)
        .x_axis_label("training loss (log)")
        .y_axis_label("% negative")
        .x_axis_formatter(|mark, _| axes::log10(mark))
        .allow_scroll(false)
        .allow_drag(false)
        .show(ui, |plot| {
            plot.line(
                Line::new("along the run", PlotPoints::from(points.clone()))
                    .color(MINIMA)
                    .width(2.0),
            );
            plot.points(
                Points::new("analyses", PlotPoints::from(points))
                    .radius(4.0)
                    .color(MINIMA),
            );
        });
}
