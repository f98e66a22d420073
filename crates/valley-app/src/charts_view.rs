//! Charts beside the landscape: the 1D slice with the ball on it, and the
//! training curves (loss, gradient norm, learning rate; log scale).

use egui::Color32;
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points};

use super::axes;
use super::landscape_view::{BALL_COLOUR, GRADIENT_COLOUR, STEP_COLOUR};
use super::race::lane_colour;
use super::runtime::Runtime;
use super::settings::CurveChoice;
use valley_engine::landscape::{Grid, project};
use valley_engine::numbers::plain_number;
use valley_engine::train::{EvalPoint, HistoryPoint};
use valley_figure::tick_label;

/// The loss at `alpha` on the curve through `(alphas, values)`, linearly
/// interpolated; `None` off the curve's ends or where it is not finite.
fn height_on_line(alphas: &[f32], values: &[f32], alpha: f32) -> Option<f32> {
    let after = alphas.iter().position(|&a| a >= alpha)?;
    let v = if after == 0 || alphas[after] == alpha {
        (alphas[after] == alpha).then(|| values[after])?
    } else {
        let (a0, a1) = (alphas[after - 1], alphas[after]);
        let t = (alpha - a0) / (a1 - a0);
        values[after - 1] + t * (values[after] - values[after - 1])
    };
    v.is_finite().then_some(v)
}

/// A 1D grid's finite points as (coefficient + `offset`, loss) for a plot.
pub fn line_points(grid: &Grid, offset: f64) -> Vec<[f64; 2]> {
    grid.spec
        .alpha
        .values()
        .iter()
        .zip(&grid.values)
        .filter(|(_, v)| v.is_finite())
        .map(|(&a, &v)| [f64::from(a) + offset, f64::from(v)])
        .collect()
}

/// The loss along the slice's first direction, with the ball on the curve.
pub fn line_slice_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32) {
    let Some(result) = runtime
        .slices
        .line
        .as_ref()
        .filter(|_| runtime.is_consistent())
    else {
        ui.label("computing the 1D slice…");
        return;
    };
    let grid = &result.grid;
    let offset = runtime.problem.surface().map_or(0.0, |k| k.view().0[0]);
    let points = line_points(grid, offset);
    // During a race the main run is hidden: the ball is the leading lane's.
    let leader = runtime.race.leader();
    let (ball, colour, whose) = match leader {
        Some(lane) => (
            &lane.params[..],
            lane_colour(lane.kind),
            format!("{}'s", lane.name),
        ),
        None => (
            &runtime.snapshot.params[..],
            BALL_COLOUR,
            "the ball's".to_string(),
        ),
    };
    let here = project(&result.plane, ball);
    let alpha = f64::from(here.coords[0]);
    // Read off the computed curve, not a forward pass: on a big network a pass
    // per frame is what made the window stutter.
    let loss = height_on_line(&grid.spec.alpha.values(), &grid.values, here.coords[0]);
    axes::marks_125_both(Plot::new("line slice"))
        .show_background(false)
        .height(height)
        .x_axis_label(match runtime.problem.surface() {
            Some(_) => format!(
                "x, at {whose} y = {}",
                // To the hundredth, as the map's axes read: 0, not 1.33×10⁻⁴.
                tick_label(
                    (f64::from(result.plane.center.get(1).copied().unwrap_or(0.0)) * 100.0).round()
                        / 100.0,
                    0.01
                )
            ),
            None => "α".to_string(),
        })
        .y_axis_label("loss")
        .x_axis_formatter(|mark, _| axes::linear(mark))
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("loss along direction 1", PlotPoints::from(points)).width(2.0));
            if let Some(loss) = loss {
                plot.points(
                    Points::new(
                        "ball",
                        PlotPoints::from(vec![[alpha + offset, f64::from(loss)]]),
                    )
                    .shape(MarkerShape::Circle)
                    .radius(7.0)
                    .filled(true)
                    .color(colour),
                );
            }
        });
}

