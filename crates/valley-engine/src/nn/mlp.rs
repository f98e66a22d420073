//! The MLP: `Linear → act → Linear → act → … → Linear`, on a flat parameter vector.
//!
//! Two forward passes share one definition of the model: a taped one that
//! yields gradients (training) and a tape-free one that reuses scratch
//! buffers (evaluation, the landscape's hot path). Tests hold them equal.

use ndarray::{ArrayView1, ArrayView2, ShapeBuilder};
use thiserror::Error;

use super::init::{Init, seeded_rng};
use super::layout::ParamLayout;
use crate::autograd::{Tape, Var};
use crate::io::limits::{MAX_LAYERS, MAX_PARAMS, MAX_WIDTH};
use crate::kernels::Activation;
use crate::kernels::columns;
use crate::kernels::dense as kernel;
use crate::kernels::gemm;
use crate::kernels::loss::{self, TargetsRef};
use crate::scalar::Scalar;

mod gradient;
pub use gradient::GradientScratch;

/// A model description that cannot be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NnError {
    /// The architecture string is not `2-16-16-2`-like.
    #[error("architecture '{0}' is not a list of layer widths like 2-16-16-2")]
    BadArchitecture(String),
    /// Fewer than two sizes (input and output) or a zero width.
    #[error("architecture needs at least an input and an output width, all ≥ 1 (got {0:?})")]
    TooFewLayers(Vec<usize>),
    /// A width or depth past the caps.
    #[error("architecture {} is too large (widths ≤ {MAX_WIDTH}, at most {MAX_LAYERS} layers)", describe_sizes(.0))]
    TooLarge(Vec<usize>),
    /// Widths and depth within their caps whose product is not.
    #[error(
        "architecture {} has {count} parameters, more than the {MAX_PARAMS} any model may have", describe_sizes(.sizes)
    )]
    TooManyParams {
        /// The widths.
        sizes: Vec<usize>,
        /// Its parameter count (saturated).
        count: usize,
    },
}

/// Layer widths as `2-16-16-2`, with repeats folded (`2-4096×63-2`) so a
/// file's absurd architecture still gives a one-line message.
pub fn describe_sizes(sizes: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut index = 0;
    while index < sizes.len() {
        let width = sizes[index];
        let run = sizes[index..].iter().take_while(|&&w| w == width).count();
        parts.push(if run > 2 {
            format!("{width}×{run}")
        } else {
            vec![width.to_string(); run].join("-")
        });
        index += run;
    }
    parts.join("-")
}

/// Weights and biases of a network with these layer widths (saturating, so
/// any list of widths gives a number to compare with [`MAX_PARAMS`]).
pub fn param_count(sizes: &[usize]) -> usize {
    sizes.windows(2).fold(0usize, |total, pair| {
        total.saturating_add(pair[0].saturating_add(1).saturating_mul(pair[1]))
    })
}

/// Parses `2-16-16-2` (also `2,16,16,2` or `2x16x16x2`) into layer widths.
pub fn parse_layer_sizes(text: &str) -> Result<Vec<usize>, NnError> {
    let sizes: Result<Vec<usize>, _> = text
        .split(['-', ',', 'x', ' '])
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    let sizes = sizes.map_err(|_| NnError::BadArchitecture(text.to_string()))?;
    validate_sizes(&sizes)?;
    Ok(sizes)
}

impl Mlp {
    /// Checks layer widths against the width, depth and parameter caps
    /// without building anything.
    pub fn check_sizes(sizes: &[usize]) -> Result<(), NnError> {
        validate_sizes(sizes)
    }
}

fn validate_sizes(sizes: &[usize]) -> Result<(), NnError> {
    if sizes.len() < 2 || sizes.contains(&0) {
        return Err(NnError::TooFewLayers(sizes.to_vec()));
    }
    if sizes.len() > MAX_LAYERS + 1 || sizes.iter().any(|&s| s > MAX_WIDTH) {
        return Err(NnError::TooLarge(sizes.to_vec()));
    }
    let count = param_count(sizes);
    if count > MAX_PARAMS {
        return Err(NnError::TooManyParams {
            sizes: sizes.to_vec(),
            count,
        });
    }
    Ok(())
}

