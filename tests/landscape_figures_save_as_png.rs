//! A landscape and a slice go through the public API to PNG files and come back intact.

use valley::figure::{
    HeatmapFigure, LineFigure, Marker, MarkerStyle, render_heatmap, render_line, save_png,
};

#[test]
fn landscape_figures_save_as_png_and_reload_pixel_for_pixel() {
    let n = 21;
    let coordinate = |k: usize| -1.0 + 2.0 * k as f32 / (n - 1) as f32;
    let values: Vec<f32> = (0..n * n)
        .map(|k| coordinate(k % n).powi(2) + 2.0 * coordinate(k / n).powi(2))
        .collect();
    let markers = [Marker::new(0.0, 0.0, MarkerStyle::Star, "minimum")];
    let heatmap = HeatmapFigure {
        title: "x² + 2y²",
        markers: &markers,
        ..HeatmapFigure::new(&values, n, n, (-1.0, 1.0), (-1.0, 1.0))
    };
    let xs: Vec<f32> = (0..n).map(coordinate).collect();
    let ys: Vec<f32> = xs.iter().map(|x| x * x).collect();
    let slice = LineFigure::new(&xs, &ys);

    let dir = tempfile::tempdir().expect("temp dir");
    for (name, image) in [
        (
            "heatmap.png",
            render_heatmap(&heatmap, 640, 560).expect("heatmap"),
        ),
        ("slice.png", render_line(&slice, 640, 400).expect("slice")),
    ] {
        // A blank or black image would reload pixel for pixel too: the
        // figure must hold the colormap, the axes and their labels.
        let colours: std::collections::HashSet<_> = image.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 30, "{name}: {} colours", colours.len());
        let path = dir.path().join(name);
        save_png(&image, &path).expect("save");
        let reloaded = image::open(&path).expect("reopen").to_rgb8();
        assert_eq!(reloaded, image, "{name}");
    }
}
