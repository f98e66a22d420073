//! The one abstraction the trainer, the landscape and the analyses talk to:
//! parameters → loss (and gradient).
//!
//! An MLP on a dataset and an analytic 2D surface are both problems, so a
//! new kind of problem (a next-token model, say) plugs into every view
//! without touching them.

mod hessian_products;
mod language_problem;
mod mlp_problem;
mod precise;
mod spec;
mod surface_problem;

pub use language_problem::{CURVE_SAMPLE, LanguageProblem, TextSource};
pub use mlp_problem::{MlpProblem, MlpScratch};
pub use precise::{PreciseEvaluation, evaluate_in};
pub use spec::ProblemSpec;
pub use surface_problem::SurfaceProblem;

use std::any::Any;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2};

use crate::data::Split;
use crate::nn::ParamLayout;
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

/// Reusable buffers for one thread's evaluations, so hot loops don't
/// allocate. Each kind of problem keeps buffers of its own here (an MLP its
/// activations, its tape and a gathered minibatch); the workspace does not
/// know what they are, so a new kind of model brings its own.
#[derive(Default)]
pub struct Workspace {
    scratch: Option<Box<dyn Any + Send>>,
}

impl Workspace {
    /// The buffers of type `T`, made on first use (or when a problem of
    /// another kind used this workspace last).
    pub fn scratch<T: Default + Send + 'static>(&mut self) -> &mut T {
        if !self.scratch.as_ref().is_some_and(|s| s.is::<T>()) {
            self.scratch = Some(Box::new(T::default()));
        }
        match self.scratch.as_mut().and_then(|s| s.downcast_mut::<T>()) {
            Some(scratch) => scratch,
            None => unreachable!("the scratch was just made as a T"),
        }
    }
}

/// A problem with data whose predictions can be drawn: decision regions
/// over the inputs, or the fitted curve.
pub trait Predictor: Send + Sync {
    /// The training and test data.
    fn split(&self) -> &Split;

    /// The model's outputs (one row per input) for `inputs` at `params`.
    fn predict(
        &self,
        params: &[f32],
        inputs: ArrayView2<f32>,
        workspace: &mut Workspace,
    ) -> Array2<f32>;
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

    /// The same model on an evenly spaced sample of `examples` of its
    /// training examples, whose loss estimates this one's at a fraction of
    /// the cost (the first picture of a very expensive landscape). `None`
    /// where there is no such sample, or it would be no smaller.
    fn on_sample(&self, examples: usize) -> Option<Arc<dyn Problem>> {
        let _ = examples;
        None
    }

    /// Train and test loss and accuracy at `params`.
    fn evaluate(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation;

    /// The evaluation a run records for its loss chart and shows live,
    /// many times a second: the whole sets by default. A problem whose sets
    /// are too large to evaluate that often reads a fixed sample, the one
    /// [`Problem::curve_batch`] names.
    fn evaluate_for_curve(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        self.evaluate(params, workspace)
    }

    /// The train and test loss of [`Problem::evaluate_for_curve`], for a
    /// run's loss chart. `full_batch_loss` is the loss a full-batch step
    /// has just computed at these very parameters, which a problem whose
    /// chart reads every training example can take as its train loss.
    /// By default the whole evaluation; a problem overrides this where the
    /// losses alone are cheaper than the evaluation (which counts accuracy).
    fn curve_losses(
        &self,
        params: &[f32],
        full_batch_loss: Option<f32>,
        workspace: &mut Workspace,
    ) -> (f32, Option<f32>) {
        let _ = full_batch_loss;
        let e = self.evaluate_for_curve(params, workspace);
        (e.train_loss, e.test_loss)
    }

    /// The training examples the live evaluation and the view's gradient
    /// read, when they are a fixed sample rather than all of them (the
    /// charts say so).
    fn curve_batch(&self) -> Option<&[usize]> {
        None
    }

    /// The analytic surface behind this problem, if it is one: its plane is
    /// the true parameter space and its critical points are known.
    fn surface(&self) -> Option<SurfaceKind> {
        None
    }

    /// Its data and predictions, if it has data (views ask this instead of
    /// checking which kind of model it is).
    fn predictor(&self) -> Option<&dyn Predictor> {
        None
    }

    /// Its layer sizes, when the model is a stack of Linear layers that
    /// PyTorch's `nn.Sequential` can load (for the weights export).
    fn linear_layers(&self) -> Option<&[usize]> {
        None
    }

    /// The language model, when this problem is one (for its own views:
    /// the next symbol, samples, the bigram bound).
    fn language(&self) -> Option<&LanguageProblem> {
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

#[cfg(test)]
mod workspace_tests {
    use super::*;

    #[test]
    fn each_kind_of_problem_finds_its_own_buffers_in_a_shared_workspace() {
        #[derive(Default)]
        struct Counter(u32);
        let mut workspace = Workspace::default();
        workspace.scratch::<Counter>().0 += 1;
        workspace.scratch::<Counter>().0 += 1;
        assert_eq!(workspace.scratch::<Counter>().0, 2, "kept between calls");
        // Another kind takes the workspace over with fresh buffers, and back.
        workspace.scratch::<Vec<f32>>().push(1.0);
        assert_eq!(workspace.scratch::<Counter>().0, 0);
        // An MLP evaluates correctly in a workspace a surface problem used.
        let problem = ProblemSpec::Dataset {
            data: crate::data::DatasetSpec::new(crate::data::DatasetKind::Moons),
            hidden: vec![4],
            activation: crate::nn::Activation::Tanh,
        }
        .build()
        .expect("builds");
        let params = problem.init_params(0);
        let fresh = problem.loss(&params, &mut Workspace::default());
        assert_eq!(problem.loss(&params, &mut workspace), fresh);
        assert!(problem.predictor().is_some() && problem.linear_layers().is_some());
        let surface = SurfaceProblem::new(SurfaceKind::Bowl);
        assert!(surface.predictor().is_none() && surface.linear_layers().is_none());
    }
}
