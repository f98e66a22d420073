//! Where a parameter vector lies relative to a slice: the least-squares
//! coefficients on the slice's directions and the distance off it.
//!
//! The ball and its trail are drawn at these coefficients; the distance
//! says how far the true parameters have left the drawn plane.

use super::grid::Plane;

/// A parameter vector seen from a slice.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Coefficients (alpha, beta) of the closest point on the slice.
    pub coords: Vec<f32>,
    /// Euclidean distance from the parameters to that point.
    pub distance: f32,
}

/// Least-squares projection of `params − center` onto the plane's directions.
///
/// Solves the normal equations G c = Dᵀ v in f64 (G = DᵀD, at most 2 × 2).
/// Directions that are (nearly) parallel make G singular; then the
/// minimum-norm solution is used, so the result is always finite.
pub fn project(plane: &Plane, params: &[f32]) -> Projection {
    assert_eq!(params.len(), plane.center.len(), "parameter length");
    let v: Vec<f64> = params
        .iter()
        .zip(&plane.center)
        .map(|(&p, &c)| f64::from(p) - f64::from(c))
        .collect();
    project_offset(plane, &v)
}

/// How much of a move (a step, or the way between two snapshots) shows on
/// the plane: the length of its projection over its own length, in 0..=1.
/// A share near 0 is the "wormhole": the parameters travel, but almost all
/// of the way is off the drawn plane. `None` for a move of length zero.
pub fn share_in_plane(plane: &Plane, delta: &[f32]) -> Option<f32> {
    assert_eq!(delta.len(), plane.center.len(), "step length");
    let v: Vec<f64> = delta.iter().map(|&d| f64::from(d)).collect();
    let length_sq: f64 = v.iter().map(|x| x * x).sum();
    if !(length_sq > 0.0 && length_sq.is_finite()) {
        return None;
    }
    let off = f64::from(project_offset(plane, &v).distance);
    Some(
        ((length_sq - off * off).max(0.0) / length_sq)
            .sqrt()
            .min(1.0) as f32,
    )
}

/// The projection of an offset `v` from the plane's centre.
fn project_offset(plane: &Plane, v: &[f64]) -> Projection {
    let dot = |a: &[f32], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x) * y)
            .sum::<f64>()
    };
    let dd = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum::<f64>()
    };
    let dirs = &plane.directions;
    let coords: Vec<f64> = match dirs.as_slice() {
        [d] => vec![dot(d, v) / dd(d, d)],
        [d1, d2] => {
            let (g11, g12, g22) = (dd(d1, d1), dd(d1, d2), dd(d2, d2));
            let (r1, r2) = (dot(d1, v), dot(d2, v));
            let det = g11 * g22 - g12 * g12;
            if det > 1e-12 * g11 * g22 {
                vec![(g22 * r1 - g12 * r2) / det, (g11 * r2 - g12 * r1) / det]
            } else {
                // Parallel directions: spread the component evenly (minimum norm).
                let c = (r1 + r2) / (g11 + 2.0 * g12 + g22).max(f64::MIN_POSITIVE);
                vec![c, c]
            }
        }
        _ => unreachable!("a plane has one or two directions"),
    };
    let residual: f64 = v
        .iter()
        .enumerate()
        .map(|(k, &vk)| {
            let on_plane: f64 = dirs
                .iter()
                .zip(&coords)
                .map(|(d, &c)| c * f64::from(d[k]))
                .sum();
            (vk - on_plane).powi(2)
        })
        .sum();
    Projection {
        coords: coords.iter().map(|&c| c as f32).collect(),
        distance: residual.sqrt() as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane_xy() -> Plane {
        Plane::new(
            vec![1.0, 2.0, 3.0],
            vec![vec![2.0, 0.0, 0.0], vec![0.0, 0.5, 0.0]],
        )
        .expect("plane")
    }

    #[test]
    fn projection_finds_known_coefficients_and_distance() {
        let p = project(&plane_xy(), &[1.0 + 4.0, 2.0 - 1.0, 3.0 + 2.0]);
        assert!((p.coords[0] - 2.0).abs() < 1e-6 && (p.coords[1] + 2.0).abs() < 1e-6);
        assert!((p.distance - 2.0).abs() < 1e-6);
    }

    #[test]
    fn a_step_shows_on_the_plane_by_the_cosine_of_its_angle() {
        let plane = plane_xy();
        // In the plane, off it, and at 60° to it (cos 60° = ½).
        assert_eq!(share_in_plane(&plane, &[0.3, -0.2, 0.0]), Some(1.0));
        assert_eq!(share_in_plane(&plane, &[0.0, 0.0, -5.0]), Some(0.0));
        let s = 3f32.sqrt();
        let share = share_in_plane(&plane, &[0.5, 0.0, s / 2.0]).expect("share");
        assert!((share - 0.5).abs() < 1e-6, "{share}");
        assert_eq!(share_in_plane(&plane, &[0.0; 3]), None);
        assert_eq!(share_in_plane(&plane, &[f32::NAN, 0.0, 0.0]), None);
    }
}
