//! The Hessian's spectrum from Hessian-vector products alone: Lanczos for
//! the extreme eigenvalues and their eigenvectors, Hutchinson (or exact
//! diagonal probing) for the trace, and stochastic Lanczos quadrature for
//! the density of eigenvalues (Ghorbani et al. 2019, as in PyHessian).

use rand::RngExt;

use super::eigen::symmetric_eigen;
use crate::nn::seeded_rng;

/// A Hessian-vector product: `v ↦ H v`, or `None` if it failed.
pub type Hvp<'a> = dyn FnMut(&[f64]) -> Option<Vec<f64>> + 'a;

/// How a long analysis reports progress and learns it should stop.
pub struct Control<'a> {
    /// Returns true when the caller no longer wants the result.
    pub cancelled: &'a dyn Fn() -> bool,
    /// Receives the fraction done, 0 to 1.
    pub progress: &'a dyn Fn(f32),
}

impl Control<'_> {
    /// A control that never cancels and reports nowhere.
    pub fn none() -> Control<'static> {
        Control {
            cancelled: &|| false,
            progress: &|_| {},
        }
    }
}

/// Why an analysis stopped without a result.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnalysisError {
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The problem gives no Hessian-vector products.
    #[error("this problem has no Hessian-vector products")]
    NoHessian,
    /// A product came back NaN or infinite (the point has diverged).
    #[error("the Hessian is not finite at this point; reset the run first")]
    NotFinite,
}

/// The extreme eigenpairs.
#[derive(Clone, Debug)]
pub struct Extremes {
    /// The largest eigenvalues, descending.
    pub top: Vec<f64>,
    /// Their unit eigenvectors.
    pub top_vectors: Vec<Vec<f64>>,
    /// The smallest (most negative) eigenvalue.
    pub min: f64,
    /// Its unit eigenvector.
    pub min_vector: Vec<f64>,
    /// Hessian-vector products used.
    pub products: usize,
}

