//! Planes and lines that mean something, for the views: the two principal
//! components of a trajectory (Li et al. 2018, §7), the straight line
//! between two parameter vectors with the loss barrier along it, the plane
//! through such a line, and the plane of steepest descent.

use super::lanczos::{AnalysisError, Control, extremes};
use crate::landscape::{DirectionError, Plane};
use crate::problem::{Problem, Workspace};

/// The PCA plane of a trajectory.
#[derive(Clone, Debug)]
pub struct PcaPlane {
    /// The first two principal directions (unit vectors).
    pub directions: Vec<Vec<f32>>,
    /// The share of the trajectory's variance each explains.
    pub explained: Vec<f64>,
    /// Each point's (α, β) on the plane (the directions are orthonormal).
    pub path: Vec<(f32, f32)>,
    /// The largest |α| or |β| of the path: the span that shows all of it.
    pub reach: f32,
}

/// The two principal components of `points − center` (`center` is usually
/// the last point): the plane in which the trajectory moved most.
pub fn pca_plane(points: &[&[f32]], center: &[f32]) -> Result<PcaPlane, AnalysisError> {
    let n = center.len();
    let rows: Vec<Vec<f64>> = points
        .iter()
        .filter(|p| p.len() == n)
        .map(|p| {
            p.iter()
                .zip(center)
                .map(|(a, b)| f64::from(a - b))
                .collect()
        })
        .collect();
    let total: f64 = rows.iter().flatten().map(|x| x * x).sum();
    if rows.len() < 2 || total <= 0.0 {
        return Err(AnalysisError::NoHessian);
    }
    // The covariance C = Dᵀ D acts as v ↦ Dᵀ (D v): never formed, like the Hessian.
    let mut product = |v: &[f64]| -> Option<Vec<f64>> {
        let mut out = vec![0.0; n];
        for row in &rows {
            let c: f64 = row.iter().zip(v).map(|(a, b)| a * b).sum();
            out.iter_mut().zip(row).for_each(|(o, r)| *o += c * r);
        }
        Some(out)
    };
    let found = extremes(n, 2.min(n), &mut product, 0, &Control::none())?;
    let along = |row: &[f64], d: &[f64]| row.iter().zip(d).map(|(a, b)| a * b).sum::<f64>() as f32;
    let path: Vec<(f32, f32)> = rows
        .iter()
        .map(|row| {
            let beta = found.top_vectors.get(1).map_or(0.0, |d| along(row, d));
            (along(row, &found.top_vectors[0]), beta)
        })
        .collect();
    Ok(PcaPlane {
        directions: found
            .top_vectors
            .iter()
            .map(|v| v.iter().map(|&x| x as f32).collect())
            .collect(),
        explained: found
            .top
            .iter()
            .map(|l| (l / total).clamp(0.0, 1.0))
            .collect(),
        reach: path
            .iter()
            .fold(0.0f32, |m, &(a, b)| m.max(a.abs()).max(b.abs())),
        path,
    })
}

/// The loss along the straight line from `from` (t = 0) to `to` (t = 1).
#[derive(Clone, Debug)]
pub struct Interpolation {
    /// The positions along the line.
    pub t: Vec<f32>,
    /// The loss at each.
    pub loss: Vec<f32>,
    /// Highest loss on the line above the higher of its two ends (0 when
    /// the line never rises above them: no barrier between the two points).
    pub barrier: f32,
}

/// Evaluates the loss at `points` evenly spaced positions from `from` to `to`.
pub fn interpolate(
    problem: &dyn Problem,
    from: &[f32],
    to: &[f32],
    points: usize,
) -> Interpolation {
    let points = points.max(2);
    let mut workspace = Workspace::default();
    let mut at = vec![0.0f32; from.len()];
    let t: Vec<f32> = (0..points)
        .map(|i| i as f32 / (points - 1) as f32)
        .collect();
    let loss: Vec<f32> = t
        .iter()
        .map(|&s| {
            at.iter_mut()
                .zip(from.iter().zip(to))
                .for_each(|(x, (a, b))| *x = a + s * (b - a));
            problem.loss(&at, &mut workspace)
        })
        .collect();
    let ends = loss[0].max(loss[points - 1]);
    let highest = loss.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Interpolation {
        barrier: (highest - ends).max(0.0),
        t,
        loss,
    }
}

