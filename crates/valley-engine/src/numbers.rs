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

/// A short label for one value: plain decimals between 0.001 and 99999, otherwise
/// scientific as `2×10⁻⁵` (or `10⁻⁵` for a power of ten).
pub fn format_value(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_string()
        } else if value.is_infinite() {
            with_minus_sign(format!("{value}"))
        } else {
            "0".to_string()
        };
    }
    let exponent = (value.abs().log10() + 1e-9).floor() as i32;
    if (-3..=4).contains(&exponent) {
        let decimals = (0..=6)
            .find(|&d| fits_in_decimals(value, d, value.abs() * 1e-6))
            .unwrap_or(6);
        return with_minus_sign(format!("{value:.decimals$}"));
    }
    let mantissa = value / 10f64.powi(exponent);
    let mantissa_text = format!("{mantissa:.2}");
    let mantissa_text = mantissa_text.trim_end_matches('0').trim_end_matches('.');
    let power = format!("10{}", superscript(exponent));
    match mantissa_text {
        "1" => power,
        "-1" => format!("−{power}"),
        _ => with_minus_sign(format!("{mantissa_text}×{power}")),
    }
}

/// A number where a student reads it (legends, status lines, captions):
/// three significant digits in plain decimals from 0.001 to 99,999 (0.68,
/// 4.23, 0.00285, 1235), trailing zeros dropped, and `2.85×10⁻⁵` beyond.
pub fn plain_number(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return format_value(value);
    }
    let magnitude = value.abs();
    if !(1e-3..1e5).contains(&magnitude) {
        return format_value(value);
    }
    let decimals = (2 - magnitude.log10().floor() as i32).clamp(0, 8) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    with_minus_sign(text)
}

/// Whether `value` printed with `decimals` decimals is within `tolerance` of it.
pub fn fits_in_decimals(value: f64, decimals: usize, tolerance: f64) -> bool {
    let printed: f64 = format!("{value:.decimals$}").parse().unwrap_or(f64::NAN);
    (printed - value).abs() <= tolerance
}

/// Turns `-0.0` (from rounding) into `0.0` so no label reads "−0".
pub fn clean_zero(value: f64) -> f64 {
    if value == 0.0 { 0.0 } else { value }
}

/// Typographic minus (U+2212): the hyphen is too short to read from the back row.
pub fn with_minus_sign(text: String) -> String {
    text.replace('-', "−")
}

/// An exponent in superscript digits: -5 → ⁻⁵.
pub fn superscript(exponent: i32) -> String {
    exponent
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
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