/// Whether a layer this size goes through faer's product in the row-major
/// forward pass: several times faster than the register-tiled kernel once
/// the weights outgrow the L1 cache (see [`gemm`]).
fn by_gemm(fan_in: usize, fan_out: usize) -> bool {
    fan_in.saturating_mul(fan_out) >= 1 << 14
}

/// `out = act(x · Wᵀ + b)` for a large layer, by faer: `x` `[n, fan_in]`
/// with rows `x_stride` apart, `out` `[n, padded(fan_out)]`.
fn large_layer<T: Scalar>(
    (x, x_stride): (&[T], usize),
    (fan_in, fan_out): (usize, usize),
    weight: &[T],
    bias: &[T],
    activation: Option<Activation>,
    out: &mut [T],
) {
    let stride = kernel::padded(fan_out);
    let n = out.len() / stride;
    for row in out.chunks_exact_mut(stride) {
        row[..fan_out].copy_from_slice(bias);
    }
    let x = ArrayView2::from_shape((n, fan_in).strides((x_stride, 1)), x)
        .expect("the input holds n rows");
    let w = ArrayView2::from_shape((fan_out, fan_in), weight).expect("weight is [out, in]");
    let target = ndarray::ArrayViewMut2::from_shape((n, fan_out).strides((stride, 1)), out)
        .expect("the output holds n padded rows");
    gemm::product(x, w.t(), true, target);
    if let Some(act) = activation {
        for row in out.chunks_exact_mut(stride) {
            act.apply(&mut row[..fan_out]);
        }
    }
}

/// A multi-layer perceptron's shape; the parameters live outside, in a flat vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    layer_sizes: Vec<usize>,
    activation: Activation,
    layout: ParamLayout,
}

/// Buffers reused across tape-free forward passes: per layer, the transposed
/// padded weight and the activations (examples by row, for [`Mlp::forward`]);
/// and the inputs and activations with examples across the lanes (for
/// [`Mlp::loss`]).
#[derive(Debug)]
pub struct ForwardScratch<T> {
    weights_t: Vec<Vec<T>>,
    activations: Vec<Vec<T>>,
    columns: Vec<Vec<T>>,
}

impl<T> Default for ForwardScratch<T> {
    fn default() -> Self {
        Self {
            weights_t: Vec::new(),
            activations: Vec::new(),
            columns: Vec::new(),
        }
    }
}

impl Mlp {
    /// An MLP with these widths (input first, output last) and hidden activation.
    pub fn new(layer_sizes: &[usize], activation: Activation) -> Result<Self, NnError> {
        validate_sizes(layer_sizes)?;
        let layout =
            ParamLayout::from_shapes(layer_sizes.windows(2).enumerate().flat_map(|(l, pair)| {
                let (fan_in, fan_out) = (pair[0], pair[1]);
                [
                    (format!("{}.weight", 2 * l), vec![fan_out, fan_in]),
                    (format!("{}.bias", 2 * l), vec![fan_out]),
                ]
            }));
        Ok(Self {
            layer_sizes: layer_sizes.to_vec(),
            activation,
            layout,
        })
    }

    /// Widths from input to output.
    pub fn layer_sizes(&self) -> &[usize] {
        &self.layer_sizes
    }

    /// The hidden nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Number of Linear layers.
    pub fn num_layers(&self) -> usize {
        self.layer_sizes.len() - 1
    }

    /// Input features.
    pub fn num_inputs(&self) -> usize {
        self.layer_sizes[0]
    }

    /// Outputs (logits or regression values).
    pub fn num_outputs(&self) -> usize {
        self.layer_sizes[self.layer_sizes.len() - 1]
    }

    /// Named views into the flat parameters.
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Total parameter count.
    pub fn num_params(&self) -> usize {
        self.layout.num_params()
    }

    /// `2-16-16-2 tanh`.
    pub fn describe(&self) -> String {
        let sizes: Vec<String> = self.layer_sizes.iter().map(|s| s.to_string()).collect();
        format!("{} {}", sizes.join("-"), self.activation)
    }

