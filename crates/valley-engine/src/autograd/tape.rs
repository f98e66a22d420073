//! The tape: nodes in creation order and the reverse pass over them.

use ndarray::Array2;

use super::ops::Op;
use crate::scalar::Scalar;

/// A handle to one value on a [`Tape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var(pub(super) usize);

pub(super) struct Node<T> {
    pub(super) value: Array2<T>,
    pub(super) op: Op<T>,
    /// False for inputs and for anything computed only from inputs: the
    /// backward pass skips them, so data never gets a gradient it doesn't need.
    pub(super) needs_grad: bool,
}

/// Records operations for one forward pass; reuse it with [`Tape::clear`].
///
/// Arrays of finished passes go to a pool and are handed out again to the
/// next pass: a training step on 1,000 examples would otherwise map and
/// unmap dozens of 128 KB buffers, and page faults would cost more than the
/// arithmetic.
pub struct Tape<T> {
    pub(super) nodes: Vec<Node<T>>,
    pub(super) pool: Vec<Array2<T>>,
    /// Reused for the transposed weight of a Linear node.
    pub(super) scratch: Vec<T>,
}

/// Most spare arrays kept for reuse.
pub(super) const POOL_LIMIT: usize = 256;

pub(super) fn take_from_pool<T: Scalar>(
    pool: &mut Vec<Array2<T>>,
    dim: (usize, usize),
) -> Array2<T> {
    match pool.iter().position(|b| b.dim() == dim) {
        Some(i) => pool.swap_remove(i),
        None => Array2::zeros(dim),
    }
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            pool: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Forgets every node, keeping its arrays for the next pass.
    pub fn clear(&mut self) {
        for node in self.nodes.drain(..) {
            self.pool.push(node.value);
            if let Some(extra) = node.op.into_buffer() {
                self.pool.push(extra);
            }
        }
        self.pool.truncate(POOL_LIMIT);
    }

    /// Returns gradient arrays to the pool once they have been read.
    pub fn recycle(&mut self, gradients: Gradients<T>) {
        self.pool.extend(gradients.grads.into_iter().flatten());
        self.pool.truncate(POOL_LIMIT);
    }

    /// An array of this shape with unspecified contents, reused when possible.
    pub(super) fn buffer(&mut self, dim: (usize, usize)) -> Array2<T> {
        take_from_pool(&mut self.pool, dim)
    }

    /// A copy of `values` in a reused array.
    pub(super) fn buffer_from(&mut self, values: ndarray::ArrayView2<T>) -> Array2<T> {
        let mut buffer = self.buffer(values.dim());
        buffer.assign(&values);
        buffer
    }

    /// A copy of a node's value in a reused array.
    pub(super) fn copy_of(&mut self, var: Var) -> Array2<T> {
        let mut buffer = self.buffer(self.value(var).dim());
        buffer.assign(self.value(var));
        buffer
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A leaf: a parameter (`requires_grad`) or data (not).
    pub fn leaf(&mut self, value: Array2<T>, requires_grad: bool) -> Var {
        self.push(value, Op::Leaf, requires_grad)
    }

    /// A leaf holding a copy of `value`, in a reused array.
    pub fn leaf_from(&mut self, value: ndarray::ArrayView2<T>, requires_grad: bool) -> Var {
        let value = self.buffer_from(value);
        self.push(value, Op::Leaf, requires_grad)
    }

    /// The value of a node.
    pub fn value(&self, var: Var) -> &Array2<T> {
        &self.nodes[var.0].value
    }

    /// The value of a 1 × 1 node, such as a loss.
    pub fn scalar(&self, var: Var) -> T {
        let v = self.value(var);
        assert_eq!(v.dim(), (1, 1), "not a scalar node");
        v[[0, 0]]
    }

    pub(super) fn push(&mut self, value: Array2<T>, op: Op<T>, needs_grad: bool) -> Var {
        self.nodes.push(Node {
            value,
            op,
            needs_grad,
        });
        Var(self.nodes.len() - 1)
    }

    pub(super) fn needs_grad(&self, var: Var) -> bool {
        self.nodes[var.0].needs_grad
    }

    /// The scalar `output` and its gradient, written into `flat` where
    /// `places[i]` is the place of parameter leaf `leaves[i]`: a model's
    /// loss and gradient in its flat parameter layout.
    pub fn loss_and_flat_gradient(
        &mut self,
        output: Var,
        leaves: &[Var],
        places: impl IntoIterator<Item = std::ops::Range<usize>>,
        flat: &mut [T],
    ) -> T {
        let grads = self.backward(output);
        grads.write_flat(places, leaves, flat);
        let value = self.scalar(output);
        self.recycle(grads);
        value
    }

    /// Gradients of the scalar `output` with respect to every node that needs one.
    pub fn backward(&mut self, output: Var) -> Gradients<T> {
        assert_eq!(
            self.value(output).dim(),
            (1, 1),
            "backward starts from a scalar"
        );
        let mut pool = std::mem::take(&mut self.pool);
        let mut grads: Vec<Option<Array2<T>>> = (0..self.nodes.len()).map(|_| None).collect();
        grads[output.0] = Some(Array2::from_elem((1, 1), T::one()));
        for index in (0..=output.0).rev() {
            let Some(grad) = grads[index].take() else {
                continue;
            };
            let node = &self.nodes[index];
            if node.needs_grad {
                node.op.backward(self, &node.value, &grad, &mut |var, f| {
                    if self.nodes[var.0].needs_grad {
                        let slot = grads[var.0].get_or_insert_with(|| {
                            let mut zeros =
                                take_from_pool(&mut pool, self.nodes[var.0].value.dim());
                            zeros.fill(T::zero());
                            zeros
                        });
                        f(slot);
                    }
                });
            }
            grads[index] = Some(grad);
        }
        self.pool = pool;
        Gradients { grads }
    }
}

/// The result of [`Tape::backward`]: one gradient per node that needed one.
pub struct Gradients<T> {
    grads: Vec<Option<Array2<T>>>,
}

impl<T> Gradients<T> {
    pub(super) fn from_slots(grads: Vec<Option<Array2<T>>>) -> Self {
        Self { grads }
    }

    /// dOutput/dVar, or `None` if `var` does not influence the output or needs no gradient.
    pub fn get(&self, var: Var) -> Option<&Array2<T>> {
        self.grads.get(var.0).and_then(Option::as_ref)
    }
}

impl<T: Scalar> Gradients<T> {
    /// Writes each leaf's gradient into its place of a flat gradient vector
    /// (zeros for a leaf the output does not depend on): `places[i]` is where
    /// `leaves[i]` lives, in the model's parameter layout.
    pub fn write_flat(
        &self,
        places: impl IntoIterator<Item = std::ops::Range<usize>>,
        leaves: &[Var],
        flat: &mut [T],
    ) {
        for (range, &var) in places.into_iter().zip(leaves) {
            let dst = &mut flat[range];
            match self.get(var) {
                // Tape arrays are contiguous: one copy, not an element-wise walk.
                Some(g) => match g.as_slice() {
                    Some(g) => dst.copy_from_slice(g),
                    None => dst.iter_mut().zip(g.iter()).for_each(|(d, &s)| *d = s),
                },
                None => dst.fill(T::zero()),
            }
        }
    }
}
