//! The curvature at a point in words and numbers: the sharpness (the largest
//! Hessian eigenvalue), the smallest eigenvalue, the density of eigenvalues,
//! and a verdict (still descending, near a minimum, at a saddle) that a
//! panel, a lesson or the command line can state in one sentence.

use super::lanczos::{AnalysisError, Control, density, extremes};
use crate::problem::Problem;
use crate::train::Snapshot;

/// What the analysis found at one step.
#[derive(Clone, Debug)]
pub struct Curvature {
    /// The step analysed.
    pub step: u64,
    /// Largest eigenvalues, descending.
    pub top: Vec<f64>,
    /// Smallest eigenvalue.
    pub min: f64,
    /// Gradient norm at that point.
    pub grad_norm: f64,
    /// (eigenvalue, density) points of the spectrum.
    pub density: Vec<[f64; 2]>,
    /// The share of the eigenvalues below zero (by the spectrum's quadrature
    /// weights; values within 10⁻³ λmax of zero count as zero).
    pub negative_share: f64,
}

/// Eigenvalues this close to zero, relative to the largest, count as zero:
/// Lanczos puts the bulk of a network's spectrum there, on both sides.
const ZERO_RELATIVE: f64 = 1e-3;

/// The share of quadrature weight on Ritz values below zero.
fn negative_share(nodes: &[(f64, f64)], top: f64) -> f64 {
    let floor = -ZERO_RELATIVE * top.abs().max(1e-12);
    let total: f64 = nodes.iter().map(|n| n.1).sum();
    let negative: f64 = nodes.iter().filter(|n| n.0 < floor).map(|n| n.1).sum();
    // `+ 0.0` turns the −0.0 an empty float sum gives into 0.
    if total > 0.0 {
        negative / total + 0.0
    } else {
        0.0
    }
}

/// Where the ball stands, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The slope still dominates.
    Descending,
    /// Flat slope, and some direction curves down.
    Saddle,
    /// Flat slope, and no direction curves down.
    Minimum,
}

impl Curvature {
    /// The verdict: a slope steep next to the sharpness means descent goes on;
    /// otherwise the sign of the smallest eigenvalue tells a saddle from a minimum.
    pub fn verdict(&self) -> Verdict {
        let sharpness = self.top.first().copied().unwrap_or(0.0).abs().max(1e-12);
        if self.grad_norm > 1e-2 * sharpness.max(1.0) {
            Verdict::Descending
        } else if self.min < -1e-3 * sharpness {
            Verdict::Saddle
        } else {
            Verdict::Minimum
        }
    }
}

impl Verdict {
    /// One sentence for a student.
    pub fn explain(self) -> &'static str {
        match self {
            Verdict::Descending => {
                "Still descending: the slope is steep compared with how the surface curves, so the next steps still go clearly downhill."
            }
            Verdict::Saddle => {
                "At a saddle: the slope has nearly vanished, but the surface curves down along at least one direction, so a nudge that way goes further down."
            }
            Verdict::Minimum => {
                "Near a minimum: the slope has nearly vanished and the surface curves up (or stays flat) in every direction."
            }
        }
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Verdict::Descending => "still descending",
            Verdict::Saddle => "at a saddle (negative curvature)",
            Verdict::Minimum => "near a minimum",
        }
    }
}

/// The curvature at a snapshot's parameters: three extreme eigenvalues by
/// Lanczos, then the spectrum's density (half the progress each).
pub fn analyse_curvature(
    problem: &dyn Problem,
    snapshot: &Snapshot,
    control: &Control<'_>,
) -> Result<Curvature, AnalysisError> {
    let at: Vec<f64> = snapshot.params.iter().map(|&p| f64::from(p)).collect();
    let n = at.len();
    let mut hvp = |v: &[f64]| problem.hessian_vector(&at, v);
    let half = |from: f32| move |f: f32| (control.progress)(from + 0.5 * f);
    let first = half(0.0);
    let found = extremes(
        n,
        3,
        &mut hvp,
        0,
        &Control {
            cancelled: control.cancelled,
            progress: &first,
        },
    )?;
    let second = half(0.5);
    let spectrum = density(
        n,
        &mut hvp,
        4,
        40,
        200,
        1,
        &Control {
            cancelled: control.cancelled,
            progress: &second,
        },
    )?;
    let top = found.top.first().copied().unwrap_or(0.0);
    Ok(Curvature {
        step: snapshot.step,
        negative_share: negative_share(&spectrum.nodes, top),
        top: found.top,
        min: found.min,
        grad_norm: f64::from(snapshot.grad_norm),
        density: spectrum
            .eigenvalues
            .iter()
            .zip(&spectrum.density)
            .map(|(&x, &y)| [x, y])
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(grad_norm: f64, top: f64, min: f64) -> Curvature {
        Curvature {
            step: 0,
            top: vec![top],
            min,
            grad_norm,
            density: Vec::new(),
            negative_share: 0.0,
        }
    }

    #[test]
    fn the_negative_share_counts_eigenvalues_below_zero_on_known_surfaces() {
        use crate::problem::{Problem, SurfaceProblem};
        use crate::surface::SurfaceKind;
        use crate::train::{Run, RunState, TrainConfig};
        use std::sync::Arc;
        let share = |kind| {
            let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(kind));
            let mut run = Run::new(Arc::clone(&problem), TrainConfig::default()).expect("run");
            let snapshot = run.snapshot(RunState::Paused, 0.0);
            analyse_curvature(problem.as_ref(), &snapshot, &Control::none())
                .expect("analysis")
                .negative_share
        };
        // x² + y²: both curvatures +2. x² − y²: +2 and −2, half of them negative.
        assert!(share(SurfaceKind::Bowl).abs() < 1e-9);
        assert!(
            (share(SurfaceKind::Saddle) - 0.5).abs() < 0.3,
            "{}",
            share(SurfaceKind::Saddle)
        );
        // Weights on exact nodes: the share is the quadrature's, not smoothed.
        let nodes = [(2.0, 0.25), (1e-6, 0.25), (-1e-6, 0.25), (-2.0, 0.25)];
        assert!((negative_share(&nodes, 2.0) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn the_verdict_reads_the_slope_then_the_sign_of_the_curvature() {
        assert_eq!(at(0.5, 2.0, 0.1).verdict(), Verdict::Descending);
        assert_eq!(at(1e-5, 2.0, -0.5).verdict(), Verdict::Saddle);
        assert_eq!(at(1e-5, 2.0, 1e-6).verdict(), Verdict::Minimum);
        // A tiny negative eigenvalue (flat directions, rounding) is still a minimum.
        assert_eq!(at(1e-5, 2.0, -1e-6).verdict(), Verdict::Minimum);
    }
}
