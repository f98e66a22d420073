//! Tests for the line plot: they render known curves and read pixels back.

use super::*;
use crate::MarkerStyle;
use crate::legend::SERIES_COLOURS;

fn parabola() -> (Vec<f32>, Vec<f32>) {
    let xs: Vec<f32> = (0..101).map(|i| -1.0 + 0.02 * i as f32).collect();
    let ys = xs.iter().map(|x| x * x).collect();
    (xs, ys)
}

fn is_curve(pixel: &image::Rgb<u8>) -> bool {
    pixel
        .0
        .iter()
        .zip(CURVE_COLOUR)
        .all(|(&a, b)| a.abs_diff(b) <= 10)
}

#[test]
fn a_parabolas_lowest_curve_pixel_is_at_the_bottom_centre() {
    let (xs, ys) = parabola();
    let image = render_line(&LineFigure::new(&xs, &ys), 800, 500).expect("render");
    assert_eq!(image.dimensions(), (800, 500));
    let curve: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| is_curve(p))
        .map(|(x, y, _)| (x, y))
        .collect();
    let (left, right) = (
        curve.iter().map(|p| p.0).min(),
        curve.iter().map(|p| p.0).max(),
    );
    let (Some(left), Some(right)) = (left, right) else {
        panic!("no curve pixels");
    };
    // The parabola's bottom is flat for a few pixels: take the middle of the lowest row.
    let lowest_row = curve.iter().map(|p| p.1).max().unwrap_or_default();
    let bottom: Vec<u32> = curve
        .iter()
        .filter(|p| p.1 == lowest_row)
        .map(|p| p.0)
        .collect();
    let bottom_x = bottom.iter().sum::<u32>() / bottom.len() as u32;
    let highest_row = curve.iter().map(|p| p.1).min().unwrap_or_default();
    let middle = (left + right) / 2;
    assert!(
        bottom_x.abs_diff(middle) <= 4,
        "bottom at {bottom_x}, middle {middle}"
    );
    assert!(
        lowest_row > 380 && highest_row < 100,
        "{lowest_row} {highest_row}"
    );
    // The ends of the curve are high up, at the left and right.
    assert!(right - left > 500);
}

#[test]
fn non_finite_points_break_the_line() {
    let (xs, mut ys) = parabola();
    for y in &mut ys[45..56] {
        *y = f32::NAN;
    }
    let image = render_line(&LineFigure::new(&xs, &ys), 800, 500).expect("render");
    let curve_columns: std::collections::BTreeSet<u32> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| is_curve(p))
        .map(|(x, _, _)| x)
        .collect();
    let (Some(&left), Some(&right)) = (curve_columns.first(), curve_columns.last()) else {
        panic!("no curve pixels");
    };
    let middle = (left + right) / 2;
    assert!(!curve_columns.contains(&middle), "the gap must be empty");
    // The gap is shaded; look beside the grid line at alpha = 0.
    let shaded = (300..400).filter(|&y| image.get_pixel(middle + 6, y).0 == GAP_COLOUR);
    assert!(shaded.count() > 50);
}

#[test]
fn log_scale_markers_and_odd_inputs_render() {
    let (xs, ys) = parabola();
    let markers = [Marker::new(0.0, 0.0, MarkerStyle::Dot, "current θ")];
    let figure = LineFigure {
        log_scale: true,
        markers: &markers,
        title: "Loss along a random direction",
        ..LineFigure::new(&xs, &ys)
    };
    let colours = |image: &image::RgbImage| {
        image
            .pixels()
            .map(|p| p.0)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let image = render_line(&figure, 800, 500).expect("log render");
    assert!(colours(&image) > 20, "a drawn figure");
    let flat = [3.0f32; 5];
    let image = render_line(&LineFigure::new(&xs[..5], &flat), 400, 300).expect("flat");
    assert!(colours(&image) > 10, "a flat line is still drawn");
    let nothing = [f32::NAN; 3];
    let image = render_line(&LineFigure::new(&xs[..3], &nothing), 400, 300).expect("NaN");
    assert!(colours(&image) > 5, "axes and labels without a curve");
    let image = render_line(&LineFigure::new(&xs[..1], &ys[..1]), 32, 32).expect("one point");
    assert!(colours(&image) > 1, "not blank");
}

#[test]
fn bad_inputs_are_errors() {
    let (xs, ys) = parabola();
    assert!(matches!(
        render_line(&LineFigure::new(&xs, &ys[1..]), 800, 500),
        Err(FigureError::SeriesLength { .. })
    ));
    assert!(matches!(
        render_line(&LineFigure::new(&[], &[]), 800, 500),
        Err(FigureError::EmptySeries)
    ));
    assert!(matches!(
        render_line(&LineFigure::new(&xs, &ys), 0, 500),
        Err(FigureError::InvalidSize { .. })
    ));
}

/// Two parabolas through the origin: a flat one and one `sharpness` times steeper.
fn two_parabolas(sharpness: f32) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (xs, flat) = parabola();
    let sharp = flat.iter().map(|y| y * sharpness).collect();
    (xs, flat, sharp)
}

