//! The 1D slice figure: loss along one direction through parameter space.
//!
//! The simplest picture of a landscape, and the first one a lesson shows: a curve
//! with the current point marked, where a student can read off how far downhill a
//! step of a given size goes.

use image::RgbImage;

use super::axes::{self, Axis, BACKGROUND, Frame, Style};
use super::canvas::{Canvas, Colour, Mask, Rect};
use super::colorbar::NOT_FINITE_NOTE;
use super::legend::{Legend, SERIES_COLOURS};
use super::marker::draw_markers;
use super::text::{Direction, HAlign, VAlign, draw_text, line_height, text_box};
use super::ticks::format_value;
use super::{FigureError, Marker, check_size};

/// The curve's colour: a dark blue that reads on white and on a projector.
pub const CURVE_COLOUR: Colour = [24, 68, 150];

/// Background of the stretches where the loss is not finite: a lighter tint of the
/// heatmap's grey, so grid lines and the curve's ends still read over it.
const GAP_COLOUR: Colour = [222, 222, 222];

/// One labelled curve of a [`LineFigure`] with several, such as the loss along a
/// direction for one of two trained models.
#[derive(Clone, Copy, Debug)]
pub struct LineSeries<'a> {
    /// The legend's text for this curve, e.g. "batch 16: λmax 3.1"; empty to leave
    /// it out of the legend.
    pub label: &'a str,
    /// Positions along the direction.
    pub xs: &'a [f32],
    /// Loss at each position; non-finite values break the line.
    pub ys: &'a [f32],
}

/// A shaded range around one series (its spread over seeds), in that
/// series' colour.
#[derive(Clone, Copy, Debug)]
pub struct Band<'a> {
    /// Which of the figure's `series` it belongs to.
    pub series: usize,
    /// Positions.
    pub xs: &'a [f32],
    /// The range's lower edge at each position.
    pub low: &'a [f32],
    /// Its upper edge.
    pub high: &'a [f32],
}

/// A labelled vertical line across the plot, such as a threshold.
#[derive(Clone, Copy, Debug)]
pub struct VLine<'a> {
    /// Where it stands.
    pub x: f32,
    /// Text beside its top end.
    pub label: &'a str,
}

/// A 1D slice to render with [`render_line`]: one curve (`xs`, `ys`), or several
/// labelled ones (`series`), never both.
#[derive(Clone, Copy, Debug)]
pub struct LineFigure<'a> {
    /// Positions along the direction (alpha) of the one curve; empty with `series`.
    pub xs: &'a [f32],
    /// Loss at each position; non-finite values break the line.
    pub ys: &'a [f32],
    /// Several curves, each in its own colour from a colour-blind-safe palette and
    /// named in a legend; the axes cover them all. Empty for the one curve `xs`,
    /// `ys`: a figure with both is an error, since an unlabelled extra curve
    /// beside a legend would leave the reader guessing what it is.
    pub series: &'a [LineSeries<'a>],
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
    /// Log-scaled horizontal axis (for sizes spanning decades).
    pub log_x: bool,
    /// Shaded ranges around series.
    pub bands: &'a [Band<'a>],
    /// Vertical lines to mark.
    pub vlines: &'a [VLine<'a>],
}

impl<'a> LineFigure<'a> {
    /// A figure of `ys` against `xs` labelled "α" and "loss", with nothing marked.
    pub fn new(xs: &'a [f32], ys: &'a [f32]) -> Self {
        Self {
            xs,
            ys,
            series: &[],
            x_label: "α",
            y_label: "loss",
            title: "",
            log_scale: false,
            markers: &[],
            log_x: false,
            bands: &[],
            vlines: &[],
        }
    }

    /// A figure of several labelled curves, otherwise as [`LineFigure::new`].
    pub fn of_series(series: &'a [LineSeries<'a>]) -> Self {
        Self {
            series,
            ..Self::new(&[], &[])
        }
    }

    /// The curves to draw with their colours, checked: the one curve in
    /// [`CURVE_COLOUR`], or each series in the palette's next colour.
    fn curves(&self) -> Result<Vec<(LineSeries<'a>, Colour)>, FigureError> {
        let curves = if self.series.is_empty() {
            let one = LineSeries {
                label: "",
                xs: self.xs,
                ys: self.ys,
            };
            vec![(one, CURVE_COLOUR)]
        } else if self.xs.is_empty() && self.ys.is_empty() {
            self.series
                .iter()
                .zip(SERIES_COLOURS.iter().cycle())
                .map(|(series, &colour)| (*series, colour))
                .collect()
        } else {
            return Err(FigureError::CurveAndSeries);
        };
        for (curve, _) in &curves {
            if curve.xs.len() != curve.ys.len() {
                return Err(FigureError::SeriesLength {
                    xs: curve.xs.len(),
                    ys: curve.ys.len(),
                });
            }
            if curve.xs.is_empty() {
                return Err(FigureError::EmptySeries);
            }
        }
        Ok(curves)
    }
}

