//! Round tick values for axes and colorbars, and their labels.
//!
//! A reader takes in "0.5, 1, 1.5" at a glance and stumbles over "0.43, 0.97, 1.51",
//! so ticks are multiples of 1, 2 or 5 times a power of ten, and log-scale ticks sit
//! on powers of ten where the range allows.

/// Multiples of one step of the form 1, 2 or 5 times a power of ten that lie in
/// `[lo, hi]`, choosing the step whose count falls in `min_count..=max_count` (or
/// comes closest to it).
pub fn nice_ticks(lo: f64, hi: f64, min_count: usize, max_count: usize) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let span = hi - lo;
    if span <= 0.0 {
        return vec![lo];
    }
    let middle = (min_count + max_count) as f64 / 2.0;
    let raw = span / middle;
    let exponent = raw.log10().floor() as i32;
    let mut best: Option<(f64, f64)> = None; // (badness, step)
    for power in exponent - 1..=exponent + 1 {
        for mantissa in [1.0, 2.0, 5.0] {
            let step = mantissa * 10f64.powi(power);
            let count = tick_range(lo, hi, step).count() as f64;
            let outside = if count < min_count as f64 {
                min_count as f64 - count
            } else {
                (count - max_count as f64).max(0.0)
            };
            // Out-of-window counts weigh far more than distance from the middle.
            let badness = outside * 100.0 + (count - middle).abs();
            if best.is_none_or(|(best_badness, _)| badness < best_badness) {
                best = Some((badness, step));
            }
        }
    }
    match best {
        Some((_, step)) => tick_range(lo, hi, step)
            .map(|k| clean_zero(k as f64 * step))
            .collect(),
        None => vec![lo],
    }
}

/// The multipliers `k` with `k * step` in `[lo, hi]`, forgiving rounding at the ends.
fn tick_range(lo: f64, hi: f64, step: f64) -> std::ops::RangeInclusive<i64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    first..=last
}

/// Tick values for a log axis over the positive range `[lo, hi]`: powers of ten when
/// the range spans a few decades, 1-2-5 (or 1-5) sequences over one or two, and
/// plain round numbers when it is narrower still.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if lo.is_nan() || lo <= 0.0 || !hi.is_finite() {
        return Vec::new();
    }
    let first = (lo.log10() - 1e-9).ceil() as i32;
    let last = (hi.log10() + 1e-9).floor() as i32;
    let powers: Vec<i32> = (first..=last).collect();
    if powers.len() >= 3 {
        let stride = powers.len().div_ceil(6) as i32;
        return powers
            .iter()
            .filter(|&&k| k.rem_euclid(stride) == 0)
            .map(|&k| 10f64.powi(k))
            .collect();
    }
    let in_range = |mantissas: &[f64]| -> Vec<f64> {
        (first - 1..=last)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9))
            .collect()
    };
    let one_two_five = in_range(&[1.0, 2.0, 5.0]);
    if (3..=7).contains(&one_two_five.len()) {
        return one_two_five;
    }
    if one_two_five.len() > 7 {
        let one_five = in_range(&[1.0, 5.0]);
        return if one_five.len() <= 7 {
            one_five
        } else {
            powers.iter().map(|&k| 10f64.powi(k)).collect()
        };
    }
    nice_ticks(lo, hi, 4, 6)
}

/// Labels for evenly spaced ticks, all with the same number of decimals.
pub fn format_linear_ticks(ticks: &[f64]) -> Vec<String> {
    let largest = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest >= 1e5 || (largest > 0.0 && largest < 1e-3) {
        return ticks.iter().map(|&v| format_value(v)).collect();
    }
    let step = ticks
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let tolerance = if step.is_finite() { step * 1e-3 } else { 1e-9 };
    let decimals = (0..=6)
        .find(|&d| ticks.iter().all(|&v| fits_in_decimals(v, d, tolerance)))
        .unwrap_or(6);
    ticks
        .iter()
        .map(|&v| with_minus_sign(format!("{:.*}", decimals, clean_zero(v))))
        .collect()
}

use valley_engine::numbers::{clean_zero, fits_in_decimals, with_minus_sign};
pub use valley_engine::numbers::{format_value, plain_number};

