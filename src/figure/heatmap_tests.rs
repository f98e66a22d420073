//! Tests for the heatmap figure: they render known grids and read pixels back.

use super::*;
use crate::figure::MarkerStyle;
use crate::figure::colour_scale::colormap;

const SIZE: (u32, u32) = (800, 700);

/// x² + y² on an n x n grid over [-1, 1]²: minimum 0 at the centre, 2 at the corners.
fn bowl(n: usize) -> Vec<f32> {
    let coordinate = |k: usize| -1.0 + 2.0 * k as f32 / (n - 1) as f32;
    (0..n * n)
        .map(|k| coordinate(k % n).powi(2) + coordinate(k / n).powi(2))
        .collect()
}

fn close(actual: [u8; 3], expected: [u8; 3], tolerance: u8) -> bool {
    actual
        .iter()
        .zip(expected)
        .all(|(&a, e)| a.abs_diff(e) <= tolerance)
}

fn layout_of(figure: &HeatmapFigure) -> Layout {
    let scale = ColourScale::from_values(figure.values, figure.log_scale);
    Layout::compute(figure, &scale, SIZE.0, SIZE.1)
}

fn pixel(image: &RgbImage, (x, y): (f32, f32)) -> [u8; 3] {
    image.get_pixel(x as u32, y as u32).0
}

#[test]
fn a_bowl_is_dark_in_the_middle_and_bright_in_the_corners() {
    let values = bowl(41);
    let figure = HeatmapFigure {
        title: "x² + y²",
        ..HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("render");
    assert_eq!(image.dimensions(), SIZE);
    let plot = layout_of(&figure).frame.plot;
    assert!(
        (plot.width() - plot.height()).abs() <= 1.0,
        "square plot {plot:?}"
    );
    let centre = ((plot.x0 + plot.x1) / 2.0, (plot.y0 + plot.y1) / 2.0);
    assert!(
        close(pixel(&image, centre), colormap(0.0), 3),
        "{:?}",
        pixel(&image, centre)
    );
    let high = colormap(1.0);
    for corner in [
        (plot.x0, plot.y0),
        (plot.x1 - 1.0, plot.y0),
        (plot.x0, plot.y1 - 1.0),
        (plot.x1 - 1.0, plot.y1 - 1.0),
    ] {
        assert!(
            close(pixel(&image, corner), high, 8),
            "{corner:?}: {:?}",
            pixel(&image, corner)
        );
    }
}

#[test]
fn the_colorbar_runs_from_the_low_to_the_high_end() {
    let values = bowl(41);
    let figure = HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0));
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("render");
    let layout = layout_of(&figure);
    let bar = Colorbar::bar_rect(&layout.style, layout.frame.plot);
    let x = (bar.x0 + bar.x1) / 2.0;
    assert_eq!(pixel(&image, (x, bar.y0)), colormap(1.0));
    assert_eq!(pixel(&image, (x, bar.y1 - 1.0)), colormap(0.0));
    // No grey note when every value is finite.
    let swatch = Colorbar::note_swatch_rect(&layout.style, bar);
    assert_ne!(pixel(&image, (x, swatch.y0 + 2.0)), NOT_FINITE_COLOUR);
}

#[test]
fn non_finite_cells_are_grey_and_explained() {
    let mut values = bowl(41);
    // A diverged block around alpha = 0.5, beta = -0.5 (column 30, row 10).
    for row in 7..14 {
        for col in 27..34 {
            values[row * 41 + col] = if col % 2 == 0 {
                f32::NAN
            } else {
                f32::INFINITY
            };
        }
    }
    values[0] = f32::NEG_INFINITY;
    let figure = HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0));
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("render");
    let layout = layout_of(&figure);
    let block = layout.frame.pixel_from_data(0.5, -0.5);
    assert_eq!(pixel(&image, block), NOT_FINITE_COLOUR);
    // The finite cells still use the whole colormap.
    let centre = layout.frame.pixel_from_data(0.0, 0.0);
    assert!(close(pixel(&image, centre), colormap(0.0), 3));
    let bar = Colorbar::bar_rect(&layout.style, layout.frame.plot);
    let swatch = Colorbar::note_swatch_rect(&layout.style, bar);
    let inside = ((swatch.x0 + swatch.x1) / 2.0, (swatch.y0 + swatch.y1) / 2.0);
    assert_eq!(pixel(&image, inside), NOT_FINITE_COLOUR);
}

