//! Maps losses to colours: the colour range, linear or log scaling, and the
//! colorbar's ticks.
//!
//! The colormap is viridis: perceptually uniform (equal steps in loss look like equal
//! steps in colour), readable by colour-blind students, and still ordered when a
//! handout is printed in grey. Non-finite losses are kept out of the range so one
//! diverged cell cannot wash out the rest of the landscape.

use super::axes::Tick;
use super::canvas::Colour;
use super::ticks::{format_linear_ticks, format_value, log_ticks, nice_ticks};

/// The colour of cells whose loss is NaN or infinite: a neutral grey that viridis
/// never produces.
pub const NOT_FINITE_COLOUR: Colour = [205, 205, 205];

/// The viridis colour at `t` in 0..=1 (0 is the low end, dark purple).
pub fn colormap(t: f64) -> Colour {
    let colour = colorous::VIRIDIS.eval_continuous(t.clamp(0.0, 1.0));
    [colour.r, colour.g, colour.b]
}

/// How losses map to the unit interval of the colormap.
#[derive(Clone, Debug, PartialEq)]
pub struct ColourScale {
    /// Low end in scale space (log10 of the loss on a log scale).
    lo: f64,
    /// High end in scale space.
    hi: f64,
    is_log: bool,
    /// On a log scale, the smallest positive loss, which zeros are drawn as
    /// (a minimum of exactly 0, as Rosenbrock's); `None` when none is 0.
    clamped_to: Option<f64>,
    /// A log scale was asked for, but some loss is negative (a saddle, a
    /// double well): the scale is linear instead, so those losses keep their
    /// shape rather than collapse into one colour, and says so.
    log_impossible: bool,
    /// Every finite loss is (nearly) this one value; the range was widened around it.
    flat_at: Option<f64>,
}

impl ColourScale {
    /// A scale spanning the finite `values`, logarithmic if `log` is asked for
    /// and every finite value is positive (linear otherwise, and the caption
    /// says why).
    pub fn from_values(values: &[f32], log: bool) -> Self {
        let finite = || {
            values
                .iter()
                .filter(|v| v.is_finite())
                .map(|&v| f64::from(v))
        };
        let smallest_positive = finite().filter(|&v| v > 0.0).reduce(f64::min);
        let is_log = log && smallest_positive.is_some() && finite().all(|v| v >= 0.0);
        let clamped_to = if is_log && finite().any(|v| v == 0.0) {
            smallest_positive
        } else {
            None
        };
        let mut scale = Self {
            lo: 0.0,
            hi: 1.0,
            is_log,
            clamped_to,
            log_impossible: log && !is_log && finite().next().is_some(),
            flat_at: None,
        };
        let scaled: Vec<f64> = values.iter().filter_map(|&v| scale.to_scale(v)).collect();
        if let (Some(lo), Some(hi)) = (
            scaled.iter().copied().reduce(f64::min),
            scaled.iter().copied().reduce(f64::max),
        ) {
            (scale.lo, scale.hi) = widen_if_flat(lo, hi, is_log);
            if (scale.lo, scale.hi) != (lo, hi) {
                let middle = (lo + hi) / 2.0;
                scale.flat_at = Some(if is_log { 10f64.powf(middle) } else { middle });
            }
        }
        scale
    }

    /// A loss in scale space (log10 on a log scale), or `None` if it is not finite.
    pub fn to_scale(&self, loss: f32) -> Option<f64> {
        if !loss.is_finite() {
            return None;
        }
        let loss = f64::from(loss);
        if self.is_log {
            let floor = self.clamped_to.unwrap_or(f64::MIN_POSITIVE);
            Some(loss.max(floor).log10())
        } else {
            Some(loss)
        }
    }

    /// The colour bar's length in scale space (decades on a log scale).
    pub fn range(&self) -> f64 {
        self.hi - self.lo
    }

    /// Whether the scale is logarithmic (asked for, and every loss positive).
    pub fn is_log(&self) -> bool {
        self.is_log
    }

    /// Whether every finite loss is the same, so there are no contours to draw.
    pub fn is_flat(&self) -> bool {
        self.flat_at.is_some()
    }