/// A tick label for `value` on an axis whose ticks are `step` apart: plain
/// decimals with just the digits that tell neighbouring ticks apart (0.68,
/// 0.705, 120), and `2×10⁻⁵` outside 0.001 to 99,999, so no axis repeats a
/// label or shows `6.82e-1`.
pub fn tick_label(value: f64, step: f64) -> String {
    if !value.is_finite() {
        return format_value(value);
    }
    // A tick that rounding left a hair off zero is zero.
    if step.is_finite() && value.abs() < step.abs() * 1e-6 {
        return "0".to_string();
    }
    if !(1e-3..1e5).contains(&value.abs()) {
        return format_value(value);
    }
    let decimals = if step.is_finite() && step > 0.0 {
        (-step.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize
    } else {
        2
    };
    with_minus_sign(format!("{:.*}", decimals, clean_zero(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn nice_ticks_follow_the_one_two_five_rule() {
        let ticks = nice_ticks(-1.0, 1.0, 4, 7);
        assert!(close(&ticks, &[-1.0, -0.5, 0.0, 0.5, 1.0]), "{ticks:?}");
        let ticks = nice_ticks(0.0, 2.0, 4, 6);
        assert!(close(&ticks, &[0.0, 0.5, 1.0, 1.5, 2.0]), "{ticks:?}");
        let ticks = nice_ticks(0.013, 0.87, 4, 6);
        assert!(close(&ticks, &[0.2, 0.4, 0.6, 0.8]), "{ticks:?}");
        let ticks = nice_ticks(3.0, -3.0, 4, 7);
        assert!(
            close(&ticks, &[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]),
            "{ticks:?}"
        );
    }

    #[test]
    fn nice_ticks_survive_degenerate_ranges() {
        assert_eq!(nice_ticks(2.0, 2.0, 4, 6), vec![2.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 4, 6).is_empty());
    }

    #[test]
    fn log_ticks_prefer_powers_of_ten() {
        let ticks = log_ticks(0.05, 20.0);
        assert!(close(&ticks, &[0.1, 1.0, 10.0]), "{ticks:?}");
        let ticks = log_ticks(1e-8, 1e4);
        assert!(ticks.len() <= 6 && ticks.len() >= 3, "{ticks:?}");
        assert!(
            ticks
                .iter()
                .all(|t| (t.log10() - t.log10().round()).abs() < 1e-9)
        );
        let ticks = log_ticks(0.3, 4.0);
        assert!(close(&ticks, &[0.5, 1.0, 2.0]), "{ticks:?}");
        let ticks = log_ticks(1.1, 1.9);
        assert!(ticks.len() >= 3, "{ticks:?}");
        assert!(log_ticks(0.0, 1.0).is_empty());
    }

    #[test]
    fn linear_labels_share_their_decimals() {
        let labels = format_linear_ticks(&[-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(labels, ["−1.0", "−0.5", "0.0", "0.5", "1.0"]);
        assert_eq!(format_linear_ticks(&[0.0, 10.0, 20.0]), ["0", "10", "20"]);
        assert_eq!(
            format_linear_ticks(&[0.0, 2e-4, 4e-4]),
            ["0", "2×10⁻⁴", "4×10⁻⁴"]
        );
    }

    #[test]
    fn plain_numbers_have_three_significant_digits() {
        assert_eq!(plain_number(0.68), "0.68");
        assert_eq!(plain_number(4.2300123), "4.23");
        assert_eq!(plain_number(0.002_850_1), "0.00285");
        assert_eq!(plain_number(7.063), "7.06");
        assert_eq!(plain_number(1234.6), "1235");
        assert_eq!(plain_number(-0.5), "−0.5");
        assert_eq!(plain_number(2.85e-5), "2.85×10⁻⁵");
        assert_eq!(plain_number(0.0), "0");
    }

    #[test]
    fn tick_labels_carry_the_digits_their_spacing_needs() {
        assert_eq!(tick_label(0.68, 0.01), "0.68");
        assert_eq!(tick_label(0.7031, 0.0001), "0.7031");
        assert_eq!(tick_label(0.7032, 0.0001), "0.7032");
        assert_eq!(tick_label(120.0, 20.0), "120");
        assert_eq!(tick_label(0.5, 0.1), "0.5");
        assert_eq!(tick_label(-0.25, 0.05), "−0.25");
        assert_eq!(tick_label(1e-17, 0.1), "0");
        assert_eq!(tick_label(2e-5, 1e-5), "2×10⁻⁵");
        assert_eq!(tick_label(250_000.0, 50_000.0), "2.5×10⁵");
    }

    #[test]
    fn values_are_short_and_readable() {
        assert_eq!(format_value(0.1), "0.1");
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(10.0), "10");
        assert_eq!(format_value(0.001), "0.001");
        assert_eq!(format_value(1e-5), "10⁻⁵");
        assert_eq!(format_value(2e-5), "2×10⁻⁵");
        assert_eq!(format_value(3e6), "3×10⁶");
        assert_eq!(format_value(-0.25), "−0.25");
        assert_eq!(format_value(0.0), "0");
    }
}
