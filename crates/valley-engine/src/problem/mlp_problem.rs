//! An MLP on a dataset: the network's loss over its training examples.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis, s};

use super::hessian_products::HessianProducts;
use super::{Batch, Evaluation, Predictor, Problem, Workspace};
use crate::autograd::{Linearised, Tape};
use crate::data::{Dataset, Split, Targets};
use crate::nn::{ForwardScratch, GradientScratch, Init, Mlp, ParamLayout, TargetsRef, loss};

/// An MLP problem's buffers in a [`Workspace`].
#[derive(Default)]
pub struct MlpScratch {
    /// Activations for tape-free forward passes.
    pub forward: ForwardScratch<f32>,
    /// The tape-free gradient's buffers (a minibatch, or a full batch's
    /// first half).
    pub columns: GradientScratch<f32>,
    /// The same for a full batch's second half.
    pub second_columns: GradientScratch<f32>,
    /// The second half's gradient, before the halves are combined.
    pub second_grad: Vec<f32>,
    /// Gathered minibatch inputs.
    pub batch_x: Array2<f32>,
    /// Gathered minibatch labels.
    pub batch_labels: Vec<usize>,
    /// Gathered minibatch regression targets.
    pub batch_values: Array2<f32>,
}

/// Why a model and a dataset don't fit together.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MismatchError {
    /// The data has a different number of features than the model's input.
    #[error("the data has {data} feature column(s) but the model takes {model} input(s)")]
    Inputs {
        /// Features in the data.
        data: usize,
        /// Model inputs.
        model: usize,
    },
    /// More classes in the labels than the model has outputs.
    #[error(
        "the data has labels up to {max_label} but the model has only {outputs} output(s); labels must be 0..{outputs}"
    )]
    Classes {
        /// Largest label seen.
        max_label: usize,
        /// Model outputs.
        outputs: usize,
    },
    /// Regression targets with a different width than the outputs.
    #[error("the data has {data} target column(s) but the model has {outputs} output(s)")]
    Targets {
        /// Target columns.
        data: usize,
        /// Model outputs.
        outputs: usize,
    },
    /// No training examples.
    #[error("the training data is empty")]
    Empty,
    /// Starting parameters of the wrong length.
    #[error("the starting weights hold {actual} parameters but the network has {expected}")]
    StartLength {
        /// Parameters of the network.
        expected: usize,
        /// Parameters given.
        actual: usize,
    },
}

/// Fewest training rows whose full-batch gradient is split over two cores
/// (below it, the hand-over costs more than the half it saves).
const SPLIT_ROWS: usize = 512;

/// A multi-layer perceptron trained on a dataset.
pub struct MlpProblem {
    mlp: Mlp,
    data: Arc<Split>,
    init: Init,
    label: String,
    /// Imported weights to start from instead of a seeded initialisation.
    start: Option<Arc<[f32]>>,
    products: HessianProducts,
}

impl MlpProblem {
    /// Pairs a model with its data; checks that they fit.
    pub fn new(
        mlp: Mlp,
        data: Arc<Split>,
        init: Init,
        data_name: &str,
    ) -> Result<Self, MismatchError> {
        for set in [&data.train, &data.test] {
            check_fit(&mlp, set)?;
        }
        if data.train.is_empty() {
            return Err(MismatchError::Empty);
        }
        let label = format!("{data_name} · MLP {}", mlp.describe());
        Ok(Self {
            mlp,
            data,
            init,
            label,
            start: None,
            products: HessianProducts::default(),
        })
    }

    /// Starts every run from these parameters (imported weights), whatever
    /// the seed. The count must match the network.
    pub fn with_start(mut self, params: Vec<f32>) -> Result<Self, MismatchError> {
        if params.len() != self.mlp.num_params() {
            return Err(MismatchError::StartLength {
                expected: self.mlp.num_params(),
                actual: params.len(),
            });
        }
        self.start = Some(Arc::from(params));
        Ok(self)
    }

    /// The network.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// The training and test data.
    pub fn data(&self) -> &Arc<Split> {
        &self.data
    }

    /// Network outputs for any inputs (for decision boundaries and fitted curves).
    pub fn predict(
        &self,
        params: &[f32],
        x: ArrayView2<f32>,
        workspace: &mut Workspace,
    ) -> Array2<f32> {
        let scratch = workspace.scratch::<MlpScratch>();
        self.mlp.forward(params, x, &mut scratch.forward).to_owned()
    }

