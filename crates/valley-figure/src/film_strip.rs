//! Small multiples: several landscapes side by side in one picture, such as the
//! loss around the parameters at a few steps of one training run.
//!
//! Comparing separate heatmaps misleads, because each stretches its own colormap
//! over its own range: a nearly flat late landscape looks as dramatic as the
//! steep early one. A film strip colours every tile by one scale, computed from all
//! the frames together, and explains it with one colorbar, so the same colour is
//! the same loss everywhere. The tiles are ordinary heatmaps (see
//! [`render_heatmap`](super::render_heatmap)) drawn into a grid; when the frames
//! share an axis range, only the outer tiles label it.

use image::RgbImage;

use super::axes::{self, BACKGROUND, Frame, Style, Tick, y_label_direction};
use super::canvas::{Canvas, Rect};
use super::colorbar::Colorbar;
use super::heatmap::{HeatmapFigure, axis_spanning, contours_for, draw_inside, plot_aspect};
use super::text::{Direction, line_height, text_box};
use super::{FigureError, Marker, check_size};

/// One tile of a [`FilmStrip`]: a landscape grid with its caption and overlays.
#[derive(Clone, Debug)]
pub struct StripFrame<'a> {
    /// Losses, row-major, bottom row first, as in [`HeatmapFigure::values`].
    pub values: &'a [f32],
    /// Number of columns (alpha steps).
    pub cols: usize,
    /// Number of rows (beta steps).
    pub rows: usize,
    /// Alpha of the first and last columns' centres.
    pub x_range: (f32, f32),
    /// Beta of the first and last rows' centres.
    pub y_range: (f32, f32),
    /// The line above the tile, in place of a title, e.g. "step 100 · loss 0.412".
    pub caption: String,
    /// Points to mark, in (alpha, beta).
    pub markers: &'a [Marker],
    /// A trajectory in (alpha, beta); non-finite points break the line.
    pub path: &'a [(f32, f32)],
}

/// Several landscapes to render with [`render_film_strip`], coloured alike.
#[derive(Clone, Copy, Debug)]
pub struct FilmStrip<'a> {
    /// The tiles, left to right and then top to bottom.
    pub frames: &'a [StripFrame<'a>],
    /// One title across the top; empty for none.
    pub title: &'a str,
    /// Horizontal axis label, e.g. "α", under the bottom tiles.
    pub x_label: &'a str,
    /// Vertical axis label, e.g. "β", left of the first column.
    pub y_label: &'a str,
    /// Colour by log10 of the loss, for frames spanning decades.
    pub log_scale: bool,
    /// Tiles per row; `None` puts them all in one row. Clamped to 1..=frames.
    pub columns: Option<usize>,
}

