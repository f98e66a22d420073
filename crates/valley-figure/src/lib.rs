//! Static figures of loss landscapes, rendered to PNG for lesson material and slides.
//!
//! A landscape on screen can be explored; a landscape in a handout or on a projector
//! has to explain itself. This module turns a grid of losses (or a 1D slice) into a
//! self-contained picture: a perceptually uniform, colour-blind-safe colormap
//! (viridis), contour lines, a colorbar in loss units, axes with round tick values,
//! a title, and markers for the current parameters and the minimum. Diverged regions
//! (NaN or infinite losses) get their own neutral colour rather than poisoning the
//! colour range.
//!
//! Everything here is plain pixels: no GUI, no windowing, no GPU. Text is drawn with
//! an embedded copy of DejaVu Sans so a figure looks the same on every machine.

pub mod axes;
mod canvas;
mod colorbar;
pub mod colour_scale;
pub mod contour;
mod film_frames;
mod film_strip;
mod grid;
mod heatmap;
mod legend;
mod line_plot;
mod marker;
pub mod text;
mod ticks;
pub use ticks::{format_value, plain_number, tick_label};

use std::fs;
use std::path::{Path, PathBuf};

pub use film_frames::render_film_frames;
pub use film_strip::{FilmStrip, StripFrame, render_film_strip};
pub use heatmap::{HeatmapFigure, render_heatmap};
pub use line_plot::{Band, LineFigure, LineSeries, VLine, render_line};
pub use valley_engine::numbers::readable_number;

/// The smallest width or height, in pixels, that a figure may be rendered at.
pub const MIN_FIGURE_SIDE: u32 = 32;
/// The largest width or height, in pixels, that a figure may be rendered at.
///
/// Larger requests are almost certainly a typo, and would allocate gigabytes.
pub const MAX_FIGURE_SIDE: u32 = 8192;

/// How a [`Marker`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerStyle {
    /// A filled dot in a white ring: the current parameters (the slice's centre).
    Dot,
    /// A white star with a dark outline: a minimum.
    Star,
    /// A white cross with a dark outline: any other point of interest.
    Cross,
}

/// A point of interest drawn on top of a figure, in data coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Horizontal data coordinate (alpha, or the 1D slice's coordinate).
    pub x: f32,
    /// Vertical data coordinate (beta, or the loss in a 1D slice).
    pub y: f32,
    /// Text drawn beside the marker; empty for none.
    pub label: String,
    /// The marker's shape.
    pub style: MarkerStyle,
}

impl Marker {
    /// A marker at `(x, y)` with the given style and label.
    pub fn new(x: f32, y: f32, style: MarkerStyle, label: impl Into<String>) -> Self {
        Self {
            x,
            y,
            label: label.into(),
            style,
        }
    }
}

