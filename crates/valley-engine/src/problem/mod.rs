//! The one abstraction the trainer, the landscape and the analyses talk to:
//! parameters → loss (and gradient).
//!
//! An MLP on a dataset and an analytic 2D surface are both problems, so a
//! new kind of problem (a next-token model, say) plugs into every view
//! without touching them.

mod mlp_problem;
mod precise;
mod spec;
mod surface_problem;

pub use mlp_problem::MlpProblem;
pub use precise::{PreciseEvaluation, evaluate_in};
pub use spec::ProblemSpec;
pub use surface_problem::SurfaceProblem;

use ndarray::Array2;

use crate::autograd::Tape;
use crate::nn::{ForwardScratch, ParamLayout};
use crate::surface::SurfaceKind;

/// Which training examples one gradient step sees.
#[derive(Clone, Copy, Debug)]
pub enum Batch<'a> {
    /// Every training example.
    Full,
    /// These training examples (a minibatch).
    Indices(&'a [usize]),
}

/// Loss and accuracy of a parameter vector on the training and test data.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Mean loss over the training set (the surface's value for a formula).
    pub train_loss: f32,
    /// Mean loss over the test set, when there is one.
    pub test_loss: Option<f32>,
    /// Fraction of training examples classified correctly (classification only).
    pub train_accuracy: Option<f32>,
    /// Fraction of test examples classified correctly (classification only).
    pub test_accuracy: Option<f32>,
}

/// Reusable buffers for one thread's evaluations, so hot loops don't allocate.
#[derive(Default)]
pub struct Workspace {
    /// Activations for tape-free forward passes.
    pub forward: ForwardScratch<f32>,
    /// The autograd tape for gradients.
    pub tape: Tape<f32>,
    /// Gathered minibatch inputs.
    pub batch_x: Array2<f32>,
    /// Gathered minibatch labels.
    pub batch_labels: Vec<usize>,
    /// Gathered minibatch regression targets.
    pub batch_values: Array2<f32>,
}

/// Parameters → loss (+ gradient): what can be trained and drawn.
pub trait Problem: Send + Sync {
    /// A short description for titles, e.g. `two spirals · MLP 2-16-16-2 tanh`.
    fn name(&self) -> String;

    /// Names and shapes of the parameters.
    fn layout(&self) -> &ParamLayout;

    /// Number of parameters.
    fn num_params(&self) -> usize {
        self.layout().num_params()
    }

    /// Starting parameters for a seed.
    fn init_params(&self, seed: u64) -> Vec<f32>;

    /// Training examples a minibatch can draw from (0 when there is no data).
    fn num_train_examples(&self) -> usize;

    /// Loss on `batch` at `params`; writes dLoss/dParams into `grad`.
    fn loss_and_grad(
        &self,
        params: &[f32],
        batch: Batch,
        grad: &mut [f32],
        workspace: &mut Workspace,
    ) -> f32;

    /// Full training loss at `params`, without a tape: the landscape's hot path.
    fn loss(&self, params: &[f32], workspace: &mut Workspace) -> f32;

    /// Train and test loss and accuracy at `params`.
    fn evaluate(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation;

    /// The analytic surface behind this problem, if it is one: its plane is
    /// the true parameter space and its critical points are known.
    fn surface(&self) -> Option<SurfaceKind> {
        None
    }

    /// Mean training loss and its gradient in f64, for curvature analyses
    /// (`None` when the problem cannot give them).
    fn loss_and_grad_f64(&self, params: &[f64]) -> Option<(f64, Vec<f64>)> {
        let _ = params;
        None
    }

    /// The Hessian of the training loss at `params` times `v`, in f64.
    ///
    /// The default differentiates the f64 gradient centrally along `v`: its
    /// error is second order in the step and, for the smooth losses here,
    /// about 1e-8 relative (checked against exact products in the tests).
    /// Problems with a closed form override it.
    fn hessian_vector(&self, params: &[f64], v: &[f64]) -> Option<Vec<f64>> {
        let norm_v = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm_v == 0.0 {
            return Some(vec![0.0; v.len()]);
        }
        let scale = 1.0
            + params.iter().map(|x| x * x).sum::<f64>().sqrt()
                / (params.len().max(1) as f64).sqrt();
        let h = 1e-5 * scale / norm_v;
        let shifted = |sign: f64| -> Vec<f64> {
            params
                .iter()
                .zip(v)
                .map(|(p, d)| p + sign * h * d)
                .collect()
        };
        // The two gradients are independent: one per core.
        let (plus, minus) = rayon::join(
            || self.loss_and_grad_f64(&shifted(1.0)),
            || self.loss_and_grad_f64(&shifted(-1.0)),
        );
        let ((_, plus), (_, minus)) = (plus?, minus?);
        Some(
            plus.iter()
                .zip(&minus)
                .map(|(a, b)| (a - b) / (2.0 * h))
                .collect(),
        )
    }
}
