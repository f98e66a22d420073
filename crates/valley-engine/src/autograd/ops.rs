//! The operations: each forward (a `Tape` method) sits next to its backward.
//!
//! Backward functions receive dL/d(output) as `grad` and add their
//! contribution to each input's gradient through `acc`.

use crate::kernels::gemm::{self, mul_add, mul_into};
use ndarray::{Array2, ArrayView2, Axis, Zip};

use super::tape::{Tape, Var};
use crate::kernels::{Activation, dense as kernel, loss};
use crate::scalar::Scalar;

/// How a node was made, with whatever its backward pass needs to remember.
pub(super) enum Op<T> {
    Leaf,
    Linear(Var, Var, Var),
    MatMul(Var, Var),
    MatMulT(Var, Var),
    AddRow(Var, Var),
    Add(Var, Var),
    Sub(Var, Var),
    Mul(Var, Var),
    Scale(Var, T),
    Activate(Var, Activation),
    CrossEntropy {
        logits: Var,
        labels: Vec<usize>,
        probs: Array2<T>,
    },
    MeanSquaredError {
        pred: Var,
        target: Array2<T>,
    },
    Sum(Var),
    Mean(Var),
    /// Rows of a table picked by index (an embedding lookup).
    Gather {
        table: Var,
        ids: Vec<usize>,
    },
    /// The same elements in another shape (row-major order kept).
    Reshape(Var),
    /// Row-wise log-softmax.
    LogSoftmax(Var),
    /// Mean of −log p over each row's label.
    NegativeLogLikelihood {
        log_probs: Var,
        labels: Vec<usize>,
    },
}

/// Adds a contribution to one input's gradient.
pub(super) type Accumulate<'a, T> = dyn FnMut(Var, &mut dyn FnMut(&mut Array2<T>)) + 'a;

impl<T: Scalar> Tape<T> {
    fn any_needs_grad(&self, vars: &[Var]) -> bool {
        vars.iter().any(|&v| self.needs_grad(v))
    }

    /// C = A B for A [n, k], B [k, m].
    pub fn matmul(&mut self, a: Var, b: Var) -> Var {
        let (n, m) = (self.value(a).nrows(), self.value(b).ncols());
        let mut value = self.buffer((n, m));
        mul_into(self.value(a), self.value(b), &mut value);
        let needs = self.any_needs_grad(&[a, b]);
        self.push(value, Op::MatMul(a, b), needs)
    }

    /// Z = A Wᵀ for A [n, in], W [out, in]: a Linear layer's product with
    /// PyTorch's weight layout, without materialising the transpose.
    pub fn matmul_t(&mut self, a: Var, w: Var) -> Var {
        let (n, m) = (self.value(a).nrows(), self.value(w).nrows());
        let mut value = self.buffer((n, m));
        mul_into(self.value(a), &self.value(w).t(), &mut value);
        let needs = self.any_needs_grad(&[a, w]);
        self.push(value, Op::MatMulT(a, w), needs)
    }

    /// Z = X Wᵀ + 1 bᵀ for X [n, in], W [out, in], b [1, out]: a whole
    /// Linear layer in one node, computed by the register-tiled kernel that
    /// also serves the tape-free forward pass.
    pub fn linear(&mut self, x: Var, w: Var, b: Var) -> Var {
        let (n, k) = self.value(x).dim();
        let (m, k_w) = self.value(w).dim();
        assert_eq!(k, k_w, "linear: input width differs from the weight's");
        assert_eq!(
            self.value(b).dim(),
            (1, m),
            "linear: bias is one row of the output width"
        );
        let mut value = self.buffer((n, m));
        if gemm::is_large(n, k, m) {
            // The bias in every row, then X Wᵀ added by faer.
            let bias = contiguous(self.value(b));
            for row in value
                .as_slice_mut()
                .expect("pool arrays are contiguous")
                .chunks_exact_mut(m.max(1))
            {
                row.copy_from_slice(bias);
            }
            mul_add(self.value(x), &self.value(w).t(), &mut value);
        } else {
            let mut weight_t = std::mem::take(&mut self.scratch);
            kernel::transpose_padded(contiguous(self.value(w)), m, k, &mut weight_t);
            let out = kernel::DenseOut {
                data: value.as_slice_mut().expect("pool arrays are contiguous"),
                stride: m,
                cols: m,
                accumulate: false,
            };
            let (xs, bs) = (contiguous(self.value(x)), contiguous(self.value(b)));
            kernel::dense(xs, (n, k, k), &weight_t, bs, None, out);
            self.scratch = weight_t;
        }
        let needs = self.any_needs_grad(&[x, w, b]);
        self.push(value, Op::Linear(x, w, b), needs)
    }