    fn set_loss(
        &self,
        params: &[f32],
        set: &Dataset,
        workspace: &mut Workspace,
    ) -> (f32, Option<f32>) {
        let scratch = workspace.scratch::<MlpScratch>();
        let out = self.mlp.forward(params, set.x.view(), &mut scratch.forward);
        match &set.targets {
            Targets::Classes { labels, .. } => (
                loss::cross_entropy(out, labels),
                Some(loss::accuracy(out, labels) as f32),
            ),
            Targets::Values(values) => (loss::mean_squared_error(out, values.view()), None),
        }
    }
}

fn check_fit(mlp: &Mlp, set: &Dataset) -> Result<(), MismatchError> {
    if set.is_empty() {
        return Ok(());
    }
    if set.num_features() != mlp.num_inputs() {
        return Err(MismatchError::Inputs {
            data: set.num_features(),
            model: mlp.num_inputs(),
        });
    }
    match &set.targets {
        Targets::Classes { labels, .. } => {
            let max_label = labels.iter().copied().max().unwrap_or(0);
            if max_label >= mlp.num_outputs() {
                return Err(MismatchError::Classes {
                    max_label,
                    outputs: mlp.num_outputs(),
                });
            }
        }
        Targets::Values(values) => {
            if values.ncols() != mlp.num_outputs() {
                return Err(MismatchError::Targets {
                    data: values.ncols(),
                    outputs: mlp.num_outputs(),
                });
            }
        }
    }
    Ok(())
}

fn targets_of(set: &Dataset) -> TargetsRef<'_, f32> {
    match &set.targets {
        Targets::Classes { labels, .. } => TargetsRef::Classes(labels),
        Targets::Values(values) => TargetsRef::Values(values.view()),
    }
}

impl Predictor for MlpProblem {
    fn split(&self) -> &Split {
        &self.data
    }

    fn predict(
        &self,
        params: &[f32],
        inputs: ArrayView2<f32>,
        workspace: &mut Workspace,
    ) -> Array2<f32> {
        MlpProblem::predict(self, params, inputs, workspace)
    }
}

impl Problem for MlpProblem {
    fn predictor(&self) -> Option<&dyn Predictor> {
        Some(self)
    }

    fn linear_layers(&self) -> Option<&[usize]> {
        Some(self.mlp.layer_sizes())
    }

    fn name(&self) -> String {
        self.label.clone()
    }

    fn layout(&self) -> &ParamLayout {
        self.mlp.layout()
    }

    fn loss_and_grad_f64(&self, params: &[f64]) -> Option<(f64, Vec<f64>)> {
        let evaluation = super::evaluate_in::<f64>(&self.mlp, params, &self.data.train);
        Some((evaluation.loss, evaluation.grad))
    }

    /// Exact, by the R-operator through the tape (one tangent and one
    /// reverse pass per share of the rows, at a point recorded once).
    fn hessian_vector(&self, params: &[f64], v: &[f64]) -> Option<Vec<f64>> {
        let train = &self.data.train;
        Some(self.products.product(params, v, train.len(), |rows| {
            let x = train.x.slice(s![rows.clone(), ..]).mapv(f64::from);
            let values = match &train.targets {
                Targets::Values(values) => values.slice(s![rows.clone(), ..]).mapv(f64::from),
                Targets::Classes { .. } => Array2::zeros((0, 0)),
            };
            let targets = match &train.targets {
                Targets::Classes { labels, .. } => TargetsRef::Classes(&labels[rows]),
                Targets::Values(_) => TargetsRef::Values(values.view()),
            };
            let mut tape = Tape::new();
            let (loss, leaves) = self.mlp.record(params, x.view(), targets, &mut tape);
            Linearised::new(tape, loss, leaves, self.mlp.places())
        }))
    }

    fn init_params(&self, seed: u64) -> Vec<f32> {
        match &self.start {
            Some(start) => start.to_vec(),
            None => self.mlp.init(self.init, seed),
        }
    }

    fn num_train_examples(&self) -> usize {
        self.data.train.len()
    }

    fn on_sample(&self, examples: usize) -> Option<Arc<dyn Problem>> {
        let all = self.data.train.len();
        if examples == 0 || examples >= all {
            return None;
        }
        // Every (all / examples)-th example, spread over the whole set: a
        // file sorted by class keeps its mix of classes.
        let picked: Vec<usize> = (0..examples).map(|i| i * all / examples).collect();
        let split = Split {
            train: self.data.train.subset(&picked),
            test: self.data.test.subset(&[]),
        };
        Some(Arc::new(Self {
            mlp: self.mlp.clone(),
            data: Arc::new(split),
            init: self.init,
            label: format!("{} (a sample of {examples} examples)", self.label),
            start: self.start.clone(),
            products: HessianProducts::default(),
        }))
    }