/// Renders a 1D slice to a `width` x `height` RGB image.
///
/// Fails if the size is outside [`MIN_FIGURE_SIDE`](super::MIN_FIGURE_SIDE)..=
/// [`MAX_FIGURE_SIDE`](super::MAX_FIGURE_SIDE), a curve is empty or its `xs` and
/// `ys` differ in length, or both `xs`/`ys` and `series` are given. Non-finite
/// points are gaps in the line; on a log scale, losses at or below zero are drawn
/// at the smallest positive loss, and the axis label says so.
pub fn render_line(figure: &LineFigure, width: u32, height: u32) -> Result<RgbImage, FigureError> {
    check_size(width, height)?;
    let curves = figure.curves()?;
    let style = Style::for_size(width, height);
    let finite_ys = || {
        curves
            .iter()
            .flat_map(|(curve, _)| curve.ys)
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

    let points: Vec<Vec<Option<(f64, f64)>>> = curves
        .iter()
        .map(|(curve, _)| {
            curve
                .xs
                .iter()
                .zip(curve.ys)
                .map(|(&x, &y)| {
                    (x.is_finite() && y.is_finite()).then(|| (f64::from(x), shown_y(y)))
                })
                .collect()
        })
        .collect();
    let marker_points: Vec<(f64, f64)> = figure
        .markers
        .iter()
        .filter(|m| m.x.is_finite() && m.y.is_finite())
        .map(|m| (f64::from(m.x), shown_y(m.y)))
        .collect();
    let band_points: Vec<(f64, f64)> = figure
        .bands
        .iter()
        .flat_map(|b| b.xs.iter().zip(b.low).chain(b.xs.iter().zip(b.high)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(&x, &y)| (f64::from(x), shown_y(y)))
        .collect();
    let all: Vec<(f64, f64)> = points
        .iter()
        .flatten()
        .flatten()
        .chain(&marker_points)
        .chain(&band_points)
        .copied()
        .collect();
    // Every finite x counts, so the places where the loss diverged stay in view.
    let finite_xs = curves
        .iter()
        .flat_map(|(curve, _)| curve.xs)
        .chain(figure.vlines.iter().map(|v| &v.x))
        .filter(|x| x.is_finite())
        .map(|&x| f64::from(x));
    let log_x =
        figure.log_x && all.iter().all(|p| p.0 > 0.0) && figure.vlines.iter().all(|v| v.x > 0.0);
    let x = padded_axis(all.iter().map(|p| p.0).chain(finite_xs), log_x, 0.02);
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
        text_box(label, style.text, Direction::Horizontal).0 / 2.0
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
    let mut has_gaps = false;
    for ((curve, _), points) in curves.iter().zip(&points) {
        has_gaps |= draw_gaps(&mut canvas, &frame, curve.xs, points);
    }
    axes::draw_grid(&mut canvas, plot, &x_ticks, &y_ticks);
    for band in figure.bands {
        let colour = curves.get(band.series).map_or(CURVE_COLOUR, |c| c.1);
        draw_band(&mut canvas, &frame, band, shown_y, colour);
    }
    let mut drawn = Vec::new();
    for line in figure.vlines {
        // The legend keeps clear of the line's label too.
        if let Some(label) = draw_vline(&mut canvas, &style, &frame, line) {
            drawn.push(vec![
                (label.x0, label.y0),
                (label.x1, label.y0),
                (label.x1, label.y1),
                (label.x0, label.y1),
            ]);
        }
    }
    for ((_, colour), points) in curves.iter().zip(&points) {
        let runs = pixel_runs(&frame, points);
        draw_curve(&mut canvas, &style, plot, &runs, *colour);
        drawn.extend(runs);
    }
    draw_markers(&mut canvas, &style, plot, figure.markers, |mx, my| {
        frame.pixel_from_data(mx, if is_log { my.max(floor) } else { my })
    });
    // The legend keeps clear of the markers as well as the curves.
    drawn.extend(
        marker_points
            .iter()
            .map(|&(mx, my)| vec![frame.pixel_from_data(mx, my)]),
    );
    let entries: Vec<(&str, Colour)> = curves
        .iter()
        .filter(|(curve, _)| !curve.label.is_empty())
        .map(|(curve, colour)| (curve.label, *colour))
        .collect();
    let legend = Legend {
        entries: &entries,
        line_width: curve_width(&style),
    };
    legend.draw(&mut canvas, &style, plot, &drawn);
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

/// How thick curves are drawn, and their swatches in the legend.
fn curve_width(style: &Style) -> f32 {
    (style.line * 2.0).max(2.0)
}

/// Each run of consecutive finite points, in pixels.
fn pixel_runs(frame: &Frame, points: &[Option<(f64, f64)>]) -> Vec<Vec<(f32, f32)>> {
    points
        .split(Option::is_none)
        .filter(|run| !run.is_empty())
        .map(|run| {
            run.iter()
                .flatten()
                .map(|&(x, y)| frame.pixel_from_data(x, y))
                .collect()
        })
        .collect()
}

/// A curve through each run of points in `colour`; lone finite points get a dot.
/// A band as one shaded polygon per unbroken stretch of finite edges.
fn draw_band(
    canvas: &mut Canvas,
    frame: &Frame,
    band: &Band,
    shown_y: impl Fn(f32) -> f64,
    colour: Colour,
) {
    let n = band.xs.len().min(band.low.len()).min(band.high.len());
    let finite =
        |k: usize| band.xs[k].is_finite() && band.low[k].is_finite() && band.high[k].is_finite();
    let mut mask = Mask::new(canvas.width(), canvas.height(), frame.plot);
    let mut k = 0;
    while k < n {
        if !finite(k) {
            k += 1;
            continue;
        }
        let start = k;
        while k < n && finite(k) {
            k += 1;
        }
        let at = |i: usize, y: f32| frame.pixel_from_data(f64::from(band.xs[i]), shown_y(y));
        let mut outline: Vec<(f32, f32)> = (start..k).map(|i| at(i, band.high[i])).collect();
        outline.extend((start..k).rev().map(|i| at(i, band.low[i])));
        if k - start == 1 {
            mask.line(outline[0], outline[1], 3.0);
        } else {
            mask.polygon(&outline);
        }
    }
    mask.composite(canvas, colour, 0.2);
}

/// A dashed grey vertical line with its label beside the top end; the
/// label's box, if there is one.
fn draw_vline(canvas: &mut Canvas, style: &Style, frame: &Frame, line: &VLine) -> Option<Rect> {
    let plot = frame.plot;
    let (x, _) = frame.pixel_from_data(f64::from(line.x), frame.y.lo);
    if !(plot.x0..=plot.x1).contains(&x) {
        return None;
    }
    let mut mask = Mask::new(canvas.width(), canvas.height(), plot);
    let dash = (style.text * 0.6).max(4.0);
    let mut y = plot.y0;
    while y < plot.y1 {
        mask.line(
            (x, y),
            (x, (y + dash).min(plot.y1)),
            curve_width(style) * 0.8,
        );
        y += dash * 1.8;
    }
    mask.composite(canvas, [90, 90, 90], 1.0);
    if line.label.is_empty() {
        return None;
    }
    {
        let (w, text_h) = text_box(line.label, style.text, Direction::Horizontal);
        let right_side = x + style.gap + w <= plot.x1;
        let (anchor_x, h) = if right_side {
            (x + style.gap * 0.5, HAlign::Left)
        } else {
            (x - style.gap * 0.5, HAlign::Right)
        };
        draw_text(
            canvas,
            line.label,
            Style::ink(style.text),
            (anchor_x, plot.y0 + style.gap * 0.5),
            (h, VAlign::Top),
            Direction::Horizontal,
        );
        let (x0, x1) = if right_side {
            (anchor_x, anchor_x + w)
        } else {
            (anchor_x - w, anchor_x)
        };
        let y0 = plot.y0 + style.gap * 0.5;
        Some(Rect {
            x0,
            x1,
            y0,
            y1: y0 + text_h,
        })
    }
}

fn draw_curve(
    canvas: &mut Canvas,
    style: &Style,
    plot: Rect,
    runs: &[Vec<(f32, f32)>],
    colour: Colour,
) {
    let width = curve_width(style);
    let mut mask = Mask::new(canvas.width(), canvas.height(), plot);
    for run in runs {
        match run.as_slice() {
            [single] => mask.disc(*single, width),
            pixels => mask.polyline(pixels, width),
        }
    }
    mask.composite(canvas, colour, 1.0);
}

#[cfg(test)]
#[path = "line_plot_tests.rs"]
mod tests;
