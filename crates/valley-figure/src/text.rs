//! Text for figure labels: DejaVu Sans rasterised with `ab_glyph`.
//!
//! The font is embedded in the binary so a figure renders identically on every
//! machine, with no system fonts needed, and it has the Greek letters (α, β), the
//! minus sign and the superscript digits that axis and tick labels use.
//! Sizes are em sizes in pixels, as in CSS `font-size`.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use super::canvas::{Canvas, Colour};

/// DejaVu Sans 2.37; licence in `assets/fonts/LICENSE-DejaVu.txt`.
/// DejaVu Sans, embedded so figures and the app render the same glyphs (α, β, ∇, ²) everywhere.
pub static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

static FONT: LazyLock<FontRef<'static>> = LazyLock::new(|| {
    // The bytes are fixed at compile time, and a unit test parses them, so this
    // can only fail if the repository's font file itself is broken.
    FontRef::try_from_slice(FONT_BYTES).expect("the embedded DejaVu Sans must parse")
});

/// Fraction of the em that DejaVu Sans's capital letters and digits stand tall.
const CAP_HEIGHT_EM: f32 = 0.73;

/// Horizontal placement of a text box relative to its anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HAlign {
    /// The box starts at the anchor.
    Left,
    /// The box is centred on the anchor.
    Centre,
    /// The box ends at the anchor.
    Right,
}

/// Vertical placement of a text box relative to its anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VAlign {
    /// The box's top is at the anchor.
    Top,
    /// The box is centred on the anchor (for horizontal text: the middle of the
    /// capitals and digits, which is what the eye lines up with a tick).
    Middle,
    /// The box's bottom is at the anchor.
    Bottom,
}

/// Which way a line of text runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Left to right, upright.
    Horizontal,
    /// Bottom to top (rotated 90° anticlockwise), as for a y-axis label.
    Upward,
}

/// How a run of text looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextStyle {
    /// Em size in pixels.
    pub size: f32,
    /// Ink colour.
    pub colour: Colour,
}

fn px_scale(size: f32) -> PxScale {
    let font = &*FONT;
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(size * font.height_unscaled() / units_per_em)
}

/// Advance width of `text` in pixels at em size `size`.
pub fn text_width(text: &str, size: f32) -> f32 {
    let font = FONT.as_scaled(px_scale(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(previous) = previous {
            width += font.kern(previous, id);
        }
        width += font.h_advance(id);
        previous = Some(id);
    }
    width
}

/// Height of a line of text (ascender to descender) in pixels at em size `size`.
pub fn line_height(size: f32) -> f32 {
    let font = FONT.as_scaled(px_scale(size));
    font.ascent() - font.descent()
}

/// Size of the box `text` occupies when drawn in `direction`: (width, height).
pub fn text_box(text: &str, size: f32, direction: Direction) -> (f32, f32) {
    let (along, across) = (text_width(text, size), line_height(size));
    match direction {
        Direction::Horizontal => (along, across),
        Direction::Upward => (across, along),
    }
}

/// Draws one line of `text` placed relative to `anchor` by `h` and `v`.
pub fn draw_text(
    canvas: &mut Canvas,
    text: &str,
    style: TextStyle,
    anchor: (f32, f32),
    (h, v): (HAlign, VAlign),
    direction: Direction,
) {
    let font = FONT.as_scaled(px_scale(style.size));
    let ascent = font.ascent();
    let (box_width, box_height) = text_box(text, style.size, direction);
    let shift = |align_start: bool, align_centre: bool, extent: f32| {
        if align_start {
            0.0
        } else if align_centre {
            extent / 2.0
        } else {
            extent
        }
    };
    let left = anchor.0 - shift(h == HAlign::Left, h == HAlign::Centre, box_width);
    let top = match (direction, v) {
        // Centre on the capitals, not the line box, which is lopsided by the descender.
        (Direction::Horizontal, VAlign::Middle) => {
            anchor.1 - (ascent - CAP_HEIGHT_EM * style.size / 2.0)
        }
        _ => anchor.1 - shift(v == VAlign::Top, v == VAlign::Middle, box_height),
    };
    let (left, top) = (left.round(), top.round());

    // Lay the glyphs out along a baseline at `ascent` below the box's leading edge,
    // then map each covered pixel into the canvas for the chosen direction.
    let length = text_width(text, style.size).ceil();
    let mut caret = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(previous) = previous {
            caret += font.kern(previous, id);
        }
        let glyph = id.with_scale_and_position(font.scale(), point(caret, ascent));
        caret += font.h_advance(id);
        previous = Some(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let along = bounds.min.x + gx as f32;
            let across = bounds.min.y + gy as f32;
            let (x, y) = match direction {
                Direction::Horizontal => (left + along, top + across),
                Direction::Upward => (left + across, top + length - 1.0 - along),
            };
            canvas.blend(x as i64, y as i64, style.colour, coverage);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_has_the_glyphs_the_labels_use() {
        for c in ['α', 'β', '−', '×', '⁻', '⁰', '¹', '²', '≤', '0', 'a'] {
            assert_ne!(FONT.glyph_id(c).0, 0, "missing glyph for {c:?}");
        }
    }

    #[test]
    fn wider_text_measures_wider_and_scales_with_size() {
        assert!(text_width("loss", 16.0) > text_width("l", 16.0));
        let ratio = text_width("loss", 32.0) / text_width("loss", 16.0);
        assert!((ratio - 2.0).abs() < 0.05, "ratio {ratio}");
        assert!(line_height(16.0) > 16.0);
    }

    #[test]
    fn drawn_text_lands_inside_its_box() {
        let white = [255, 255, 255];
        let mut canvas = Canvas::new(120, 60, white);
        let style = TextStyle {
            size: 20.0,
            colour: [0, 0, 0],
        };
        draw_text(
            &mut canvas,
            "β 12",
            style,
            (60.0, 30.0),
            (HAlign::Centre, VAlign::Middle),
            Direction::Horizontal,
        );
        let image = canvas.into_image();
        let inked: Vec<(u32, u32)> = image
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0 != white)
            .map(|(x, y, _)| (x, y))
            .collect();
        assert!(!inked.is_empty());
        let (width, _) = text_box("β 12", 20.0, Direction::Horizontal);
        for &(x, y) in &inked {
            assert!((x as f32 - 60.0).abs() <= width / 2.0 + 2.0, "x {x}");
            assert!((10..=50).contains(&y), "y {y}");
        }
    }
}