/// Why a figure could not be rendered or saved.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// The requested image size is zero, tiny or absurdly large.
    #[error(
        "figure size {width}x{height} is not allowed: each side must be between {MIN_FIGURE_SIDE} and {MAX_FIGURE_SIDE} pixels"
    )]
    InvalidSize {
        /// The requested width in pixels.
        width: u32,
        /// The requested height in pixels.
        height: u32,
    },
    /// The grid's shape does not match the number of values.
    #[error("a {cols}x{rows} grid needs {cols}*{rows} values, but {actual} were given")]
    GridShape {
        /// Columns (alpha steps) claimed.
        cols: usize,
        /// Rows (beta steps) claimed.
        rows: usize,
        /// Values actually given.
        actual: usize,
    },
    /// The grid has no rows or no columns.
    #[error("a landscape grid needs at least one row and one column, got {cols}x{rows}")]
    EmptyGrid {
        /// Columns (alpha steps) claimed.
        cols: usize,
        /// Rows (beta steps) claimed.
        rows: usize,
    },
    /// The x and y series of a line plot differ in length.
    #[error("a line plot needs as many y values as x values, got {xs} x and {ys} y")]
    SeriesLength {
        /// Number of x values.
        xs: usize,
        /// Number of y values.
        ys: usize,
    },
    /// A line plot was given no points at all, or one of its series none.
    #[error("a line plot needs at least one point in each curve")]
    EmptySeries,
    /// A line plot was given both its one curve and several series.
    #[error("a line plot takes one curve (xs, ys) or several labelled series, not both")]
    CurveAndSeries,
    /// A film strip was given no frames to show.
    #[error("a film strip needs at least one frame, but none were given")]
    NoFrames,
    /// One frame of a film strip could not be drawn.
    #[error("frame {index} of the film strip (counting from 0): {source}")]
    StripFrame {
        /// Which frame, counting from 0.
        index: usize,
        /// What is wrong with it.
        source: Box<FigureError>,
    },
    /// An axis range has a non-finite end.
    #[error("the {axis} range ({start}, {end}) must be finite")]
    InvalidRange {
        /// Which axis: "x" or "y".
        axis: &'static str,
        /// The first coordinate.
        start: f32,
        /// The last coordinate.
        end: f32,
    },
    /// Writing the PNG failed.
    #[error("could not write the PNG figure {}: {source}", path.display())]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Encoding the PNG failed.
    #[error("could not encode the PNG figure {}: {source}", path.display())]
    Encode {
        /// The file that was being written.
        path: PathBuf,
        /// What went wrong.
        source: png::EncodingError,
    },
    /// A PNG read, but refused: too large, damaged, or text past its limit.
    #[error("could not read {}: {reason}", path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why, with the limit where one was passed.
        reason: String,
    },
    /// Reading a PNG failed.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl FigureError {
    /// A PNG read but refused, with why.
    fn refused(path: &Path, reason: String) -> Self {
        Self::Refused {
            path: path.to_path_buf(),
            reason,
        }
    }
}

/// Checks a requested figure size before anything is allocated.
fn check_size(width: u32, height: u32) -> Result<(), FigureError> {
    let allowed = MIN_FIGURE_SIDE..=MAX_FIGURE_SIDE;
    if allowed.contains(&width) && allowed.contains(&height) {
        Ok(())
    } else {
        Err(FigureError::InvalidSize { width, height })
    }
}

/// Writes `image` to `path` as a PNG.
///
/// The image goes to a temporary file beside `path` first and is renamed into place,
/// so a crash or a full disk never leaves a half-written figure where a slide deck
/// expects a whole one.
pub fn save_png(image: &image::RgbImage, path: &Path) -> Result<(), FigureError> {
    save_png_with_text(image, path, &[])
}

