//! Exact Hessian-vector products for a model on a tape, reusing one point's
//! forward and backward passes for every product asked there.
//!
//! Lanczos, the trace and the density ask for dozens of products at one
//! point. The training rows are cut into two shares (always two, whatever
//! the core count, so every machine gives the same bits); each share's
//! loss is recorded and differentiated once, then every product costs a
//! tangent pass and a reverse pass per share, in parallel. H v of the mean
//! loss is the row-weighted sum of the shares' products.

use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rayon::prelude::*;

use crate::autograd::Linearised;

/// Fewest rows worth a share of their own (below it, threading costs more).
const MIN_SHARE_ROWS: usize = 128;
/// Shares of the rows (the machines Valley is for have two cores or more).
const SHARES: usize = 2;

/// The last point a problem was asked about, linearised.
#[derive(Default)]
pub(crate) struct HessianProducts {
    last: Mutex<Option<Arc<Point>>>,
}

struct Point {
    params: Vec<f64>,
    shares: Vec<Share>,
}

struct Share {
    /// This share's rows over all rows.
    weight: f64,
    linearised: Mutex<Linearised<f64>>,
}

impl HessianProducts {
    /// H v of the mean loss over `rows` training rows at `params`;
    /// `record(range)` linearises the mean loss over those rows at `params`.
    /// (A panic in either reaches the caller, as any failed analysis does.)
    pub(crate) fn product(
        &self,
        params: &[f64],
        v: &[f64],
        rows: usize,
        record: impl Fn(Range<usize>) -> Linearised<f64> + Sync,
    ) -> Vec<f64> {
        assert_eq!(params.len(), v.len(), "v has one entry per parameter");
        let point = self.point(params, rows, record);
        let parts: Vec<Vec<f64>> = point
            .shares
            .par_iter()
            .map(|share| {
                let mut out = vec![0.0; v.len()];
                lock(&share.linearised).hessian_vector(v, &mut out);
                out.iter_mut().for_each(|o| *o *= share.weight);
                out
            })
            .collect();
        let mut parts = parts.into_iter();
        let mut total = parts.next().unwrap_or_else(|| vec![0.0; v.len()]);
        for part in parts {
            total.iter_mut().zip(&part).for_each(|(t, p)| *t += p);
        }
        total
    }

    /// The linearised point at `params`: the last one if it is the same,
    /// else a new one (which replaces it, so at most one point's tapes are
    /// kept).
    fn point(
        &self,
        params: &[f64],
        rows: usize,
        record: impl Fn(Range<usize>) -> Linearised<f64> + Sync,
    ) -> Arc<Point> {
        {
            let mut last = lock(&self.last);
            if let Some(point) = last.as_ref().filter(|p| p.params == params) {
                return Arc::clone(point);
            }
            // Free the old tapes before recording new ones.
            *last = None;
        }
        // Recorded outside the lock: a caller on a rayon thread that waits
        // for the lock could otherwise be handed this recording's own work.
        let count = SHARES.min(rows / MIN_SHARE_ROWS).max(1);
        let shares = (0..count)
            .into_par_iter()
            .map(|k| {
                let range = rows * k / count..rows * (k + 1) / count;
                Share {
                    weight: range.len() as f64 / rows.max(1) as f64,
                    linearised: Mutex::new(record(range)),
                }
            })
            .collect();
        let point = Arc::new(Point {
            params: params.to_vec(),
            shares,
        });
        *lock(&self.last) = Some(Arc::clone(&point));
        point
    }
}

/// The guarded value, also after a panic elsewhere: a point is stored
/// whole or not at all, and a product that panicked leaves its share's
/// recording as it was (only the tape's spare buffers are lost).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::super::{LanguageProblem, Problem, ProblemSpec};
    use crate::data::{DatasetKind, DatasetSpec};
    use crate::kernels::Activation;
    use crate::language::Text;
    use crate::nn::seeded_rng;
    use rand::RngExt;

    /// (∇L(p + h v) − ∇L(p − h v)) / 2h from the f64 gradient.
    fn central_difference(problem: &dyn Problem, params: &[f64], v: &[f64]) -> Vec<f64> {
        let h = 1e-5;
        let at = |sign: f64| {
            let moved: Vec<f64> = params
                .iter()
                .zip(v)
                .map(|(p, d)| p + sign * h * d)
                .collect();
            problem.loss_and_grad_f64(&moved).expect("f64 gradient").1
        };
        let (plus, minus) = (at(1.0), at(-1.0));
        plus.iter()
            .zip(&minus)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect()
    }

    fn random_vector(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = seeded_rng(seed);
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    /// Exact products agree with central differences to 1e-6 of their size,
    /// at two points in turn (the second must not reuse the first's tapes).
    fn check(problem: &dyn Problem) {
        let n = problem.num_params();
        for seed in [1, 2, 1] {
            let params: Vec<f64> = problem
                .init_params(seed)
                .iter()
                .map(|&p| f64::from(p))
                .collect();
            let v = random_vector(n, 10 + seed);
            let exact = problem.hessian_vector(&params, &v).expect("product");
            let numeric = central_difference(problem, &params, &v);
            let size = numeric.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(size > 1e-3, "a product worth checking");
            for (i, (e, d)) in exact.iter().zip(&numeric).enumerate() {
                assert!(
                    (e - d).abs() <= 1e-6 * size,
                    "{}: entry {i}: exact {e} vs central difference {d}",
                    problem.name()
                );
            }
        }
    }

    #[test]
    fn classification_and_regression_mlps_over_several_shares() {
        for (kind, activation) in [
            (DatasetKind::Spirals, Activation::Tanh),
            (DatasetKind::Sine, Activation::Gelu),
        ] {
            let problem = ProblemSpec::Dataset {
                data: DatasetSpec {
                    size: 700,
                    ..DatasetSpec::new(kind)
                },
                hidden: vec![9, 6],
                activation,
            }
            .build()
            .expect("builds");
            assert!(problem.num_train_examples() >= 2 * super::MIN_SHARE_ROWS);
            check(problem.as_ref());
        }
    }

    #[test]
    fn a_character_model() {
        let text = Text::parse(
            "the cat sat on the mat and the dog sat on the log\n"
                .repeat(12)
                .as_str(),
            "cats",
        )
        .expect("text");
        let problem =
            LanguageProblem::new(&text, "cats", 3, 4, &[7], Activation::Tanh, 0.1).expect("model");
        assert!(problem.num_train_examples() >= 2 * super::MIN_SHARE_ROWS);
        check(&problem);
    }
}