    /// Fresh parameters from a seed.
    pub fn init(&self, init: Init, seed: u64) -> Vec<f32> {
        let mut params = vec![0.0; self.num_params()];
        let mut rng = seeded_rng(seed);
        for l in 0..self.num_layers() {
            let w = self.layout.tensors[2 * l].range();
            let b = self.layout.tensors[2 * l + 1].range();
            let (head, tail) = params.split_at_mut(b.start);
            init.fill(
                &mut head[w],
                &mut tail[..b.len()],
                self.layer_sizes[l],
                &mut rng,
            );
        }
        params
    }

    /// Layer `l`'s weight `[out, in]`.
    pub fn weight<'p, T>(&self, params: &'p [T], l: usize) -> ArrayView2<'p, T> {
        let spec = &self.layout.tensors[2 * l];
        ArrayView2::from_shape((spec.shape[0], spec.shape[1]), &params[spec.range()])
            .expect("layout ranges match shapes")
    }

    /// Layer `l`'s bias `[out]`.
    pub fn bias<'p, T>(&self, params: &'p [T], l: usize) -> ArrayView1<'p, T> {
        ArrayView1::from(&params[self.layout.tensors[2 * l + 1].range()])
    }

    /// Tape-free forward pass; returns the outputs [n, out], held in `scratch`.
    pub fn forward<'s, T: Scalar>(
        &self,
        params: &[T],
        x: ArrayView2<T>,
        scratch: &'s mut ForwardScratch<T>,
    ) -> ArrayView2<'s, T> {
        self.prepare(params, scratch);
        self.forward_prepared(params, x, scratch)
    }

    /// Lays every small layer's weight out transposed and padded in
    /// `scratch`, as the row-major kernel reads it (a large layer goes
    /// through faer, which reads the weight as stored).
    fn prepare<T: Scalar>(&self, params: &[T], scratch: &mut ForwardScratch<T>) {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        let layers = self.num_layers();
        scratch.weights_t.resize_with(layers, Vec::new);
        for l in 0..layers {
            let (fan_in, fan_out) = (self.layer_sizes[l], self.layer_sizes[l + 1]);
            if by_gemm(fan_in, fan_out) {
                continue;
            }
            let weight = &params[self.layout.tensors[2 * l].range()];
            kernel::transpose_padded(weight, fan_out, fan_in, &mut scratch.weights_t[l]);
        }
    }

    /// The forward pass of `x` with the weights [`Mlp::prepare`] laid out
    /// from these same `params` (their biases are read from `params`).
    fn forward_prepared<'s, T: Scalar>(
        &self,
        params: &[T],
        x: ArrayView2<T>,
        scratch: &'s mut ForwardScratch<T>,
    ) -> ArrayView2<'s, T> {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        assert_eq!(x.ncols(), self.num_inputs(), "input features");
        let n = x.nrows();
        let layers = self.num_layers();
        assert_eq!(scratch.weights_t.len(), layers, "weights are prepared");
        scratch.activations.resize_with(layers, Vec::new);
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout is contiguous");
        for l in 0..layers {
            let (fan_in, fan_out) = (self.layer_sizes[l], self.layer_sizes[l + 1]);
            let wt = &scratch.weights_t[l];
            let (done, rest) = scratch.activations.split_at_mut(l);
            let out = &mut rest[0];
            out.resize(n * kernel::padded(fan_out), T::zero());
            let (input, stride) = match done.last() {
                None => (x, fan_in),
                Some(h) => (h.as_slice(), kernel::padded(fan_in)),
            };
            let bias = &params[self.layout.tensors[2 * l + 1].range()];
            let activation = (l + 1 < layers).then_some(self.activation);
            if by_gemm(fan_in, fan_out) {
                let weight = &params[self.layout.tensors[2 * l].range()];
                large_layer(
                    (input, stride),
                    (fan_in, fan_out),
                    weight,
                    bias,
                    activation,
                    out,
                );
                continue;
            }
            let target = kernel::DenseOut {
                data: out,
                stride: kernel::padded(fan_out),
                cols: fan_out,
                accumulate: false,
            };
            kernel::dense(input, (n, fan_in, stride), wt, bias, activation, target);
        }
        let out_width = self.num_outputs();
        ArrayView2::from_shape(
            (n, out_width).strides((kernel::padded(out_width), 1)),
            &scratch.activations[layers - 1],
        )
        .expect("padded rows hold the outputs")
    }

    /// Examples per block of [`Mlp::loss`]: a block's activations (of the
    /// widest layer, in and out) stay in the L1 cache from layer to layer
    /// instead of streaming through L2; whole tiles, and at least two.
    fn block_examples<T>(&self) -> usize {
        const BLOCK_BYTES: usize = 16 * 1024;
        let widest = self.layer_sizes.iter().copied().max().unwrap_or(1);
        let examples = BLOCK_BYTES / (widest * std::mem::size_of::<T>()).max(1);
        (examples / columns::COLUMN_ALIGN).clamp(2, 8) * columns::COLUMN_ALIGN
    }

    /// Mean loss over the examples, tape-free: a block of examples at a
    /// time, each example in a vector lane (the landscape's hot path).
    pub fn loss<T: Scalar>(
        &self,
        params: &[T],
        x: ArrayView2<T>,
        targets: TargetsRef<T>,
        scratch: &mut ForwardScratch<T>,
    ) -> T {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        assert_eq!(x.ncols(), self.num_inputs(), "input features");
        assert_eq!(x.nrows(), targets.len(), "one target per example");
        let n = x.nrows();
        // Blocks of equal size, so the last is not mostly padding.
        let blocks = n.div_ceil(self.block_examples::<T>()).max(1);
        let block = n.div_ceil(blocks).max(1);
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout is contiguous");
        let d = self.num_inputs();
        let mut total = T::zero();
        for start in (0..n).step_by(block) {
            let rows = start..(start + block).min(n);
            let logits = self.block_logits(params, &x[start * d..rows.end * d], scratch);
            let len = T::of(rows.len() as f64);
            total += loss::loss(logits, targets.rows(rows)) * len;
        }
        total / T::of(n.max(1) as f64)
    }

    /// The logits of the examples `x` (`[rows, inputs]`, row-major) as an
    /// `[rows, outputs]` view of the feature-major buffer in `scratch`.
    fn block_logits<'s, T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        scratch: &'s mut ForwardScratch<T>,
    ) -> ArrayView2<'s, T> {
        let rows = x.len() / self.num_inputs().max(1);
        let stride = self.forward_columns(params, x, &mut scratch.columns, None);
        let layers = self.num_layers();
        ArrayView2::from_shape(
            (rows, self.num_outputs()).strides((1, stride)),
            &scratch.columns[layers],
        )
        .expect("feature-major logits hold every example")
    }

    /// Mean loss and its gradient (written into `grad`), through the tape.
    pub fn loss_and_grad<T: Scalar>(
        &self,
        params: &[T],
        x: ArrayView2<T>,
        targets: TargetsRef<T>,
        grad: &mut [T],
        tape: &mut Tape<T>,
    ) -> T {
        assert_eq!(grad.len(), self.num_params(), "gradient length");
        let (loss, leaves) = self.record(params, x, targets, tape);
        tape.loss_and_flat_gradient(loss, &leaves, self.places(), grad)
    }

    /// Records the mean loss on a cleared `tape`: the loss node and the
    /// parameter leaves, in the order of [`Mlp::places`].
    pub fn record<T: Scalar>(
        &self,
        params: &[T],
        x: ArrayView2<T>,
        targets: TargetsRef<T>,
        tape: &mut Tape<T>,
    ) -> (Var, Vec<Var>) {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        assert_eq!(x.nrows(), targets.len(), "one target per example");
        tape.clear();
        let mut h = tape.leaf_from(x, false);
        let mut leaves = Vec::with_capacity(2 * self.num_layers());
        for l in 0..self.num_layers() {
            let w = tape.leaf_from(self.weight(params, l), true);
            let b = tape.leaf(
                self.bias(params, l)
                    .to_owned()
                    .insert_axis(ndarray::Axis(0)),
                true,
            );
            leaves.extend([w, b]);
            let z = tape.linear(h, w, b);
            h = if l + 1 < self.num_layers() {
                tape.activate(z, self.activation)
            } else {
                z
            };
        }
        let loss = match targets {
            TargetsRef::Classes(labels) => tape.cross_entropy(h, labels),
            TargetsRef::Values(values) => tape.mse(h, values),
        };
        (loss, leaves)
    }

    /// Where each tensor lives in the flat parameters, in layout order.
    pub fn places(&self) -> Vec<std::ops::Range<usize>> {
        self.layout.tensors.iter().map(|t| t.range()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::seeded_rng;
    use ndarray::Array2;
    use rand::RngExt;
    use strum::IntoEnumIterator;

    fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = seeded_rng(seed);
        Array2::from_shape_simple_fn((n, d), || rng.random_range(-2.0..2.0))
    }

    fn params64(mlp: &Mlp, seed: u64) -> Vec<f64> {
        mlp.init(Init::Torch, seed)
            .iter()
            .map(|&p| f64::from(p))
            .collect()
    }

    #[test]
    fn whole_loss_gradient_matches_finite_differences() {
        for act in Activation::iter() {
            for classification in [true, false] {
                let mlp = Mlp::new(&[3, 5, 4, if classification { 3 } else { 2 }], act)
                    .expect("valid sizes");
                let x = data(7, 3, 1);
                let labels = [0, 1, 2, 2, 1, 0, 1];
                let y = data(7, 2, 2);
                let targets = if classification {
                    TargetsRef::Classes(&labels)
                } else {
                    TargetsRef::Values(y.view())
                };
                let params = params64(&mlp, 3);
                let mut grad = vec![0.0; mlp.num_params()];
                let mut tape = Tape::new();
                let loss = mlp.loss_and_grad(&params, x.view(), targets, &mut grad, &mut tape);
                let mut scratch = ForwardScratch::default();
                let mut loss_at = |p: &[f64]| mlp.loss(p, x.view(), targets, &mut scratch);
                assert!((loss - loss_at(&params)).abs() < 1e-14);
                let h = 1e-6;
                for i in 0..params.len() {
                    let mut plus = params.clone();
                    let mut minus = params.clone();
                    plus[i] += h;
                    minus[i] -= h;
                    let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h);
                    assert!(
                        (grad[i] - numeric).abs() < 1e-7 * (1.0 + numeric.abs()),
                        "{act} {}: analytic {} vs numeric {numeric}",
                        mlp.layout().describe_index(i),
                        grad[i]
                    );
                }
            }
        }
    }

    #[test]
    fn tape_free_forward_agrees_with_taped_in_f32() {
        let mlp = Mlp::new(&[2, 32, 32, 2], Activation::Tanh).expect("valid sizes");
        let params = mlp.init(Init::Torch, 7);
        let x = data(100, 2, 4).mapv(|v| v as f32);
        let labels: Vec<usize> = (0..100).map(|i| i % 2).collect();
        let mut grad = vec![0.0f32; mlp.num_params()];
        let taped = mlp.loss_and_grad(
            &params,
            x.view(),
            TargetsRef::Classes(&labels),
            &mut grad,
            &mut Tape::new(),
        );
        let free = mlp.loss(
            &params,
            x.view(),
            TargetsRef::Classes(&labels),
            &mut ForwardScratch::default(),
        );
        // Same operations in the same order: equal up to summation order in the matmul kernel.
        assert!(
            (taped - free).abs() <= 1e-6 * taped.abs(),
            "{taped} vs {free}"
        );
    }

    /// The feature-major loss over several blocks of examples (the last
    /// one short, padded to whole tiles) and widths that leave ragged
    /// tiles of output features, against the taped loss.
    #[test]
    fn blocked_loss_agrees_with_taped_across_blocks_and_ragged_widths() {
        for act in Activation::iter() {
            // The last has a layer of 16,900 weights: faer's product, in
            // the feature-major loss and on the tape alike.
            for (sizes, n) in [
                (vec![2, 33, 7, 3], 1301),
                (vec![3, 300, 2], 517),
                (vec![2, 130, 130, 2], 300),
            ] {
                let mlp = Mlp::new(&sizes, act).expect("valid sizes");
                assert!(mlp.block_examples::<f64>() < n, "more than one block");
                let x = data(n, sizes[0], 5);
                let classes = sizes[sizes.len() - 1];
                let labels: Vec<usize> = (0..n).map(|i| (i * 7) % classes).collect();
                let y = data(n, classes, 6);
                let params = params64(&mlp, 8);
                for targets in [TargetsRef::Classes(&labels), TargetsRef::Values(y.view())] {
                    let mut grad = vec![0.0; mlp.num_params()];
                    let taped =
                        mlp.loss_and_grad(&params, x.view(), targets, &mut grad, &mut Tape::new());
                    let mut scratch = ForwardScratch::default();
                    let free = mlp.loss(&params, x.view(), targets, &mut scratch);
                    assert!(
                        (taped - free).abs() <= 1e-12 * taped.abs(),
                        "{act} {sizes:?}: {taped} vs {free}"
                    );
                    // The predictions' row-major forward agrees too.
                    let mut rows = ForwardScratch::default();
                    let outputs = loss::loss(mlp.forward(&params, x.view(), &mut rows), targets);
                    assert!(
                        (outputs - free).abs() <= 1e-12 * free.abs(),
                        "{act} {sizes:?}: forward {outputs} vs {free}"
                    );
                    // The scratch, reused at another size, gives the same again.
                    let few = x.slice(ndarray::s![..5, ..]);
                    mlp.loss(&params, few, targets.rows(0..5), &mut scratch);
                    assert_eq!(mlp.loss(&params, x.view(), targets, &mut scratch), free);
                }
            }
        }
    }

    #[test]
    fn layout_uses_sequential_names() {
        let mlp = Mlp::new(&[2, 16, 16, 2], Activation::Tanh).expect("valid sizes");
        let names: Vec<&str> = mlp
            .layout()
            .tensors
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"
            ]
        );
        assert_eq!(mlp.num_params(), 2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
        assert_eq!(mlp.weight(&mlp.init(Init::Torch, 0), 1).dim(), (16, 16));
    }

    #[test]
    fn init_schemes_have_their_scale() {
        let mlp = Mlp::new(&[64, 64, 64], Activation::Relu).expect("valid sizes");
        let bound = 1.0 / 8.0;
        let torch = mlp.init(Init::Torch, 1);
        assert!(torch.iter().all(|w| w.abs() <= bound));
        assert_eq!(
            torch,
            mlp.init(Init::Torch, 1),
            "seeded init is reproducible"
        );
        assert_ne!(torch, mlp.init(Init::Torch, 2));
        let he = mlp.init(Init::He, 1);
        let w = mlp.weight(&he, 0);
        let var = w.iter().map(|v| f64::from(v * v)).sum::<f64>() / w.len() as f64;
        assert!(
            (var - 2.0 / 64.0).abs() < 0.1 * 2.0 / 64.0,
            "He variance {var}"
        );
        assert!(mlp.bias(&he, 0).iter().all(|&b| b == 0.0));
        let xavier = mlp.init(Init::Xavier, 1);
        let xb = (6.0f32 / 128.0).sqrt();
        assert!(mlp.weight(&xavier, 1).iter().all(|w| w.abs() <= xb));
    }

    #[test]
    fn architecture_strings() {
        assert_eq!(parse_layer_sizes("2-16-16-2"), Ok(vec![2, 16, 16, 2]));
        assert_eq!(parse_layer_sizes("2,8,1"), Ok(vec![2, 8, 1]));
        assert!(matches!(
            parse_layer_sizes("2-a-2"),
            Err(NnError::BadArchitecture(_))
        ));
        assert!(matches!(
            parse_layer_sizes("5"),
            Err(NnError::TooFewLayers(_))
        ));
        assert!(matches!(
            parse_layer_sizes("2-0-2"),
            Err(NnError::TooFewLayers(_))
        ));
        assert!(matches!(
            parse_layer_sizes("2-100000-2"),
            Err(NnError::TooLarge(_))
        ));
        // 64 layers of 4,096 pass the width and depth caps: a billion parameters.
        let billion: Vec<usize> = std::iter::once(2)
            .chain(std::iter::repeat_n(4096, 63))
            .chain([2])
            .collect();
        let error = Mlp::new(&billion, Activation::Tanh).expect_err("too many parameters");
        assert!(
            matches!(error, NnError::TooManyParams { count, .. } if count > 1_000_000_000),
            "{error}"
        );
        assert!(error.to_string().contains("5000000"), "{error}");
        assert_eq!(param_count(&[2, 16, 16, 2]), 48 + 272 + 34);
        assert_eq!(describe_sizes(&billion), "2-4096×63-2");
        assert_eq!(describe_sizes(&[2, 16, 16, 2]), "2-16-16-2");
    }
}
