//! Axis labels a student reads: plain decimals with the digits the tick
//! spacing needs (never `6.82e-1`, never nine identical labels), whole
//! steps on a step axis, and losses on a log axis written as losses.

use egui_plot::{GridInput, GridMark, Plot};
use valley_figure::tick_label;

/// A linear axis's label.
pub fn linear(mark: GridMark) -> String {
    tick_label(mark.value, mark.step_size)
}

/// A log10 axis's label: the value itself, with digits for the local spacing.
pub fn log10(mark: GridMark) -> String {
    let value = 10f64.powf(mark.value);
    // Marks a decade or more apart need no more digits than one decade's.
    tick_label(value, value * (10f64.powf(mark.step_size.min(1.0)) - 1.0))
}

/// A step axis's label: whole steps only, none below zero.
pub fn step(mark: GridMark) -> String {
    if mark.value < -1e-9
        || (mark.value - mark.value.round()).abs() > 1e-6 * mark.value.abs().max(1.0)
    {
        String::new()
    } else {
        format!("{:.0}", mark.value)
    }
}

/// Points of screen per unit of `base_step_size` (egui_plot's finest grid
/// spacing, `Plot::grid_spacing`'s default minimum).
const POINTS_PER_BASE_STEP: f64 = 8.0;
/// Points between labelled marks: egui_plot hides labels closer than 60
/// (x) or 20 (y) points and fades them in up to 80 or 30; these sit near
/// the top of each fade, where labels read at over two thirds strength.
const X_LABEL_POINTS: f64 = 72.0;
const Y_LABEL_POINTS: f64 = 27.0;

/// Grid marks in steps of 1, 2 or 5 × 10ᵏ, the labelled step the smallest of
/// those at least `label_points` apart on screen. egui_plot's own spacer steps
/// only by powers of ten, so a map 380 points wide over ±5 got one label:
/// 1 is too close for a label (37 points) and 10 leaves only 0.
pub fn marks_125(input: GridInput, label_points: f64) -> Vec<GridMark> {
    marks(input, label_points, false)
}

/// Marks for a log10 axis: labels a whole number of decades apart (1, 2, 5,
/// 10, …) and a line at every decade, so a loss falling from 1 to 10⁻⁸ on a
/// short chart still gets labels, every other or every fifth decade.
pub fn marks_decades(input: GridInput, label_points: f64) -> Vec<GridMark> {
    marks(input, label_points, true)
}

fn marks(input: GridInput, label_points: f64, decades: bool) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let per_point = input.base_step_size / POINTS_PER_BASE_STEP;
    if !(per_point > 0.0 && per_point.is_finite() && lo.is_finite() && hi.is_finite() && hi > lo) {
        return Vec::new();
    }
    if decades && hi - lo < 1.5 {
        return within_decades(lo, hi, per_point * label_points);
    }
    let wanted = per_point * label_points;
    let decade = 10f64.powf(wanted.log10().floor());
    let (label, fine) = [(1.0, 5.0), (2.0, 4.0), (5.0, 5.0), (10.0, 5.0)]
        .into_iter()
        .map(|(m, parts)| (m * decade, m * decade / parts))
        .find(|&(step, _)| step >= wanted * (1.0 - 1e-9))
        .unwrap_or((10.0 * decade, 2.0 * decade));
    let (label, fine) = match decades {
        true => (label.max(1.0).round(), 1.0),
        false => (label, fine),
    };
    // Each coarser step is a multiple of the finer one, so a mark keeps the
    // largest step it lies on and labels never crowd.
    let mut marks = Vec::new();
    let first = (lo / fine).ceil() as i64;
    let last = (hi / fine).floor() as i64;
    if last - first > 10_000 {
        return marks;
    }
    for i in first..=last {
        let value = i as f64 * fine;
        let on = |step: f64| ((value / step) - (value / step).round()).abs() < 1e-6;
        let step_size = if on(10.0 * label) {
            10.0 * label
        } else if on(label) {
            label
        } else {
            fine
        };
        // Exact multiples, not accumulated sums: 0.30000000000000004 reads badly.
        let value = if on(label) {
            (value / label).round() * label
        } else {
            value
        };
        marks.push(GridMark { value, step_size });
    }
    marks
}

