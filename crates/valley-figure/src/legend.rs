//! The key to a line plot with several curves: a short swatch of each curve's
//! colour beside its label, on a light plate inside the plot.
//!
//! A legend that hides part of a curve hides data, so the plate goes to whichever
//! corner (or the middle of the top or bottom edge) covers the fewest drawn pixels.

use super::axes::Style;
use super::canvas::{Canvas, Colour, Mask, Rect};
use super::text::{Direction, HAlign, VAlign, draw_text, line_height, text_box};

/// Okabe and Ito's palette, which stays distinct for the common kinds of colour
/// blindness: blue, vermillion, green, reddish purple, orange, sky blue, black.
/// Series beyond the seventh reuse the colours in order.
pub const SERIES_COLOURS: [Colour; 7] = [
    [0, 114, 178],
    [213, 94, 0],
    [0, 158, 115],
    [204, 121, 167],
    [230, 159, 0],
    [86, 180, 233],
    [0, 0, 0],
];

/// The plate's outline: a grey that reads on white without looking like data.
const PLATE_EDGE: Colour = [170, 170, 170];

/// What the legend shows.
pub struct Legend<'a> {
    /// Each entry's label and colour, top to bottom; no entries, no legend.
    pub entries: &'a [(&'a str, Colour)],
    /// Thickness of the curves, which the swatches copy.
    pub line_width: f32,
}

impl Legend<'_> {
    /// Size of the plate: (width, height).
    fn plate_size(&self, style: &Style) -> (f32, f32) {
        let widest = self
            .entries
            .iter()
            .map(|(label, _)| text_box(label, style.text, Direction::Horizontal).0)
            .fold(0.0, f32::max);
        let pad = style.gap;
        let width = pad + swatch_length(style) + style.gap * 0.7 + widest + pad;
        let height = pad * 2.0 + row_height(style) * self.entries.len() as f32 - style.gap * 0.3;
        (width.ceil(), height.ceil())
    }

    /// Where the plate goes in `plot`: of the corners and edge middles, the first
    /// one covering the fewest points of the `drawn` polylines (pixels).
    pub fn placement(&self, style: &Style, plot: Rect, drawn: &[Vec<(f32, f32)>]) -> Rect {
        let (width, height) = self.plate_size(style);
        let inset = style.gap;
        let (left, right) = (plot.x0 + inset, plot.x1 - inset - width);
        let centre = ((plot.x0 + plot.x1 - width) / 2.0).round();
        let (top, bottom) = (plot.y0 + inset, plot.y1 - inset - height);
        let candidates = [
            (right, top),
            (left, top),
            (centre, top),
            (right, bottom),
            (left, bottom),
            (centre, bottom),
        ];
        let plate_at = |(x0, y0): (f32, f32)| Rect {
            x0: x0.round(),
            y0: y0.round(),
            x1: (x0 + width).round(),
            y1: (y0 + height).round(),
        };
        let covered = |plate: Rect| {
            // A little clearance, so a curve does not graze the plate's edge.
            let near = Rect {
                x0: plate.x0 - inset * 0.5,
                y0: plate.y0 - inset * 0.5,
                x1: plate.x1 + inset * 0.5,
                y1: plate.y1 + inset * 0.5,
            };
            drawn
                .iter()
                .flat_map(|run| samples_along(run))
                .filter(|&(x, y)| near.contains(x, y))
                .count()
        };
        let mut best = plate_at(candidates[0]);
        let mut fewest = covered(best);
        for &corner in &candidates[1..] {
            let plate = plate_at(corner);
            let count = covered(plate);
            if count < fewest {
                (best, fewest) = (plate, count);
            }
        }
        best
    }

    /// Draws the legend inside `plot`, away from the `drawn` polylines if it can.
    pub fn draw(&self, canvas: &mut Canvas, style: &Style, plot: Rect, drawn: &[Vec<(f32, f32)>]) {
        if self.entries.is_empty() {
            return;
        }
        let plate = self.placement(style, plot, drawn);
        canvas.blend_rect(plate, [255, 255, 255], 0.9);
        canvas.stroke_rect(plate, PLATE_EDGE, 1);
        let text = Style::ink(style.text);
        let swatch = swatch_length(style);
        for (row, &(label, colour)) in self.entries.iter().enumerate() {
            let middle =
                plate.y0 + style.gap + row_height(style) * (row as f32 + 0.5) - style.gap * 0.15;
            let start = plate.x0 + style.gap;
            let mut mask = Mask::new(canvas.width(), canvas.height(), plate);
            mask.line((start, middle), (start + swatch, middle), self.line_width);
            mask.composite(canvas, colour, 1.0);
            let anchor = (start + swatch + style.gap * 0.7, middle);
            draw_text(
                canvas,
                label,
                text,
                anchor,
                (HAlign::Left, VAlign::Middle),
                Direction::Horizontal,
            );
        }
    }
}