/// The typical pair: a flat minimum (small batch) and a sharp one (large batch).
fn small_and_large_batch<'a>(
    xs: &'a [f32],
    flat: &'a [f32],
    sharp: &'a [f32],
) -> [LineSeries<'a>; 2] {
    [
        LineSeries {
            label: "batch 16: λmax 3.1",
            xs,
            ys: flat,
        },
        LineSeries {
            label: "batch 1024: λmax 48.0",
            xs,
            ys: sharp,
        },
    ]
}

fn count_colour(image: &RgbImage, colour: Colour) -> usize {
    image.pixels().filter(|p| p.0 == colour).count()
}

#[test]
fn each_series_has_its_colour_and_a_legend_entry() {
    let (xs, flat, sharp) = two_parabolas(100.0);
    let series = small_and_large_batch(&xs, &flat, &sharp);
    let figure = LineFigure::of_series(&series);
    let (width, height) = (900, 560);
    let image = render_line(&figure, width, height).expect("render");
    for colour in &SERIES_COLOURS[..2] {
        assert!(count_colour(&image, *colour) > 300, "{colour:?}");
    }
    assert_eq!(count_colour(&image, CURVE_COLOUR), 0);
    assert_eq!(count_colour(&image, SERIES_COLOURS[2]), 0);

    // The legend's swatches: horizontal runs of each colour inside its plate.
    let style = Style::for_size(width, height);
    let sharp_pixels: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0 == SERIES_COLOURS[1])
        .map(|(x, y, _)| (x, y))
        .collect();
    let swatch_rows = sharp_pixels
        .iter()
        .filter(|(x, y)| {
            (0..(style.text * 2.0) as u32)
                .all(|dx| image.get_pixel(x + dx, *y).0 == SERIES_COLOURS[1])
        })
        .count();
    assert!(swatch_rows > 0, "a vermillion swatch in the legend");

    // The axes reach y = 100: the steep curve's ends are inside the frame, at the top.
    let top_row = sharp_pixels.iter().map(|p| p.1).min().unwrap_or(height);
    let lowest_flat_row = image
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0 == SERIES_COLOURS[0])
        .map(|(_, y, _)| y)
        .max()
        .unwrap_or(0);
    assert!(top_row < height / 4, "steep ends near the top: {top_row}");
    assert!(
        lowest_flat_row > height / 2,
        "flat curve low: {lowest_flat_row}"
    );
}

#[test]
fn series_reject_mixing_mismatches_and_emptiness() {
    let (xs, flat, sharp) = two_parabolas(10.0);
    let series = [LineSeries {
        label: "a",
        xs: &xs,
        ys: &flat,
    }];
    let both = LineFigure {
        series: &series,
        ..LineFigure::new(&xs, &sharp)
    };
    assert!(matches!(
        render_line(&both, 800, 500),
        Err(FigureError::CurveAndSeries)
    ));
    let short = [LineSeries {
        label: "short",
        xs: &xs[1..],
        ys: &flat,
    }];
    assert!(matches!(
        render_line(&LineFigure::of_series(&short), 800, 500),
        Err(FigureError::SeriesLength { .. })
    ));
    let empty = [
        series[0],
        LineSeries {
            label: "empty",
            xs: &[],
            ys: &[],
        },
    ];
    assert!(matches!(
        render_line(&LineFigure::of_series(&empty), 800, 500),
        Err(FigureError::EmptySeries)
    ));
}

