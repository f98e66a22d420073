//! The 2D landscape figure: loss over a plane through parameter space, as a heatmap
//! with contour lines, a colorbar, markers and an optional optimiser trajectory.

use image::RgbImage;

use super::axes::{self, Axis, BACKGROUND, Frame, Style};
use super::canvas::{Canvas, Colour, Mask};
use super::colorbar::Colorbar;
use super::colour_scale::{ColourScale, NOT_FINITE_COLOUR, colormap};
use super::contour::isoline_segments;
use super::marker::draw_markers;
use super::{FigureError, Marker, check_size};

/// The most contour levels drawn; more would merge into a smear.
const MAX_CONTOUR_LEVELS: usize = 40;

/// A 2D landscape to render with [`render_heatmap`].
#[derive(Clone, Copy, Debug)]
pub struct HeatmapFigure<'a> {
    /// Losses, row-major: row j is beta_j (row 0 the smallest beta, drawn at the
    /// bottom), column i is alpha_i.
    pub values: &'a [f32],
    /// Number of columns (alpha steps).
    pub cols: usize,
    /// Number of rows (beta steps).
    pub rows: usize,
    /// Alpha of the first and last columns' centres.
    pub x_range: (f32, f32),
    /// Beta of the first and last rows' centres.
    pub y_range: (f32, f32),
    /// Horizontal axis label, e.g. "α".
    pub x_label: &'a str,
    /// Vertical axis label, e.g. "β".
    pub y_label: &'a str,
    /// Title above the plot; empty for none.
    pub title: &'a str,
    /// What the values are, for the colorbar, e.g. "loss".
    pub value_label: &'a str,
    /// Colour by log10 of the loss, for landscapes spanning decades.
    pub log_scale: bool,
    /// Number of contour lines, evenly spaced in the colour scale; 0 for none.
    pub contour_levels: usize,
    /// Points to mark, in (alpha, beta).
    pub markers: &'a [Marker],
    /// A trajectory in (alpha, beta), drawn as a line on top; empty for none.
    /// Non-finite points break the line.
    pub path: &'a [(f32, f32)],
}

impl<'a> HeatmapFigure<'a> {
    /// A figure of `values` (`cols` x `rows`, row-major, bottom row first) with the
    /// usual labels (α, β, loss), eight contour levels and nothing on top.
    pub fn new(
        values: &'a [f32],
        cols: usize,
        rows: usize,
        x_range: (f32, f32),
        y_range: (f32, f32),
    ) -> Self {
        Self {
            values,
            cols,
            rows,
            x_range,
            y_range,
            x_label: "α",
            y_label: "β",
            title: "",
            value_label: "loss",
            log_scale: false,
            contour_levels: 8,
            markers: &[],
            path: &[],
        }
    }
}

/// Renders a landscape to a `width` x `height` RGB image.
///
/// Fails if the size is outside [`MIN_FIGURE_SIDE`](super::MIN_FIGURE_SIDE)..=
/// [`MAX_FIGURE_SIDE`](super::MAX_FIGURE_SIDE), the grid's shape does not match
/// `values`, or a range is not finite. Non-finite losses are fine: they are drawn
/// grey and left out of the colour range.
pub fn render_heatmap(
    figure: &HeatmapFigure,
    width: u32,
    height: u32,
) -> Result<RgbImage, FigureError> {
    check_size(width, height)?;
    let grid = Grid::validate(figure)?;
    let scale = ColourScale::from_values(figure.values, figure.log_scale);
    let layout = Layout::compute(figure, &scale, width, height);
    let units: Vec<f64> = figure
        .values
        .iter()
        .map(|&v| scale.unit_from_loss(v).unwrap_or(f64::NAN))
        .collect();

    let mut canvas = Canvas::new(width, height, BACKGROUND);
    paint_cells(&mut canvas, &grid, &units, &layout.frame);
    // A flat landscape has no contours; marking levels on the colorbar would mislead.
    let contours = if scale.is_flat() {
        Vec::new()
    } else {
        contour_levels(figure.contour_levels)
    };
    draw_contours(&mut canvas, &layout, &grid, &units, &contours);
    draw_path(&mut canvas, &layout, figure.path);
    let frame = layout.frame;
    draw_markers(
        &mut canvas,
        &layout.style,
        frame.plot,
        figure.markers,
        |x, y| frame.pixel_from_data(x, y),
    );

    let x_ticks = frame.x.ticks();
    let y_ticks = frame.y.ticks();
    axes::draw_frame(
        &mut canvas,
        &layout.style,
        frame.plot,
        (&x_ticks, &y_ticks),
        (figure.x_label, figure.y_label),
    );
    axes::draw_title(&mut canvas, &layout.style, figure.title, frame.plot);
    let caption = scale.caption(figure.value_label);
    let colorbar = Colorbar {
        scale: &scale,
        caption: &caption,
        contours: &contours,
        has_non_finite: units.iter().any(|u| u.is_nan()),
    };
    colorbar.draw(&mut canvas, &layout.style, frame.plot);
    Ok(canvas.into_image())
}

