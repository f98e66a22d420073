//! The 1D slice figure: loss along one direction through parameter space.
//!
//! The simplest picture of a landscape, and the first one a lesson shows: a curve
//! with the current point marked, where a student can read off how far downhill a
//! step of a given size goes.

use image::RgbImage;

use super::axes::{self, Axis, BACKGROUND, Frame, Style};
use super::canvas::{Canvas, Colour, Mask, Rect};
use super::colorbar::NOT_FINITE_NOTE;
use super::marker::draw_markers;
use super::text::{Direction, HAlign, VAlign, draw_text, line_height, text_box};
use super::ticks::format_value;
use super::{FigureError, Marker, check_size};

/// The curve's colour: a dark blue that reads on white and on a projector.
pub const CURVE_COLOUR: Colour = [24, 68, 150];

/// Background of the stretches where the loss is not finite: a lighter tint of the
/// heatmap's grey, so grid lines and the curve's ends still read over it.
const GAP_COLOUR: Colour = [222, 222, 222];

/// A 1D slice to render with [`render_line`].
#[derive(Clone, Copy, Debug)]
pub struct LineFigure<'a> {
    /// Positions along the direction (alpha).
    pub xs: &'a [f32],
    /// Loss at each position; non-finite values break the line.
    pub ys: &'a [f32],
    /// Horizontal axis label, e.g. "α".
    pub x_label: &'a str,
    /// Vertical axis label, e.g. "loss".
    pub y_label: &'a str,
    /// Title above the plot; empty for none.
    pub title: &'a str,
    /// Log-scaled loss axis, for slices spanning decades.
    pub log_scale: bool,
    /// Points to mark, in (x, loss), such as the current parameters at alpha = 0.
    pub markers: &'a [Marker],
}

impl<'a> LineFigure<'a> {
    /// A figure of `ys` against `xs` labelled "α" and "loss", with nothing marked.
    pub fn new(xs: &'a [f32], ys: &'a [f32]) -> Self {
        Self {
            xs,
            ys,
            x_label: "α",
            y_label: "loss",
            title: "",
            log_scale: false,
            markers: &[],
        }
    }
}

/// Renders a 1D slice to a `width` x `height` RGB image.
///
/// Fails if the size is outside [`MIN_FIGURE_SIDE`](super::MIN_FIGURE_SIDE)..=
/// [`MAX_FIGURE_SIDE`](super::MAX_FIGURE_SIDE), or `xs` and `ys` are empty or differ
/// in length. Non-finite points are gaps in the line; on a log scale, losses at or
/// below zero are drawn at the smallest positive loss, and the axis label says so.
pub fn render_line(figure: &LineFigure, width: u32, height: u32) -> Result<RgbImage, FigureError> {
    check_size(width, height)?;
    if figure.xs.len() != figure.ys.len() {
        return Err(FigureError::SeriesLength {
            xs: figure.xs.len(),
            ys: figure.ys.len(),
        });
    }
    if figure.xs.is_empty() {
        return Err(FigureError::EmptySeries);
    }
    let style = Style::for_size(width, height);
    let finite_ys = || {
        figure
            .ys
            .iter()
            .filter(|y| y.is_finite())
            .map(|&y| f64::from(y))
    };
    let smallest_positive = finite_ys().filter(|&y| y > 0.0).reduce(f64::min);
    let is_log = figure.log_scale && smallest_positive.is_some();
    let floor = smallest_positive.unwrap_or(f64::MIN_POSITIVE);
    let clamped = is_log && finite_ys().any(|y| y <= 0.0);
    // On a log axis, losses at or below zero sit at the floor instead of vanishing.
    let shown_y = |y: f32| {
        let y = f64::from(y);
        if is_log { y.max(floor) } else { y }
    };

    let points: Vec<Option<(f64, f64)>> = figure
        .xs
        .iter()
        .zip(figure.ys)
        .map(|(&x, &y)| (x.is_finite() && y.is_finite()).then(|| (f64::from(x), shown_y(y))))
        .collect();
    let marker_points = figure
        .markers
        .iter()
        .filter(|m| m.x.is_finite() && m.y.is_finite())
        .map(|m| (f64::from(m.x), shown_y(m.y)));
    let all: Vec<(f64, f64)> = points
        .iter()
        .flatten()
        .copied()
        .chain(marker_points)
        .collect();
    // Every finite x counts, so the places where the loss diverged stay in view.
    let finite_xs = figure
        .xs
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| f64::from(x));
    let x = padded_axis(all.iter().map(|p| p.0).chain(finite_xs), false, 0.02);
    let y = padded_axis(all.iter().map(|p| p.1), is_log, 0.06);

    let y_label = match (is_log, clamped) {
        (true, true) => format!(
            "{} (log; ≤ 0 shown as {})",
            figure.y_label,
            format_value(floor)
        ),
        (true, false) => format!("{} (log scale)", figure.y_label),
        (false, _) => figure.y_label.to_string(),
    };
    let x_ticks = x.ticks();
    let y_ticks = y.ticks();
    // Room on the right for the last x tick label, which is centred on the frame's edge.
    let overhang = x_ticks.last().map_or(0.0, |(_, label)| {
        super::text::text_box(label, style.text, super::text::Direction::Horizontal).0 / 2.0
    });
    let margins = axes::margins(
        &style,
        figure.title,
        &y_label,
        &y_ticks,
        overhang + style.gap,
    );
    let plot = axes::plot_area(width, height, margins, None);
    let frame = Frame { plot, x, y };

    let mut canvas = Canvas::new(width, height, BACKGROUND);
    let has_gaps = draw_gaps(&mut canvas, &frame, figure.xs, &points);
    axes::draw_grid(&mut canvas, plot, &x_ticks, &y_ticks);
    draw_curve(&mut canvas, &style, &frame, &points);
    draw_markers(&mut canvas, &style, plot, figure.markers, |mx, my| {
        frame.pixel_from_data(mx, if is_log { my.max(floor) } else { my })
    });
    axes::draw_frame(
        &mut canvas,
        &style,
        plot,
        (&x_ticks, &y_ticks),
        (figure.x_label, &y_label),
    );
    axes::draw_title(&mut canvas, &style, figure.title, plot);
    if has_gaps {
        draw_gap_note(&mut canvas, &style, plot);
    }
    Ok(canvas.into_image())
}