#[test]
fn many_unlabelled_log_series_with_markers_render() {
    let (xs, flat, _) = two_parabolas(1.0);
    let scaled: Vec<Vec<f32>> = (0..9)
        .map(|k| flat.iter().map(|y| y * (k + 1) as f32).collect())
        .collect();
    let series: Vec<LineSeries> = scaled
        .iter()
        .map(|ys| LineSeries {
            label: "",
            xs: &xs,
            ys,
        })
        .collect();
    let markers = [Marker::new(0.0, 0.0, MarkerStyle::Star, "minimum")];
    let figure = LineFigure {
        log_scale: true,
        markers: &markers,
        ..LineFigure::of_series(&series)
    };
    let image = render_line(&figure, 800, 500).expect("render");
    // Colours repeat past the seventh series; the last palette colour is black.
    assert!(count_colour(&image, SERIES_COLOURS[5]) > 50);
}

/// Writes the demo to the temp directory, to look at by eye:
/// `cargo test --release --lib line_plot -- --ignored`.
#[test]
#[ignore = "writes a PNG for a person to look at"]
fn save_demo_line_series() {
    let xs: Vec<f32> = (0..201).map(|i| -1.0 + 0.01 * i as f32).collect();
    let flat: Vec<f32> = xs.iter().map(|x| 0.05 + 0.5 * 3.1 * x * x).collect();
    let sharp: Vec<f32> = xs.iter().map(|x| 0.05 + 0.5 * 48.0 * x * x).collect();
    let series = small_and_large_batch(&xs, &flat, &sharp);
    let markers = [Marker::new(0.0, 0.05, MarkerStyle::Dot, "trained θ")];
    let figure = LineFigure {
        title: "Flat and sharp minima along a filter-normalised direction",
        markers: &markers,
        ..LineFigure::of_series(&series)
    };
    let image = render_line(&figure, 900, 560).expect("render");
    let path = std::env::temp_dir().join("line_series_demo.png");
    crate::save_png(&image, &path).expect("save");
}

#[test]
fn a_log_x_axis_places_decades_evenly_and_bands_and_lines_land_where_their_values_are() {
    // Sizes 10 to 1000 on a log axis: 100 sits halfway, where the line is drawn.
    let xs: Vec<f32> = (0..=20)
        .map(|i| 10f32.powf(1.0 + i as f32 / 10.0))
        .collect();
    let ys: Vec<f32> = xs.iter().map(|x| 1.0 + (x.log10() - 2.0).powi(2)).collect();
    let low: Vec<f32> = ys.iter().map(|y| y - 0.3).collect();
    let high: Vec<f32> = ys.iter().map(|y| y + 0.3).collect();
    let series = [LineSeries {
        label: "test loss",
        xs: &xs,
        ys: &ys,
    }];
    let bands = [Band {
        series: 0,
        xs: &xs,
        low: &low,
        high: &high,
    }];
    let vlines = [VLine {
        x: 100.0,
        label: "threshold",
    }];
    let figure = LineFigure {
        log_x: true,
        bands: &bands,
        vlines: &vlines,
        ..LineFigure::of_series(&series)
    };
    let image = render_line(&figure, 800, 500).expect("render");
    // The curve's lowest point (x = 100) and the dashed line share a column.
    let grey = |p: &image::Rgb<u8>| p.0.iter().all(|&c| c.abs_diff(90) <= 12);
    let mut line_columns: Vec<u32> = (0..image.width())
        .filter(|&x| {
            (0..image.height())
                .filter(|&y| grey(image.get_pixel(x, y)))
                .count()
                > 60
        })
        .collect();
    line_columns.sort_unstable();
    let line_x = line_columns[line_columns.len() / 2] as f32;
    let curve = SERIES_COLOURS[0];
    let near = |p: &image::Rgb<u8>| p.0.iter().zip(curve).all(|(&a, b)| a.abs_diff(b) <= 10);
    let lowest = (0..image.width())
        .filter_map(|x| {
            (0..image.height())
                .rev()
                .find(|&y| near(image.get_pixel(x, y)))
                .map(|y| (x, y))
        })
        .max_by_key(|&(_, y)| y)
        .expect("the curve is drawn");
    assert!(
        (lowest.0 as f32 - line_x).abs() < 12.0,
        "curve bottom at {}, line at {line_x}",
        lowest.0
    );
    // The band is a pale tint of the curve's colour, above and below it.
    let tint = |p: &image::Rgb<u8>| {
        let [r, g, b] = p.0;
        b > r && b > g && r > 150 && b < 250
    };
    let column = image.width() / 4;
    assert!(
        (0..image.height())
            .filter(|&y| tint(image.get_pixel(column, y)))
            .count()
            > 10
    );
}
