//! Curvature of the loss: Hessian-vector products (through the `Problem`
//! trait), the extreme eigenvalues and their directions, the trace, the
//! eigenvalue density, and planes and lines with a meaning (PCA of a
//! trajectory, interpolation). Everything runs on products, never a full matrix.

mod curvature;
mod eigen;
mod lanczos;
mod minima_verdict;
mod planes;
mod recipe;
mod replay;
mod sharpness;

pub use curvature::{Curvature, Verdict, analyse_curvature};
pub use eigen::symmetric_eigen;
pub use lanczos::{
    AnalysisError, Control, Density, EXACT_TRACE_MAX, Extremes, Hvp, Trace, density, extremes,
    trace,
};
pub use minima_verdict::{LOSS_FAR_LOWER, MinimumFacts, TIE, minima_verdict};
pub use planes::{
    Interpolation, PcaPlane, gradient_plane, interpolate, line_plane, pca_plane,
    plane_through_points,
};
pub use recipe::{BuiltPlane, Landmark, LandmarkKind, PlaneRecipe, PlaneSite, build_plane};
pub use replay::{Analysis, Replayed, spawn_analysis};
pub use sharpness::{
    MAX_NARROWINGS, MIN_SHARPEST_RISE, MinimaError, MinimaSpec, MinimaTask, Minimum,
    compare_minima, loss_along, ordered_like_sharpness, rise_at_ends, sharpest_half_range,
};

use crate::problem::Problem;

/// A Hessian-vector product closure for `problem` at `params` (f32 parameters, f64 maths).
pub fn hvp_at<'a>(
    problem: &'a dyn Problem,
    params: &[f32],
) -> impl FnMut(&[f64]) -> Option<Vec<f64>> + 'a {
    let at: Vec<f64> = params.iter().map(|&p| f64::from(p)).collect();
    move |v: &[f64]| problem.hessian_vector(&at, v)
}
