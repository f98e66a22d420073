//! Planes and lines that mean something, for the views: the two principal
//! components of a trajectory (Li et al. 2018, §7) and the straight line
//! between two parameter vectors with the loss barrier along it.

use super::lanczos::{AnalysisError, Control, extremes};
use crate::engine::problem::{Problem, Workspace};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::problem::SurfaceProblem;
    use crate::engine::surface::SurfaceKind;

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
}