/// The grid's shape and orientation, checked against its values.
struct Grid {
    cols: usize,
    rows: usize,
    /// Whether alpha decreases along the columns (then the first column is drawn
    /// on the right, so the axis still increases to the right).
    x_reversed: bool,
    /// Whether beta decreases along the rows.
    y_reversed: bool,
}

impl Grid {
    fn validate(figure: &HeatmapFigure) -> Result<Self, FigureError> {
        let (cols, rows) = (figure.cols, figure.rows);
        if cols == 0 || rows == 0 {
            return Err(FigureError::EmptyGrid { cols, rows });
        }
        if cols.checked_mul(rows) != Some(figure.values.len()) {
            return Err(FigureError::GridShape {
                cols,
                rows,
                actual: figure.values.len(),
            });
        }
        for (axis, (start, end)) in [("x", figure.x_range), ("y", figure.y_range)] {
            if !(start.is_finite() && end.is_finite()) {
                return Err(FigureError::InvalidRange { axis, start, end });
            }
        }
        Ok(Self {
            cols,
            rows,
            x_reversed: figure.x_range.0 > figure.x_range.1,
            y_reversed: figure.y_range.0 > figure.y_range.1,
        })
    }

    /// Fractional (column, row) at fractions `(u, v)` across the plot from its
    /// bottom-left corner.
    fn cell_at(&self, u: f64, v: f64) -> (f64, f64) {
        let u = if self.x_reversed { 1.0 - u } else { u };
        let v = if self.y_reversed { 1.0 - v } else { v };
        (u * (self.cols - 1) as f64, v * (self.rows - 1) as f64)
    }

    /// The field at a fractional (column, row), interpolated bilinearly if `smooth`.
    ///
    /// NaN when the nearest cell is NaN, so diverged cells keep crisp edges; otherwise
    /// NaN neighbours are left out of the blend rather than spreading.
    fn sample(&self, field: &[f64], (col, row): (f64, f64), smooth: bool) -> f64 {
        let clamp_col = |c: f64| c.round().clamp(0.0, (self.cols - 1) as f64) as usize;
        let clamp_row = |r: f64| r.round().clamp(0.0, (self.rows - 1) as f64) as usize;
        let nearest = field[clamp_row(row) * self.cols + clamp_col(col)];
        if !smooth || nearest.is_nan() {
            return nearest;
        }
        let c0 = col.floor().clamp(0.0, self.cols.saturating_sub(2) as f64);
        let r0 = row.floor().clamp(0.0, self.rows.saturating_sub(2) as f64);
        let (fx, fy) = ((col - c0).clamp(0.0, 1.0), (row - r0).clamp(0.0, 1.0));
        let (c0, r0) = (c0 as usize, r0 as usize);
        let c1 = (c0 + 1).min(self.cols - 1);
        let r1 = (r0 + 1).min(self.rows - 1);
        let corners = [
            (c0, r0, (1.0 - fx) * (1.0 - fy)),
            (c1, r0, fx * (1.0 - fy)),
            (c0, r1, (1.0 - fx) * fy),
            (c1, r1, fx * fy),
        ];
        let (mut sum, mut weight) = (0.0, 0.0);
        for (c, r, w) in corners {
            let value = field[r * self.cols + c];
            if !value.is_nan() {
                sum += w * value;
                weight += w;
            }
        }
        if weight > 0.0 { sum / weight } else { nearest }
    }
}

/// Where things go in the figure.
struct Layout {
    style: Style,
    frame: Frame,
}

impl Layout {
    fn compute(figure: &HeatmapFigure, scale: &ColourScale, width: u32, height: u32) -> Self {
        let style = Style::for_size(width, height);
        let x = axis_spanning(figure.x_range);
        let y = axis_spanning(figure.y_range);
        let caption = scale.caption(figure.value_label);
        let reserve = Colorbar {
            scale,
            caption: &caption,
            contours: &[],
            has_non_finite: figure.values.iter().any(|v| !v.is_finite()),
        }
        .reserved_width(&style);
        let margins = axes::margins(&style, figure.title, figure.y_label, &y.ticks(), reserve);
        // Square when alpha and beta span the same distance, as they usually do.
        let aspect = ((y.hi - y.lo) / (x.hi - x.lo)).clamp(0.6, 1.6) as f32;
        let plot = axes::plot_area(width, height, margins, Some(aspect));
        Self {
            style,
            frame: Frame { plot, x, y },
        }
    }
}