/// An axis covering `values` with `padding` (a fraction of the span) at each end,
/// in log space for a log axis; a made-up unit range when there is nothing finite.
fn padded_axis(values: impl Iterator<Item = f64>, is_log: bool, padding: f64) -> Axis {
    let to_space = |v: f64| if is_log { v.log10() } else { v };
    let from_space = |v: f64| if is_log { 10f64.powf(v) } else { v };
    let (lo, hi) = values
        .map(to_space)
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = if lo > hi {
        (0.0, 1.0)
    } else if hi - lo <= hi.abs().max(lo.abs()) * 1e-9 {
        // Flat: widen around the value so there is something to draw against.
        let half = if is_log || lo == 0.0 {
            0.5
        } else {
            lo.abs() * 0.1
        };
        (lo - half, hi + half)
    } else {
        let pad = (hi - lo) * padding;
        (lo - pad, hi + pad)
    };
    Axis {
        lo: from_space(lo),
        hi: from_space(hi),
        is_log,
    }
}

/// Shades the stretches of x where the loss is not finite (each such point's share
/// of the axis, halfway to its neighbours), so a student sees where a step size
/// makes training diverge; returns whether there were any.
fn draw_gaps(
    canvas: &mut Canvas,
    frame: &Frame,
    xs: &[f32],
    points: &[Option<(f64, f64)>],
) -> bool {
    let x_at = |k: usize| xs.get(k).map(|&x| f64::from(x)).filter(|x| x.is_finite());
    let mut any = false;
    for (k, point) in points.iter().enumerate() {
        let Some(x) = x_at(k).filter(|_| point.is_none()) else {
            continue;
        };
        // At an end of the data the band runs on to the edge of the plot.
        let before = k
            .checked_sub(1)
            .and_then(x_at)
            .map_or(frame.x.lo, |b| (b + x) / 2.0);
        let after = x_at(k + 1).map_or(frame.x.hi, |a| (a + x) / 2.0);
        let (start, _) = frame.pixel_from_data(before.min(after), frame.y.lo);
        let (end, _) = frame.pixel_from_data(before.max(after), frame.y.lo);
        let band = Rect {
            x0: start.max(frame.plot.x0),
            x1: end.min(frame.plot.x1),
            ..frame.plot
        };
        canvas.fill_rect(band, GAP_COLOUR);
        any = true;
    }
    any
}

/// A swatch and "not finite" under the plot's right end, level with the x label.
fn draw_gap_note(canvas: &mut Canvas, style: &Style, plot: Rect) {
    let text = Style::ink(style.text);
    let (width, _) = text_box(NOT_FINITE_NOTE, style.text, Direction::Horizontal);
    let middle = axes::x_label_middle(style, plot);
    let size = (line_height(style.text) * 0.8).round();
    let swatch = Rect {
        x0: plot.x1 - width - style.gap * 0.5 - size * 1.5,
        x1: plot.x1 - width - style.gap * 0.5,
        y0: (middle - size / 2.0).round(),
        y1: (middle + size / 2.0).round(),
    };
    canvas.fill_rect(swatch, GAP_COLOUR);
    let anchor = (plot.x1, middle);
    draw_text(
        canvas,
        NOT_FINITE_NOTE,
        text,
        anchor,
        (HAlign::Right, VAlign::Middle),
        Direction::Horizontal,
    );
}

