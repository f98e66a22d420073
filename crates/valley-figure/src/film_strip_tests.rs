//! Tests for the film strip: they render known frames and read the tiles' pixels back.

use super::*;
use crate::MarkerStyle;
use crate::colour_scale::{ColourScale, NOT_FINITE_COLOUR, colormap};

/// `offset + scale * (x² + saddle * y²)` on an n x n grid over [-1, 1]².
fn quadratic(n: usize, offset: f32, scale: f32, saddle: f32) -> Vec<f32> {
    let coordinate = |k: usize| -1.0 + 2.0 * k as f32 / (n - 1) as f32;
    (0..n * n)
        .map(|k| offset + scale * (coordinate(k % n).powi(2) + saddle * coordinate(k / n).powi(2)))
        .collect()
}

fn frame<'a>(values: &'a [f32], n: usize, caption: &str) -> StripFrame<'a> {
    StripFrame {
        values,
        cols: n,
        rows: n,
        x_range: (-1.0, 1.0),
        y_range: (-1.0, 1.0),
        caption: caption.into(),
        markers: &[],
        path: &[],
    }
}

fn strip<'a>(frames: &'a [StripFrame<'a>]) -> FilmStrip<'a> {
    FilmStrip {
        frames,
        title: "Loss around θ during training",
        x_label: "α",
        y_label: "β",
        log_scale: false,
        columns: None,
    }
}

/// The layout `render_film_strip` uses, rebuilt from the same inputs.
fn layout_of(strip: &FilmStrip, width: u32, height: u32) -> StripLayout {
    let all: Vec<f32> = strip
        .frames
        .iter()
        .flat_map(|f| f.values.to_vec())
        .collect();
    let scale = ColourScale::from_values(&all, strip.log_scale);
    let colorbar = Colorbar {
        scale: &scale,
        caption: "loss",
        contours: &[],
        has_non_finite: all.iter().any(|v| !v.is_finite()),
    };
    StripLayout::compute(strip, &colorbar, width, height)
}

fn close(actual: [u8; 3], expected: [u8; 3], tolerance: u8) -> bool {
    actual
        .iter()
        .zip(expected)
        .all(|(&a, e)| a.abs_diff(e) <= tolerance)
}

/// The pixel at data point (alpha, beta) of tile `index`.
fn tile_pixel(image: &RgbImage, layout: &StripLayout, index: usize, at: (f64, f64)) -> [u8; 3] {
    let frame = Frame {
        plot: layout.plot(index),
        x: axis_spanning((-1.0, 1.0)),
        y: axis_spanning((-1.0, 1.0)),
    };
    let (x, y) = frame.pixel_from_data(at.0, at.1);
    image.get_pixel(x as u32, y as u32).0
}

#[test]
fn tiles_share_one_colour_scale() {
    let steep = quadratic(31, 0.0, 10.0, 1.0);
    // Alone, this bowl's centre (19) would be the dark end of the colormap.
    let high_bowl = quadratic(31, 19.0, 1.0, 1.0);
    let at_max = vec![21.0f32; 31 * 31];
    let frames = [
        frame(&steep, 31, "step 0 · loss 20"),
        frame(&high_bowl, 31, "step 100 · loss 19"),
        frame(&at_max, 31, "step 200 · loss 21"),
    ];
    let strip = strip(&frames);
    let (width, height) = (2400, 700);
    let image = render_film_strip(&strip, width, height).expect("render");
    assert_eq!(image.dimensions(), (width, height));
    let layout = layout_of(&strip, width, height);

    let centres: Vec<[u8; 3]> = (0..3)
        .map(|index| tile_pixel(&image, &layout, index, (0.05, 0.05)))
        .collect();
    assert!(close(centres[0], colormap(0.0), 8), "{:?}", centres[0]);
    // 19 of 0..21 is far up the colormap: yellow-green, not purple.
    let expected = colormap(19.0 / 21.0);
    assert!(close(centres[1], expected, 12), "{:?}", centres[1]);
    assert!(centres[1][1] > 180, "bright, not dark: {:?}", centres[1]);
    assert_eq!(centres[2], colormap(1.0));
    assert_ne!(centres[0], centres[1]);

    let alone = crate::render_heatmap(
        &HeatmapFigure::new(&high_bowl, 31, 31, (-1.0, 1.0), (-1.0, 1.0)),
        800,
        700,
    )
    .expect("alone");
    let purple = alone
        .pixels()
        .filter(|p| close(p.0, colormap(0.0), 8))
        .count();
    assert!(purple > 100, "alone, its centre is purple");
}

#[test]
fn tiles_are_equal_and_in_order_and_the_colorbar_is_at_the_right() {
    let values: Vec<Vec<f32>> = (0..6).map(|k| quadratic(21, k as f32, 1.0, -1.0)).collect();
    let frames: Vec<StripFrame> = values
        .iter()
        .enumerate()
        .map(|(k, v)| frame(v, 21, &format!("step {k}")))
        .collect();
    let strip = FilmStrip {
        columns: Some(3),
        ..strip(&frames)
    };
    let (width, height) = (1600, 900);
    let image = render_film_strip(&strip, width, height).expect("render");
    assert_eq!(image.dimensions(), (width, height));
    let layout = layout_of(&strip, width, height);
    let plots: Vec<Rect> = (0..6).map(|k| layout.plot(k)).collect();
    for plot in &plots {
        assert_eq!(plot.width(), plots[0].width());
        assert_eq!(plot.height(), plots[0].height());
        assert!(plot.x0 > 0.0 && plot.y0 > 0.0, "{plot:?}");
        assert!(
            plot.x1 < width as f32 && plot.y1 < height as f32,
            "{plot:?}"
        );
        assert!(plot.width() > 250.0, "not cramped: {plot:?}");
    }
    assert!(plots[1].x0 > plots[0].x1 && plots[2].x0 > plots[1].x1);
    assert_eq!(plots[3].x0, plots[0].x0);
    assert!(plots[3].y0 > plots[0].y1);
    let bar = Colorbar::bar_rect(&layout.style, layout.span());
    assert!(bar.x0 > plots[2].x1 && bar.x1 < width as f32);
    let middle = (bar.x0 + bar.x1) / 2.0;
    assert_eq!(
        image.get_pixel(middle as u32, bar.y0 as u32).0,
        colormap(1.0)
    );
    assert_eq!(
        image.get_pixel(middle as u32, bar.y1 as u32 - 1).0,
        colormap(0.0)
    );
}

#[test]
fn paths_markers_and_non_finite_cells_are_drawn() {
    let mut values = quadratic(21, 0.0, 1.0, 1.0);
    for cell in &mut values[0..60] {
        *cell = f32::NAN;
    }
    let markers = [Marker::new(0.5, 0.5, MarkerStyle::Star, "")];
    let path = [(-0.8, 0.8), (-0.2, 0.2)];
    let frames = [StripFrame {
        markers: &markers,
        path: &path,
        ..frame(&values, 21, "one frame")
    }];
    let strip = strip(&frames);
    let image = render_film_strip(&strip, 800, 600).expect("render");
    let layout = layout_of(&strip, 800, 600);
    assert_eq!(
        tile_pixel(&image, &layout, 0, (0.0, -0.95)),
        NOT_FINITE_COLOUR
    );
    assert_eq!(tile_pixel(&image, &layout, 0, (0.5, 0.5)), [255, 255, 255]);
    assert_eq!(tile_pixel(&image, &layout, 0, (-0.5, 0.5)), [255, 255, 255]);
}

#[test]
fn bad_strips_are_errors() {
    let values = quadratic(5, 0.0, 1.0, 1.0);
    assert!(matches!(
        render_film_strip(&strip(&[]), 800, 600),
        Err(FigureError::NoFrames)
    ));
    let frames = [
        frame(&values, 5, "fine"),
        StripFrame {
            cols: 6,
            ..frame(&values, 5, "too few values")
        },
    ];
    let error = render_film_strip(&strip(&frames), 800, 600).expect_err("shape");
    assert!(
        matches!(&error, FigureError::StripFrame { index: 1, source }
            if matches!(**source, FigureError::GridShape { actual: 25, .. })),
        "{error}"
    );
    assert!(error.to_string().contains("frame 1"), "{error}");
    let frames = [StripFrame {
        y_range: (0.0, f32::INFINITY),
        ..frame(&values, 5, "")
    }];
    assert!(matches!(
        render_film_strip(&strip(&frames), 800, 600),
        Err(FigureError::StripFrame { index: 0, .. })
    ));
    let frames = [frame(&values, 5, "")];
    assert!(matches!(
        render_film_strip(&strip(&frames), 0, 600),
        Err(FigureError::InvalidSize { .. })
    ));
}

#[test]
fn odd_shapes_and_sizes_render() {
    let values = quadratic(5, 0.0, 1.0, 1.0);
    let other = quadratic(3, 1.0, 2.0, -1.0);
    let frames = [
        frame(
            &values,
            5,
            "a caption far too long to fit over so small a tile",
        ),
        StripFrame {
            x_range: (2.0, -2.0),
            y_range: (0.0, 0.0),
            ..frame(&other, 3, "")
        },
        frame(&values, 5, "c"),
    ];
    for columns in [None, Some(0), Some(2), Some(9)] {
        for (width, height) in [(32, 32), (2400, 700), (300, 2000)] {
            let strip = FilmStrip {
                columns,
                log_scale: columns.is_some(),
                ..strip(&frames)
            };
            let image = render_film_strip(&strip, width, height).expect("render");
            assert_eq!(image.dimensions(), (width, height));
        }
    }
}

/// Writes the demo strips to the temp directory, to look at by eye:
/// `cargo test --release --lib film_strip -- --ignored`.
#[test]
#[ignore = "writes PNGs for a person to look at"]
fn save_demo_strips() {
    let n = 41;
    let shapes = [
        ("step 0 · loss 2.41", 2.0, 1.5, -1.0),
        ("step 100 · loss 0.93", 0.9, 0.6, 0.3),
        ("step 300 · loss 0.412", 0.4, 0.3, 1.0),
        ("step 1000 · loss 0.105", 0.1, 0.08, 1.0),
        ("step 2000 · loss 0.061", 0.06, 0.04, 1.0),
        ("step 5000 · loss 0.050", 0.05, 0.02, 1.0),
    ];
    let values: Vec<Vec<f32>> = shapes
        .iter()
        .map(|&(_, offset, scale, saddle)| quadratic(n, offset, scale, saddle))
        .collect();
    let paths: Vec<Vec<(f32, f32)>> = (0..shapes.len())
        .map(|k| {
            let start = 0.9 - 0.12 * k as f32;
            (0..12)
                .map(|step| {
                    let shrink = 0.75f32.powi(step);
                    (start * shrink, -start * shrink * (step as f32 * 0.9).cos())
                })
                .collect()
        })
        .collect();
    let markers = [
        Marker::new(0.0, 0.0, MarkerStyle::Star, "minimum"),
        Marker::new(0.6, 0.6, MarkerStyle::Dot, "θ"),
    ];
    let frames: Vec<StripFrame> = shapes
        .iter()
        .zip(&values)
        .zip(&paths)
        .map(|((shape, values), path)| StripFrame {
            markers: &markers,
            path,
            ..frame(values, n, shape.0)
        })
        .collect();
    let dir = std::env::temp_dir();
    let four = strip(&frames[..4]);
    let image = render_film_strip(&four, 2400, 700).expect("four");
    crate::save_png(&image, &dir.join("film_strip_demo.png")).expect("save");
    let six = FilmStrip {
        columns: Some(3),
        ..strip(&frames)
    };
    let image = render_film_strip(&six, 1600, 900).expect("six");
    crate::save_png(&image, &dir.join("film_strip_grid_demo.png")).expect("save");
}