/// The plane through the straight line from `from` to `to`: centred halfway,
/// so that `from` sits at α = −1 and `to` at α = +1 (β = 0). Its second
/// direction is the part of `toward` orthogonal to the line, as long as the
/// first, so α and β share a scale. Pass `third − midpoint` as `toward` to
/// lay a third point (another run, the start) on the plane.
///
/// Fails when the ends coincide or `toward` is parallel to the line.
pub fn line_plane(from: &[f32], to: &[f32], toward: &[f32]) -> Result<Plane, DirectionError> {
    assert!(
        from.len() == to.len() && to.len() == toward.len(),
        "points and direction differ in length"
    );
    let half: Vec<f64> = from
        .iter()
        .zip(to)
        .map(|(&a, &b)| 0.5 * (f64::from(b) - f64::from(a)))
        .collect();
    let center: Vec<f32> = from
        .iter()
        .zip(&half)
        .map(|(&a, h)| (f64::from(a) + h) as f32)
        .collect();
    let beta = orthogonal_scaled(toward, &half, length(&half))?;
    Plane::new(center, vec![as_f32(&half), beta])
}

/// The plane through three points: `from` at (−1, 0), `to` at (1, 0), and
/// `third` (say, where one of the runs started) on it at some β > 0.
pub fn plane_through_points(
    from: &[f32],
    to: &[f32],
    third: &[f32],
) -> Result<Plane, DirectionError> {
    let toward: Vec<f32> = third
        .iter()
        .zip(from.iter().zip(to))
        .map(|(t, (a, b))| t - 0.5 * (a + b))
        .collect();
    line_plane(from, to, &toward)
}