/// Marks on a log10 axis spanning under a decade and a half (a loss from
/// 0.31 down to 0.2): evenly spaced losses (0.22, 0.24, …) at their log
/// positions, the step the smallest of 1, 2 or 5 × 10ᵏ whose closest pair
/// (at the top, where a log axis squeezes) is `gap` apart in log10 units.
/// Each mark's step size is the log distance to the next, which is what the
/// plot and `log10` read.
fn within_decades(lo: f64, hi: f64, gap: f64) -> Vec<GridMark> {
    let (bottom, top) = (10f64.powf(lo), 10f64.powf(hi));
    let decade = 10f64.powf((top * (10f64.powf(gap) - 1.0)).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&s| (1.0 + s / top).log10() >= gap * (1.0 - 1e-9));
    if let Some(step) = step {
        let first = (bottom / step - 1e-9).ceil() as i64;
        let last = (top / step + 1e-9).floor() as i64;
        if first >= 1 && last > first && last - first <= 1000 {
            return (first..=last)
                .map(|k| {
                    let v = k as f64 * step;
                    GridMark {
                        value: v.log10(),
                        step_size: (1.0 + step / v).log10(),
                    }
                })
                .collect();
        }
    }
    // Too short for two evenly spaced losses (0.6 to 4 on a small chart):
    // 1, 2 and 5 × 10ᵏ, each kept if far enough above the last one kept.
    let mut kept: Vec<f64> = Vec::new();
    let mut k = bottom.log10().floor() as i32 - 1;
    while 10f64.powi(k) <= top && kept.len() < 100 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(k);
            let far = kept
                .last()
                .is_none_or(|&last| v.log10() - last.log10() >= gap * (1.0 - 1e-9));
            if v >= bottom * (1.0 - 1e-9) && v <= top * (1.0 + 1e-9) && far {
                kept.push(v);
            }
        }
        k += 1;
    }
    let gaps: Vec<f64> = kept.windows(2).map(|w| (w[1] / w[0]).log10()).collect();
    kept.iter()
        .enumerate()
        .map(|(i, v)| GridMark {
            value: v.log10(),
            // The distance to a neighbour; a lone mark gets a decade.
            step_size: gaps.get(i).or(gaps.last()).copied().unwrap_or(1.0),
        })
        .collect()
}

/// Both axes marked in steps of 1, 2 or 5, for linear axes.
pub fn marks_125_both<'a>(plot: Plot<'a>) -> Plot<'a> {
    plot.x_grid_spacer(|input| marks_125(input, X_LABEL_POINTS))
        .y_grid_spacer(|input| marks_125(input, Y_LABEL_POINTS))
}

/// The x axis marked in steps of 1, 2 or 5 (a log y axis keeps its decades).
pub fn marks_125_x<'a>(plot: Plot<'a>) -> Plot<'a> {
    plot.x_grid_spacer(|input| marks_125(input, X_LABEL_POINTS))
}

/// A log10 y axis marked every decade, labelled every 1, 2 or 5 decades.
pub fn marks_decades_y<'a>(plot: Plot<'a>) -> Plot<'a> {
    plot.y_grid_spacer(|input| marks_decades(input, Y_LABEL_POINTS))
}

