//! Renders one sample of each figure kind to PNG, to look at figures without the CLI.
//!
//! Run with `cargo run --example figure_samples -- /tmp/figure-samples`; the files
//! are a gradient-descent path on an ill-conditioned bowl, a log-scale landscape with
//! a diverged region, a flat landscape, and two 1D slices.

use std::path::PathBuf;

use valley::figure::{
    HeatmapFigure, LineFigure, Marker, MarkerStyle, render_heatmap, render_line, save_png,
};

/// A `steps` x `steps` grid of `loss` over [-extent, extent]², bottom row first.
fn grid(steps: usize, extent: f32, loss: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let coordinate = |k: usize| -extent + 2.0 * extent * k as f32 / (steps - 1) as f32;
    (0..steps * steps)
        .map(|k| loss(coordinate(k % steps), coordinate(k / steps)))
        .collect()
}

/// A bowl ten times steeper across its valley than along it, tilted by 30°.
fn ravine(alpha: f32, beta: f32) -> f32 {
    let (sin, cos) = 30f32.to_radians().sin_cos();
    let along = cos * alpha + sin * beta;
    let across = -sin * alpha + cos * beta;
    0.5 * along * along + 5.0 * across * across
}

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/figure-samples".into()),
    );
    std::fs::create_dir_all(&out)?;

    // Plain gradient descent on the ravine: the zigzag a lesson wants to show.
    let mut point = (-1.6f32, 1.2f32);
    let mut path = vec![point];
    for _ in 0..25 {
        let h = 1e-3;
        let grad_alpha = (ravine(point.0 + h, point.1) - ravine(point.0 - h, point.1)) / (2.0 * h);
        let grad_beta = (ravine(point.0, point.1 + h) - ravine(point.0, point.1 - h)) / (2.0 * h);
        point = (point.0 - 0.17 * grad_alpha, point.1 - 0.17 * grad_beta);
        path.push(point);
    }
    let values = grid(61, 2.0, ravine);
    let markers = [
        Marker::new(-1.6, 1.2, MarkerStyle::Dot, "start"),
        Marker::new(0.0, 0.0, MarkerStyle::Star, "minimum"),
    ];
    let figure = HeatmapFigure {
        title: "Gradient descent in a ravine",
        markers: &markers,
        path: &path,
        contour_levels: 10,
        ..HeatmapFigure::new(&values, 61, 61, (-2.0, 2.0), (-2.0, 2.0))
    };
    save_png(
        &render_heatmap(&figure, 800, 700)?,
        &out.join("heatmap_ravine.png"),
    )?;

    // A landscape that spans decades and diverges towards one corner.
    let values = grid(41, 1.0, |a, b| {
        let loss = 0.01 + 30.0 * (a * a + b * b).powi(2) + (3.0 * a).sin().powi(2);
        if a + b > 1.2 {
            f32::NAN
        } else if a - b > 1.5 {
            f32::INFINITY
        } else {
            loss
        }
    });
    let markers = [Marker::new(0.0, 0.0, MarkerStyle::Dot, "current θ")];
    let figure = HeatmapFigure {
        title: "Loss around the current parameters",
        log_scale: true,
        markers: &markers,
        ..HeatmapFigure::new(&values, 41, 41, (-1.0, 1.0), (-1.0, 1.0))
    };
    save_png(
        &render_heatmap(&figure, 800, 700)?,
        &out.join("heatmap_log_diverged.png"),
    )?;

    let flat = vec![0.693f32; 21 * 21];
    let figure = HeatmapFigure {
        title: "A flat landscape",
        ..HeatmapFigure::new(&flat, 21, 21, (-1.0, 1.0), (-1.0, 1.0))
    };
    save_png(
        &render_heatmap(&figure, 800, 700)?,
        &out.join("heatmap_flat.png"),
    )?;

    let xs: Vec<f32> = (0..201).map(|i| -1.0 + 0.01 * i as f32).collect();
    let ys: Vec<f32> = xs
        .iter()
        .map(|&a| 0.3 + (a - 0.2).powi(2) + 0.05 * (8.0 * a).sin())
        .collect();
    let centre = Marker::new(0.0, 0.3 + 0.04, MarkerStyle::Dot, "current θ");
    let markers = [centre];
    let figure = LineFigure {
        title: "Loss along a random direction",
        markers: &markers,
        ..LineFigure::new(&xs, &ys)
    };
    save_png(
        &render_line(&figure, 800, 500)?,
        &out.join("line_slice.png"),
    )?;

    let ys: Vec<f32> = xs
        .iter()
        .map(|&a| {
            if a > 0.8 {
                f32::NAN
            } else {
                1e-3 + 50.0 * a.powi(4)
            }
        })
        .collect();
    let markers = [Marker::new(0.0, 1e-3, MarkerStyle::Dot, "current θ")];
    let figure = LineFigure {
        title: "Loss along the gradient (log scale)",
        log_scale: true,
        markers: &markers,
        ..LineFigure::new(&xs, &ys)
    };
    save_png(
        &render_line(&figure, 800, 500)?,
        &out.join("line_slice_log.png"),
    )?;
    println!("wrote samples to {}", out.display());
    Ok(())
}
