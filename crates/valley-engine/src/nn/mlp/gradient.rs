//! An MLP's mean loss and its gradient without a tape: the activations of
//! every layer stored feature by feature (the examples across the vector
//! lanes, as the landscape's loss keeps them), then the backward pass by
//! hand. A full-batch training step spent most of its time outside the
//! arithmetic on the tape: recording, zero-filled gradient slots, copies
//! of the parameters into leaves and out of them.
//!
//! Per layer `Z = W·A + b`, `A' = act(Z)` with `A` `[in, examples]`:
//! `dW = dZ·Aᵀ`, `db = Σ dZ`, `dA = Wᵀ·dZ`, `dZ = dA ⊙ act'(Z)`.

use ndarray::{ArrayView2, ArrayViewMut2};

use super::{Mlp, by_gemm};
use crate::kernels::Activation;
use crate::kernels::columns;
use crate::kernels::gemm;
use crate::kernels::loss::TargetsRef;
use crate::scalar::Scalar;

/// Weights from which the backward products go through Valley's own
/// packed kernel where it runs.
const BACKWARD_BY_PRODUCT: usize = 1 << 13;

/// Buffers of [`Mlp::loss_and_grad_columns`], kept between steps.
pub struct GradientScratch<T> {
    /// Each layer's output `[width, stride]`; `[0]` is the input.
    outputs: Vec<Vec<T>>,
    /// Each hidden layer's input to the activation, where its derivative
    /// needs it (GELU).
    pre: Vec<Vec<T>>,
    /// dLoss/d(pre-activation) of the layer being worked back through.
    delta: Vec<T>,
    /// dLoss/d(its input).
    back: Vec<T>,
    /// A weight transposed, `[in, out]`, and the zero bias of its product.
    weight_t: Vec<T>,
    zeros: Vec<T>,
    /// Per example: the logits' maximum, then the sum of their exponentials.
    per_example: Vec<T>,
}

impl<T> Default for GradientScratch<T> {
    fn default() -> Self {
        Self {
            outputs: Vec::new(),
            pre: Vec::new(),
            delta: Vec::new(),
            back: Vec::new(),
            weight_t: Vec::new(),
            zeros: Vec::new(),
            per_example: Vec::new(),
        }
    }
}