/// The curve through consecutive finite points; lone finite points get a dot.
fn draw_curve(canvas: &mut Canvas, style: &Style, frame: &Frame, points: &[Option<(f64, f64)>]) {
    let width = (style.line * 2.0).max(2.0);
    let mut mask = Mask::new(canvas.width(), canvas.height(), frame.plot);
    for run in points.split(Option::is_none) {
        let pixels: Vec<(f32, f32)> = run
            .iter()
            .flatten()
            .map(|&(x, y)| frame.pixel_from_data(x, y))
            .collect();
        match pixels.as_slice() {
            [single] => mask.disc(*single, width),
            _ => mask.polyline(&pixels, width),
        }
    }
    mask.composite(canvas, CURVE_COLOUR, 1.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::MarkerStyle;

    fn parabola() -> (Vec<f32>, Vec<f32>) {
        let xs: Vec<f32> = (0..101).map(|i| -1.0 + 0.02 * i as f32).collect();
        let ys = xs.iter().map(|x| x * x).collect();
        (xs, ys)
    }

    fn is_curve(pixel: &image::Rgb<u8>) -> bool {
        pixel
            .0
            .iter()
            .zip(CURVE_COLOUR)
            .all(|(&a, b)| a.abs_diff(b) <= 10)
    }

    #[test]
    fn a_parabolas_lowest_curve_pixel_is_at_the_bottom_centre() {
        let (xs, ys) = parabola();
        let image = render_line(&LineFigure::new(&xs, &ys), 800, 500).expect("render");
        assert_eq!(image.dimensions(), (800, 500));
        let curve: Vec<(u32, u32)> = image
            .enumerate_pixels()
            .filter(|(_, _, p)| is_curve(p))
            .map(|(x, y, _)| (x, y))
            .collect();
        let (left, right) = (
            curve.iter().map(|p| p.0).min(),
            curve.iter().map(|p| p.0).max(),
        );
        let (Some(left), Some(right)) = (left, right) else {
            panic!("no curve pixels");
        };
        // The parabola's bottom is flat for a few pixels: take the middle of the lowest row.
        let lowest_row = curve.iter().map(|p| p.1).max().unwrap_or_default();
        let bottom: Vec<u32> = curve
            .iter()
            .filter(|p| p.1 == lowest_row)
            .map(|p| p.0)
            .collect();
        let bottom_x = bottom.iter().sum::<u32>() / bottom.len() as u32;
        let highest_row = curve.iter().map(|p| p.1).min().unwrap_or_default();
        let middle = (left + right) / 2;
        assert!(
            bottom_x.abs_diff(middle) <= 4,
            "bottom at {bottom_x}, middle {middle}"
        );
        assert!(
            lowest_row > 380 && highest_row < 100,
            "{lowest_row} {highest_row}"
        );
        // The ends of the curve are high up, at the left and right.
        assert!(right - left > 500);
    }

    #[test]
    fn non_finite_points_break_the_line() {
        let (xs, mut ys) = parabola();
        for y in &mut ys[45..56] {
            *y = f32::NAN;
        }
        let image = render_line(&LineFigure::new(&xs, &ys), 800, 500).expect("render");
        let curve_columns: std::collections::BTreeSet<u32> = image
            .enumerate_pixels()
            .filter(|(_, _, p)| is_curve(p))
            .map(|(x, _, _)| x)
            .collect();
        let (Some(&left), Some(&right)) = (curve_columns.first(), curve_columns.last()) else {
            panic!("no curve pixels");
        };
        let middle = (left + right) / 2;
        assert!(!curve_columns.contains(&middle), "the gap must be empty");
        // The gap is shaded; look beside the grid line at alpha = 0.
        let shaded = (300..400).filter(|&y| image.get_pixel(middle + 6, y).0 == GAP_COLOUR);
        assert!(shaded.count() > 50);
    }

    #[test]
    fn log_scale_markers_and_odd_inputs_render() {
        let (xs, ys) = parabola();
        let markers = [Marker::new(0.0, 0.0, MarkerStyle::Dot, "current θ")];
        let figure = LineFigure {
            log_scale: true,
            markers: &markers,
            title: "Loss along a random direction",
            ..LineFigure::new(&xs, &ys)
        };
        assert!(render_line(&figure, 800, 500).is_ok());
        let flat = [3.0f32; 5];
        assert!(render_line(&LineFigure::new(&xs[..5], &flat), 400, 300).is_ok());
        let nothing = [f32::NAN; 3];
        assert!(render_line(&LineFigure::new(&xs[..3], &nothing), 400, 300).is_ok());
        assert!(render_line(&LineFigure::new(&xs[..1], &ys[..1]), 32, 32).is_ok());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (xs, ys) = parabola();
        assert!(matches!(
            render_line(&LineFigure::new(&xs, &ys[1..]), 800, 500),
            Err(FigureError::SeriesLength { .. })
        ));
        assert!(matches!(
            render_line(&LineFigure::new(&[], &[]), 800, 500),
            Err(FigureError::EmptySeries)
        ));
        assert!(matches!(
            render_line(&LineFigure::new(&xs, &ys), 0, 500),
            Err(FigureError::InvalidSize { .. })
        ));
    }
}
