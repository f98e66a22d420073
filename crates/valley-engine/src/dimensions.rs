//! The geometry of many dimensions, in numbers a student can drag from
//! d = 2 to d = 10¹¹ (a large model's parameter count): the diagonal of a
//! unit cube, the share of a ball's volume near its surface, the share
//! inside a smaller concentric ball, and the share of critical points that
//! would be minima if every curvature sign were a coin flip. Shares that
//! underflow any float are kept as base-10 logarithms, and told in words.

/// The four numbers for one dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    /// The dimension.
    pub d: f64,
    /// The diagonal of the unit cube: √d.
    pub diagonal: f64,
    /// The share of a ball's volume within `shell` (relative) of its
    /// surface, 1 − (1 − shell)ᵈ, as log₁₀ of what is left inside: the
    /// share deeper than the shell is 10^this.
    pub deeper_than_shell_log10: f64,
    /// The share of a ball's volume inside the concentric ball of relative
    /// radius r, rᵈ, as log₁₀.
    pub inner_ball_log10: f64,
    /// The share of critical points that are minima when each of d
    /// curvatures is positive with probability ½: 2⁻ᵈ, as log₁₀.
    pub minima_log10: f64,
}

impl Geometry {
    /// The numbers for dimension `d`, a shell of relative thickness `shell`
    /// (0 < shell < 1) and an inner ball of relative radius `r` (0 < r < 1).
    pub fn new(d: f64, shell: f64, r: f64) -> Self {
        Self {
            d,
            diagonal: d.sqrt(),
            deeper_than_shell_log10: d * (-shell).ln_1p() / std::f64::consts::LN_10,
            inner_ball_log10: d * r.log10(),
            minima_log10: -d * std::f64::consts::LOG10_2,
        }
    }

    /// The share of the volume within the shell, 1 − (1 − shell)ᵈ, exact
    /// even when it is a hair below 1.
    pub fn shell_share(&self) -> f64 {
        -(self.deeper_than_shell_log10 * std::f64::consts::LN_10).exp_m1()
    }
}

/// A share given as log₁₀ of it, in words a student reads: "35 %",
/// "0.12 %", "1 in 10⁹", or "1 in a number with 302 digits".
pub fn share_in_words(log10: f64) -> String {
    if log10 >= -4.0 {
        let percent = 100.0 * 10f64.powf(log10);
        let decimals = if percent >= 10.0 {
            0
        } else if percent >= 1.0 {
            1
        } else {
            (1 - percent.log10().floor() as i32).clamp(1, 6) as usize
        };
        return format!("{percent:.decimals$} %");
    }
    let exponent = -log10;
    if exponent < 10.0 {
        // 1 in 10^4.3 reads as 1 in 20,000.
        let one_in = 10f64.powf(exponent);
        let rounded = round_to_two_figures(one_in);
        return format!("1 in {}", grouped(rounded));
    }
    let digits = exponent.floor() + 1.0;
    format!("1 in a number {} digits long", grouped(digits))
}

/// The share of a ball's volume deeper than its outer shell is tiny in high
/// dimensions; the share within the shell is then "all but …".
pub fn almost_all_in_words(rest_log10: f64) -> String {
    if rest_log10 >= -4.0 {
        return share_in_words((-(rest_log10 * std::f64::consts::LN_10).exp_m1()).log10());
    }
    format!("all but {}", share_in_words(rest_log10))
}

fn round_to_two_figures(x: f64) -> f64 {
    if x < 100.0 {
        return x.round();
    }
    let scale = 10f64.powi(x.log10().floor() as i32 - 1);
    (x / scale).round() * scale
}

/// 4576 → "4,576"; whole numbers only.
pub fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_dimensions_match_the_closed_forms() {
        let g = Geometry::new(3.0, 0.01, 0.9);
        assert!((g.diagonal - 3f64.sqrt()).abs() < 1e-15);
        assert!((g.shell_share() - (1.0 - 0.99f64.powi(3))).abs() < 1e-15);
        assert!((10f64.powf(g.inner_ball_log10) - 0.729).abs() < 1e-12);
        assert!((10f64.powf(g.minima_log10) - 0.125).abs() < 1e-15);
    }

    #[test]
    fn a_large_model_is_told_in_words_without_overflow() {
        let g = Geometry::new(1e11, 0.01, 0.9);
        assert!((g.diagonal - 316_227.766).abs() < 1e-3);
        // 2^-10^11 = 10^-30,102,999,566.4: a number 30,102,999,567 digits long.
        assert_eq!(
            share_in_words(g.minima_log10),
            "1 in a number 30,102,999,567 digits long"
        );
        assert_eq!(g.shell_share(), 1.0);
        assert!(
            almost_all_in_words(g.deeper_than_shell_log10).starts_with("all but 1 in a number")
        );
    }

    #[test]
    fn everyday_shares_read_as_percent_or_one_in_n() {
        assert_eq!(share_in_words(0.35f64.log10()), "35 %");
        assert_eq!(share_in_words(0.0012f64.log10()), "0.12 %");
        assert_eq!(share_in_words(-6.0), "1 in 1,000,000");
        // 2^-20 = 1 in 1,048,576, rounded to two figures.
        assert_eq!(
            share_in_words(Geometry::new(20.0, 0.01, 0.9).minima_log10),
            "1 in 1,000,000"
        );
        assert_eq!(
            share_in_words(Geometry::new(10.0, 0.01, 0.9).minima_log10),
            "0.098 %"
        );
        assert_eq!(grouped(4576.0), "4,576");
        assert_eq!(almost_all_in_words(0.99f64.log10() * 3.0), "3.0 %");
    }
}
