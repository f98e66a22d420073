//! How numbers are written where people read them (captions, the
//! sentences a recipe or an analysis gives, CLI tables), so the app, the
//! figures and the command line say the same number the same way.

/// A number in text (tables, captions, status lines): four significant
/// digits, plain between 0.01 and 10,000, scientific beyond, since trained
/// losses are often far below 0.001.
pub fn readable_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (0.01..1e4).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_text_keep_four_significant_digits() {
        assert_eq!(readable_number(0.1880), "0.1880");
        assert_eq!(readable_number(8.5163), "8.5163");
        assert_eq!(readable_number(3.662e-5), "3.662e-5");
        assert_eq!(readable_number(25_000.0), "2.500e4");
        assert_eq!(readable_number(0.6812), "0.6812");
        assert_eq!(readable_number(-2.0), "-2.0000");
        assert_eq!(readable_number(0.000_123), "1.230e-4");
        assert_eq!(readable_number(0.0), "0.0000");
        assert_eq!(readable_number(f64::NAN), "NaN");
    }
}