/// The tridiagonal Lanczos matrix and the orthonormal basis that made it.
struct Tridiagonal {
    alphas: Vec<f64>,
    betas: Vec<f64>,
    basis: Vec<Vec<f64>>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalised(mut v: Vec<f64>) -> Vec<f64> {
    let norm = dot(&v, &v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Up to `steps` Lanczos steps from `start`, with full reorthogonalisation
/// (exact arithmetic's orthogonality, kept by hand: no ghost eigenvalues).
/// `stop` sees the tridiagonal so far and may end the iteration early.
fn lanczos(
    hvp: &mut Hvp<'_>,
    start: Vec<f64>,
    steps: usize,
    control: &Control<'_>,
    mut stop: impl FnMut(&Tridiagonal, f64) -> bool,
) -> Result<Tridiagonal, AnalysisError> {
    let mut t = Tridiagonal {
        alphas: Vec::new(),
        betas: Vec::new(),
        basis: vec![normalised(start)],
    };
    for j in 0..steps {
        if (control.cancelled)() {
            return Err(AnalysisError::Cancelled);
        }
        let q = &t.basis[j];
        let mut w = hvp(q).ok_or(AnalysisError::NoHessian)?;
        if w.iter().any(|x| !x.is_finite()) {
            return Err(AnalysisError::NotFinite);
        }
        let alpha = dot(&w, q);
        t.alphas.push(alpha);
        // Twice Gram–Schmidt against every earlier vector.
        for _ in 0..2 {
            for b in &t.basis {
                let c = dot(&w, b);
                w.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
            }
        }
        let beta = dot(&w, &w).sqrt();
        if j + 1 == steps || stop(&t, beta) || beta <= 1e-12 * (alpha.abs() + 1e-300) {
            break;
        }
        t.betas.push(beta);
        t.basis.push(w.into_iter().map(|x| x / beta).collect());
    }
    Ok(t)
}

impl Tridiagonal {
    /// Ritz values (ascending) and the eigenvectors of T (columns, row-major).
    fn ritz(&self) -> (Vec<f64>, Vec<f64>) {
        let m = self.alphas.len();
        let mut dense = vec![0.0; m * m];
        for i in 0..m {
            dense[i * m + i] = self.alphas[i];
            if i + 1 < m {
                dense[i * m + i + 1] = self.betas[i];
                dense[(i + 1) * m + i] = self.betas[i];
            }
        }
        symmetric_eigen(&dense, m)
    }
}

/// Lanczos steps for `k` extreme eigenpairs of an `n`-dimensional Hessian.
fn steps_for(n: usize, k: usize) -> usize {
    n.min((3 * k + 40).max(60))
}

/// The `k` largest eigenvalues of an `n × n` Hessian, with eigenvectors,
/// and the smallest one; stops when their residuals are below `1e-6`
/// relative to the largest.
pub fn extremes(
    n: usize,
    k: usize,
    hvp: &mut Hvp<'_>,
    seed: u64,
    control: &Control<'_>,
) -> Result<Extremes, AnalysisError> {
    let k = k.clamp(1, n.max(1));
    let mut rng = seeded_rng(seed);
    let start: Vec<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
    let steps = steps_for(n, k);
    let converged = |t: &Tridiagonal, last_beta: f64| {
        let m = t.alphas.len();
        (control.progress)(m as f32 / steps as f32);
        if m < k + 2 || !m.is_multiple_of(5) {
            return false;
        }
        // The residual of a Ritz pair is |β_m · (last component of its vector)|.
        let (values, vectors) = t.ritz();
        let scale = values
            .iter()
            .fold(0.0f64, |a, v| a.max(v.abs()))
            .max(1e-300);
        let wanted = (m - k..m).chain(std::iter::once(0));
        wanted
            .into_iter()
            .all(|col| (last_beta * vectors[(m - 1) * m + col]).abs() <= 1e-6 * scale)
    };
    let t = lanczos(hvp, start, steps, control, converged)?;
    let (values, vectors) = t.ritz();
    let m = values.len();
    let ritz_vector = |col: usize| -> Vec<f64> {
        let mut v = vec![0.0; n];
        for (row, q) in t.basis.iter().take(m).enumerate() {
            let c = vectors[row * m + col];
            v.iter_mut().zip(q).for_each(|(x, y)| *x += c * y);
        }
        normalised(v)
    };
    let top_cols: Vec<usize> = (0..m).rev().take(k).collect();
    Ok(Extremes {
        top: top_cols.iter().map(|&c| values[c]).collect(),
        top_vectors: top_cols.iter().map(|&c| ritz_vector(c)).collect(),
        min: values[0],
        min_vector: ritz_vector(0),
        products: m,
    })
}

/// The trace and its standard error (zero when exact).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trace {
    /// The trace (or its estimate).
    pub value: f64,
    /// Standard error of the estimate; 0 for the exact trace.
    pub error: f64,
    /// Whether it was computed exactly (one product per parameter).
    pub exact: bool,
}

/// Largest model whose trace is computed exactly, one product per parameter.
pub const EXACT_TRACE_MAX: usize = 3000;

/// The trace: exact (Σ eᵢᵀ H eᵢ) up to [`EXACT_TRACE_MAX`] parameters,
/// otherwise Hutchinson's estimator with `samples` Rademacher vectors.
pub fn trace(
    n: usize,
    hvp: &mut Hvp<'_>,
    samples: usize,
    seed: u64,
    control: &Control<'_>,
) -> Result<Trace, AnalysisError> {
    let mut check = |v: &[f64], i: usize, of: usize| -> Result<Vec<f64>, AnalysisError> {
        if (control.cancelled)() {
            return Err(AnalysisError::Cancelled);
        }
        (control.progress)(i as f32 / of as f32);
        let hv = hvp(v).ok_or(AnalysisError::NoHessian)?;
        if hv.iter().any(|x| !x.is_finite()) {
            return Err(AnalysisError::NotFinite);
        }
        Ok(hv)
    };
    if n <= EXACT_TRACE_MAX {
        let mut total = 0.0;
        let mut e = vec![0.0; n];
        for i in 0..n {
            e[i] = 1.0;
            total += check(&e, i, n)?[i];
            e[i] = 0.0;
        }
        return Ok(Trace {
            value: total,
            error: 0.0,
            exact: true,
        });
    }
    let samples = samples.max(2);
    let mut rng = seeded_rng(seed);
    let mut draws = Vec::with_capacity(samples);
    for s in 0..samples {
        let v: Vec<f64> = (0..n)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();
        draws.push(dot(&v, &check(&v, s, samples)?));
    }
    let mean = draws.iter().sum::<f64>() / samples as f64;
    let variance = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (samples - 1) as f64;
    Ok(Trace {
        value: mean,
        error: (variance / samples as f64).sqrt(),
        exact: false,
    })
}

/// The eigenvalue density on a grid.
#[derive(Clone, Debug)]
pub struct Density {
    /// Eigenvalue at each grid point, ascending.
    pub eigenvalues: Vec<f64>,
    /// Density there (integrates to 1 over the grid).
    pub density: Vec<f64>,
    /// The quadrature nodes (Ritz values) and weights behind it.
    pub nodes: Vec<(f64, f64)>,
}

/// Stochastic Lanczos quadrature: `vectors` random starts of `steps`
/// Lanczos steps each; every Ritz value θ carries weight τ² (τ the first
/// component of its eigenvector), averaged over starts and smoothed with a
/// Gaussian of width `1 %` of the spectrum's span onto `points` grid points.
pub fn density(
    n: usize,
    hvp: &mut Hvp<'_>,
    vectors: usize,
    steps: usize,
    points: usize,
    seed: u64,
    control: &Control<'_>,
) -> Result<Density, AnalysisError> {
    let mut rng = seeded_rng(seed);
    let vectors = vectors.max(1);
    let mut nodes = Vec::new();
    for s in 0..vectors {
        let start: Vec<f64> = (0..n)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();
        let inner = Control {
            cancelled: control.cancelled,
            progress: &|f| (control.progress)((s as f32 + f) / vectors as f32),
        };
        let t = lanczos(hvp, start, steps.min(n).max(1), &inner, |_, _| false)?;
        let (values, eigenvectors) = t.ritz();
        for (col, &theta) in values.iter().enumerate() {
            // Row 0 of T's eigenvectors: each Ritz vector's overlap with the start.
            let tau = eigenvectors[col];
            nodes.push((theta, tau * tau / vectors as f64));
        }
    }
    let low = nodes.iter().map(|n| n.0).fold(f64::INFINITY, f64::min);
    let high = nodes.iter().map(|n| n.0).fold(f64::NEG_INFINITY, f64::max);
    let span = (high - low).max(1e-12);
    let sigma = 0.01 * span;
    let points = points.max(2);
    let (from, to) = (low - 5.0 * sigma, high + 5.0 * sigma);
    let grid: Vec<f64> = (0..points)
        .map(|i| from + (to - from) * i as f64 / (points - 1) as f64)
        .collect();
    let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    let mut density: Vec<f64> = grid
        .iter()
        .map(|&x| {
            nodes
                .iter()
                .map(|&(theta, w)| w * norm * (-0.5 * ((x - theta) / sigma).powi(2)).exp())
                .sum()
        })
        .collect();
    // Trapezoid normalisation: the weights already sum to 1; this removes the grid's error.
    let step = (to - from) / (points - 1) as f64;
    let area: f64 = density.windows(2).map(|w| 0.5 * (w[0] + w[1]) * step).sum();
    if area > 0.0 {
        density.iter_mut().for_each(|d| *d /= area);
    }
    Ok(Density {
        eigenvalues: grid,
        density,
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data::{DatasetKind, DatasetSpec, generate};
    use crate::nn::{Activation, Init, Mlp};
    use crate::problem::{MlpProblem, Problem, SurfaceProblem};
    use crate::surface::SurfaceKind;

    fn small_mlp() -> (Arc<dyn Problem>, Vec<f64>) {
        let data = generate(&DatasetSpec {
            size: 60,
            ..DatasetSpec::new(DatasetKind::Blobs)
        })
        .expect("data");
        let mlp = Mlp::new(&[2, 5, 3], Activation::Tanh).expect("mlp");
        let problem = MlpProblem::new(mlp, Arc::new(data), Init::Torch, "blobs").expect("fits");
        let params: Vec<f64> = problem
            .init_params(4)
            .iter()
            .map(|&p| f64::from(p))
            .collect();
        (Arc::new(problem), params)
    }

    /// The dense Hessian, column by column from products.
    fn dense(problem: &dyn Problem, params: &[f64]) -> Vec<f64> {
        let n = params.len();
        let mut h = vec![0.0; n * n];
        for j in 0..n {
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            let column = problem.hessian_vector(params, &e).expect("hvp");
            for i in 0..n {
                h[i * n + j] = column[i];
            }
        }
        h
    }

    #[test]
    fn finite_difference_products_are_symmetric_and_match_a_closed_form() {
        let (problem, params) = small_mlp();
        let n = params.len();
        let h = dense(problem.as_ref(), &params);
        let scale = h.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        for i in 0..n {
            for j in 0..n {
                assert!(
                    (h[i * n + j] - h[j * n + i]).abs() <= 1e-6 * scale,
                    "H is symmetric at ({i}, {j})"
                );
            }
        }
        // On a surface the product is the closed-form Hessian itself.
        let surface = SurfaceProblem::new(SurfaceKind::Rosenbrock);
        let hv = surface
            .hessian_vector(&[-1.0, 1.5], &[0.3, -0.7])
            .expect("hvp");
        let exact = SurfaceKind::Rosenbrock.hessian(-1.0, 1.5);
        assert_eq!(
            hv,
            vec![
                exact[0][0] * 0.3 - exact[0][1] * 0.7,
                exact[1][0] * 0.3 - exact[1][1] * 0.7
            ]
        );
        // The central difference of its gradient agrees with it to 1e-4 relative.
        let (_, g_plus) = surface
            .loss_and_grad_f64(&[-1.0 + 0.3e-6, 1.5 - 0.7e-6])
            .expect("grad");
        let (_, g_minus) = surface
            .loss_and_grad_f64(&[-1.0 - 0.3e-6, 1.5 + 0.7e-6])
            .expect("grad");
        for k in 0..2 {
            let fd = (g_plus[k] - g_minus[k]) / 2e-6;
            assert!(
                (fd - hv[k]).abs() <= 1e-4 * hv[k].abs().max(1.0),
                "{fd} vs {}",
                hv[k]
            );
        }
    }

    #[test]
    fn lanczos_finds_the_dense_extremes_and_the_trace() {
        let (problem, params) = small_mlp();
        let n = params.len();
        let (values, _) = symmetric_eigen(&dense(problem.as_ref(), &params), n);
        let mut hvp = |v: &[f64]| problem.hessian_vector(&params, v);
        let found = extremes(n, 3, &mut hvp, 1, &Control::none()).expect("extremes");
        let close =
            |a: f64, b: f64| (a - b).abs() <= 1e-3 * b.abs().max(1e-3 * values[n - 1].abs());
        for (k, &top) in found.top.iter().enumerate() {
            assert!(
                close(top, values[n - 1 - k]),
                "top {k}: {top} vs {}",
                values[n - 1 - k]
            );
        }
        assert!(
            close(found.min, values[0]),
            "min {} vs {}",
            found.min,
            values[0]
        );
        // Each returned vector is an eigenvector: H v ≈ λ v.
        let hv = problem
            .hessian_vector(&params, &found.top_vectors[0])
            .expect("hvp");
        let residual: f64 = hv
            .iter()
            .zip(&found.top_vectors[0])
            .map(|(a, b)| (a - found.top[0] * b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(residual <= 1e-4 * found.top[0].abs(), "residual {residual}");
        let exact: f64 = values.iter().sum();
        let t = trace(n, &mut hvp, 0, 0, &Control::none()).expect("trace");
        assert!(
            t.exact && (t.value - exact).abs() <= 1e-6 * exact.abs().max(1.0),
            "{t:?} vs {exact}"
        );
    }

    #[test]
    fn the_density_integrates_to_one_and_its_mean_is_the_mean_eigenvalue() {
        let (problem, params) = small_mlp();
        let n = params.len();
        let (values, _) = symmetric_eigen(&dense(problem.as_ref(), &params), n);
        let mut hvp = |v: &[f64]| problem.hessian_vector(&params, v);
        let d = density(n, &mut hvp, 40, n, 400, 9, &Control::none()).expect("density");
        let step = d.eigenvalues[1] - d.eigenvalues[0];
        let area: f64 = d
            .density
            .windows(2)
            .map(|w| 0.5 * (w[0] + w[1]) * step)
            .sum();
        assert!((area - 1.0).abs() < 1e-9, "area {area}");
        let weights: f64 = d.nodes.iter().map(|n| n.1).sum();
        assert!((weights - 1.0).abs() < 1e-9, "weights {weights}");
        let mean: f64 = d.nodes.iter().map(|(theta, w)| theta * w).sum();
        let exact_mean = values.iter().sum::<f64>() / n as f64;
        let spread = values[n - 1] - values[0];
        assert!(
            (mean - exact_mean).abs() < 0.1 * spread,
            "mean {mean} vs {exact_mean}"
        );
        // With as many steps as dimensions the nodes are the eigenvalues themselves.
        for &(theta, _) in &d.nodes {
            assert!(
                values
                    .iter()
                    .any(|v| (v - theta).abs() < 1e-6 * spread.max(1e-9)),
                "node {theta}"
            );
        }
    }

    #[test]
    fn a_surface_hessian_has_its_closed_form_eigenvalues_and_cancelling_stops() {
        let problem = SurfaceProblem::new(SurfaceKind::Ravine);
        let (x, y) = (0.4, -0.3);
        let h = SurfaceKind::Ravine.hessian(x, y);
        let (values, _) = symmetric_eigen(&[h[0][0], h[0][1], h[1][0], h[1][1]], 2);
        let mut hvp = |v: &[f64]| problem.hessian_vector(&[x, y], v);
        let found = extremes(2, 1, &mut hvp, 0, &Control::none()).expect("extremes");
        assert!((found.top[0] - values[1]).abs() < 1e-9 * values[1].abs());
        assert!((found.min - values[0]).abs() < 1e-9 * values[1].abs());
        let stop = Control {
            cancelled: &|| true,
            progress: &|_| {},
        };
        assert_eq!(
            extremes(2, 1, &mut hvp, 0, &stop).err(),
            Some(AnalysisError::Cancelled)
        );
    }
}