#[test]
fn log_scale_flat_and_empty_landscapes_render() {
    let values = bowl(41);
    let log = HeatmapFigure {
        log_scale: true,
        ..HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    let image = render_heatmap(&log, SIZE.0, SIZE.1).expect("log render");
    assert_eq!(image.dimensions(), SIZE);

    let flat = vec![0.7f32; 100];
    let figure = HeatmapFigure::new(&flat, 10, 10, (-1.0, 1.0), (-1.0, 1.0));
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("flat render");
    let centre = layout_of(&figure).frame.pixel_from_data(0.0, 0.0);
    assert!(close(pixel(&image, centre), colormap(0.5), 1));

    let signs: Vec<f32> = (0..25).map(|k| k as f32 - 12.0).collect();
    for log_scale in [true, false] {
        let figure = HeatmapFigure {
            log_scale,
            ..HeatmapFigure::new(&signs, 5, 5, (-2.0, 2.0), (0.0, 0.0))
        };
        assert!(render_heatmap(&figure, 400, 300).is_ok());
    }
    let nothing = [f32::NAN; 4];
    let figure = HeatmapFigure::new(&nothing, 2, 2, (0.0, 1.0), (0.0, 1.0));
    assert!(render_heatmap(&figure, 400, 300).is_ok());
}

#[test]
fn tiny_grids_and_figures_render() {
    let one = [1.0f32];
    let figure = HeatmapFigure::new(&one, 1, 1, (0.0, 0.0), (0.0, 0.0));
    assert!(render_heatmap(&figure, 300, 300).is_ok());
    let values = bowl(5);
    let figure = HeatmapFigure::new(&values, 5, 5, (-1.0, 1.0), (-1.0, 1.0));
    for (width, height) in [(32, 32), (32, 900), (900, 32), (2000, 1800)] {
        let image = render_heatmap(&figure, width, height).expect("render");
        assert_eq!(image.dimensions(), (width, height));
    }
}

#[test]
fn reversed_ranges_keep_the_axis_increasing_to_the_right() {
    // Loss grows with the column index, but alpha runs from 1 down to -1.
    let values: Vec<f32> = (0..9 * 9).map(|k| (k % 9) as f32).collect();
    let figure = HeatmapFigure {
        contour_levels: 0,
        ..HeatmapFigure::new(&values, 9, 9, (1.0, -1.0), (-1.0, 1.0))
    };
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("render");
    let frame = layout_of(&figure).frame;
    assert!(close(
        pixel(&image, frame.pixel_from_data(-0.99, 0.0)),
        colormap(1.0),
        8
    ));
    assert!(close(
        pixel(&image, frame.pixel_from_data(0.99, 0.0)),
        colormap(0.0),
        8
    ));
}

#[test]
fn markers_and_paths_are_drawn_on_top() {
    let values = bowl(41);
    let markers = [
        Marker::new(0.5, 0.5, MarkerStyle::Dot, "θ now"),
        Marker::new(0.0, 0.0, MarkerStyle::Star, "minimum"),
        Marker::new(-0.5, 0.5, MarkerStyle::Cross, ""),
        Marker::new(5.0, f32::NAN, MarkerStyle::Cross, "off the plot"),
    ];
    let path = [
        (0.8, -0.8),
        (0.4, -0.5),
        (f32::NAN, 0.0),
        (0.1, -0.1),
        (0.0, 0.0),
    ];
    let figure = HeatmapFigure {
        markers: &markers,
        path: &path,
        ..HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("render");
    let frame = layout_of(&figure).frame;
    assert!(close(
        pixel(&image, frame.pixel_from_data(0.5, 0.5)),
        [20, 20, 20],
        2
    ));
    assert_eq!(
        pixel(&image, frame.pixel_from_data(0.0, 0.0)),
        [255, 255, 255]
    );
    assert_eq!(
        pixel(&image, frame.pixel_from_data(-0.5, 0.5)),
        [255, 255, 255]
    );
    assert_eq!(
        pixel(&image, frame.pixel_from_data(0.6, -0.65)),
        [255, 255, 255]
    );
}

#[test]
fn bad_grids_and_sizes_are_errors() {
    let values = bowl(5);
    let short = HeatmapFigure::new(&values[1..], 5, 5, (-1.0, 1.0), (-1.0, 1.0));
    assert!(matches!(
        render_heatmap(&short, 800, 700),
        Err(FigureError::GridShape { actual: 24, .. })
    ));
    let empty = HeatmapFigure::new(&[], 0, 5, (-1.0, 1.0), (-1.0, 1.0));
    assert!(matches!(
        render_heatmap(&empty, 800, 700),
        Err(FigureError::EmptyGrid { .. })
    ));
    let overflow = HeatmapFigure::new(&values, usize::MAX, 2, (-1.0, 1.0), (-1.0, 1.0));
    assert!(render_heatmap(&overflow, 800, 700).is_err());
    let nan_range = HeatmapFigure::new(&values, 5, 5, (f32::NAN, 1.0), (-1.0, 1.0));
    assert!(matches!(
        render_heatmap(&nan_range, 800, 700),
        Err(FigureError::InvalidRange { axis: "x", .. })
    ));
    let fine = HeatmapFigure::new(&values, 5, 5, (-1.0, 1.0), (-1.0, 1.0));
    for (width, height) in [(0, 700), (800, 0), (8193, 700), (800, 100_000)] {
        assert!(matches!(
            render_heatmap(&fine, width, height),
            Err(FigureError::InvalidSize { .. })
        ));
    }
}