impl Mlp {
    /// Mean loss over the examples `x` and its gradient (written into
    /// `grad`), without a tape: the same quantities as
    /// [`Mlp::loss_and_grad`], to rounding.
    pub fn loss_and_grad_columns<T: Scalar>(
        &self,
        params: &[T],
        x: ArrayView2<T>,
        targets: TargetsRef<T>,
        grad: &mut [T],
        scratch: &mut GradientScratch<T>,
    ) -> T {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        assert_eq!(grad.len(), self.num_params(), "gradient length");
        assert_eq!(x.ncols(), self.num_inputs(), "input features");
        assert_eq!(x.nrows(), targets.len(), "one target per example");
        let n = x.nrows();
        let layers = self.num_layers();
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout is contiguous");
        // Forward, keeping every layer's output.
        let stride = self.forward_columns(params, x, &mut scratch.outputs, Some(&mut scratch.pre));

        // The loss, and its derivative by the logits.
        let classes = self.num_outputs();
        scratch.delta.clear();
        scratch.delta.resize(classes * stride, T::zero());
        let loss = loss_delta(
            &scratch.outputs[layers][..classes * stride],
            (n, stride),
            targets,
            &mut scratch.delta,
            &mut scratch.per_example,
        );

        // Backward, from the last layer to the first.
        for l in (0..layers).rev() {
            let (fan_in, fan_out) = (self.layer_sizes[l], self.layer_sizes[l + 1]);
            // Valley's packed kernel beats the column kernels from a
            // smaller layer than faer does (2-97-97-2 on 10,000 points:
            // see the README's scaling table); the forward pass keeps its
            // fused bias and activation up to `by_gemm`'s size.
            let by_product = by_gemm(fan_in, fan_out)
                || (gemm::own_kernel_for::<T>() && fan_in * fan_out >= BACKWARD_BY_PRODUCT);
            let delta = &scratch.delta[..fan_out * stride];
            let input = &scratch.outputs[l][..fan_in * stride];
            // dW = dZ · Aᵀ (the padding columns of dZ are zero).
            let dw = &mut grad[self.layout.tensors[2 * l].range()];
            let dz = ArrayView2::from_shape((fan_out, stride), delta).expect("dZ is [out, stride]");
            if by_product {
                let a = ArrayView2::from_shape((fan_in, stride), input).expect("A is [in, stride]");
                let dw = ArrayViewMut2::from_shape((fan_out, fan_in), dw).expect("[out, in]");
                gemm::product(dz, a.t(), false, dw);
            } else {
                columns::dots(delta, input, (fan_out, fan_in, stride), dw);
            }
            for (g, row) in grad[self.layout.tensors[2 * l + 1].range()]
                .iter_mut()
                .zip(delta.chunks_exact(stride))
            {
                *g = columns::row_sum(row);
            }
            if l == 0 {
                break;
            }
            // dA = Wᵀ · dZ, then through the activation.
            scratch.back.resize(fan_in * stride, T::zero());
            let weight = &params[self.layout.tensors[2 * l].range()];
            if by_product {
                let w = ArrayView2::from_shape((fan_out, fan_in), weight).expect("weight");
                let back = ArrayViewMut2::from_shape((fan_in, stride), &mut scratch.back[..])
                    .expect("dA is [in, stride]");
                gemm::product(w.t(), dz, false, back);
            } else {
                scratch.weight_t.clear();
                scratch.weight_t.resize(fan_in * fan_out, T::zero());
                for (o, row) in weight.chunks_exact(fan_in).enumerate() {
                    for (i, &w) in row.iter().enumerate() {
                        scratch.weight_t[i * fan_out + o] = w;
                    }
                }
                scratch.zeros.resize(fan_in, T::zero());
                columns::dense_columns(
                    &scratch.weight_t,
                    (fan_in, fan_out, stride),
                    delta,
                    &scratch.zeros[..fan_in],
                    None,
                    &mut scratch.back,
                );
            }
            let mut delta = std::mem::take(&mut scratch.delta);
            delta.clear();
            delta.resize(fan_in * stride, T::zero());
            let pre = if self.activation == Activation::Gelu {
                &scratch.pre[l - 1][..fan_in * stride]
            } else {
                input
            };
            self.activation
                .backward(pre, input, &scratch.back, &mut delta);
            scratch.delta = delta;
        }
        loss
    }

    /// Every layer's output for the examples `x` (`[rows, inputs]`,
    /// row-major), feature-major in `outputs` (`[0]` the input, each
    /// `[width, stride]`); returns the stride. With `pre`, a hidden layer
    /// whose activation's derivative needs its input (GELU) keeps it there.
    pub(super) fn forward_columns<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        outputs: &mut Vec<Vec<T>>,
        mut pre: Option<&mut Vec<Vec<T>>>,
    ) -> usize {
        let d = self.num_inputs();
        let rows = x.len() / d.max(1);
        let stride = columns::padded_columns(rows);
        let layers = self.num_layers();
        outputs.resize_with(layers + 1, Vec::new);
        columns::transpose_into(x, (rows, d, d), stride, &mut outputs[0]);
        for l in 0..layers {
            let (done, rest) = outputs.split_at_mut(l + 1);
            let out = &mut rest[0];
            out.resize(self.layer_sizes[l + 1] * stride, T::zero());
            let activation = (l + 1 < layers).then_some(self.activation);
            let keep = pre
                .as_mut()
                .filter(|_| activation == Some(Activation::Gelu));
            if let Some(pre) = keep {
                self.layer_columns(params, l, (&done[l], stride), None, out);
                pre.resize_with(layers, Vec::new);
                pre[l].clear();
                pre[l].extend_from_slice(out);
                Activation::Gelu.apply(out);
            } else {
                self.layer_columns(params, l, (&done[l], stride), activation, out);
            }
        }
        stride
    }

    /// `out = act(W_l · input + b_l)`, feature-major, `input` `[in, stride]`
    /// and `out` `[out, stride]`: faer's product for a wide layer (its
    /// inputs outgrow the caches the column tiles were sized for), the
    /// column tiles otherwise.
    pub(super) fn layer_columns<T: Scalar>(
        &self,
        params: &[T],
        l: usize,
        (input, stride): (&[T], usize),
        activation: Option<Activation>,
        out: &mut [T],
    ) {
        let (fan_in, fan_out) = (self.layer_sizes[l], self.layer_sizes[l + 1]);
        let weight = &params[self.layout.tensors[2 * l].range()];
        let bias = &params[self.layout.tensors[2 * l + 1].range()];
        if !by_gemm(fan_in, fan_out) {
            columns::dense_columns(
                weight,
                (fan_out, fan_in, stride),
                input,
                bias,
                activation,
                out,
            );
            return;
        }
        for (row, &b) in out.chunks_exact_mut(stride).zip(bias) {
            row.fill(b);
        }
        let w = ArrayView2::from_shape((fan_out, fan_in), weight).expect("weight is [out, in]");
        let input =
            ArrayView2::from_shape((fan_in, stride), &input[..fan_in * stride]).expect("input");
        let target = ArrayViewMut2::from_shape((fan_out, stride), &mut out[..fan_out * stride])
            .expect("out is [out, stride]");
        gemm::product(w, input, true, target);
        if let Some(act) = activation {
            act.apply(&mut out[..fan_out * stride]);
        }
    }
}

