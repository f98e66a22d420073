//! Axis labels a student reads: plain decimals with the digits the tick
//! spacing needs (never `6.82e-1`, never nine identical labels), whole
//! steps on a step axis, and losses on a log axis written as losses.

use egui_plot::{GridMark, Plot};
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

/// A chart over training steps: at least steps 0 to 10 in view (so a run
/// at step 0 has an axis), labelled in whole steps.
pub fn over_steps<'a>(plot: Plot<'a>) -> Plot<'a> {
    plot.include_x(0.0)
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
