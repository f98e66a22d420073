//! Summaries over seeds.

use serde::Serialize;

/// The mean of some values and their range: a curve's point and its band.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// Arithmetic mean.
    pub mean: f64,
    /// Lowest value.
    pub low: f64,
    /// Highest value.
    pub high: f64,
}

impl Spread {
    /// Of the finite values (all NaN when there are none).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return Self {
                mean: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            };
        }
        Self {
            mean: finite.iter().sum::<f64>() / finite.len() as f64,
            low: finite.iter().copied().fold(f64::INFINITY, f64::min),
            high: finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_skips_what_is_not_a_number() {
        let s = Spread::of([1.0, f64::NAN, 3.0, 2.0]);
        assert_eq!(
            s,
            Spread {
                mean: 2.0,
                low: 1.0,
                high: 3.0
            }
        );
        assert!(Spread::of([f64::INFINITY]).mean.is_nan());
    }
}