/// The plane of steepest descent at `center`: α along −∇L (so that moving
/// right goes downhill), β along the part of `other` (e.g. a filter-normalised
/// random direction) orthogonal to the gradient. Both are as long as `other`,
/// so the plane is drawn at the scale of a random slice.
pub fn gradient_plane(
    center: &[f32],
    gradient: &[f32],
    other: &[f32],
) -> Result<Plane, DirectionError> {
    assert!(
        center.len() == gradient.len() && gradient.len() == other.len(),
        "parameters and directions differ in length"
    );
    let downhill: Vec<f64> = gradient.iter().map(|&g| -f64::from(g)).collect();
    let scale = length(&other.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
    let g = length(&downhill);
    if !(g > 0.0 && g.is_finite() && scale > 0.0 && scale.is_finite()) {
        return Err(DirectionError::Zero);
    }
    let alpha: Vec<f64> = downhill.iter().map(|d| d * scale / g).collect();
    let beta = orthogonal_scaled(other, &alpha, scale)?;
    Plane::new(center.to_vec(), vec![as_f32(&alpha), beta])
}

/// The part of `v` orthogonal to `d`, rescaled to `target` length.
fn orthogonal_scaled(v: &[f32], d: &[f64], target: f64) -> Result<Vec<f32>, DirectionError> {
    let v: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
    let dd: f64 = d.iter().map(|x| x * x).sum();
    if !(dd > 0.0 && dd.is_finite()) {
        return Err(DirectionError::Zero);
    }
    let c = v.iter().zip(d).map(|(a, b)| a * b).sum::<f64>() / dd;
    let w: Vec<f64> = v.iter().zip(d).map(|(a, b)| a - c * b).collect();
    let w_len = length(&w);
    // A remainder at rounding level is no direction at all.
    if !(w_len > 1e-6 * length(&v) && w_len.is_finite()) {
        return Err(DirectionError::Zero);
    }
    Ok(w.iter().map(|x| (x * target / w_len) as f32).collect())
}

fn length(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn as_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::SurfaceProblem;
    use crate::surface::SurfaceKind;

    #[test]
    fn a_trajectory_in_a_known_plane_is_found_with_its_variance() {
        // Points spread 3× more along e1 than along e2, nothing along e3.
        let points: Vec<Vec<f32>> = (0..20)
            .map(|i| {
                let s = i as f32 - 10.0;
                vec![3.0 * s, (0.7 * s).sin(), 0.0]
            })
            .collect();
        let refs: Vec<&[f32]> = points.iter().map(|p| p.as_slice()).collect();
        let plane = pca_plane(&refs, &[0.0, 0.0, 0.0]).expect("a plane");
        assert!(
            plane.directions[0][0].abs() > 0.999,
            "{:?}",
            plane.directions[0]
        );
        assert!(
            plane.directions[1][1].abs() > 0.99,
            "{:?}",
            plane.directions[1]
        );
        assert!(plane.explained[0] > 0.95 && plane.explained[0] + plane.explained[1] > 0.9999);
        // The path's coordinates on the plane: ±30 along the first component.
        assert_eq!(plane.path.len(), 20);
        assert!((plane.reach - 30.0).abs() < 0.05, "reach {}", plane.reach);
    }

    #[test]
    fn the_double_well_has_a_barrier_between_its_wells_and_a_bowl_has_none() {
        let wells = SurfaceProblem::new(SurfaceKind::DoubleWell);
        let line = interpolate(&wells, &[-1.0, 0.0], &[1.0, 0.0], 101);
        // (x² − 1)² + 0.3x along y = 0: the ends are −0.3 and 0.3; the bump
        // between them peaks a little right of x = 0, found here finely.
        let peak = (0..=200_000)
            .map(|i| SurfaceKind::DoubleWell.value(-1.0 + 2.0 * f64::from(i) / 200_000.0, 0.0))
            .fold(f64::NEG_INFINITY, f64::max);
        let expected = (peak - 0.3) as f32;
        assert!(
            (line.barrier - expected).abs() < 1e-3,
            "barrier {} vs {expected}",
            line.barrier
        );
        let bowl = SurfaceProblem::new(SurfaceKind::Bowl);
        assert_eq!(
            interpolate(&bowl, &[-1.0, 0.0], &[1.0, 0.0], 11).barrier,
            0.0
        );
    }

    #[test]
    fn the_line_plane_puts_its_ends_at_plus_minus_one_and_a_third_point_on_it() {
        use crate::landscape::project;
        let from = [1.0, 0.0, 2.0, -1.0];
        let to = [3.0, 2.0, 2.0, -1.0];
        let third = [2.0, 1.0, 5.0, 3.0];
        let plane = plane_through_points(&from, &to, &third).expect("plane");
        let at = |p: &[f32]| project(&plane, p);
        let (f, t, x) = (at(&from), at(&to), at(&third));
        assert!(
            (f.coords[0] + 1.0).abs() < 1e-6 && f.coords[1].abs() < 1e-6,
            "{f:?}"
        );
        assert!(
            (t.coords[0] - 1.0).abs() < 1e-6 && t.coords[1].abs() < 1e-6,
            "{t:?}"
        );
        // The third point lies on the plane: |third − middle| = 5, the half-line √2.
        assert!(x.distance < 1e-5, "{x:?}");
        assert!(x.coords[0].abs() < 1e-6, "{x:?}");
        assert!((x.coords[1] - 5.0 / 2f32.sqrt()).abs() < 1e-5, "{x:?}");
        // Both directions are as long as half the line, and orthogonal.
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let [d1, d2] = [&plane.directions[0], &plane.directions[1]];
        assert!((dot(d1, d1) - 2.0).abs() < 1e-5 && (dot(d2, d2) - 2.0).abs() < 1e-5);
        assert!(dot(d1, d2).abs() < 1e-6);
        // Along the line itself there is nothing to span a plane with.
        assert_eq!(
            line_plane(&from, &to, &[1.0, 1.0, 0.0, 0.0]),
            Err(DirectionError::Zero)
        );
        assert_eq!(line_plane(&from, &from, &third), Err(DirectionError::Zero));
    }

    #[test]
    fn the_gradient_plane_goes_downhill_along_alpha() {
        // The bowl x² + y² at (1, 2): the gradient is (2, 4), downhill is −(1, 2)/√5.
        let bowl = SurfaceProblem::new(SurfaceKind::Bowl);
        let centre = [1.0f32, 2.0];
        let mut grad = [0.0f32; 2];
        bowl.loss_and_grad(
            &centre,
            crate::problem::Batch::Full,
            &mut grad,
            &mut Workspace::default(),
        );
        let plane = gradient_plane(&centre, &grad, &[0.0, 3.0]).expect("plane");
        let d1 = &plane.directions[0];
        let s5 = 5f32.sqrt();
        // As long as the other direction (3), pointing down the slope.
        assert!(
            (d1[0] + 3.0 / s5).abs() < 1e-5 && (d1[1] + 6.0 / s5).abs() < 1e-5,
            "{d1:?}"
        );
        let d2 = &plane.directions[1];
        assert!((d1[0] * d2[0] + d1[1] * d2[1]).abs() < 1e-5);
        assert!((d2[0].hypot(d2[1]) - 3.0).abs() < 1e-5);
        // The loss falls along α at first: the bowl's value is (1 − 3α/√5)² + (2 − 6α/√5)².
        let mut at = [0.0f32; 2];
        let mut loss_at = |alpha: f32| {
            plane.point(&[alpha, 0.0], &mut at);
            bowl.loss(&at, &mut Workspace::default())
        };
        let expected = |a: f32| (1.0 - 3.0 * a / s5).powi(2) + (2.0 - 6.0 * a / s5).powi(2);
        for alpha in [-0.5f32, 0.0, 0.2, 0.745] {
            assert!(
                (loss_at(alpha) - expected(alpha)).abs() < 1e-4,
                "α = {alpha}"
            );
        }
        assert!(loss_at(0.1) < loss_at(0.0));
        // At a minimum there is no gradient to slice along.
        assert_eq!(
            gradient_plane(&[0.0, 0.0], &[0.0, 0.0], &[1.0, 0.0]),
            Err(DirectionError::Zero)
        );
    }
}
