//! Loss, gradient and accuracy of an MLP on a dataset in a chosen precision.
//!
//! Training runs in f32; comparing with PyTorch, or reporting on a user's
//! f64 weights, needs the same computation in the weights' own precision.

use ndarray::Array2;

use crate::autograd::Tape;
use crate::data::{Dataset, Targets};
use crate::nn::{ForwardScratch, Mlp, TargetsRef, loss};
use crate::scalar::Scalar;

/// The mean loss, its gradient and (for classes) the accuracy, widened to f64.
#[derive(Clone, Debug, PartialEq)]
pub struct PreciseEvaluation {
    /// Mean loss over the rows.
    pub loss: f64,
    /// Gradient of the mean loss, in the flat parameter order.
    pub grad: Vec<f64>,
    /// Fraction of rows classified correctly (classification only).
    pub accuracy: Option<f64>,
}

/// Evaluates `mlp` at `params` on `data`, computing in precision `T`.
pub fn evaluate_in<T: Scalar>(mlp: &Mlp, params: &[f64], data: &Dataset) -> PreciseEvaluation {
    let params: Vec<T> = params.iter().map(|&p| T::of(p)).collect();
    let x: Array2<T> = data.x.mapv(|v| T::of(f64::from(v)));
    let values: Option<Array2<T>> = match &data.targets {
        Targets::Values(v) => Some(v.mapv(|v| T::of(f64::from(v)))),
        Targets::Classes { .. } => None,
    };
    let targets = match (&data.targets, &values) {
        (Targets::Classes { labels, .. }, _) => TargetsRef::Classes(labels),
        (_, Some(v)) => TargetsRef::Values(v.view()),
        (Targets::Values(_), None) => unreachable!("values were converted above"),
    };
    let mut grad = vec![T::zero(); params.len()];
    let value = mlp.loss_and_grad(&params, x.view(), targets, &mut grad, &mut Tape::new());
    let accuracy = match targets {
        TargetsRef::Classes(labels) => Some(loss::accuracy(
            mlp.forward(&params, x.view(), &mut ForwardScratch::default()),
            labels,
        )),
        TargetsRef::Values(_) => None,
    };
    PreciseEvaluation {
        loss: value.to_f64_lossless(),
        grad: grad.iter().map(|g| g.to_f64_lossless()).collect(),
        accuracy,
    }
}
