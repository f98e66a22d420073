//! Tests for the heatmap figure: they render known grids and read pixels back.

use super::*;
use crate::MarkerStyle;
use crate::colour_scale::{NOT_FINITE_COLOUR, colormap};

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
    Layout::compute(figure, &figure.colour_scale(), SIZE.0, SIZE.1)
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
        let image = render_heatmap(&figure, 400, 300).expect("signs render");
        assert!(colours(&image) > 20, "log {log_scale}: a drawn figure");
    }
    // All NaN: the plot shows the neutral colour for diverged points, not a blank.
    let nothing = [f32::NAN; 4];
    let figure = HeatmapFigure::new(&nothing, 2, 2, (0.0, 1.0), (0.0, 1.0));
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("NaN render");
    assert!(colours(&image) > 5, "axes and labels are drawn");
    let centre = layout_of(&figure).frame.pixel_from_data(0.5, 0.5);
    assert_eq!(
        pixel(&image, centre),
        NOT_FINITE_COLOUR,
        "the diverged region has its own colour"
    );
}

/// Distinct colours in an image: a blank or single-colour one has one or two.
fn colours(image: &image::RgbImage) -> usize {
    image
        .pixels()
        .map(|p| p.0)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[test]
fn tiny_grids_and_figures_render() {
    let one = [1.0f32];
    let figure = HeatmapFigure::new(&one, 1, 1, (0.0, 0.0), (0.0, 0.0));
    let image = render_heatmap(&figure, 300, 300).expect("one cell");
    assert!(
        colours(&image) > 5,
        "a one-cell grid is still a drawn figure"
    );
    let values = bowl(5);
    let figure = HeatmapFigure::new(&values, 5, 5, (-1.0, 1.0), (-1.0, 1.0));
    for (width, height) in [(32, 32), (32, 900), (900, 32), (2000, 1800)] {
        let image = render_heatmap(&figure, width, height).expect("render");
        assert_eq!(image.dimensions(), (width, height));
        assert!(colours(&image) > 2, "{width}x{height} is not blank");
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

#[test]
fn a_shared_scale_colours_the_same_loss_alike() {
    // Two bowls with their own ranges, 0..2 and 1..5, coloured over 0..5 together.
    let low = bowl(41);
    let high: Vec<f32> = low.iter().map(|v| 1.0 + 2.0 * v).collect();
    let union: Vec<f32> = low.iter().chain(&high).copied().collect();
    let shared = |values| HeatmapFigure {
        scale_values: Some(&union),
        contour_levels: 0,
        ..HeatmapFigure::new(values, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    let (low_figure, high_figure) = (shared(&low), shared(&high));
    let low_image = render_heatmap(&low_figure, SIZE.0, SIZE.1).expect("low");
    let high_image = render_heatmap(&high_figure, SIZE.0, SIZE.1).expect("high");
    let frame = layout_of(&low_figure).frame;
    assert_eq!(frame, layout_of(&high_figure).frame);
    // Loss 1 is at a corner of the low bowl (x = y = √0.5) and the centre of the high one.
    let edge = 0.5f64.sqrt();
    let low_at_one = pixel(&low_image, frame.pixel_from_data(edge, edge));
    let high_at_one = pixel(&high_image, frame.pixel_from_data(0.0, 0.0));
    assert!(
        close(low_at_one, high_at_one, 6),
        "{low_at_one:?} {high_at_one:?}"
    );
    assert!(close(high_at_one, colormap(0.2), 6), "{high_at_one:?}");
    // Alone, the high bowl's centre would be the dark end.
    let alone = HeatmapFigure {
        contour_levels: 0,
        ..HeatmapFigure::new(&high, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    let alone_image = render_heatmap(&alone, SIZE.0, SIZE.1).expect("alone");
    let centre = layout_of(&alone).frame.pixel_from_data(0.0, 0.0);
    assert!(close(pixel(&alone_image, centre), colormap(0.0), 3));
    // Both colorbars span 0..5: the same pixels.
    let bar = Colorbar::bar_rect(&layout_of(&low_figure).style, frame.plot);
    let x = (bar.x0 + bar.x1) / 2.0;
    for y in [bar.y0, (bar.y0 + bar.y1) / 2.0, bar.y1 - 1.0] {
        assert_eq!(pixel(&low_image, (x, y)), pixel(&high_image, (x, y)));
    }
}

#[test]
fn values_outside_a_shared_scale_clamp_to_its_ends() {
    let values = bowl(41);
    let narrow = [0.5f32, 1.5];
    let figure = HeatmapFigure {
        scale_values: Some(&narrow),
        contour_levels: 0,
        ..HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    let image = render_heatmap(&figure, SIZE.0, SIZE.1).expect("render");
    let frame = layout_of(&figure).frame;
    assert_eq!(
        pixel(&image, frame.pixel_from_data(0.0, 0.0)),
        colormap(0.0)
    );
    let corner = frame.pixel_from_data(-0.99, -0.99);
    assert!(close(pixel(&image, corner), colormap(1.0), 2));
}

#[test]
fn without_its_colorbar_the_plot_takes_the_width() {
    // A tall figure, so the plot's width is what the colorbar takes away.
    let (width, height) = (600, 900);
    let values = bowl(41);
    let with = HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0));
    let without = HeatmapFigure {
        show_colorbar: false,
        ..with
    };
    let layout =
        |figure: &HeatmapFigure| Layout::compute(figure, &figure.colour_scale(), width, height);
    let (with_layout, without_plot) = (layout(&with), layout(&without).frame.plot);
    let with_plot = with_layout.frame.plot;
    assert!(
        without_plot.width() > with_plot.width() + 50.0,
        "{with_plot:?} {without_plot:?}"
    );
    let bar = Colorbar::bar_rect(&with_layout.style, with_plot);
    let x = (bar.x0 + bar.x1) / 2.0;
    let ends = |image: &RgbImage| (pixel(image, (x, bar.y0)), pixel(image, (x, bar.y1 - 1.0)));
    let with_image = render_heatmap(&with, width, height).expect("with");
    assert_eq!(ends(&with_image), (colormap(1.0), colormap(0.0)));
    let without_image = render_heatmap(&without, width, height).expect("without");
    assert_ne!(ends(&without_image), (colormap(1.0), colormap(0.0)));
}