/// The chart's title row: which curve to show.
pub fn curve_choice_ui(ui: &mut egui::Ui, choice: &mut CurveChoice) {
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(choice, CurveChoice::Loss, "Loss")
            .on_hover_text("Train and test loss over steps: is the model still learning, is it overfitting? Once the test loss has risen, a dashed line marks its lowest point, where early stopping would have stopped");
        ui.selectable_value(choice, CurveChoice::GradNorm, "Gradient norm")
            .on_hover_text("How steep the slope is at each step: it shrinks near a minimum and spikes when a step overshoots");
        ui.selectable_value(choice, CurveChoice::LearningRate, "Learning rate")
            .on_hover_text("The step size at each step, as the schedule sets it");
        ui.selectable_value(choice, CurveChoice::OffPlane, "Off the plane")
            .on_hover_text("How far the parameters have left the plane through the start, and how much of each step lies in that plane: most of the move happens in dimensions a slice cannot show");
    });
}

/// The chosen training curve over steps, on a log scale.
pub fn curves_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32, choice: CurveChoice) {
    match choice {
        CurveChoice::Loss => loss_ui(ui, runtime, height),
        CurveChoice::OffPlane => off_plane_ui(ui, runtime, height),
        _ => history_ui(ui, runtime, height, choice),
    }
}

/// The distance off the start's plane, and the share of each step in it, over steps
/// (in the chart beside the map, and under the side-by-side maps).
pub fn off_plane_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32) {
    if runtime.problem.surface().is_some() {
        ui.label("On a formula surface the plane is the whole space: nothing lies off it.");
        return;
    }
    let series =
        |value: fn(&valley_engine::landscape::WormholePoint) -> Option<f32>| -> Vec<[f64; 2]> {
            runtime
                .slices
                .wormhole
                .track()
                .points()
                .iter()
                .filter_map(|p| Some([p.step as f64, f64::from(value(p)?)]))
                .collect()
        };
    let distance = series(|p| Some(p.off_plane));
    let share = series(|p| p.step_share.map(|s| 100.0 * s));
    // Stacked where there is height for both; side by side where there is
    // not (a projector at 1024 × 768), so neither is squeezed flat.
    let stacked = height >= 220.0;
    // Side by side the y axes name the curves: no legends over them.
    let legend = || Legend::default().position(egui_plot::Corner::LeftTop);
    let with_legend = |plot: Plot<'static>| if stacked { plot.legend(legend()) } else { plot };
    let distance_ui = |ui: &mut egui::Ui, height: f32, step_label: &str| {
        with_legend(axes::over_steps(axes::marks_125_both(Plot::new(
            "off the plane",
        ))))
        .show_background(false)
        .x_axis_label(step_label)
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .height(height)
        .y_axis_label("distance")
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(
                Line::new("distance off the start's plane", PlotPoints::from(distance))
                    .width(2.0)
                    .color(BALL_COLOUR),
            );
        });
    };
    let share_ui = |ui: &mut egui::Ui, height: f32| {
        with_legend(axes::over_steps(axes::marks_125_both(Plot::new(
            "step share",
        ))))
        .show_background(false)
        .height(height)
        .y_axis_formatter(|mark, _| axes::linear(mark))
        .y_axis_label("% in plane")
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(
                Line::new("% of the step in that plane", PlotPoints::from(share))
                    .width(2.0)
                    .color(STEP_COLOUR),
            );
        });
    };
    if stacked {
        let half = height / 2.0 - 4.0;
        distance_ui(ui, half, "");
        share_ui(ui, half);
    } else {
        ui.columns(2, |columns| {
            distance_ui(&mut columns[0], height, "step");
            share_ui(&mut columns[1], height);
        });
    }
}