    /// Z = A + 1 bᵀ: adds the row b [1, m] to every row of A [n, m].
    pub fn add_row(&mut self, a: Var, b: Var) -> Var {
        assert_eq!(self.value(b).nrows(), 1, "add_row takes a single row");
        let mut value = self.copy_of(a);
        value += self.value(b);
        let needs = self.any_needs_grad(&[a, b]);
        self.push(value, Op::AddRow(a, b), needs)
    }

    /// A + B, elementwise.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        same_shape(self, a, b, "add");
        let mut value = self.copy_of(a);
        value += self.value(b);
        let needs = self.any_needs_grad(&[a, b]);
        self.push(value, Op::Add(a, b), needs)
    }

    /// A − B, elementwise.
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        same_shape(self, a, b, "sub");
        let mut value = self.copy_of(a);
        value -= self.value(b);
        let needs = self.any_needs_grad(&[a, b]);
        self.push(value, Op::Sub(a, b), needs)
    }

    /// A ⊙ B, elementwise.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        same_shape(self, a, b, "mul");
        let mut value = self.copy_of(a);
        value *= self.value(b);
        let needs = self.any_needs_grad(&[a, b]);
        self.push(value, Op::Mul(a, b), needs)
    }

    /// c A for a constant c.
    pub fn scale(&mut self, a: Var, c: T) -> Var {
        let mut value = self.copy_of(a);
        value *= c;
        let needs = self.needs_grad(a);
        self.push(value, Op::Scale(a, c), needs)
    }

    /// act(A), elementwise.
    pub fn activate(&mut self, a: Var, activation: Activation) -> Var {
        let mut value = self.copy_of(a);
        let slice = value
            .as_slice_mut()
            .expect("standard layout arrays are contiguous");
        activation.apply(slice);
        let needs = self.needs_grad(a);
        self.push(value, Op::Activate(a, activation), needs)
    }

    /// tanh(A).
    pub fn tanh(&mut self, a: Var) -> Var {
        self.activate(a, Activation::Tanh)
    }

    /// max(0, A).
    pub fn relu(&mut self, a: Var) -> Var {
        self.activate(a, Activation::Relu)
    }

    /// σ(A).
    pub fn sigmoid(&mut self, a: Var) -> Var {
        self.activate(a, Activation::Sigmoid)
    }

    /// GELU(A) with the exact normal CDF.
    pub fn gelu(&mut self, a: Var) -> Var {
        self.activate(a, Activation::Gelu)
    }

    /// Mean softmax cross-entropy of logits [n, k] against labels (1 × 1).
    /// Forward: L = (1/n) Σ_i (logsumexp(z_i) − z_i[y_i]).
    pub fn cross_entropy(&mut self, logits: Var, labels: &[usize]) -> Var {
        let (rows, cols) = self.value(logits).dim();
        assert_eq!(rows, labels.len(), "one label per row");
        assert!(labels.iter().all(|&l| l < cols), "label out of range");
        let mut probs = self.copy_of(logits);
        for mut row in probs.rows_mut() {
            let lse = loss::log_sum_exp(row.iter().copied());
            row.mapv_inplace(|v| (v - lse).exp());
        }
        let value = Array2::from_elem(
            (1, 1),
            loss::cross_entropy(self.value(logits).view(), labels),
        );
        let needs = self.needs_grad(logits);
        let op = Op::CrossEntropy {
            logits,
            labels: labels.to_vec(),
            probs,
        };
        self.push(value, op, needs)
    }

    /// Mean squared error over all elements (1 × 1).
    pub fn mse(&mut self, pred: Var, target: ArrayView2<T>) -> Var {
        let value = Array2::from_elem(
            (1, 1),
            loss::mean_squared_error(self.value(pred).view(), target),
        );
        let needs = self.needs_grad(pred);
        let op = Op::MeanSquaredError {
            pred,
            target: self.buffer_from(target),
        };
        self.push(value, op, needs)
    }

    /// Rows `ids` of `table` [v, d], stacked into [ids.len(), d]: an
    /// embedding lookup. Its backward adds each row's gradient back into the
    /// row it came from (a scatter-add), so a symbol used twice collects both.
    pub fn gather(&mut self, table: Var, ids: &[usize]) -> Var {
        let (rows, cols) = self.value(table).dim();
        assert!(ids.iter().all(|&i| i < rows), "gather: id out of range");
        let mut value = self.buffer((ids.len(), cols));
        for (mut out, &id) in value.rows_mut().into_iter().zip(ids) {
            out.assign(&self.value(table).row(id));
        }
        let needs = self.needs_grad(table);
        let op = Op::Gather {
            table,
            ids: ids.to_vec(),
        };
        self.push(value, op, needs)
    }

    /// The elements of A in `rows` × `cols`, read row by row: [n·k, d] →
    /// [n, k·d] lays each example's k embeddings side by side (a concatenation).
    pub fn reshape(&mut self, a: Var, rows: usize, cols: usize) -> Var {
        assert_eq!(
            self.value(a).len(),
            rows * cols,
            "reshape: element count differs"
        );
        let mut value = self.buffer((rows, cols));
        fill_row_major(&mut value, self.value(a));
        let needs = self.needs_grad(a);
        self.push(value, Op::Reshape(a), needs)
    }

    /// log softmax of each row: z − logsumexp(z), shifted by the row's
    /// maximum so logits in the hundreds neither overflow nor lose the
    /// small probabilities.
    pub fn log_softmax(&mut self, logits: Var) -> Var {
        let mut value = self.copy_of(logits);
        for mut row in value.rows_mut() {
            let lse = loss::log_sum_exp(row.iter().copied());
            row.mapv_inplace(|z| z - lse);
        }
        let needs = self.needs_grad(logits);
        self.push(value, Op::LogSoftmax(logits), needs)
    }

    /// −(1/n) Σ_i log_probs[i, labels_i] (1 × 1): with [`Tape::log_softmax`],
    /// the cross-entropy in nats.
    pub fn negative_log_likelihood(&mut self, log_probs: Var, labels: &[usize]) -> Var {
        let (rows, cols) = self.value(log_probs).dim();
        assert_eq!(rows, labels.len(), "one label per row");
        assert!(labels.iter().all(|&l| l < cols), "label out of range");
        let total = labels
            .iter()
            .enumerate()
            .fold(T::zero(), |sum, (i, &label)| {
                sum + self.value(log_probs)[[i, label]]
            });
        let value = Array2::from_elem((1, 1), -total / T::of(rows.max(1) as f64));
        let needs = self.needs_grad(log_probs);
        let op = Op::NegativeLogLikelihood {
            log_probs,
            labels: labels.to_vec(),
        };
        self.push(value, op, needs)
    }

    /// Σ A (1 × 1).
    pub fn sum(&mut self, a: Var) -> Var {
        let value = Array2::from_elem((1, 1), self.value(a).sum());
        let needs = self.needs_grad(a);
        self.push(value, Op::Sum(a), needs)
    }

    /// (1/N) Σ A (1 × 1).
    pub fn mean(&mut self, a: Var) -> Var {
        let n = T::of(self.value(a).len().max(1) as f64);
        let value = Array2::from_elem((1, 1), self.value(a).sum() / n);
        let needs = self.needs_grad(a);
        self.push(value, Op::Mean(a), needs)
    }
}