    fn loss_and_grad(
        &self,
        params: &[f32],
        batch: Batch,
        grad: &mut [f32],
        workspace: &mut Workspace,
    ) -> f32 {
        let train = &self.data.train;
        let MlpScratch {
            columns,
            second_columns,
            second_grad,
            batch_x,
            batch_labels,
            batch_values,
            ..
        } = workspace.scratch::<MlpScratch>();
        match batch {
            // A full batch without a tape (every example in a vector lane),
            // in two halves on two cores when it is large enough; always
            // two, whatever the core count, so a run gives the same bits on
            // every machine.
            Batch::Full if train.len() >= SPLIT_ROWS => {
                let (rows, half) = (train.len(), train.len() / 2);
                let targets = targets_of(train);
                second_grad.resize(grad.len(), 0.0);
                let (first, second) = rayon::join(
                    || {
                        let x = train.x.slice(s![..half, ..]);
                        let targets = targets.rows(0..half);
                        self.mlp
                            .loss_and_grad_columns(params, x, targets, grad, columns)
                    },
                    || {
                        let x = train.x.slice(s![half.., ..]);
                        let targets = targets.rows(half..rows);
                        let g = second_grad.as_mut_slice();
                        self.mlp
                            .loss_and_grad_columns(params, x, targets, g, second_columns)
                    },
                );
                let (w1, w2) = (
                    half as f32 / rows as f32,
                    (rows - half) as f32 / rows as f32,
                );
                // A large model's million sums on both cores.
                crate::optim::elementwise(grad, second_grad, [], |grad, second, []| {
                    for (g, &h) in grad.iter_mut().zip(second) {
                        *g = w1 * *g + w2 * h;
                    }
                });
                w1 * first + w2 * second
            }
            Batch::Full => self.mlp.loss_and_grad_columns(
                params,
                train.x.view(),
                targets_of(train),
                grad,
                columns,
            ),
            Batch::Indices(indices) => {
                gather_rows(train.x.view(), indices, batch_x);
                let targets = match &train.targets {
                    Targets::Classes { labels, .. } => {
                        batch_labels.clear();
                        batch_labels.extend(indices.iter().map(|&i| labels[i]));
                        TargetsRef::Classes(batch_labels.as_slice())
                    }
                    Targets::Values(values) => {
                        gather_rows(values.view(), indices, batch_values);
                        TargetsRef::Values(batch_values.view())
                    }
                };
                self.mlp
                    .loss_and_grad_columns(params, batch_x.view(), targets, grad, columns)
            }
        }
    }

    fn loss(&self, params: &[f32], workspace: &mut Workspace) -> f32 {
        let train = &self.data.train;
        self.mlp.loss(
            params,
            train.x.view(),
            targets_of(train),
            &mut workspace.scratch::<MlpScratch>().forward,
        )
    }

    /// Tape-free, with the examples across the vector lanes as the
    /// landscape computes its loss (the status bar's evaluation, which also
    /// counts accuracy, agrees to rounding), and the train loss taken from
    /// a full-batch step: it was a second forward pass per step, as long as
    /// the step's own.
    fn curve_losses(
        &self,
        params: &[f32],
        full_batch_loss: Option<f32>,
        workspace: &mut Workspace,
    ) -> (f32, Option<f32>) {
        let forward = &mut workspace.scratch::<MlpScratch>().forward;
        let mut loss_on = |set: &Dataset| {
            self.mlp
                .loss(params, set.x.view(), targets_of(set), forward)
        };
        let train = full_batch_loss.unwrap_or_else(|| loss_on(&self.data.train));
        let test = (!self.data.test.is_empty()).then(|| loss_on(&self.data.test));
        (train, test)
    }

    fn evaluate(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        let (train_loss, train_accuracy) = self.set_loss(params, &self.data.train, workspace);
        let (test_loss, test_accuracy) = if self.data.test.is_empty() {
            (None, None)
        } else {
            let (l, a) = self.set_loss(params, &self.data.test, workspace);
            (Some(l), a)
        };
        Evaluation {
            train_loss,
            test_loss,
            train_accuracy,
            test_accuracy,
        }
    }
}

/// Copies the chosen rows into `out`, reusing its allocation when the shape allows.
fn gather_rows(source: ArrayView2<f32>, indices: &[usize], out: &mut Array2<f32>) {
    let shape = (indices.len(), source.ncols());
    if out.dim() != shape {
        *out = Array2::zeros(shape);
    }
    for (mut row, &i) in out.axis_iter_mut(Axis(0)).zip(indices) {
        row.assign(&source.row(i));
    }
}
