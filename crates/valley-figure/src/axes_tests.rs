//! Tests for the axes: sizes, the plot area's layout, and data-to-pixel mapping.

use super::*;

#[test]
fn text_is_big_enough_for_a_slide() {
    let style = Style::for_size(800, 700);
    assert!(style.text >= 14.0, "{}", style.text);
    assert!(style.title > style.text);
}

#[test]
fn the_plot_area_keeps_its_aspect_and_fits() {
    let style = Style::for_size(800, 700);
    let margins = margins(&style, "title", "β", &[(0.0, "−1.0".into())], 120.0);
    let plot = plot_area(800, 700, margins, Some(1.0));
    assert_eq!(plot.width(), plot.height());
    // Within a pixel: the area is rounded to whole pixels.
    assert!(plot.x0 + 1.0 >= margins.left && plot.x1 <= 801.0 - margins.right);
    assert!(plot.y0 + 1.0 >= margins.top && plot.y1 <= 701.0 - margins.bottom);
    assert!(plot.width() > 400.0);
}

#[test]
fn axes_map_their_ends_to_the_plot_edges() {
    let frame = Frame {
        plot: Rect {
            x0: 10.0,
            y0: 20.0,
            x1: 110.0,
            y1: 220.0,
        },
        x: Axis {
            lo: -1.0,
            hi: 1.0,
            is_log: false,
        },
        y: Axis {
            lo: 0.1,
            hi: 10.0,
            is_log: true,
        },
    };
    assert_eq!(frame.pixel_from_data(-1.0, 0.1), (10.0, 220.0));
    assert_eq!(frame.pixel_from_data(1.0, 10.0), (110.0, 20.0));
    let (x, y) = frame.pixel_from_data(0.0, 1.0);
    assert!((x - 60.0).abs() < 1e-4 && (y - 120.0).abs() < 1e-4);
    let labels: Vec<String> = frame.y.ticks().into_iter().map(|(_, l)| l).collect();
    assert_eq!(labels, ["0.1", "1", "10"]);
}