/// A chart over training steps: at least steps 0 to 10 in view (so a run
/// at step 0 has an axis), labelled in whole steps.
pub fn over_steps<'a>(plot: Plot<'a>) -> Plot<'a> {
    marks_125_x(plot)
        .include_x(0.0)
        .include_x(10.0)
        .x_axis_formatter(|mark, _| step(mark))
        .x_axis_label("step")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(value: f64, step_size: f64) -> GridMark {
        GridMark { value, step_size }
    }

    fn input(bounds: (f64, f64), points_per_unit: f64) -> GridInput {
        GridInput {
            bounds,
            base_step_size: POINTS_PER_BASE_STEP / points_per_unit,
        }
    }

    fn labelled(marks: &[GridMark], points_per_unit: f64, label_points: f64) -> Vec<f64> {
        marks
            .iter()
            .filter(|m| m.step_size * points_per_unit >= label_points)
            .map(|m| m.value)
            .collect()
    }

    #[test]
    fn a_map_over_plus_minus_five_gets_a_label_every_two() {
        // 37 points per unit: 1 is too close for an x label, 2 is not.
        let marks = marks_125(input((-5.2, 5.2), 37.0), X_LABEL_POINTS);
        assert_eq!(
            labelled(&marks, 37.0, X_LABEL_POINTS),
            vec![-4.0, -2.0, 0.0, 2.0, 4.0]
        );
        // Sorted, no duplicates, every mark inside the bounds.
        assert!(marks.windows(2).all(|w| w[0].value < w[1].value));
        assert!(marks.iter().all(|m| (-5.2..=5.2).contains(&m.value)));
    }

    #[test]
    fn labelled_marks_are_evenly_spaced_and_exact() {
        for (bounds, per_unit) in [
            ((-1.0, 1.0), 430.0),
            ((0.0, 45.0), 7.0),
            ((-0.03, 0.03), 1e4),
            ((0.6, 0.9), 900.0),
        ] {
            for label_points in [X_LABEL_POINTS, Y_LABEL_POINTS] {
                let marks = marks_125(input(bounds, per_unit), label_points);
                let labels = labelled(&marks, per_unit, label_points);
                assert!(labels.len() >= 2, "{bounds:?} {per_unit}: {labels:?}");
                let gaps: Vec<f64> = labels.windows(2).map(|w| w[1] - w[0]).collect();
                // Far enough apart to read, and no further than 2.5× that.
                assert!(gaps.iter().all(|g| g * per_unit >= label_points - 1e-6));
                assert!(
                    gaps.iter()
                        .all(|g| g * per_unit <= 2.5 * label_points + 1e-6)
                );
                assert!(
                    gaps.iter()
                        .all(|g| (g - gaps[0]).abs() < 1e-9 * gaps[0].max(1.0))
                );
                // Each label is its own plain number: no 0.30000000000000004.
                for mark in marks.iter().filter(|m| labels.contains(&m.value)) {
                    let text = linear(*mark);
                    let read: f64 = text
                        .replace('−', "-")
                        .parse()
                        .unwrap_or_else(|_| panic!("{text:?}"));
                    assert!((read - mark.value).abs() < 1e-3 * mark.step_size, "{text}");
                    assert!(text.chars().count() <= 7, "{mark:?} → {text}");
                }
            }
        }
    }

    #[test]
    fn a_loss_over_eight_decades_on_a_short_chart_gets_labels() {
        // 12 points per decade: labels every 5 decades (60 points), a line at each.
        let marks = marks_decades(input((-8.3, 0.2), 12.0), Y_LABEL_POINTS);
        assert_eq!(labelled(&marks, 12.0, Y_LABEL_POINTS), vec![-5.0, 0.0]);
        assert_eq!(marks.len(), 9);
        assert!(marks.iter().all(|m| m.value == m.value.round()));
        // Room for every decade: each one labelled.
        let marks = marks_decades(input((-3.0, 0.0), 40.0), Y_LABEL_POINTS);
        assert_eq!(
            labelled(&marks, 40.0, Y_LABEL_POINTS),
            vec![-3.0, -2.0, -1.0, 0.0]
        );
    }

    #[test]
    fn a_loss_within_one_decade_gets_plain_labels_at_their_log_places() {
        // Losses 0.2 to 0.31 over 300 points: 0.01 apart would be 22
        // points at the top, 0.02 apart is 44.
        let (lo, hi) = (0.2f64.log10(), 0.31f64.log10());
        let per_unit = 300.0 / (hi - lo);
        let marks = marks_decades(input((lo, hi), per_unit), Y_LABEL_POINTS);
        let texts: Vec<String> = marks.iter().map(|m| log10(*m)).collect();
        assert_eq!(texts, vec!["0.20", "0.22", "0.24", "0.26", "0.28", "0.30"]);
        // Every pair is far enough apart to be labelled.
        assert!(
            marks
                .iter()
                .all(|m| m.step_size * per_unit >= Y_LABEL_POINTS - 1e-6)
        );
        // Half the height: 0.05 apart, from 0.2 itself.
        let marks = marks_decades(input((lo, hi), per_unit / 2.0), Y_LABEL_POINTS);
        let texts: Vec<String> = marks.iter().map(|m| log10(*m)).collect();
        assert_eq!(texts, vec!["0.20", "0.25", "0.30"]);
        // Losses 0.59 to 4 on a short chart: 5 apart is past the top, so 1
        // and 2 (0.3 of a decade apart), labelled as the numbers they are.
        let (lo, hi) = (0.594f64.log10(), 3.96f64.log10());
        let per_unit = 100.0 / (hi - lo);
        let marks = marks_decades(input((lo, hi), per_unit), Y_LABEL_POINTS);
        let texts: Vec<String> = marks.iter().map(|m| log10(*m)).collect();
        assert_eq!(texts, vec!["1", "2"]);
        assert!(
            marks
                .iter()
                .all(|m| m.step_size * per_unit >= Y_LABEL_POINTS - 1e-6)
        );
    }

    #[test]
    fn labels_are_plain_numbers() {
        assert_eq!(linear(mark(0.68, 0.02)), "0.68");
        assert_eq!(log10(mark(0.68f64.log10(), 0.01)), "0.68");
        assert_eq!(log10(mark(-2.0, 1.0)), "0.01");
        // Decades apart, 1 is still 1 (not snapped to 0 by the wide spacing).
        assert_eq!(log10(mark(0.0, 10.0)), "1");
        assert_eq!(log10(mark(3.0, 10.0)), "1000");
        assert_eq!(step(mark(-0.001, 0.001)), "");
        assert_eq!(step(mark(0.5, 0.5)), "");
        assert_eq!(step(mark(200.0, 100.0)), "200");
    }
}