/// A linear axis over the range's two ends, widened if they coincide.
fn axis_spanning((start, end): (f32, f32)) -> Axis {
    let (lo, hi) = (f64::from(start.min(end)), f64::from(start.max(end)));
    if hi > lo {
        return Axis {
            lo,
            hi,
            is_log: false,
        };
    }
    let half = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
    Axis {
        lo: lo - half,
        hi: hi + half,
        is_log: false,
    }
}

/// Fills the plot area with the colormap, one sample per pixel.
fn paint_cells(canvas: &mut Canvas, grid: &Grid, units: &[f64], frame: &Frame) {
    let plot = frame.plot;
    // Interpolate when a cell covers more than a pixel; otherwise nearest is sharper.
    let smooth = plot.width() > grid.cols as f32 || plot.height() > grid.rows as f32;
    let (columns, rows) = canvas.pixel_span(plot);
    for py in rows {
        let v = f64::from((plot.y1 - (py as f32 + 0.5)) / plot.height());
        for px in columns.clone() {
            let u = f64::from((px as f32 + 0.5 - plot.x0) / plot.width());
            let unit = grid.sample(units, grid.cell_at(u, v), smooth);
            let colour = if unit.is_nan() {
                NOT_FINITE_COLOUR
            } else {
                colormap(unit)
            };
            canvas.set(px, py, colour);
        }
    }
}

/// Contour levels as (position in the colormap, line colour, opacity): evenly
/// spaced, white over the dark half of viridis and dark over the bright half.
fn contour_levels(count: usize) -> Vec<(f64, Colour, f32)> {
    let count = count.min(MAX_CONTOUR_LEVELS);
    (1..=count)
        .map(|k| {
            let unit = k as f64 / (count + 1) as f64;
            if unit < 0.55 {
                (unit, [255, 255, 255], 0.55)
            } else {
                (unit, [20, 20, 20], 0.45)
            }
        })
        .collect()
}

/// Strokes each contour level. The field is first resampled at a few pixels per
/// sample with the same interpolation as the heatmap, so lines follow the colours
/// instead of cutting straight across coarse cells.
fn draw_contours(
    canvas: &mut Canvas,
    layout: &Layout,
    grid: &Grid,
    units: &[f64],
    levels: &[(f64, Colour, f32)],
) {
    if levels.is_empty() || grid.cols < 2 || grid.rows < 2 {
        return;
    }
    let plot = layout.frame.plot;
    let refine = |cells: usize, pixels: f32| -> usize {
        let pixels_per_cell = pixels / (cells - 1) as f32;
        ((pixels_per_cell / 3.0).floor() as usize).clamp(1, 16)
    };
    let (fx, fy) = (
        refine(grid.cols, plot.width()),
        refine(grid.rows, plot.height()),
    );
    let cols = (grid.cols - 1) * fx + 1;
    let rows = (grid.rows - 1) * fy + 1;
    let mut field = Vec::with_capacity(cols * rows);
    for row in 0..rows {
        for col in 0..cols {
            let cell = (col as f64 / fx as f64, row as f64 / fy as f64);
            field.push(grid.sample(units, cell, true));
        }
    }
    // Fine-grid (column, row) to pixels, honouring reversed ranges.
    let pixel_from_fine_cell = |(col, row): (f64, f64)| {
        let u = col / (cols - 1) as f64;
        let v = row / (rows - 1) as f64;
        let u = if grid.x_reversed { 1.0 - u } else { u };
        let v = if grid.y_reversed { 1.0 - v } else { v };
        (
            plot.x0 + u as f32 * plot.width(),
            plot.y1 - v as f32 * plot.height(),
        )
    };
    let width = (layout.style.line * 1.3).max(1.0);
    for &(level, colour, alpha) in levels {
        let mut mask = Mask::new(canvas.width(), canvas.height(), plot);
        for [a, b] in isoline_segments(&field, cols, rows, level) {
            mask.line(pixel_from_fine_cell(a), pixel_from_fine_cell(b), width);
        }
        mask.composite(canvas, colour, alpha);
    }
}

/// The trajectory: a white line with a dark edge, readable on any colour.
fn draw_path(canvas: &mut Canvas, layout: &Layout, path: &[(f32, f32)]) {
    if path.len() < 2 {
        return;
    }
    let frame = layout.frame;
    let runs: Vec<Vec<(f32, f32)>> = path
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .map(|run| {
            run.iter()
                .map(|&(x, y)| frame.pixel_from_data(f64::from(x), f64::from(y)))
                .collect()
        })
        .collect();
    let width = (layout.style.text * 0.16).max(1.5);
    for (stroke, colour, alpha) in [
        (width + 3.0, [20, 20, 20], 0.7),
        (width, [255, 255, 255], 1.0),
    ] {
        let mut mask = Mask::new(canvas.width(), canvas.height(), frame.plot);
        for run in &runs {
            mask.polyline(run, stroke);
        }
        mask.composite(canvas, colour, alpha);
    }
}

#[cfg(test)]
#[path = "heatmap_tests.rs"]
mod tests;