/// Gradient norm or learning rate, from the trainer's own (decimated) record of every step.
fn history_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32, choice: CurveChoice) {
    let log = |v: f32| (v > 0.0 && v.is_finite()).then(|| f64::from(v).log10());
    let (name, colour, value): (&str, Color32, fn(&HistoryPoint) -> f32) = match choice {
        CurveChoice::GradNorm => ("gradient norm", GRADIENT_COLOUR, |p| p.grad_norm),
        _ => ("learning rate", STEP_COLOUR, |p| p.lr),
    };
    let points: Vec<[f64; 2]> = runtime
        .snapshot
        .history
        .iter()
        .filter_map(|p| Some([p.step as f64, log(value(p))?]))
        .collect();
    axes::over_steps(axes::marks_decades_y(Plot::new("history curves")))
        .show_background(false)
        .height(height)
        .legend(Legend::default())
        .y_axis_label(format!("{name} (log)"))
        .y_axis_formatter(|mark, _| axes::log10(mark))
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(
                Line::new(name, PlotPoints::from(points))
                    .width(2.0)
                    .color(colour),
            );
        });
}

/// Train and test loss over steps, with each step's batch loss behind them
/// and, during a race, every lane's loss in its colour. The scale is log
/// while every loss is positive, and linear as soon as one is not (a saddle,
/// the double well), so no loss is ever left off the chart.
fn loss_ui(ui: &mut egui::Ui, runtime: &Runtime, height: f32) {
    let s = &runtime.snapshot;
    let race = runtime.race.latest.as_deref();
    let lane_losses = race
        .into_iter()
        .flat_map(|r| r.lanes.iter())
        .flat_map(|lane| lane.trail.iter().map(|p| p.loss));
    let all_positive = s
        .evaluations
        .iter()
        .flat_map(|p| [Some(p.train_loss), p.test_loss])
        .flatten()
        .chain(s.history.iter().map(|p| p.batch_loss))
        .chain(lane_losses)
        .filter(|v| v.is_finite())
        .all(|v| v > 0.0);
    let scale = |v: f32| match all_positive {
        true => (v > 0.0 && v.is_finite()).then(|| f64::from(v).log10()),
        false => v.is_finite().then(|| f64::from(v)),
    };
    let curve = |value: &dyn Fn(&EvalPoint) -> Option<f32>| -> Vec<[f64; 2]> {
        s.evaluations
            .iter()
            .filter_map(|p| Some([p.step as f64, scale(value(p)?)?]))
            .collect()
    };
    let train = curve(&|p| Some(p.train_loss));
    let test = curve(&|p| p.test_loss);
    // A long text's points read a fixed sample: the legend says how many.
    let sampled = runtime.problem.curve_batch().map(|b| {
        format!(
            "blue, orange: train and test loss on {} examples each",
            plain_number(b.len() as f64)
        )
    });
    let (train_name, test_name) = ("train loss".to_string(), "test loss".to_string());
    // The best any bigram model does on this text, from its counts.
    let bigram = runtime
        .problem
        .language()
        .and_then(|l| Some((l.bigram_bound(), scale(l.bigram_bound() as f32)?)));
    // Where early stopping would have kept the model: only once the test
    // loss has turned up, and not during a race (its lanes have no test set).
    let early_stop = race
        .is_none()
        .then(|| valley_engine::train::early_stopping_point(&s.evaluations))
        .flatten()
        .and_then(|(step, loss)| Some((step as f64, scale(loss)?)));
    // The trainer's record covers every step, even those run faster than
    // the window draws (a replayed scene, full speed).
    let batch: Vec<[f64; 2]> = s
        .history
        .iter()
        .filter_map(|p| Some([p.step as f64, scale(p.batch_loss)?]))
        .collect();
    let lanes: Vec<(String, Color32, Vec<[f64; 2]>)> = race
        .into_iter()
        .flat_map(|r| r.lanes.iter())
        .map(|lane| {
            let points = lane
                .trail
                .iter()
                .filter_map(|p| Some([p.step as f64, scale(p.loss)?]))
                .collect();
            (
                format!("{} loss", lane.name),
                lane_colour(lane.kind),
                points,
            )
        })
        .collect();
    // Bottom left: a falling loss leaves that corner empty. A short chart
    // during a race goes without: the map's legend names the lanes' colours,
    // and four entries would cover the curves.
    let mut plot = axes::over_steps(Plot::new("loss curves"))
        .show_background(false)
        .height(height)
        .allow_scroll(false);
    // A chart squeezed short (a projector's large text) goes without: the
    // legend would cover the curves, and the caption below says what is drawn.
    if (lanes.is_empty() && height >= 120.0) || height >= 200.0 {
        plot = plot.legend(Legend::default().position(egui_plot::Corner::LeftBottom));
    }
    plot = match all_positive {
        true => axes::marks_decades_y(plot)
            .y_axis_label("loss (log)")
            .y_axis_formatter(|mark, _| axes::log10(mark)),
        false => axes::marks_125_both(plot)
            .y_axis_label("loss")
            .y_axis_formatter(|mark, _| axes::linear(mark)),
    };
    plot.show(ui, |plot| {
        if lanes.is_empty() {
            plot.line(
                Line::new("batch loss", PlotPoints::from(batch))
                    .width(1.0)
                    .color(Color32::from_rgba_unmultiplied(160, 160, 160, 110)),
            );
            // Dots mark the steps the trainer evaluated (a schedule of steps).
            let train_colour = Color32::from_rgb(60, 120, 220);
            plot.points(
                Points::new(train_name.clone(), PlotPoints::from(train.clone()))
                    .radius(2.5)
                    .color(train_colour),
            );
            plot.line(
                Line::new(train_name, PlotPoints::from(train))
                    .width(2.0)
                    .color(train_colour),
            );
        }
        if let Some((bound, at)) = bigram {
            let colour = Color32::from_rgb(0, 150, 110);
            plot.hline(
                egui_plot::HLine::new(format!("best bigram {}", plain_number(bound)), at)
                    .color(colour)
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
        }
        if let Some((step, loss)) = early_stop {
            let colour = Color32::from_rgb(150, 80, 20);
            plot.vline(
                // Unnamed: a short chart's legend has no room; lessons and
                // the hover text say what the dashed line is.
                egui_plot::VLine::new("", step)
                    .color(colour)
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
            plot.points(
                Points::new("", PlotPoints::from(vec![[step, loss]]))
                    .radius(5.0)
                    .shape(egui_plot::MarkerShape::Diamond)
                    .color(colour),
            );
            plot.text(
                egui_plot::Text::new(
                    "",
                    egui_plot::PlotPoint::new(step, loss),
                    egui::RichText::new("  early stop").color(colour).strong(),
                )
                .anchor(egui::Align2::LEFT_TOP),
            );
        }
        if !test.is_empty() {
            plot.points(
                Points::new(test_name.clone(), PlotPoints::from(test.clone()))
                    .radius(2.5)
                    .color(Color32::from_rgb(230, 120, 40)),
            );
            plot.line(
                Line::new(test_name, PlotPoints::from(test))
                    .width(2.0)
                    .color(Color32::from_rgb(230, 120, 40)),
            );
        }
        for (name, colour, points) in lanes {
            plot.line(
                Line::new(name, PlotPoints::from(points))
                    .width(3.0)
                    .color(colour),
            );
        }
    });
    let mut notes: Vec<String> = sampled.into_iter().collect();
    if let Some((bound, _)) = bigram {
        notes.push(format!(
            "dashed green: the best bigram model, {}",
            plain_number(bound)
        ));
    }
    if !notes.is_empty() {
        ui.label(egui::RichText::new(notes.join("; ")).weak());
    }
}

#[cfg(test)]
mod tests {
    use super::height_on_line;

    #[test]
    fn the_ball_sits_on_the_drawn_curve() {
        let alphas = [-1.0, 0.0, 1.0, 2.0];
        let values = [1.0, 0.0, 1.0, f32::NAN];
        assert_eq!(height_on_line(&alphas, &values, 0.0), Some(0.0));
        assert_eq!(height_on_line(&alphas, &values, -1.0), Some(1.0));
        assert_eq!(height_on_line(&alphas, &values, 0.25), Some(0.25));
        assert_eq!(height_on_line(&alphas, &values, -0.5), Some(0.5));
        // Off the ends, or next to a loss that is not a number: no ball.
        assert_eq!(height_on_line(&alphas, &values, -1.5), None);
        assert_eq!(height_on_line(&alphas, &values, 2.5), None);
        assert_eq!(height_on_line(&alphas, &values, 1.5), None);
    }
}
