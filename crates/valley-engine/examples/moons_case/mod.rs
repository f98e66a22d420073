//! The benchmarks' case: an MLP on two moons with PyTorch's initialisation,
//! a plane of filter-normalised directions through a point, and a timer.
//! Shared by `benchmark.rs` and `scaling.rs`, so both measure the same thing.

use std::sync::Arc;
use std::time::Instant;

use valley_engine::data::{DatasetKind, DatasetSpec, Split, generate};
use valley_engine::landscape::{DirectionKind, Plane, make_direction};
use valley_engine::nn::{Activation, Init, Mlp};
use valley_engine::problem::{MlpProblem, Problem};

/// A tanh MLP of these widths and its `points` moons (no test set).
pub struct MoonsCase {
    mlp: Mlp,
    data: Arc<Split>,
}

impl MoonsCase {
    pub fn new(sizes: &[usize], points: usize) -> anyhow::Result<Self> {
        let spec = DatasetSpec {
            size: points,
            test_fraction: 0.0,
            ..DatasetSpec::new(DatasetKind::Moons)
        };
        Ok(Self {
            mlp: Mlp::new(sizes, Activation::Tanh)?,
            data: Arc::new(generate(&spec)?),
        })
    }

    /// A new problem on the shared data. A problem keeps the last point it
    /// linearised for Hessian products; a new one starts clean, so a timed
    /// run pays for recording its point.
    pub fn problem(&self) -> anyhow::Result<Arc<dyn Problem>> {
        Ok(Arc::new(MlpProblem::new(
            self.mlp.clone(),
            Arc::clone(&self.data),
            Init::Torch,
            "moons",
        )?))
    }
}

/// The plane through `center` along filter-normalised directions of seeds 1 and 2.
pub fn filter_plane(problem: &dyn Problem, center: Vec<f32>) -> anyhow::Result<Plane> {
    let directions = (1..=2)
        .map(|seed| make_direction(DirectionKind::Filter, problem.layout(), &center, seed))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plane::new(center, directions)?)
}

/// Best wall-clock seconds of `runs` runs after one warm-up.
pub fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