    /// Position in the colormap (0 low, 1 high) of a value in scale space.
    pub fn unit_from_scale(&self, scaled: f64) -> f64 {
        ((scaled - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    /// Position in the colormap of a loss, or `None` if it is not finite.
    pub fn unit_from_loss(&self, loss: f32) -> Option<f64> {
        self.to_scale(loss).map(|s| self.unit_from_scale(s))
    }

    /// Colorbar ticks as (position in the colormap, label in loss units).
    pub fn ticks(&self) -> Vec<Tick> {
        if self.is_log {
            let ticks = log_ticks(10f64.powf(self.lo), 10f64.powf(self.hi));
            ticks
                .into_iter()
                .map(|v| (self.unit_from_scale(v.log10()), format_value(v)))
                .collect()
        } else {
            let ticks = nice_ticks(self.lo, self.hi, 4, 6);
            let labels = format_linear_ticks(&ticks);
            ticks
                .into_iter()
                .map(|v| self.unit_from_scale(v))
                .zip(labels)
                .collect()
        }
    }

    /// The colorbar's caption: the quantity's name plus what the scale does to it.
    pub fn caption(&self, value_label: &str) -> String {
        if let Some(value) = self.flat_at {
            // Significant digits, not tick rounding: this is the one value there is.
            return format!("{value_label} (all values {})", format_significant(value));
        }
        match (self.is_log, self.clamped_to, self.log_impossible) {
            (true, Some(floor), _) => format!(
                "{value_label} (log scale; 0 shown as {})",
                format_value(floor)
            ),
            (true, None, _) => format!("{value_label} (log scale)"),
            (false, _, true) => format!("{value_label} (linear: it goes below 0)"),
            (false, _, false) => value_label.to_string(),
        }
    }
}

/// `value` to four significant digits, without trailing zeros.
fn format_significant(value: f64) -> String {
    let text = format!("{value:.4e}");
    let parsed: f64 = text.parse().unwrap_or(value);
    format_value(parsed)
}

/// Widens a zero-width range around its value, so an all-equal landscape still has
/// a colour (the middle of the map) and a colorbar with ticks.
fn widen_if_flat(lo: f64, hi: f64, is_log: bool) -> (f64, f64) {
    let middle = (lo + hi) / 2.0;
    let flat_below = if is_log { 1e-6 } else { middle.abs() * 1e-6 };
    if hi - lo > flat_below {
        return (lo, hi);
    }
    let half = if is_log {
        0.05
    } else if middle == 0.0 {
        1.0
    } else {
        middle.abs() * 0.05
    };
    (middle - half, middle + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_stay_out_of_the_range() {
        let scale = ColourScale::from_values(&[1.0, f32::NAN, 3.0, f32::INFINITY], false);
        assert_eq!(scale.unit_from_loss(1.0), Some(0.0));
        assert_eq!(scale.unit_from_loss(3.0), Some(1.0));
        assert_eq!(scale.unit_from_loss(f32::NAN), None);
        assert_eq!(scale.unit_from_loss(f32::NEG_INFINITY), None);
    }

    #[test]
    fn a_log_scale_over_negative_losses_turns_linear_and_says_why() {
        // The saddle: negative losses keep their shape instead of one flat colour.
        let scale = ColourScale::from_values(&[-1.0, 0.0, 0.01, 10.0], true);
        assert!(!scale.is_log());
        assert!(scale.caption("loss").contains("linear: it goes below 0"));
        assert_eq!(scale.unit_from_loss(-1.0), Some(0.0));
        let zero = scale.unit_from_loss(0.0).unwrap_or(f64::NAN);
        assert!((zero - 1.0 / 11.0).abs() < 1e-9, "{zero}");
        assert_eq!(scale.unit_from_loss(10.0), Some(1.0));
        // Every loss positive: log as asked.
        let positive = ColourScale::from_values(&[0.01, 10.0], true);
        assert!(positive.is_log() && positive.caption("loss").contains("log scale"));
        let labels: Vec<String> = positive.ticks().into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["0.01", "0.1", "1", "10"]);
        // A minimum of exactly 0 (Rosenbrock's) stays log, its zero drawn
        // as the smallest positive loss, and the caption says so.
        let rosenbrock = ColourScale::from_values(&[0.0, 0.01, 10.0], true);
        assert!(rosenbrock.is_log());
        assert_eq!(rosenbrock.unit_from_loss(0.0), Some(0.0));
        assert!(rosenbrock.caption("loss").contains("0 shown as 0.01"));
    }

    #[test]
    fn log_scale_without_positive_values_falls_back_to_linear() {
        let scale = ColourScale::from_values(&[0.0, -2.0], true);
        assert!(scale.caption("loss").contains("linear"));
    }

    #[test]
    fn flat_landscapes_get_a_usable_range() {
        let scale = ColourScale::from_values(&[2.5; 9], false);
        assert_eq!(scale.unit_from_loss(2.5), Some(0.5));
        assert_eq!(scale.caption("loss"), "loss (all values 2.5)");
        assert!(scale.is_flat());
        assert!(scale.ticks().len() >= 2);
        let scale = ColourScale::from_values(&[0.0; 4], false);
        assert_eq!(scale.unit_from_loss(0.0), Some(0.5));
        let scale = ColourScale::from_values(&[f32::NAN; 4], true);
        assert!(scale.ticks().len() >= 2);
    }

    #[test]
    fn colormap_ends_are_viridis_ends() {
        assert_eq!(colormap(0.0), [68, 1, 84]);
        assert_eq!(colormap(1.0), [253, 231, 37]);
        assert_ne!(colormap(0.5), NOT_FINITE_COLOUR);
    }
}
