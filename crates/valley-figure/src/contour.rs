//! Contour lines by marching squares.
//!
//! Hand-written rather than the `contour` crate: the figure only needs line segments
//! to stroke, while that crate builds closed polygons (geo-types, slab, rustc-hash,
//! lazy_static) for GIS output; these sixty lines do the part needed.

/// One piece of a contour line, from one point to another in grid coordinates
/// (column, row), where (0, 0) is the first cell's centre.
pub type Segment = [(f64, f64); 2];

/// The segments where the field, interpolated bilinearly between grid points,
/// crosses `level`. `field` is row-major, `cols` by `rows`; squares with a
/// non-finite corner are skipped, so contours stop at the edge of a diverged region.
pub fn isoline_segments(field: &[f64], cols: usize, rows: usize, level: f64) -> Vec<Segment> {
    assert_eq!(field.len(), cols * rows, "field shape");
    let mut segments = Vec::new();
    for row in 0..rows.saturating_sub(1) {
        for col in 0..cols.saturating_sub(1) {
            let at = |c: usize, r: usize| field[r * cols + c];
            // Corners anticlockwise from the square's origin.
            let corners = [
                ((col as f64, row as f64), at(col, row)),
                ((col as f64 + 1.0, row as f64), at(col + 1, row)),
                ((col as f64 + 1.0, row as f64 + 1.0), at(col + 1, row + 1)),
                ((col as f64, row as f64 + 1.0), at(col, row + 1)),
            ];
            if corners.iter().any(|(_, v)| !v.is_finite()) {
                continue;
            }
            square_segments(&corners, level, &mut segments);
        }
    }
    segments
}

/// Adds the zero, one or two segments that cross one square.
fn square_segments(corners: &[((f64, f64), f64); 4], level: f64, out: &mut Vec<Segment>) {
    let above = corners.map(|(_, v)| v >= level);
    // Crossing on the edge from corner k to corner k + 1, if the level is crossed there.
    let crossing = |k: usize| -> Option<(f64, f64)> {
        let ((p, vp), (q, vq)) = (corners[k], corners[(k + 1) % 4]);
        if above[k] == above[(k + 1) % 4] {
            return None;
        }
        let t = (level - vp) / (vq - vp);
        Some((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)))
    };
    let edges = [crossing(0), crossing(1), crossing(2), crossing(3)];
    let crossed: Vec<(f64, f64)> = edges.iter().flatten().copied().collect();
    match crossed.len() {
        2 => out.push([crossed[0], crossed[1]]),
        4 => {
            // A saddle: the mean of the corners decides which diagonal pair is joined
            // through the middle; the other two corners are cut off on their own.
            let centre = corners.iter().map(|(_, v)| v).sum::<f64>() / 4.0;
            let pairs = if (centre >= level) == above[0] {
                [(0, 1), (2, 3)] // corners 1 and 3 isolated
            } else {
                [(3, 0), (1, 2)] // corners 0 and 2 isolated
            };
            for (a, b) in pairs {
                if let (Some(start), Some(end)) = (edges[a], edges[b]) {
                    out.push([start, end]);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bowl_gives_a_closed_ring_at_the_right_radius() {
        let n = 41;
        let centre = 20.0;
        let field: Vec<f64> = (0..n * n)
            .map(|k| {
                let (c, r) = ((k % n) as f64 - centre, (k / n) as f64 - centre);
                c * c + r * r
            })
            .collect();
        let segments = isoline_segments(&field, n, n, 100.0);
        assert!(segments.len() > 20);
        for segment in &segments {
            for (c, r) in segment {
                let radius = ((c - centre).powi(2) + (r - centre).powi(2)).sqrt();
                assert!((radius - 10.0).abs() < 0.2, "radius {radius}");
            }
        }
    }

    #[test]
    fn saddles_and_gaps_do_not_panic() {
        let saddle = [1.0, 0.0, 0.0, 1.0]; // 2x2, diagonal highs
        assert_eq!(isoline_segments(&saddle, 2, 2, 0.5).len(), 2);
        // The left square is a saddle (two segments); the right one touches NaN.
        let with_nan = [0.0, 1.0, f64::NAN, 1.0, 0.0, 1.0];
        assert_eq!(isoline_segments(&with_nan, 3, 2, 0.5).len(), 2);
        assert!(isoline_segments(&[1.0], 1, 1, 0.5).is_empty());
    }
}
