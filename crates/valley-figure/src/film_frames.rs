//! The film strip of a run: the engine's [`FilmFrame`]s (a slice through the
//! parameters at each chosen step) laid out as small multiples, one colour
//! scale for all, the ball at each centre and the path so far. The CLI and the
//! app both save strips through here, so they look alike.

use image::RgbImage;

use super::{
    FigureError, FilmStrip, Marker, MarkerStyle, StripFrame, readable_number, render_film_strip,
};
use valley_engine::landscape::FilmFrame;

/// Pixels a tile gets when no size is asked for.
const TILE: (u32, u32) = (600, 560);

/// Renders `frames` in `columns` per row (default: one row) at `size`
/// (default: about 600 × 560 pixels a tile).
pub fn render_film_frames(
    frames: &[FilmFrame],
    title: &str,
    log_scale: bool,
    columns: Option<usize>,
    size: Option<(u32, u32)>,
) -> Result<RgbImage, FigureError> {
    let columns = columns
        .unwrap_or(frames.len())
        .clamp(1, frames.len().max(1));
    let rows = frames.len().div_ceil(columns).max(1);
    let (width, height) = size.unwrap_or((
        (TILE.0 * columns as u32 + 160).min(super::MAX_FIGURE_SIDE),
        (TILE.1 * rows as u32 + 90).min(super::MAX_FIGURE_SIDE),
    ));
    let ball = [Marker::new(0.0, 0.0, MarkerStyle::Dot, "")];
    let tiles: Vec<StripFrame> = frames
        .iter()
        .map(|frame| {
            let a = frame.grid.spec.alpha;
            let b = frame.grid.spec.beta.unwrap_or(a);
            StripFrame {
                values: &frame.grid.values,
                cols: a.points,
                rows: frame.grid.spec.beta.map_or(1, |b| b.points),
                x_range: (a.min, a.max),
                y_range: (b.min, b.max),
                caption: format!(
                    "step {} · loss {}",
                    frame.step,
                    readable_number(f64::from(frame.loss))
                ),
                markers: &ball,
                path: &frame.path,
            }
        })
        .collect();
    let strip = FilmStrip {
        frames: &tiles,
        title,
        x_label: "α",
        y_label: "β",
        log_scale,
        columns: Some(columns),
    };
    render_film_strip(&strip, width, height)
}
