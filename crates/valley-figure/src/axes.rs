//! Axes shared by both figure kinds: sizes that scale with the image, the layout of
//! the plot area, and the frame, ticks, labels and title around it.
//!
//! Every size derives from the figure's smaller side, so text that is readable at
//! 800x700 on a projector stays in proportion at 400 or 4000 pixels.

use super::canvas::{Canvas, Colour, Rect};
use super::text::{
    Direction, HAlign, TextStyle, VAlign, draw_text, line_height, text_box, text_width,
};
use super::ticks::{format_linear_ticks, format_value, log_ticks, nice_ticks};

/// Figure background.
pub const BACKGROUND: Colour = [255, 255, 255];
/// Text, ticks and the frame: near-black, softer than pure black on a bright screen.
pub const INK: Colour = [33, 33, 33];
/// Grid lines behind a line plot.
pub const GRID: Colour = [228, 228, 228];

/// A tick: its fraction of the way along the axis, and its label.
pub type Tick = (f64, String);

/// Sizes, in pixels, that scale with the figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// Em size of tick labels and notes.
    pub text: f32,
    /// Em size of the title.
    pub title: f32,
    /// Em size of axis labels.
    pub axis_label: f32,
    /// Length of a tick mark.
    pub tick_length: f32,
    /// The unit of spacing between elements.
    pub gap: f32,
    /// Width of the frame and tick marks.
    pub line: f32,
}

impl Style {
    /// Sizes for a `width` x `height` figure: about 18 px text at 800x700 and 15 px
    /// at 800x500, so tick labels stay legible on a projected slide.
    pub fn for_size(width: u32, height: u32) -> Self {
        let (width, height) = (width as f32, height as f32);
        // Area sets the size; the short side caps it so a thin strip is not all text.
        let base = ((width * height).sqrt() / 42.0)
            .min(width.min(height) / 20.0)
            .clamp(6.0, 120.0);
        Self::with_text_size(base)
    }

    /// Sizes in proportion to tick labels `base` pixels tall (em), for layouts
    /// such as a strip of small plots whose text is set by the tile, not the image.
    pub fn with_text_size(base: f32) -> Self {
        Self {
            text: base,
            title: base * 1.3,
            axis_label: base * 1.25,
            tick_length: (base * 0.4).round(),
            gap: (base * 0.6).round(),
            line: (base / 10.0).round().max(1.0),
        }
    }

    /// Ink at `size` em.
    pub fn ink(size: f32) -> TextStyle {
        TextStyle { size, colour: INK }
    }
}

/// One axis: a data range, linear or logarithmic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    /// Data value at the low end.
    pub lo: f64,
    /// Data value at the high end.
    pub hi: f64,
    /// Whether the axis is logarithmic (then `lo` and `hi` are positive).
    pub is_log: bool,
}

impl Axis {
    /// Fraction (0 at `lo`, 1 at `hi`) of the way along the axis of `value`.
    pub fn unit(&self, value: f64) -> f64 {
        if self.is_log {
            (value.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (value - self.lo) / (self.hi - self.lo)
        }
    }

    /// Ticks as (fraction along the axis, label).
    pub fn ticks(&self) -> Vec<Tick> {
        let values = if self.is_log {
            log_ticks(self.lo, self.hi)
        } else {
            nice_ticks(self.lo, self.hi, 4, 7)
        };
        let labels = if self.is_log {
            values.iter().map(|&v| format_value(v)).collect()
        } else {
            format_linear_ticks(&values)
        };
        values.iter().map(|&v| self.unit(v)).zip(labels).collect()
    }
}

/// A plot area with its two axes: maps data coordinates to pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// The plot area in pixels.
    pub plot: Rect,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis (up is high).
    pub y: Axis,
}

impl Frame {
    /// Pixel position of a data point.
    pub fn pixel_from_data(&self, x: f64, y: f64) -> (f32, f32) {
        let plot = self.plot;
        (
            plot.x0 + (self.x.unit(x) as f32) * plot.width(),
            plot.y1 - (self.y.unit(y) as f32) * plot.height(),
        )
    }
}