/// Like [`save_png`], with UTF-8 text chunks (`iTXt`) such as the scene a
/// figure was made from, so that opening the figure can restore it.
pub fn save_png_with_text(
    image: &image::RgbImage,
    path: &Path,
    text: &[(&str, &str)],
) -> Result<(), FigureError> {
    let bytes = png_bytes_with_text(image, text).map_err(|source| FigureError::Encode {
        path: path.to_path_buf(),
        source,
    })?;
    valley_engine::io::write_atomic(path, &bytes).map_err(|source| FigureError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// `image` encoded as a PNG with UTF-8 text chunks (`iTXt`).
pub fn png_bytes_with_text(
    image: &image::RgbImage,
    text: &[(&str, &str)],
) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    for (key, value) in text {
        encoder.add_itxt_chunk((*key).to_string(), (*value).to_string())?;
    }
    let mut png = encoder.write_header()?;
    png.write_image_data(image.as_raw())?;
    png.finish()?;
    Ok(bytes)
}

/// The text chunk `key` of a PNG file, if it has one, of at most
/// `max_text_bytes` once inflated. Only the header and text chunks are read;
/// the pixels are not decoded. A file of more than [`MAX_PNG_BYTES`] is
/// refused before it is opened, chunk buffers are capped, and a compressed
/// chunk is inflated only up to the limit: a small file that inflates to
/// gigabytes costs nothing.
pub fn read_png_text(
    path: &Path,
    key: &str,
    max_text_bytes: usize,
) -> Result<Option<String>, FigureError> {
    let read_error = |source| FigureError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(read_error)?;
    let bytes = file.metadata().map_err(read_error)?.len();
    if bytes > MAX_PNG_BYTES {
        return Err(FigureError::refused(
            path,
            format!(
                "it is {bytes} bytes, more than the {MAX_PNG_BYTES} bytes Valley reads as a figure"
            ),
        ));
    }
    read_png_text_from(std::io::BufReader::new(file), path, key, max_text_bytes)
}

/// [`read_png_text`] on any reader (bytes in memory, for tests and fuzzing);
/// `path` only names the file in errors.
pub fn read_png_text_from(
    reader: impl std::io::BufRead + std::io::Seek,
    path: &Path,
    key: &str,
    max_text_bytes: usize,
) -> Result<Option<String>, FigureError> {
    let invalid = |reason: String| FigureError::refused(path, reason);
    let limits = png::Limits {
        bytes: PNG_CHUNK_BUFFER_BYTES,
    };
    let decoder = png::Decoder::new_with_limits(reader, limits);
    let reader = decoder
        .read_info()
        .map_err(|e| invalid(format!("not a readable PNG ({e})")))?;
    let info = reader.info();
    if let Some(chunk) = info.utf8_text.iter().find(|c| c.keyword == key) {
        let mut chunk = chunk.clone();
        let text = chunk
            .decompress_text_with_limit(max_text_bytes)
            .and_then(|()| chunk.get_text())
            .map_err(|e| {
                invalid(format!(
                    "its `{key}` text inflates past {max_text_bytes} bytes or is damaged ({e}): it is not one Valley wrote"
                ))
            })?;
        return check_text_length(text, key, max_text_bytes)
            .map(Some)
            .map_err(invalid);
    }
    info.uncompressed_latin1_text
        .iter()
        .find(|c| c.keyword == key)
        .map(|c| check_text_length(c.text.clone(), key, max_text_bytes).map_err(invalid))
        .transpose()
}

/// Largest PNG Valley opens to look for text (a 1600 × 1400 figure is about 1 MB).
pub const MAX_PNG_BYTES: u64 = 256 << 20;

/// What the PNG decoder may allocate for chunks before the pixels.
const PNG_CHUNK_BUFFER_BYTES: usize = 16 << 20;

fn check_text_length(text: String, key: &str, max: usize) -> Result<String, String> {
    if text.len() > max {
        Err(format!(
            "its `{key}` text is {} bytes, more than the {max}-byte limit",
            text.len()
        ))
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_chunks_round_trip_and_a_missing_key_is_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("scene.png");
        let image = image::RgbImage::from_pixel(8, 4, image::Rgb([10, 20, 30]));
        let scene = r#"{"lr": 0.01, "name": "β → ∞"}"#;
        save_png_with_text(&image, &path, &[("valley-scene", scene)]).expect("save");
        assert_eq!(
            read_png_text(&path, "valley-scene", 1 << 20)
                .expect("read")
                .as_deref(),
            Some(scene)
        );
        assert_eq!(read_png_text(&path, "other", 1 << 20).expect("read"), None);
        let decoded = image::open(&path).expect("a valid PNG").to_rgb8();
        assert_eq!(decoded, image);
        let garbage = dir.path().join("garbage.png");
        std::fs::write(&garbage, b"not a png at all").expect("write");
        let error = read_png_text(&garbage, "valley-scene", 1 << 20).expect_err("garbage");
        assert!(error.to_string().contains("garbage.png"), "{error}");
    }

    #[test]
    fn sizes_outside_the_allowed_range_are_rejected() {
        assert!(check_size(0, 700).is_err());
        assert!(check_size(800, 0).is_err());
        assert!(check_size(MAX_FIGURE_SIDE + 1, 700).is_err());
        assert!(check_size(800, 700).is_ok());
        assert!(check_size(MIN_FIGURE_SIDE, MAX_FIGURE_SIDE).is_ok());
    }

    #[test]
    fn save_png_round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("figure.png");
        let image = image::RgbImage::from_pixel(40, 30, image::Rgb([10, 200, 30]));
        save_png(&image, &path).expect("save");
        let loaded = image::open(&path).expect("reopen").to_rgb8();
        assert_eq!(loaded, image);
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("figure.png")]);
    }

    #[test]
    fn save_png_into_a_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("no-such-dir").join("figure.png");
        let image = image::RgbImage::new(40, 30);
        let error = save_png(&image, &path).expect_err("must fail");
        assert!(
            error.to_string().contains("no-such-dir/figure.png"),
            "{error}"
        );
    }
}