/// Renders the frames as a grid of equal heatmap tiles in one `width` x `height`
/// image, under one colour scale with one colorbar at the right.
///
/// Fails with [`FigureError::NoFrames`] if there are none, if the size is outside
/// [`MIN_FIGURE_SIDE`](super::MIN_FIGURE_SIDE)..=[`MAX_FIGURE_SIDE`](super::MAX_FIGURE_SIDE),
/// or with [`FigureError::StripFrame`] naming the first frame whose grid does not
/// match its values or whose range is not finite. Non-finite losses are grey.
pub fn render_film_strip(
    strip: &FilmStrip,
    width: u32,
    height: u32,
) -> Result<RgbImage, FigureError> {
    check_size(width, height)?;
    if strip.frames.is_empty() {
        return Err(FigureError::NoFrames);
    }
    let all_values: Vec<f32> = strip
        .frames
        .iter()
        .flat_map(|frame| frame.values.iter().copied())
        .collect();
    let tiles: Vec<HeatmapFigure> = strip
        .frames
        .iter()
        .map(|frame| HeatmapFigure {
            log_scale: strip.log_scale,
            markers: frame.markers,
            path: frame.path,
            scale_values: Some(&all_values),
            show_colorbar: false,
            ..HeatmapFigure::new(
                frame.values,
                frame.cols,
                frame.rows,
                frame.x_range,
                frame.y_range,
            )
        })
        .collect();
    let grids = tiles
        .iter()
        .enumerate()
        .map(|(index, tile)| {
            tile.grid().map_err(|source| FigureError::StripFrame {
                index,
                source: Box::new(source),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Every tile has the same scale; the first one's is the strip's.
    let scale = tiles[0].colour_scale();
    let contours = contours_for(&scale, tiles[0].contour_levels);
    let caption = scale.caption(tiles[0].value_label);
    let colorbar = Colorbar {
        scale: &scale,
        caption: &caption,
        contours: &contours,
        has_non_finite: all_values.iter().any(|v| !v.is_finite()),
    };
    let layout = StripLayout::compute(strip, &colorbar, width, height);

    let mut canvas = Canvas::new(width, height, BACKGROUND);
    let style = &layout.style;
    for (index, ((tile, grid), frame)) in tiles.iter().zip(&grids).zip(strip.frames).enumerate() {
        let plot = layout.plot(index);
        let axes_frame = Frame {
            plot,
            x: axis_spanning(frame.x_range),
            y: axis_spanning(frame.y_range),
        };
        draw_inside(
            &mut canvas,
            style,
            &axes_frame,
            tile,
            grid,
            &scale,
            &contours,
        );
        let on_bottom = index + layout.columns >= strip.frames.len();
        let on_left = index % layout.columns == 0;
        let x_ticks = labelled_if(axes_frame.x.ticks(), on_bottom || !layout.shared_x);
        let y_ticks = labelled_if(axes_frame.y.ticks(), on_left || !layout.shared_y);
        let x_label = if on_bottom { strip.x_label } else { "" };
        let y_label = if on_left { strip.y_label } else { "" };
        axes::draw_frame(
            &mut canvas,
            style,
            plot,
            (&x_ticks, &y_ticks),
            (x_label, y_label),
        );
        let half_spacing = layout.column_spacing / 2.0;
        axes::draw_heading(
            &mut canvas,
            &frame.caption,
            layout.caption_size,
            (
                (plot.x0 + plot.x1) / 2.0,
                plot.y0 - style.line - style.gap * 0.6,
            ),
            (plot.x0 - half_spacing, plot.x1 + half_spacing),
        );
    }
    let span = layout.span();
    let title_bottom = span.y0 - layout.caption_band;
    axes::draw_heading(
        &mut canvas,
        strip.title,
        style.title,
        ((span.x0 + span.x1) / 2.0, title_bottom),
        (style.gap, width as f32 - style.gap),
    );
    // The bar sits clear of the last column's overhanging x tick labels.
    let bar_span = Rect {
        x1: span.x1 + layout.bar_offset,
        ..span
    };
    colorbar.draw(&mut canvas, style, bar_span);
    Ok(canvas.into_image())
}

/// The ticks as they are, or with their labels blanked (the marks stay) where a
/// neighbouring tile already labels the same range.
fn labelled_if(ticks: Vec<Tick>, labelled: bool) -> Vec<Tick> {
    if labelled {
        ticks
    } else {
        ticks
            .into_iter()
            .map(|(unit, _)| (unit, String::new()))
            .collect()
    }
}

/// Where the tiles go: a grid of equal plot areas, centred in the image.
struct StripLayout {
    style: Style,
    /// Em size of the captions over the tiles.
    caption_size: f32,
    /// Tiles per row.
    columns: usize,
    /// Number of frames.
    count: usize,
    /// Whether every frame has the same alpha range (then only the bottom tiles
    /// label it), and likewise beta.
    shared_x: bool,
    shared_y: bool,
    /// Top-left corner of the first tile's plot area.
    origin: (f32, f32),
    /// Size of every tile's plot area.
    plot_size: (f32, f32),
    /// From one plot area's right edge to the next one's left edge.
    column_spacing: f32,
    /// From one plot area's bottom edge to the next row's top edge.
    row_spacing: f32,
    /// Height above a plot area taken by its caption.
    caption_band: f32,
    /// How far right of the last column the colorbar is pushed.
    bar_offset: f32,
}

impl StripLayout {
    fn compute(strip: &FilmStrip, colorbar: &Colorbar, width: u32, height: u32) -> Self {
        let count = strip.frames.len();
        let columns = strip.columns.unwrap_or(count).clamp(1, count);
        let rows = count.div_ceil(columns);
        // Text is set by the tile, so six small tiles do not carry a poster's
        // lettering, but never larger than a single figure of this size would use.
        let tile_style = Style::for_size(width / columns as u32, height / rows as u32);
        let whole_style = Style::for_size(width, height);
        let style = Style::with_text_size((tile_style.text * 1.5).min(whole_style.text));
        let caption_size = style.text * 1.15;

        let first = &strip.frames[0];
        let shared_x = strip.frames.iter().all(|f| f.x_range == first.x_range);
        let shared_y = strip.frames.iter().all(|f| f.y_range == first.y_range);
        let widest = |ticks: Vec<Tick>| {
            ticks
                .iter()
                .map(|(_, label)| text_box(label, style.text, Direction::Horizontal).0)
                .fold(0.0, f32::max)
        };
        let widest_y_tick = strip
            .frames
            .iter()
            .map(|f| widest(axis_spanning(f.y_range).ticks()))
            .fold(0.0, f32::max);
        let widest_x_tick = strip
            .frames
            .iter()
            .map(|f| widest(axis_spanning(f.x_range).ticks()))
            .fold(0.0, f32::max);

        let y_tick_width = style.line + style.tick_length + style.gap * 0.5 + widest_y_tick;
        let y_label_width = if strip.y_label.is_empty() {
            0.0
        } else {
            let direction = y_label_direction(strip.y_label, &style);
            text_box(strip.y_label, style.axis_label, direction).0 + style.gap
        };
        let left = style.gap + y_label_width + y_tick_width;
        // Neighbouring tiles' end x tick labels overhang into the space between.
        let overhang = widest_x_tick / 2.0;
        let column_spacing = (2.0 * overhang + style.gap * 1.5).max(if shared_y {
            style.gap * 2.0
        } else {
            y_tick_width + style.gap * 1.5
        });
        let bar_offset = (overhang - style.gap).max(0.0);
        let right = colorbar.reserved_width(&style) + bar_offset;

        let has_captions = strip.frames.iter().any(|f| !f.caption.is_empty());
        let caption_band = if has_captions {
            line_height(caption_size) + style.gap * 1.2 + style.line
        } else {
            style.gap
        };
        let title_band = if strip.title.is_empty() {
            style.gap
        } else {
            style.gap + line_height(style.title) + style.gap * 0.5
        };
        let x_tick_height =
            style.line + style.tick_length + style.gap * 0.5 + line_height(style.text);
        let bottom = x_tick_height
            + if strip.x_label.is_empty() {
                style.gap
            } else {
                style.gap * 1.5 + line_height(style.axis_label)
            };
        let row_spacing = caption_band
            + style.gap
            + if shared_x {
                style.line + style.tick_length
            } else {
                x_tick_height
            };

        let available_width = width as f32 - left - right - column_spacing * (columns - 1) as f32;
        let available_height =
            height as f32 - title_band - caption_band - bottom - row_spacing * (rows - 1) as f32;
        let cell_width = (available_width / columns as f32).max(1.0);
        let cell_height = (available_height / rows as f32).max(1.0);
        let aspect = plot_aspect(&axis_spanning(first.x_range), &axis_spanning(first.y_range));
        let plot_width = cell_width.min(cell_height / aspect).floor().max(1.0);
        let plot_height = (plot_width * aspect).round().max(1.0);
        // Centre the whole grid in whatever space the aspect leaves over.
        let spare_x = (cell_width - plot_width) * columns as f32 / 2.0;
        let spare_y = (cell_height - plot_height) * rows as f32 / 2.0;
        let origin = (
            (left + spare_x.max(0.0)).round(),
            (title_band + caption_band + spare_y.max(0.0)).round(),
        );
        Self {
            style,
            caption_size,
            columns,
            count,
            shared_x,
            shared_y,
            origin,
            plot_size: (plot_width, plot_height),
            column_spacing: column_spacing.round(),
            row_spacing: row_spacing.round(),
            caption_band,
            bar_offset,
        }
    }

    /// The plot area of tile `index`.
    fn plot(&self, index: usize) -> Rect {
        let (column, row) = (index % self.columns, index / self.columns);
        let x0 = self.origin.0 + column as f32 * (self.plot_size.0 + self.column_spacing);
        let y0 = self.origin.1 + row as f32 * (self.plot_size.1 + self.row_spacing);
        Rect {
            x0,
            y0,
            x1: x0 + self.plot_size.0,
            y1: y0 + self.plot_size.1,
        }
    }

    /// From the first tile's top-left to the last column's right and the last
    /// row's bottom: what the title centres over and the colorbar stands beside.
    fn span(&self) -> Rect {
        let top_left = self.plot(0);
        let right = self.plot(self.columns - 1).x1;
        let bottom = self.plot(self.count - 1).y1;
        Rect {
            x1: right,
            y1: bottom,
            ..top_left
        }
    }
}

#[cfg(test)]
#[path = "film_strip_tests.rs"]
mod tests;