/// Space around the plot area, in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Margins {
    /// Left of the plot: y tick labels and the y label.
    pub left: f32,
    /// Right of the plot: a colorbar, or overhanging tick labels.
    pub right: f32,
    /// Above the plot: the title.
    pub top: f32,
    /// Below the plot: x tick labels and the x label.
    pub bottom: f32,
}

/// Short labels such as "β" read best upright; longer ones run upward.
pub fn y_label_direction(label: &str, style: &Style) -> Direction {
    if text_box(label, style.axis_label, Direction::Horizontal).0 <= 2.0 * style.axis_label {
        Direction::Horizontal
    } else {
        Direction::Upward
    }
}

/// Margins for the title, tick labels and axis labels, plus `right` for the caller.
pub fn margins(style: &Style, title: &str, y_label: &str, y_ticks: &[Tick], right: f32) -> Margins {
    let widest_y_tick = y_ticks
        .iter()
        .map(|(_, label)| text_box(label, style.text, Direction::Horizontal).0)
        .fold(0.0, f32::max);
    let y_label_width = if y_label.is_empty() {
        0.0
    } else {
        text_box(y_label, style.axis_label, y_label_direction(y_label, style)).0 + style.gap
    };
    let title_height = if title.is_empty() {
        0.0
    } else {
        line_height(style.title) + style.gap
    };
    Margins {
        left: style.gap + y_label_width + widest_y_tick + style.gap * 0.5 + style.tick_length,
        right: right.max(style.gap * 2.0),
        top: style.gap + title_height + style.gap,
        bottom: style.tick_length
            + style.gap * 0.5
            + line_height(style.text)
            + style.gap * 0.5
            + line_height(style.axis_label)
            + style.gap,
    }
}

/// The plot area inside a `width` x `height` figure with these margins, whole pixels.
///
/// With `aspect` (height over width) the area keeps that shape and the whole figure
/// is centred; without it the area fills the space.
pub fn plot_area(width: u32, height: u32, margins: Margins, aspect: Option<f32>) -> Rect {
    let available_width = (width as f32 - margins.left - margins.right).max(1.0);
    let available_height = (height as f32 - margins.top - margins.bottom).max(1.0);
    let (plot_width, plot_height) = match aspect {
        Some(aspect) => {
            let plot_width = available_width.min(available_height / aspect);
            (plot_width, plot_width * aspect)
        }
        None => (available_width, available_height),
    };
    let x0 = (margins.left + (available_width - plot_width) / 2.0).round();
    let y0 = (margins.top + (available_height - plot_height) / 2.0).round();
    Rect {
        x0,
        y0,
        x1: x0 + plot_width.round().max(1.0),
        y1: y0 + plot_height.round().max(1.0),
    }
}

/// The height at which the x-axis label is centred: below the x tick labels. Notes
/// that belong on that row (such as "not finite") use it too.
pub fn x_label_middle(style: &Style, plot: Rect) -> f32 {
    plot.y1
        + style.line
        + style.tick_length
        + style.gap * 0.5
        + line_height(style.text)
        + style.gap * 0.5
        + line_height(style.axis_label) / 2.0
}

/// The title, centred over the plot area, in the top margin.
pub fn draw_title(canvas: &mut Canvas, style: &Style, title: &str, plot: Rect) {
    let bounds = (style.gap, canvas.width() as f32 - style.gap);
    let centre = (plot.x0 + plot.x1) / 2.0;
    let bottom = plot.y0 - style.gap * 1.5;
    draw_heading(canvas, title, style.title, (centre, bottom), bounds);
}

/// One line of `text` at em size `size`, centred on `centre_x` with its bottom at
/// `bottom`, kept between `left` and `right`: a title over a plot, or a caption
/// over one tile of several. Text too long for the bounds shrinks to fit rather
/// than run off the canvas or into a neighbour.
pub fn draw_heading(
    canvas: &mut Canvas,
    text: &str,
    size: f32,
    (centre_x, bottom): (f32, f32),
    (left, right): (f32, f32),
) {
    if text.is_empty() {
        return;
    }
    let available = (right - left).max(1.0);
    let width = text_width(text, size);
    let (size, width) = if width > available {
        (size * available / width, available)
    } else {
        (size, width)
    };
    let centre = centre_x.max(left + width / 2.0).min(right - width / 2.0);
    let align = (HAlign::Centre, VAlign::Bottom);
    draw_text(
        canvas,
        text,
        Style::ink(size),
        (centre, bottom),
        align,
        Direction::Horizontal,
    );
}

