//! Minimum-norm least squares by SVD (faer): the exact solve of a
//! random-features model's output layer, with an optional ridge.
//!
//! At the interpolation threshold the feature matrix is square and nearly
//! singular, so the solve must be the pseudo-inverse's, not a normal
//! equation's: that is where the double-descent peak comes from.

use faer::Mat;
use ndarray::{Array2, ArrayView2};

/// A matrix factored once, solved for any right-hand side and ridge.
pub struct LeastSquares {
    u: Mat<f64>,
    s: Vec<f64>,
    v: Mat<f64>,
    rank: usize,
}

impl LeastSquares {
    /// Factors `a` (m × n, any shape). Singular values at or below
    /// `ε · max(m, n) · s_max` count as zero, as numpy's `lstsq` with
    /// `rcond=None` decides.
    pub fn factor(a: ArrayView2<'_, f64>) -> Result<Self, String> {
        let (m, n) = a.dim();
        if m == 0 || n == 0 {
            return Err(format!(
                "cannot solve a least-squares problem of shape {m} × {n}"
            ));
        }
        if a.iter().any(|v| !v.is_finite()) {
            return Err("the matrix holds NaN or infinite values".into());
        }
        let matrix = Mat::<f64>::from_fn(m, n, |i, j| a[[i, j]]);
        let svd = matrix
            .thin_svd()
            .map_err(|e| format!("the SVD did not converge: {e:?}"))?;
        let s: Vec<f64> = svd.S().column_vector().iter().copied().collect();
        let largest = s.iter().copied().fold(0.0, f64::max);
        let cutoff = f64::EPSILON * m.max(n) as f64 * largest;
        let rank = s.iter().filter(|&&v| v > cutoff).count();
        Ok(Self {
            u: svd.U().to_owned(),
            v: svd.V().to_owned(),
            s,
            rank,
        })
    }

    /// The numerical rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Singular values, largest first.
    pub fn singular_values(&self) -> &[f64] {
        &self.s
    }

    /// The x minimising ‖a x − b‖² + ridge ‖x‖², and of those the one of
    /// least norm (ridge 0 gives the pseudo-inverse's solution).
    pub fn solve(&self, b: ArrayView2<'_, f64>, ridge: f64) -> Result<Array2<f64>, String> {
        let (m, k) = b.dim();
        if m != self.u.nrows() {
            return Err(format!(
                "the right-hand side has {m} rows but the matrix has {}",
                self.u.nrows()
            ));
        }
        if !ridge.is_finite() || ridge < 0.0 {
            return Err(format!("ridge {ridge} must be a number ≥ 0"));
        }
        let rhs = Mat::<f64>::from_fn(m, k, |i, j| b[[i, j]]);
        let r = self.rank;
        // x = V_r · diag(s / (s² + ridge)) · U_rᵀ b.
        let mut projected = self.u.get(.., ..r).transpose() * &rhs;
        for (i, &s) in self.s[..r].iter().enumerate() {
            let gain = s / (s * s + ridge);
            for j in 0..k {
                projected[(i, j)] *= gain;
            }
        }
        let x = self.v.get(.., ..r) * &projected;
        Ok(Array2::from_shape_fn((x.nrows(), k), |(i, j)| x[(i, j)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Reference {
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        name: String,
        rows: usize,
        cols: usize,
        rhs: usize,
        a: Vec<f64>,
        b: Vec<f64>,
        x: Vec<f64>,
        rank: usize,
        singular_values: Vec<f64>,
    }

    fn reference() -> Reference {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/lstsq_ref.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_minimum_norm_solution_matches_numpys_lstsq() {
        for case in reference().cases {
            let a = Array2::from_shape_vec((case.rows, case.cols), case.a).unwrap();
            let b = Array2::from_shape_vec((case.rows, case.rhs), case.b).unwrap();
            let solver = LeastSquares::factor(a.view()).unwrap();
            assert_eq!(solver.rank(), case.rank, "{}: rank", case.name);
            for (ours, theirs) in solver
                .singular_values()
                .iter()
                .zip(&case.singular_values[..case.rank])
            {
                assert!(
                    (ours - theirs).abs() <= 1e-10 * case.singular_values[0],
                    "{}: σ {ours} vs {theirs}",
                    case.name
                );
            }
            let x = solver.solve(b.view(), 0.0).unwrap();
            let scale = case.x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            // Condition 1e9 leaves about 1e-7 of relative accuracy to anyone.
            let tolerance = if case.name.contains("ill") {
                1e-6
            } else {
                1e-10
            };
            for (ours, theirs) in x.iter().zip(&case.x) {
                assert!(
                    (ours - theirs).abs() <= tolerance * scale,
                    "{}: {ours} vs numpy's {theirs}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn a_ridge_shrinks_the_solution_towards_zero_as_the_normal_equations_say() {
        // Tall, full rank: (AᵀA + λI) x = Aᵀ b, checked by its residual.
        let a = Array2::from_shape_fn((7, 3), |(i, j)| {
            ((i * 5 + j * 3) % 7) as f64 - 3.0 + j as f64 * 0.1
        });
        let b = Array2::from_shape_fn((7, 1), |(i, _)| i as f64 - 2.0);
        let solver = LeastSquares::factor(a.view()).unwrap();
        let plain = solver.solve(b.view(), 0.0).unwrap();
        let ridge = 2.5;
        let x = solver.solve(b.view(), ridge).unwrap();
        let residual = a.t().dot(&a).dot(&x) + &x * ridge - a.t().dot(&b);
        assert!(residual.iter().all(|r| r.abs() < 1e-10), "{residual:?}");
        let norm = |m: &Array2<f64>| m.iter().map(|v| v * v).sum::<f64>();
        assert!(norm(&x) < norm(&plain));
    }

    #[test]
    fn bad_input_gets_an_error() {
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(LeastSquares::factor(empty.view()).is_err());
        let nan = Array2::from_elem((2, 2), f64::NAN);
        assert!(LeastSquares::factor(nan.view()).is_err());
        let ok = Array2::<f64>::eye(2);
        let solver = LeastSquares::factor(ok.view()).unwrap();
        assert!(solver.solve(Array2::zeros((3, 1)).view(), 0.0).is_err());
        assert!(solver.solve(Array2::zeros((2, 1)).view(), -1.0).is_err());
    }
}