/// The elements of a tape array, which is always in standard layout.
pub(super) fn contiguous<T>(array: &Array2<T>) -> &[T] {
    array.as_slice().expect("tape arrays are standard layout")
}

/// Copies `source`'s elements into `target` in row-major order (shapes may differ).
pub(super) fn fill_row_major<T: Scalar>(target: &mut Array2<T>, source: &Array2<T>) {
    let target = target
        .as_slice_mut()
        .expect("pool arrays are standard layout");
    for (t, &s) in target.iter_mut().zip(source.iter()) {
        *t = s;
    }
}

fn same_shape<T: Scalar>(tape: &Tape<T>, a: Var, b: Var, op: &str) {
    assert_eq!(
        tape.value(a).dim(),
        tape.value(b).dim(),
        "{op}: shapes differ"
    );
}

impl<T: Scalar> Op<T> {
    /// The array an op keeps for its backward pass, to recycle.
    pub(super) fn into_buffer(self) -> Option<Array2<T>> {
        match self {
            Op::CrossEntropy { probs, .. } => Some(probs),
            Op::MeanSquaredError { target, .. } => Some(target),
            _ => None,
        }
    }

    /// Adds dL/d(input) for each input, given dL/d(output) = `grad`.
    pub(super) fn backward(
        &self,
        tape: &Tape<T>,
        output: &Array2<T>,
        grad: &Array2<T>,
        acc: &mut Accumulate<'_, T>,
    ) {
        match self {
            Op::Leaf => {}
            // Z = X Wᵀ + 1 bᵀ: dX += dZ W, dW += dZᵀ X, db += column sums of dZ.
            Op::Linear(x, w, b) => {
                let (n, m) = grad.dim();
                let k = tape.value(*w).ncols();
                acc(*x, &mut |g| {
                    if gemm::is_large(n, m, k) {
                        return mul_add(grad, tape.value(*w), g);
                    }
                    let mut w_padded = Vec::new();
                    kernel::pad_columns(contiguous(tape.value(*w)), m, k, &mut w_padded);
                    let out = kernel::DenseOut {
                        data: g.as_slice_mut().expect("gradients are contiguous"),
                        stride: k,
                        cols: k,
                        accumulate: true,
                    };
                    kernel::dense(contiguous(grad), (n, m, m), &w_padded, &[], None, out);
                });
                acc(*w, &mut |g| mul_add(&grad.t(), tape.value(*x), g));
                acc(*b, &mut |g| {
                    let sums = g.as_slice_mut().expect("gradients are contiguous");
                    for row in contiguous(grad).chunks_exact(m.max(1)) {
                        for (s, &d) in sums.iter_mut().zip(row) {
                            *s += d;
                        }
                    }
                });
            }
            // dA += dC Bᵀ, dB += Aᵀ dC.
            Op::MatMul(a, b) => {
                acc(*a, &mut |g| mul_add(grad, &tape.value(*b).t(), g));
                acc(*b, &mut |g| mul_add(&tape.value(*a).t(), grad, g));
            }
            // Z = A Wᵀ: dA += dZ W, dW += dZᵀ A.
            Op::MatMulT(a, w) => {
                acc(*a, &mut |g| mul_add(grad, tape.value(*w), g));
                acc(*w, &mut |g| mul_add(&grad.t(), tape.value(*a), g));
            }
            // dA += dZ, db += column sums of dZ.
            Op::AddRow(a, b) => {
                acc(*a, &mut |g| *g += grad);
                acc(*b, &mut |g| {
                    *g += &grad.sum_axis(Axis(0)).insert_axis(Axis(0))
                });
            }
            Op::Add(a, b) => {
                acc(*a, &mut |g| *g += grad);
                acc(*b, &mut |g| *g += grad);
            }
            Op::Sub(a, b) => {
                acc(*a, &mut |g| *g += grad);
                acc(*b, &mut |g| *g -= grad);
            }
            // d(A ⊙ B) = dC ⊙ B for A, dC ⊙ A for B.
            Op::Mul(a, b) => {
                acc(*a, &mut |g| {
                    Zip::from(g)
                        .and(grad)
                        .and(tape.value(*b))
                        .for_each(|g, &d, &v| *g += d * v)
                });
                acc(*b, &mut |g| {
                    Zip::from(g)
                        .and(grad)
                        .and(tape.value(*a))
                        .for_each(|g, &d, &v| *g += d * v)
                });
            }
            Op::Scale(a, c) => acc(*a, &mut |g| g.scaled_add(*c, grad)),
            Op::Activate(a, activation) => {
                let input = tape.value(*a).as_standard_layout();
                let out = output.as_standard_layout();
                let d = grad.as_standard_layout();
                acc(*a, &mut |g| {
                    let contiguous = [input.as_slice(), out.as_slice(), d.as_slice()];
                    match (contiguous, g.as_slice_mut()) {
                        ([Some(z), Some(y), Some(d)], Some(g)) => activation.backward(z, y, d, g),
                        _ => unreachable!("gradients and standard-layout views are contiguous"),
                    }
                });
            }
            // dL/dz_ij = (p_ij − [j = y_i]) / n, times the upstream scalar.
            Op::CrossEntropy {
                logits,
                labels,
                probs,
            } => {
                let scale = grad[[0, 0]] / T::of(labels.len().max(1) as f64);
                acc(*logits, &mut |g| {
                    g.scaled_add(scale, probs);
                    for (i, &label) in labels.iter().enumerate() {
                        g[[i, label]] -= scale;
                    }
                });
            }
            // dL/dpred = 2 (pred − target) / N.
            Op::MeanSquaredError { pred, target } => {
                let scale = grad[[0, 0]] * T::of(2.0) / T::of(target.len().max(1) as f64);
                acc(*pred, &mut |g| {
                    Zip::from(g)
                        .and(tape.value(*pred))
                        .and(target)
                        .for_each(|g, &p, &t| *g += scale * (p - t));
                });
            }
            Op::Sum(a) => {
                let d = grad[[0, 0]];
                acc(*a, &mut |g| g.mapv_inplace(|v| v + d));
            }
            Op::Mean(a) => {
                let d = grad[[0, 0]] / T::of(tape.value(*a).len().max(1) as f64);
                acc(*a, &mut |g| g.mapv_inplace(|v| v + d));
            }
            // Scatter-add: row r of dOut goes back to row ids[r] of the table.
            Op::Gather { table, ids } => acc(*table, &mut |g| {
                for (row, &id) in grad.rows().into_iter().zip(ids) {
                    let mut target = g.row_mut(id);
                    target += &row;
                }
            }),
            Op::Reshape(a) => acc(*a, &mut |g| {
                for (g, &d) in g.iter_mut().zip(grad.iter()) {
                    *g += d;
                }
            }),
            // y = z − lse(z): dz = dy − softmax(z) Σ_j dy_j, with softmax = e^y.
            Op::LogSoftmax(logits) => acc(*logits, &mut |g| {
                for ((mut g, y), d) in g.rows_mut().into_iter().zip(output.rows()).zip(grad.rows())
                {
                    let total = d.sum();
                    Zip::from(&mut g)
                        .and(&y)
                        .and(&d)
                        .for_each(|g, &y, &d| *g += d - y.exp() * total);
                }
            }),
            Op::NegativeLogLikelihood { log_probs, labels } => {
                let scale = grad[[0, 0]] / T::of(labels.len().max(1) as f64);
                acc(*log_probs, &mut |g| {
                    for (i, &label) in labels.iter().enumerate() {
                        g[[i, label]] -= scale;
                    }
                });
            }
        }
    }
}