/// The mean loss of the feature-major `outputs` `[classes, stride]` over
/// the first `n` examples, with its derivative by each output in `delta`
/// (zero in the padding columns).
fn loss_delta<T: Scalar>(
    outputs: &[T],
    (n, stride): (usize, usize),
    targets: TargetsRef<T>,
    delta: &mut [T],
    per_example: &mut Vec<T>,
) -> T {
    let classes = outputs.len() / stride;
    let scale = T::one() / T::of(n.max(1) as f64);
    match targets {
        TargetsRef::Classes(labels) => {
            // Softmax cross-entropy, shifted by each example's largest logit.
            per_example.clear();
            per_example.resize(n, T::neg_infinity());
            for row in outputs.chunks_exact(stride) {
                for (m, &z) in per_example.iter_mut().zip(row) {
                    *m = m.max(z);
                }
            }
            for (row, out) in outputs
                .chunks_exact(stride)
                .zip(delta.chunks_exact_mut(stride))
            {
                for ((e, &z), &m) in out.iter_mut().zip(row).zip(per_example.iter()) {
                    *e = z - m;
                }
            }
            // The label's shifted logit, before the exponentials replace it.
            let mut total = T::zero();
            for (i, &label) in labels.iter().enumerate() {
                total -= delta[label * stride + i];
            }
            for row in delta.chunks_exact_mut(stride) {
                T::exp_in_place(&mut row[..n]);
            }
            per_example.iter_mut().for_each(|s| *s = T::zero());
            for row in delta.chunks_exact(stride) {
                for (s, &e) in per_example.iter_mut().zip(row) {
                    *s += e;
                }
            }
            // Each softmax row, over n (the mean), minus the label's 1/n.
            for row in delta.chunks_exact_mut(stride) {
                for (e, &s) in row.iter_mut().zip(per_example.iter()) {
                    *e = *e / s * scale;
                }
            }
            for (i, &label) in labels.iter().enumerate() {
                delta[label * stride + i] -= scale;
            }
            T::ln_in_place(per_example);
            total += per_example.iter().copied().sum::<T>();
            total * scale
        }
        TargetsRef::Values(values) => {
            // Mean squared error over every element.
            let scale = T::one() / T::of((n * classes).max(1) as f64);
            let two = T::of(2.0) * scale;
            let mut total = T::zero();
            for (c, (row, out)) in outputs
                .chunks_exact(stride)
                .zip(delta.chunks_exact_mut(stride))
                .enumerate()
            {
                for (i, (e, &o)) in out[..n].iter_mut().zip(row).enumerate() {
                    let diff = o - values[[i, c]];
                    total += diff * diff;
                    *e = two * diff;
                }
            }
            total * scale
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autograd::Tape;
    use crate::nn::{Init, seeded_rng};
    use ndarray::Array2;
    use rand::RngExt;
    use strum::IntoEnumIterator;

    fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = seeded_rng(seed);
        Array2::from_shape_simple_fn((n, d), || rng.random_range(-2.0..2.0))
    }

    /// The tape-free loss and gradient are the tape's, in f64 to 1e-12 and
    /// in f32 to its rounding: every activation, both kinds of target,
    /// example counts off the tile width, a layer whose backward products
    /// take the packed kernel (f32 on AVX-512) and one wide enough for faer.
    #[test]
    fn matches_the_tape() {
        let mut scratch = GradientScratch::default();
        let mut scratch32 = GradientScratch::default();
        let mut tape = Tape::new();
        let mut tape32 = Tape::new();
        for act in Activation::iter() {
            for (sizes, n) in [
                (&[3, 5, 4, 3][..], 7),
                (&[2, 9, 2][..], 1),
                (&[2, 32, 32, 2][..], 130),
                (&[4, 130, 130, 3][..], 67),
                (&[3, 100, 90, 2][..], 150),
            ] {
                for classification in [true, false] {
                    let mlp = Mlp::new(sizes, act).expect("valid sizes");
                    let outputs = mlp.num_outputs();
                    let x = data(n, sizes[0], 1);
                    let labels: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % outputs).collect();
                    let y = data(n, outputs, 2);
                    let targets = if classification {
                        TargetsRef::Classes(&labels)
                    } else {
                        TargetsRef::Values(y.view())
                    };
                    let params: Vec<f64> = mlp
                        .init(Init::Torch, 3)
                        .iter()
                        .map(|&p| f64::from(p) * 2.0)
                        .collect();
                    let mut expected = vec![0.0; mlp.num_params()];
                    let want =
                        mlp.loss_and_grad(&params, x.view(), targets, &mut expected, &mut tape);
                    let mut got = vec![f64::NAN; mlp.num_params()];
                    let loss = mlp.loss_and_grad_columns(
                        &params,
                        x.view(),
                        targets,
                        &mut got,
                        &mut scratch,
                    );
                    let case = format!("{act} {sizes:?} n={n} classes={classification}");
                    assert!(
                        (loss - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{case}: loss"
                    );
                    let scale = expected
                        .iter()
                        .fold(0.0f64, |m, g| m.max(g.abs()))
                        .max(1e-3);
                    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                        assert!(
                            (g - e).abs() <= 1e-12 * scale,
                            "{case} {}: {g} vs the tape's {e}",
                            mlp.layout().describe_index(i)
                        );
                    }

                    // f32: the same to its rounding.
                    let p32: Vec<f32> = params.iter().map(|&p| p as f32).collect();
                    let x32 = x.mapv(|v| v as f32);
                    let y32 = y.mapv(|v| v as f32);
                    let t32 = if classification {
                        TargetsRef::Classes(&labels)
                    } else {
                        TargetsRef::Values(y32.view())
                    };
                    let mut e32 = vec![0.0f32; mlp.num_params()];
                    let want32 = mlp.loss_and_grad(&p32, x32.view(), t32, &mut e32, &mut tape32);
                    let mut g32 = vec![f32::NAN; mlp.num_params()];
                    let loss32 =
                        mlp.loss_and_grad_columns(&p32, x32.view(), t32, &mut g32, &mut scratch32);
                    assert!(
                        (loss32 - want32).abs() <= 1e-5 * want32.abs().max(1.0),
                        "{case}"
                    );
                    let scale = e32.iter().fold(0.0f32, |m, g| m.max(g.abs())).max(1e-3);
                    for (g, e) in g32.iter().zip(&e32) {
                        assert!((g - e).abs() <= 1e-4 * scale, "{case} f32: {g} vs {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_non_finite_logit_gives_a_non_finite_loss_not_a_panic() {
        let mlp = Mlp::new(&[2, 4, 2], Activation::Tanh).expect("valid sizes");
        let mut params = vec![0.1f32; mlp.num_params()];
        let x = Array2::from_shape_vec((3, 2), vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).expect("x");
        let mut grad = vec![0.0f32; mlp.num_params()];
        let mut scratch = GradientScratch::default();
        let labels = [0, 1, 1];
        let last = params.len() - 1;
        for bad in [f32::NAN, f32::INFINITY] {
            params[last] = bad;
            let loss = mlp.loss_and_grad_columns(
                &params,
                x.view(),
                TargetsRef::Classes(&labels),
                &mut grad,
                &mut scratch,
            );
            assert!(!loss.is_finite(), "{bad}: {loss}");
        }
    }
}
