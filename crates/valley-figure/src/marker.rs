//! Markers for points of interest (the current parameters, a minimum) and their labels.
//!
//! Each marker pairs a light and a dark element, so it stands out on every part of
//! the colormap, from viridis's dark purple to its yellow, and on a white background.

use super::axes::{INK, Style};
use super::canvas::{Canvas, Colour, Mask, Rect};
use super::text::{Direction, HAlign, TextStyle, VAlign, draw_text, text_box};
use super::{Marker, MarkerStyle};

const LIGHT: Colour = [255, 255, 255];
const DARK: Colour = [20, 20, 20];

/// Draws `markers` where `pixel_from_data` puts them, clipped to `plot`.
/// Markers with a non-finite or out-of-plot position are left out.
pub fn draw_markers(
    canvas: &mut Canvas,
    style: &Style,
    plot: Rect,
    markers: &[Marker],
    pixel_from_data: impl Fn(f64, f64) -> (f32, f32),
) {
    let radius = (style.text * 0.42).max(3.0);
    for marker in markers {
        let (x, y) = pixel_from_data(f64::from(marker.x), f64::from(marker.y));
        if !(x.is_finite() && y.is_finite() && plot.contains(x, y)) {
            continue;
        }
        let reach = match marker.style {
            MarkerStyle::Dot => draw_dot(canvas, plot, (x, y), radius),
            MarkerStyle::Star => draw_star(canvas, plot, (x, y), radius * 1.7),
            MarkerStyle::Cross => draw_cross(canvas, plot, (x, y), radius * 1.2),
        };
        if !marker.label.is_empty() {
            draw_label(canvas, style, plot, (x, y), reach, &marker.label);
        }
    }
}

/// A dark dot in a white ring with a faint dark rim; returns its outer radius.
fn draw_dot(canvas: &mut Canvas, plot: Rect, centre: (f32, f32), radius: f32) -> f32 {
    let ring = (radius * 0.4).max(1.5);
    let layers = [
        (radius + ring + 1.0, DARK, 0.5),
        (radius + ring, LIGHT, 1.0),
        (radius, DARK, 1.0),
    ];
    for (layer_radius, colour, alpha) in layers {
        let mut mask = Mask::new(canvas.width(), canvas.height(), plot);
        mask.disc(centre, layer_radius);
        mask.composite(canvas, colour, alpha);
    }
    radius + ring + 1.0
}

/// A white five-pointed star outlined in dark; returns its outer radius.
fn draw_star(canvas: &mut Canvas, plot: Rect, centre: (f32, f32), outer: f32) -> f32 {
    let inner = outer * 0.45;
    let vertices: Vec<(f32, f32)> = (0..10)
        .map(|k| {
            let angle = std::f32::consts::PI * (k as f32 / 5.0 - 0.5);
            let r = if k % 2 == 0 { outer } else { inner };
            (centre.0 + r * angle.cos(), centre.1 + r * angle.sin())
        })
        .collect();
    let mut fill = Mask::new(canvas.width(), canvas.height(), plot);
    fill.polygon(&vertices);
    fill.composite(canvas, LIGHT, 1.0);
    let mut outline = Mask::new(canvas.width(), canvas.height(), plot);
    let mut closed = vertices.clone();
    closed.push(vertices[0]);
    outline.polyline(&closed, (outer * 0.12).max(1.5));
    outline.composite(canvas, DARK, 1.0);
    outer
}

/// A white diagonal cross outlined in dark; returns its half-size.
fn draw_cross(canvas: &mut Canvas, plot: Rect, centre: (f32, f32), half: f32) -> f32 {
    let width = (half * 0.45).max(2.0);
    let arms = [
        (
            (centre.0 - half, centre.1 - half),
            (centre.0 + half, centre.1 + half),
        ),
        (
            (centre.0 - half, centre.1 + half),
            (centre.0 + half, centre.1 - half),
        ),
    ];
    for (stroke, colour) in [(width + 3.0, DARK), (width, LIGHT)] {
        let mut mask = Mask::new(canvas.width(), canvas.height(), plot);
        for (a, b) in arms {
            mask.line(a, b, stroke);
        }
        mask.composite(canvas, colour, 1.0);
    }
    half + width / 2.0
}

/// The marker's label on a translucent white plate, above and to the right of the
/// marker, where a curve or path through the marker is least likely to run; it
/// flips left or below when it would leave the plot.
fn draw_label(
    canvas: &mut Canvas,
    style: &Style,
    plot: Rect,
    (x, y): (f32, f32),
    reach: f32,
    label: &str,
) {
    let text = TextStyle {
        size: style.text,
        colour: INK,
    };
    let (width, height) = text_box(label, text.size, Direction::Horizontal);
    let pad = (style.gap * 0.4).round();
    let offset = reach * 0.75 + pad;
    let left = if x + offset + width + pad <= plot.x1 {
        x + offset
    } else {
        x - offset - width
    };
    let plate_height = height * 0.8 + pad;
    let middle = if y - offset - plate_height >= plot.y0 {
        y - offset - plate_height / 2.0
    } else {
        y + offset + plate_height / 2.0
    };
    let plate = Rect {
        x0: left - pad,
        x1: left + width + pad,
        y0: middle - plate_height / 2.0,
        y1: middle + plate_height / 2.0,
    };
    canvas.blend_rect(plate, LIGHT, 0.8);
    let anchor = (left, middle);
    draw_text(
        canvas,
        label,
        text,
        anchor,
        (HAlign::Left, VAlign::Middle),
        Direction::Horizontal,
    );
}
