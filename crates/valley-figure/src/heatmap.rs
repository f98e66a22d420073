//! The 2D landscape figure: loss over a plane through parameter space, as a heatmap
//! with contour lines, a colorbar, markers and an optional optimiser trajectory.

use image::RgbImage;

use super::axes::{self, Axis, BACKGROUND, Frame, Style};
use super::canvas::{Canvas, Colour, Mask, Rect};
use super::colorbar::Colorbar;
use super::colour_scale::{ColourScale, NOT_FINITE_COLOUR, colormap};
use super::contour::isoline_segments;
use super::grid::Grid;
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
    /// The losses the colour scale (and so the colorbar and the contour levels)
    /// spans, when not `values` itself: typically the union of several grids, so
    /// that figures shown side by side colour the same loss alike. Losses of
    /// `values` outside their range take the colormap's end colours.
    pub scale_values: Option<&'a [f32]>,
    /// Whether to draw the colorbar; without it the plot takes the width. A tile of
    /// a set that shares one colorbar leaves its own out.
    pub show_colorbar: bool,
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
            scale_values: None,
            show_colorbar: true,
        }
    }

    /// The colour scale this figure is drawn with: over `scale_values` if given,
    /// else over `values`.
    pub(super) fn colour_scale(&self) -> ColourScale {
        ColourScale::from_values(self.scale_values.unwrap_or(self.values), self.log_scale)
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
    let grid = figure.grid()?;
    let scale = figure.colour_scale();
    let layout = Layout::compute(figure, &scale, width, height);
    let contours = contours_for(&scale, figure.contour_levels);

    let mut canvas = Canvas::new(width, height, BACKGROUND);
    let frame = layout.frame;
    let has_non_finite = draw_inside(
        &mut canvas,
        &layout.style,
        &frame,
        figure,
        &grid,
        &scale,
        &contours,
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
    if figure.show_colorbar {
        let caption = scale.caption(figure.value_label);
        let colorbar = Colorbar {
            scale: &scale,
            caption: &caption,
            contours: &contours,
            has_non_finite,
        };
        colorbar.draw(&mut canvas, &layout.style, frame.plot);
    }
    Ok(canvas.into_image())
}

/// Draws everything inside the plot area of `frame`: the coloured cells, the
/// contours, the path and the markers, but not the axes around it. Returns
/// whether any cell was not finite, for the colorbar's note.
pub(super) fn draw_inside(
    canvas: &mut Canvas,
    style: &Style,
    frame: &Frame,
    figure: &HeatmapFigure,
    grid: &Grid,
    scale: &ColourScale,
    contours: &[(f64, Colour, f32)],
) -> bool {
    let units: Vec<f64> = figure
        .values
        .iter()
        .map(|&v| scale.unit_from_loss(v).unwrap_or(f64::NAN))
        .collect();
    paint_cells(canvas, grid, &units, frame);
    draw_contours(canvas, style, frame.plot, grid, &units, contours);
    draw_path(canvas, style, frame, figure.path);
    draw_markers(canvas, style, frame.plot, figure.markers, |x, y| {
        frame.pixel_from_data(x, y)
    });
    units.iter().any(|u| u.is_nan())
}

/// The contour levels for `scale`: none on a flat landscape, where marking levels
/// on the colorbar would mislead.
pub(super) fn contours_for(scale: &ColourScale, count: usize) -> Vec<(f64, Colour, f32)> {
    if scale.is_flat() {
        Vec::new()
    } else {
        contour_levels(count)
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
        let reserve = if figure.show_colorbar {
            Colorbar {
                scale,
                caption: &caption,
                contours: &[],
                has_non_finite: figure.values.iter().any(|v| !v.is_finite()),
            }
            .reserved_width(&style)
        } else {
            0.0
        };
        let margins = axes::margins(&style, figure.title, figure.y_label, &y.ticks(), reserve);
        let plot = axes::plot_area(width, height, margins, Some(plot_aspect(&x, &y)));
        Self {
            style,
            frame: Frame { plot, x, y },
        }
    }
}

/// The plot's height over its width: square when alpha and beta span the same
/// distance, as they usually do, and never so thin that a tile is a sliver.
pub(super) fn plot_aspect(x: &Axis, y: &Axis) -> f32 {
    ((y.hi - y.lo) / (x.hi - x.lo)).clamp(0.6, 1.6) as f32
}

/// A linear axis over the range's two ends, widened if they coincide.
pub(super) fn axis_spanning((start, end): (f32, f32)) -> Axis {
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
    style: &Style,
    plot: Rect,
    grid: &Grid,
    units: &[f64],
    levels: &[(f64, Colour, f32)],
) {
    if levels.is_empty() || grid.cols < 2 || grid.rows < 2 {
        return;
    }
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
    let width = (style.line * 1.3).max(1.0);
    for &(level, colour, alpha) in levels {
        let mut mask = Mask::new(canvas.width(), canvas.height(), plot);
        for [a, b] in isoline_segments(&field, cols, rows, level) {
            mask.line(pixel_from_fine_cell(a), pixel_from_fine_cell(b), width);
        }
        mask.composite(canvas, colour, alpha);
    }
}

/// The trajectory: a white line with a dark edge, readable on any colour.
fn draw_path(canvas: &mut Canvas, style: &Style, frame: &Frame, path: &[(f32, f32)]) {
    if path.len() < 2 {
        return;
    }
    let runs: Vec<Vec<(f32, f32)>> = path
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .map(|run| {
            run.iter()
                .map(|&(x, y)| frame.pixel_from_data(f64::from(x), f64::from(y)))
                .collect()
        })
        .collect();
    let width = (style.text * 0.16).max(1.5);
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

impl HeatmapFigure<'_> {
    /// Checks the figure's shape against its values and its ranges for finiteness.
    pub(super) fn grid(&self) -> Result<Grid, FigureError> {
        let figure = self;
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
        Ok(Grid {
            cols,
            rows,
            x_reversed: figure.x_range.0 > figure.x_range.1,
            y_reversed: figure.y_range.0 > figure.y_range.1,
        })
    }
}
