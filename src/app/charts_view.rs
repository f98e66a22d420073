//! Charts beside the landscape: the 1D slice with the ball on it, and the
//! loss curves over training (log scale).

use egui::Color32;
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points};

use super::landscape_view::BALL_COLOUR;
use super::runtime::Runtime;
use crate::engine::landscape::project;

/// The loss along the slice's first direction, with the ball on the curve.
pub fn line_slice_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32) {
    let Some(result) = runtime.line.as_ref().filter(|_| runtime.is_consistent()) else {
        ui.label("computing the 1D slice…");
        return;
    };
    let grid = &result.grid;
    let offset = runtime.problem.surface().map_or(0.0, |k| k.view().0[0]);
    let points: Vec<[f64; 2]> = grid
        .spec
        .alpha
        .values()
        .iter()
        .zip(&grid.values)
        .filter(|(_, v)| v.is_finite())
        .map(|(&a, &v)| [f64::from(a) + offset, f64::from(v)])
        .collect();
    let here = project(&result.plane, &runtime.snapshot.params);
    let alpha = f64::from(here.coords[0]);
    let mut params = vec![0.0; result.plane.center.len()];
    result.plane.point(&[here.coords[0]], &mut params);
    let loss = runtime.problem.loss(&params, &mut Default::default());
    Plot::new("line slice")
        .show_background(false)
        .height(height)
        .x_axis_label(match runtime.problem.surface() {
            Some(_) => format!(
                "x, at the ball's y = {:.2}",
                result.plane.center.get(1).copied().unwrap_or(0.0)
            ),
            None => "α".to_string(),
        })
        .y_axis_label("loss")
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("loss along direction 1", PlotPoints::from(points)).width(2.0));
            if loss.is_finite() {
                plot.points(
                    Points::new(
                        "ball",
                        PlotPoints::from(vec![[alpha + offset, f64::from(loss)]]),
                    )
                    .shape(MarkerShape::Circle)
                    .radius(7.0)
                    .filled(true)
                    .color(BALL_COLOUR),
                );
            }
        });
}

/// Train and test loss (log10) over steps.
pub fn curves_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32) {
    let log = |v: f32| (v > 0.0 && v.is_finite()).then(|| f64::from(v).log10());
    let curve = |value: &dyn Fn(&super::runtime::CurvePoint) -> Option<f32>| -> Vec<[f64; 2]> {
        runtime
            .curves
            .items()
            .iter()
            .filter_map(|p| Some([p.step as f64, log(value(p)?)?]))
            .collect()
    };
    let train = curve(&|p| Some(p.train_loss));
    let test = curve(&|p| p.test_loss);
    Plot::new("loss curves")
        .show_background(false)
        .height(height)
        .legend(Legend::default())
        .x_axis_label("step")
        .y_axis_label("loss (log)")
        .y_axis_formatter(|mark, _| format!("{:.2e}", 10f64.powf(mark.value)))
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(
                Line::new("train loss", PlotPoints::from(train))
                    .width(2.0)
                    .color(Color32::from_rgb(60, 120, 220)),
            );
            if !test.is_empty() {
                plot.line(
                    Line::new("test loss", PlotPoints::from(test))
                        .width(2.0)
                        .color(Color32::from_rgb(230, 120, 40)),
                );
            }
        });
}
