//! An analytic 2D surface as a problem: two parameters (x, y), loss = f(x, y).

use super::{Batch, Evaluation, Problem, Workspace};
use crate::nn::ParamLayout;
use crate::surface::SurfaceKind;

/// Gradient descent on a formula, where every point of the plane is known exactly.
#[derive(Clone, Debug)]
pub struct SurfaceProblem {
    kind: SurfaceKind,
    layout: ParamLayout,
}

impl SurfaceProblem {
    /// The problem for one surface; parameters are named `x` and `y`.
    pub fn new(kind: SurfaceKind) -> Self {
        Self {
            kind,
            layout: ParamLayout::from_shapes([("x", vec![1]), ("y", vec![1])]),
        }
    }

    /// Which surface.
    pub fn kind(&self) -> SurfaceKind {
        self.kind
    }
}

impl Problem for SurfaceProblem {
    fn name(&self) -> String {
        format!("{} · {}", self.kind, self.kind.formula())
    }

    fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// The surface's teaching start, nudged by the seed so different seeds
    /// give different (reproducible) starts, except seed 0 which is exact.
    fn init_params(&self, seed: u64) -> Vec<f32> {
        let [x, y] = self.kind.start();
        if seed == 0 {
            return vec![x as f32, y as f32];
        }
        let (_, span) = self.kind.view();
        let mut rng = crate::nn::seeded_rng(seed);
        let jitter =
            |rng: &mut rand::rngs::StdRng| rand::RngExt::random_range(rng, -0.2..0.2) * span;
        vec![(x + jitter(&mut rng)) as f32, (y + jitter(&mut rng)) as f32]
    }

    fn num_train_examples(&self) -> usize {
        0
    }

    fn loss_and_grad(&self, params: &[f32], _: Batch, grad: &mut [f32], _: &mut Workspace) -> f32 {
        let (x, y) = (f64::from(params[0]), f64::from(params[1]));
        let [gx, gy] = self.kind.gradient(x, y);
        grad[0] = gx as f32;
        grad[1] = gy as f32;
        self.kind.value(x, y) as f32
    }

    fn loss(&self, params: &[f32], _: &mut Workspace) -> f32 {
        self.kind.value(f64::from(params[0]), f64::from(params[1])) as f32
    }

    fn evaluate(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        Evaluation {
            train_loss: self.loss(params, workspace),
            ..Evaluation::default()
        }
    }

    fn surface(&self) -> Option<SurfaceKind> {
        Some(self.kind)
    }

    fn loss_and_grad_f64(&self, params: &[f64]) -> Option<(f64, Vec<f64>)> {
        let (x, y) = (*params.first()?, *params.get(1)?);
        Some((self.kind.value(x, y), self.kind.gradient(x, y).to_vec()))
    }

    /// Exact: the surface's closed-form Hessian.
    fn hessian_vector(&self, params: &[f64], v: &[f64]) -> Option<Vec<f64>> {
        let (x, y) = (*params.first()?, *params.get(1)?);
        let h = self.kind.hessian(x, y);
        Some(vec![
            h[0][0] * v[0] + h[0][1] * v[1],
            h[1][0] * v[0] + h[1][1] * v[1],
        ])
    }
}
