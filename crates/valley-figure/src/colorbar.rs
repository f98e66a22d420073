//! The colorbar beside a heatmap: it turns colours back into losses.
//!
//! Ticks are in loss units even on a log scale (0.1, 1, 10, not −1, 0, 1), the
//! contour levels are marked on the bar so a student can read a contour's loss, and
//! a grey swatch explains the cells that have no finite loss.

use super::axes::{INK, Style, x_label_middle};
use super::canvas::{Canvas, Colour, Rect};
use super::colour_scale::{ColourScale, NOT_FINITE_COLOUR, colormap};
use super::text::{Direction, HAlign, TextStyle, VAlign, draw_text, line_height, text_box};

/// The legend text for grey cells.
pub const NOT_FINITE_NOTE: &str = "not finite";

/// Everything the colorbar shows.
pub struct Colorbar<'a> {
    /// The mapping from losses to colours.
    pub scale: &'a ColourScale,
    /// Caption along the bar, e.g. "loss (log scale)".
    pub caption: &'a str,
    /// Contour levels as positions in the colormap, with the colour they are drawn in.
    pub contours: &'a [(f64, Colour, f32)],
    /// Whether to explain the grey "not finite" colour.
    pub has_non_finite: bool,
}

impl Colorbar<'_> {
    /// Width of the bar itself.
    fn bar_width(style: &Style) -> f32 {
        (style.text * 1.4).round()
    }

    /// Horizontal space the colorbar needs to the right of the plot area.
    pub fn reserved_width(&self, style: &Style) -> f32 {
        let widest_label = self
            .scale
            .ticks()
            .iter()
            .map(|(_, label)| text_box(label, style.text, Direction::Horizontal).0)
            .fold(0.0, f32::max);
        let bar = Self::bar_width(style);
        let with_labels = style.gap * 2.0
            + bar
            + style.tick_length
            + style.gap * 0.5
            + widest_label
            + style.gap
            + line_height(style.text)
            + style.gap;
        let with_note = if self.has_non_finite {
            style.gap * 2.0
                + bar
                + style.gap * 0.5
                + text_box(NOT_FINITE_NOTE, style.text, Direction::Horizontal).0
                + style.gap
        } else {
            0.0
        };
        with_labels.max(with_note)
    }

    /// Where the bar itself goes: right of `plot`, as tall as it.
    pub fn bar_rect(style: &Style, plot: Rect) -> Rect {
        let x0 = plot.x1 + style.gap * 2.0;
        Rect {
            x0,
            x1: x0 + Self::bar_width(style),
            ..plot
        }
    }

    /// Draws the bar, its ticks, caption and note beside `plot`.
    pub fn draw(&self, canvas: &mut Canvas, style: &Style, plot: Rect) {
        let bar = Self::bar_rect(style, plot);
        // Top row exactly the high end, bottom row exactly the low end.
        let (columns, rows) = canvas.pixel_span(bar);
        let last_row = (rows.end - 1) as f32;
        let span = (rows.end - rows.start - 1).max(1) as f32;
        for py in rows.clone() {
            let colour = colormap(f64::from((last_row - py as f32) / span));
            for px in columns.clone() {
                canvas.set(px, py, colour);
            }
        }
        let unit_to_y = |unit: f64| last_row + 0.5 - unit as f32 * span;
        for &(unit, colour, alpha) in self.contours {
            let y = unit_to_y(unit).round();
            for px in columns.clone() {
                canvas.blend(px, y as i64, colour, alpha);
            }
        }

        let line = style.line;
        let outer = Rect {
            x0: bar.x0 - line,
            y0: bar.y0 - line,
            x1: bar.x1 + line,
            y1: bar.y1 + line,
        };
        canvas.stroke_rect(outer, INK, line as u32);
        let text = Style::ink(style.text);
        let tick_end = outer.x1 + style.tick_length;
        let mut widest = 0.0f32;
        for (unit, label) in self.scale.ticks() {
            let y = unit_to_y(unit).round();
            let mark = Rect {
                x0: outer.x1,
                x1: tick_end,
                y0: y - line / 2.0,
                y1: y + line / 2.0,
            };
            canvas.fill_rect(mark, INK);
            let anchor = (tick_end + style.gap * 0.5, y);
            draw_text(
                canvas,
                &label,
                text,
                anchor,
                (HAlign::Left, VAlign::Middle),
                Direction::Horizontal,
            );
            widest = widest.max(text_box(&label, style.text, Direction::Horizontal).0);
        }

        // The caption runs up the bar, shrunk if it would be longer than the bar.
        let length = text_box(self.caption, style.text, Direction::Horizontal).0;
        let size = if length > bar.height() {
            style.text * bar.height() / length
        } else {
            style.text
        };
        let caption = TextStyle { size, colour: INK };
        let anchor = (tick_end + style.gap * 1.5 + widest, (bar.y0 + bar.y1) / 2.0);
        draw_text(
            canvas,
            self.caption,
            caption,
            anchor,
            (HAlign::Left, VAlign::Middle),
            Direction::Upward,
        );

        if self.has_non_finite {
            self.draw_not_finite_note(canvas, style, bar);
        }
    }

    /// Where the grey "not finite" swatch goes: under the bar, level with the x-axis
    /// label, well clear of the x tick labels.
    pub fn note_swatch_rect(style: &Style, bar: Rect) -> Rect {
        let height = (line_height(style.text) * 0.8).round();
        let middle = x_label_middle(style, bar);
        let y0 = (middle - height / 2.0).round();
        Rect {
            y0,
            y1: y0 + height,
            ..bar
        }
    }

    /// A grey swatch under the bar with the words "not finite".
    fn draw_not_finite_note(&self, canvas: &mut Canvas, style: &Style, bar: Rect) {
        let swatch = Self::note_swatch_rect(style, bar);
        canvas.fill_rect(swatch, NOT_FINITE_COLOUR);
        canvas.stroke_rect(
            Rect {
                x0: swatch.x0 - 1.0,
                y0: swatch.y0 - 1.0,
                x1: swatch.x1 + 1.0,
                y1: swatch.y1 + 1.0,
            },
            INK,
            1,
        );
        let anchor = (swatch.x1 + style.gap * 0.5, (swatch.y0 + swatch.y1) / 2.0);
        let text = Style::ink(style.text);
        draw_text(
            canvas,
            NOT_FINITE_NOTE,
            text,
            anchor,
            (HAlign::Left, VAlign::Middle),
            Direction::Horizontal,
        );
    }
}