/// Light lines across the plot area at every tick, drawn before the data.
pub fn draw_grid(canvas: &mut Canvas, plot: Rect, x_ticks: &[Tick], y_ticks: &[Tick]) {
    for (unit, _) in x_ticks {
        let x = (plot.x0 + *unit as f32 * plot.width()).round();
        canvas.fill_rect(
            Rect {
                x0: x - 0.5,
                x1: x + 0.5,
                ..plot
            },
            GRID,
        );
    }
    for (unit, _) in y_ticks {
        let y = (plot.y1 - *unit as f32 * plot.height()).round();
        canvas.fill_rect(
            Rect {
                y0: y - 0.5,
                y1: y + 0.5,
                ..plot
            },
            GRID,
        );
    }
}

/// The frame just outside the plot area, outward ticks with their labels, and the
/// axis labels, drawn after the data so nothing covers them.
pub fn draw_frame(
    canvas: &mut Canvas,
    style: &Style,
    plot: Rect,
    (x_ticks, y_ticks): (&[Tick], &[Tick]),
    (x_label, y_label): (&str, &str),
) {
    let line = style.line;
    let outer = Rect {
        x0: plot.x0 - line,
        y0: plot.y0 - line,
        x1: plot.x1 + line,
        y1: plot.y1 + line,
    };
    canvas.stroke_rect(outer, INK, line as u32);
    let tick_text = Style::ink(style.text);

    let tick_bottom = outer.y1 + style.tick_length;
    for (unit, label) in x_ticks {
        let x = (plot.x0 + *unit as f32 * plot.width()).round();
        let mark = Rect {
            x0: x - line / 2.0,
            x1: x + line / 2.0,
            y0: outer.y1,
            y1: tick_bottom,
        };
        canvas.fill_rect(mark, INK);
        let anchor = (x, tick_bottom + style.gap * 0.5);
        draw_text(
            canvas,
            label,
            tick_text,
            anchor,
            (HAlign::Centre, VAlign::Top),
            Direction::Horizontal,
        );
    }
    let tick_left = outer.x0 - style.tick_length;
    for (unit, label) in y_ticks {
        let y = (plot.y1 - *unit as f32 * plot.height()).round();
        let mark = Rect {
            x0: tick_left,
            x1: outer.x0,
            y0: y - line / 2.0,
            y1: y + line / 2.0,
        };
        canvas.fill_rect(mark, INK);
        let anchor = (tick_left - style.gap * 0.5, y);
        draw_text(
            canvas,
            label,
            tick_text,
            anchor,
            (HAlign::Right, VAlign::Middle),
            Direction::Horizontal,
        );
    }

    let label_text = Style::ink(style.axis_label);
    if !x_label.is_empty() {
        let anchor = ((plot.x0 + plot.x1) / 2.0, x_label_middle(style, plot));
        draw_text(
            canvas,
            x_label,
            label_text,
            anchor,
            (HAlign::Centre, VAlign::Middle),
            Direction::Horizontal,
        );
    }
    if !y_label.is_empty() {
        // Beside the tick labels, not at the canvas edge: the plot may be centred.
        let widest_y_tick = y_ticks
            .iter()
            .map(|(_, label)| text_box(label, style.text, Direction::Horizontal).0)
            .fold(0.0, f32::max);
        let right = tick_left - style.gap * 0.5 - widest_y_tick - style.gap;
        let anchor = (right, (plot.y0 + plot.y1) / 2.0);
        let direction = y_label_direction(y_label, style);
        draw_text(
            canvas,
            y_label,
            label_text,
            anchor,
            (HAlign::Right, VAlign::Middle),
            direction,
        );
    }
}

#[cfg(test)]
#[path = "axes_tests.rs"]
mod tests;
