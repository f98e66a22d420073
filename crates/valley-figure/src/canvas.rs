//! Pixel-level drawing for the figures: anti-aliased strokes, discs and polygons.
//!
//! Shapes are first accumulated into a coverage [`Mask`] and composited onto the
//! [`Canvas`] once. That way a semi-transparent polyline (a contour, a trajectory)
//! does not darken where its segments overlap at the joins, and everything drawn
//! into a mask is clipped to one rectangle, such as the plot area.

use image::{Rgb, RgbImage};

/// An sRGB colour.
pub type Colour = [u8; 3];

/// An axis-aligned rectangle in pixel coordinates (y grows downward).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl Rect {
    /// Width in pixels.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Height in pixels.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Whether the point lies inside (edges included).
    pub fn contains(&self, x: f32, y: f32) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
}

/// The RGB image a figure is painted on.
pub struct Canvas {
    image: RgbImage,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: u32, height: u32, background: Colour) -> Self {
        Self {
            image: RgbImage::from_pixel(width, height, Rgb(background)),
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Sets one pixel; coordinates outside the canvas are ignored.
    pub fn set(&mut self, x: i64, y: i64, colour: Colour) {
        if let Some(pixel) = self.pixel_mut(x, y) {
            *pixel = Rgb(colour);
        }
    }

    /// Mixes `colour` into one pixel with opacity `alpha` in 0..=1.
    pub fn blend(&mut self, x: i64, y: i64, colour: Colour, alpha: f32) {
        let alpha = alpha.clamp(0.0, 1.0);
        if let Some(pixel) = self.pixel_mut(x, y) {
            for (channel, &target) in pixel.0.iter_mut().zip(colour.iter()) {
                let mixed = f32::from(*channel) + (f32::from(target) - f32::from(*channel)) * alpha;
                *channel = mixed.round() as u8;
            }
        }
    }

    /// Fills the pixels whose centres lie inside `rect`.
    pub fn fill_rect(&mut self, rect: Rect, colour: Colour) {
        let (xs, ys) = self.pixel_span(rect);
        for y in ys {
            for x in xs.clone() {
                self.set(x, y, colour);
            }
        }
    }

    /// Mixes `colour` with opacity `alpha` into the pixels whose centres lie inside
    /// `rect`: a translucent plate under a label, which lets the data show through.
    pub fn blend_rect(&mut self, rect: Rect, colour: Colour, alpha: f32) {
        let (xs, ys) = self.pixel_span(rect);
        for y in ys {
            for x in xs.clone() {
                self.blend(x, y, colour, alpha);
            }
        }
    }

    /// Draws a crisp one-pixel-per-`width` outline just inside `rect`'s pixel span.
    pub fn stroke_rect(&mut self, rect: Rect, colour: Colour, width: u32) {
        let width = width as f32;
        let edges = [
            Rect {
                x1: rect.x0 + width,
                ..rect
            },
            Rect {
                x0: rect.x1 - width,
                ..rect
            },
            Rect {
                y1: rect.y0 + width,
                ..rect
            },
            Rect {
                y0: rect.y1 - width,
                ..rect
            },
        ];
        for edge in edges {
            self.fill_rect(edge, colour);
        }
    }

    /// The finished image.
    pub fn into_image(self) -> RgbImage {
        self.image
    }

    /// Pixel columns and rows whose centres lie inside `rect`, clamped to the canvas.
    pub fn pixel_span(&self, rect: Rect) -> (std::ops::Range<i64>, std::ops::Range<i64>) {
        let span = |lo: f32, hi: f32, size: u32| {
            let first = (lo - 0.5).ceil().max(0.0) as i64;
            let end = ((hi - 0.5).floor() + 1.0).min(size as f32) as i64;
            first..end.max(first)
        };
        (
            span(rect.x0, rect.x1, self.width()),
            span(rect.y0, rect.y1, self.height()),
        )
    }

    fn pixel_mut(&mut self, x: i64, y: i64) -> Option<&mut Rgb<u8>> {
        let x = u32::try_from(x).ok()?;
        let y = u32::try_from(y).ok()?;
        if x < self.image.width() && y < self.image.height() {
            Some(self.image.get_pixel_mut(x, y))
        } else {
            None
        }
    }
}

/// Anti-aliased coverage (0..=255 per pixel) accumulated from several shapes.
///
/// Overlapping shapes take the larger coverage rather than adding up, so the
/// composited result has one uniform opacity.
pub struct Mask {
    width: u32,
    height: u32,
    clip: Rect,
    coverage: Vec<u8>,
    /// Bounding box of everything drawn so far, to keep compositing cheap.
    dirty: Option<(i64, i64, i64, i64)>,
}

impl Mask {
    /// An empty mask the size of a `width` x `height` canvas, drawing only inside `clip`.
    pub fn new(width: u32, height: u32, clip: Rect) -> Self {
        Self {
            width,
            height,
            clip,
            coverage: vec![0; width as usize * height as usize],
            dirty: None,
        }
    }

    /// A round-capped line segment from `a` to `b`, `width` pixels thick.
    pub fn line(&mut self, a: (f32, f32), b: (f32, f32), width: f32) {
        let half = width / 2.0;
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length_sq = dx * dx + dy * dy;
        self.fill_where(
            (a.0.min(b.0) - half, a.1.min(b.1) - half),
            (a.0.max(b.0) + half, a.1.max(b.1) + half),
            |px, py| {
                // Distance from the pixel centre to the nearest point on the segment.
                let along = if length_sq > 0.0 {
                    (((px - a.0) * dx + (py - a.1) * dy) / length_sq).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (nx, ny) = (a.0 + along * dx - px, a.1 + along * dy - py);
                half + 0.5 - (nx * nx + ny * ny).sqrt()
            },
        );
    }

    /// Consecutive segments through `points`.
    pub fn polyline(&mut self, points: &[(f32, f32)], width: f32) {
        for pair in points.windows(2) {
            self.line(pair[0], pair[1], width);
        }
    }

    /// A filled disc.
    pub fn disc(&mut self, centre: (f32, f32), radius: f32) {
        self.fill_where(
            (centre.0 - radius, centre.1 - radius),
            (centre.0 + radius, centre.1 + radius),
            |px, py| radius + 0.5 - ((px - centre.0).powi(2) + (py - centre.1).powi(2)).sqrt(),
        );
    }

    /// A filled polygon (even-odd rule), anti-aliased by 4x4 supersampling.
    pub fn polygon(&mut self, vertices: &[(f32, f32)]) {
        if vertices.len() < 3 {
            return;
        }
        let min = vertices
            .iter()
            .fold((f32::INFINITY, f32::INFINITY), |m, v| {
                (m.0.min(v.0), m.1.min(v.1))
            });
        let max = vertices
            .iter()
            .fold((f32::NEG_INFINITY, f32::NEG_INFINITY), |m, v| {
                (m.0.max(v.0), m.1.max(v.1))
            });
        self.fill_where(min, max, |px, py| {
            let mut inside = 0u32;
            for sy in 0..4 {
                for sx in 0..4 {
                    let x = px - 0.375 + 0.25 * sx as f32;
                    let y = py - 0.375 + 0.25 * sy as f32;
                    inside += u32::from(point_in_polygon(vertices, x, y));
                }
            }
            inside as f32 / 16.0
        });
    }

    /// Mixes `colour` onto the canvas wherever the mask has coverage, at most `alpha` opaque.
    pub fn composite(&self, canvas: &mut Canvas, colour: Colour, alpha: f32) {
        let Some((x0, y0, x1, y1)) = self.dirty else {
            return;
        };
        for y in y0..y1 {
            for x in x0..x1 {
                let coverage = self.coverage[y as usize * self.width as usize + x as usize];
                if coverage > 0 {
                    canvas.blend(x, y, colour, alpha * f32::from(coverage) / 255.0);
                }
            }
        }
    }

    /// Raises the coverage of every pixel in the box `min..max` (grown by a pixel for
    /// anti-aliasing, then clipped) to `coverage_at(pixel centre)`, clamped to 0..=1.
    fn fill_where(
        &mut self,
        min: (f32, f32),
        max: (f32, f32),
        coverage_at: impl Fn(f32, f32) -> f32,
    ) {
        if ![min.0, min.1, max.0, max.1].iter().all(|v| v.is_finite()) {
            return;
        }
        let clip = self.clip;
        let x0 = (min.0 - 1.0).max(clip.x0).max(0.0).floor() as i64;
        let y0 = (min.1 - 1.0).max(clip.y0).max(0.0).floor() as i64;
        let x1 = (max.0 + 1.0).min(clip.x1).min(self.width as f32).ceil() as i64;
        let y1 = (max.1 + 1.0).min(clip.y1).min(self.height as f32).ceil() as i64;
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        for y in y0..y1 {
            let py = y as f32 + 0.5;
            if !(clip.y0..=clip.y1).contains(&py) {
                continue;
            }
            for x in x0..x1 {
                let px = x as f32 + 0.5;
                if !(clip.x0..=clip.x1).contains(&px) {
                    continue;
                }
                let coverage = (coverage_at(px, py).clamp(0.0, 1.0) * 255.0).round() as u8;
                let cell = &mut self.coverage[y as usize * self.width as usize + x as usize];
                *cell = (*cell).max(coverage);
            }
        }
        self.dirty = Some(match self.dirty {
            None => (x0, y0, x1, y1),
            Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
        });
    }
}

/// Even-odd point-in-polygon test.
fn point_in_polygon(vertices: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut inside = false;
    let mut previous = vertices[vertices.len() - 1];
    for &current in vertices {
        if (current.1 > y) != (previous.1 > y) {
            let crossing_x =
                current.0 + (y - current.1) * (previous.0 - current.0) / (previous.1 - current.1);
            if x < crossing_x {
                inside = !inside;
            }
        }
        previous = current;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Colour = [255, 255, 255];
    const BLACK: Colour = [0, 0, 0];

    fn whole(canvas: &Canvas) -> Rect {
        Rect {
            x0: 0.0,
            y0: 0.0,
            x1: canvas.width() as f32,
            y1: canvas.height() as f32,
        }
    }

    #[test]
    fn overlapping_strokes_composite_to_one_opacity() {
        let mut canvas = Canvas::new(40, 20, WHITE);
        let mut mask = Mask::new(40, 20, whole(&canvas));
        // Two segments meeting at (20, 10): the join must not be darker than the line.
        mask.polyline(&[(2.0, 10.0), (20.0, 10.0), (38.0, 10.0)], 3.0);
        mask.composite(&mut canvas, BLACK, 0.5);
        let image = canvas.into_image();
        assert_eq!(image.get_pixel(10, 10).0, [128, 128, 128]);
        assert_eq!(image.get_pixel(20, 10).0, [128, 128, 128]);
        assert_eq!(image.get_pixel(20, 2).0, WHITE);
    }

    #[test]
    fn masks_draw_only_inside_their_clip() {
        let mut canvas = Canvas::new(20, 20, WHITE);
        let clip = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 10.0,
            y1: 20.0,
        };
        let mut mask = Mask::new(20, 20, clip);
        mask.disc((10.0, 10.0), 6.0);
        mask.composite(&mut canvas, BLACK, 1.0);
        let image = canvas.into_image();
        assert_eq!(image.get_pixel(8, 10).0, BLACK);
        assert_eq!(image.get_pixel(12, 10).0, WHITE);
    }

    #[test]
    fn polygons_fill_their_inside_only() {
        let mut canvas = Canvas::new(20, 20, WHITE);
        let mut mask = Mask::new(20, 20, whole(&canvas));
        mask.polygon(&[(2.0, 2.0), (18.0, 2.0), (10.0, 18.0)]);
        mask.composite(&mut canvas, BLACK, 1.0);
        let image = canvas.into_image();
        assert_eq!(image.get_pixel(10, 6).0, BLACK);
        assert_eq!(image.get_pixel(3, 16).0, WHITE);
    }

    #[test]
    fn drawing_off_canvas_is_ignored() {
        let mut canvas = Canvas::new(10, 10, WHITE);
        canvas.set(-1, 3, BLACK);
        canvas.blend(3, 10, BLACK, 1.0);
        canvas.fill_rect(
            Rect {
                x0: -50.0,
                y0: -50.0,
                x1: 2.0,
                y1: 1.0,
            },
            BLACK,
        );
        let image = canvas.into_image();
        assert_eq!(image.get_pixel(0, 0).0, BLACK);
        assert_eq!(image.get_pixel(2, 0).0, WHITE);
        assert_eq!(image.get_pixel(0, 1).0, WHITE);
    }
}