/// Length of the line drawn for each entry: long enough to read its colour.
fn swatch_length(style: &Style) -> f32 {
    (style.text * 2.2).round()
}

/// Height of one entry, with a little air between entries.
fn row_height(style: &Style) -> f32 {
    line_height(style.text) + style.gap * 0.3
}

/// Points along a polyline about a pixel apart, so a steep segment that crosses a
/// plate between two far-apart data points still counts as covering it.
fn samples_along(run: &[(f32, f32)]) -> impl Iterator<Item = (f32, f32)> + '_ {
    let lone = (run.len() == 1).then(|| run[0]);
    lone.into_iter().chain(run.windows(2).flat_map(|pair| {
        let (a, b) = (pair[0], pair[1]);
        let steps = (b.0 - a.0).hypot(b.1 - a.1).ceil().clamp(1.0, 10_000.0) as usize;
        (0..steps).map(move |k| {
            let t = k as f32 / steps as f32;
            (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot() -> Rect {
        Rect {
            x0: 100.0,
            y0: 50.0,
            x1: 700.0,
            y1: 450.0,
        }
    }

    #[test]
    fn the_legend_avoids_a_curve_through_the_top_right_corner() {
        let style = Style::for_size(800, 500);
        let entries = [
            ("batch 16", SERIES_COLOURS[0]),
            ("batch 1024", SERIES_COLOURS[1]),
        ];
        let legend = Legend {
            entries: &entries,
            line_width: 2.0,
        };
        let empty = legend.placement(&style, plot(), &[]);
        assert!(empty.x1 <= plot().x1 && empty.y0 >= plot().y0, "{empty:?}");
        assert!(
            empty.x0 > 400.0 && empty.y1 < 250.0,
            "top right when free: {empty:?}"
        );
        // A diagonal from the bottom left to the top right corner.
        let diagonal = vec![vec![(100.0, 450.0), (700.0, 50.0)]];
        let placed = legend.placement(&style, plot(), &diagonal);
        let crossings = samples_along(&diagonal[0])
            .filter(|&(x, y)| placed.contains(x, y))
            .count();
        assert_eq!(crossings, 0, "{placed:?}");
    }

    #[test]
    fn swatches_and_labels_are_drawn_in_their_colours() {
        let style = Style::for_size(800, 500);
        let entries = [("a", SERIES_COLOURS[1]), ("b", SERIES_COLOURS[2])];
        let legend = Legend {
            entries: &entries,
            line_width: 3.0,
        };
        let mut canvas = Canvas::new(800, 500, [255, 255, 255]);
        legend.draw(&mut canvas, &style, plot(), &[]);
        let image = canvas.into_image();
        for (_, colour) in entries {
            assert!(image.pixels().any(|p| p.0 == colour), "{colour:?}");
        }
        // The labels are set in dark grey ink.
        let inked = |p: &&image::Rgb<u8>| p.0[0] < 90 && p.0 == [p.0[0]; 3];
        assert!(image.pixels().filter(inked).count() > 5);
    }
}
