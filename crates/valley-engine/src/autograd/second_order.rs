//! Exact Hessian-vector products through the tape: Pearlmutter's R-operator.
//!
//! Forward over reverse. A tangent pass pushes a direction v through the
//! recorded forward pass (the derivative of every node along v); then one
//! reverse pass carries R{g}, the derivative along v of every node's
//! adjoint g (known from [`Tape::backward`]). Every backward rule is linear
//! in g, so R{g} flows back through the very same rule; an op whose rule
//! also reads its inputs (a product, an activation, a softmax) adds the
//! derivative of that reading: g times the input's tangent. What reaches a
//! parameter is H v, exact to rounding, with no step size to choose.

use std::ops::Range;

use crate::kernels::gemm::mul_add;
use ndarray::{Array2, ArrayView2, Zip};

use super::ops::{Op, contiguous, fill_row_major};
use super::tape::{Gradients, Tape, Var, take_from_pool};
use crate::scalar::Scalar;

/// The derivative of every node along one direction (`None` where it is zero).
pub struct Tangents<T> {
    values: Vec<Option<Array2<T>>>,
}

impl<T> Tangents<T> {
    /// d(node)/dε along the seeded direction, or `None` where it is zero.
    pub fn get(&self, var: Var) -> Option<&Array2<T>> {
        self.values.get(var.0).and_then(Option::as_ref)
    }
}

impl<T: Scalar> Tape<T> {
    /// Pushes the leaves' `seeds` (a tangent per leaf; other leaves stay
    /// fixed) forward through every recorded node.
    pub fn tangents(&mut self, seeds: &[(Var, ArrayView2<T>)]) -> Tangents<T> {
        let mut pool = std::mem::take(&mut self.pool);
        let mut values: Vec<Option<Array2<T>>> = (0..self.nodes.len()).map(|_| None).collect();
        for &(var, seed) in seeds {
            assert_eq!(
                self.value(var).dim(),
                seed.dim(),
                "a tangent has its leaf's shape"
            );
            let mut tangent = take_from_pool(&mut pool, seed.dim());
            tangent.assign(&seed);
            values[var.0] = Some(tangent);
        }
        for index in 0..self.nodes.len() {
            if values[index].is_none() {
                let tangent = self.tangent_of(index, &values, &mut pool);
                values[index] = tangent;
            }
        }
        self.pool = pool;
        Tangents { values }
    }

    /// H v: the derivative of every node's gradient along the direction
    /// whose `tangents` are given, where `grads` is `backward(output)`.
    pub fn hessian_vector(
        &mut self,
        output: Var,
        grads: &Gradients<T>,
        tangents: &Tangents<T>,
    ) -> Gradients<T> {
        let mut pool = std::mem::take(&mut self.pool);
        let mut moved: Vec<Option<Array2<T>>> = (0..self.nodes.len()).map(|_| None).collect();
        for index in (0..=output.0).rev() {
            let node = &self.nodes[index];
            if !node.needs_grad {
                continue;
            }
            let own = moved[index].take();
            let mut acc = |var: Var, f: &mut dyn FnMut(&mut Array2<T>)| {
                if self.nodes[var.0].needs_grad {
                    let slot = moved[var.0].get_or_insert_with(|| {
                        let mut zeros = take_from_pool(&mut pool, self.nodes[var.0].value.dim());
                        zeros.fill(T::zero());
                        zeros
                    });
                    f(slot);
                }
            };
            // The linear part: R{g} through the node's own backward rule.
            if let Some(r) = &own {
                node.op.backward(self, &node.value, r, &mut acc);
            }
            // The part from the rule's dependence on the node's inputs.
            if let Some(g) = grads.get(Var(index)) {
                node.op
                    .curvature(self, g, &tangents.values, Var(index), &mut acc);
            }
            moved[index] = own;
        }
        self.pool = pool;
        Gradients::from_slots(moved)
    }

    /// Returns tangent arrays to the pool.
    pub fn recycle_tangents(&mut self, tangents: Tangents<T>) {
        self.pool.extend(tangents.values.into_iter().flatten());
        self.pool.truncate(super::tape::POOL_LIMIT);
    }

    fn tangent_of(
        &self,
        index: usize,
        t: &[Option<Array2<T>>],
        pool: &mut Vec<Array2<T>>,
    ) -> Option<Array2<T>> {
        let node = &self.nodes[index];
        if !node.needs_grad {
            // Computed from inputs and constants alone: it does not move.
            return None;
        }
        let dim = node.value.dim();
        let zeros = |pool: &mut Vec<Array2<T>>| {
            let mut z = take_from_pool(pool, dim);
            z.fill(T::zero());
            z
        };
        let scalar = |value: T| Some(Array2::from_elem((1, 1), value));
        let get = |var: Var| t[var.0].as_ref();
        match &node.op {
            Op::Leaf => None,
            // d(X Wᵀ + 1 bᵀ) = Ẋ Wᵀ + X Ẇᵀ + 1 ḃᵀ (no bias for a bare X Wᵀ).
            Op::Linear(x, w, _) | Op::MatMulT(x, w) => {
                let tb = match node.op {
                    Op::Linear(_, _, b) => get(b),
                    _ => None,
                };
                let (tx, tw) = (get(*x), get(*w));
                if tx.is_none() && tw.is_none() && tb.is_none() {
                    return None;
                }
                let mut out = zeros(pool);
                if let Some(tx) = tx {
                    mul_add(tx, &self.value(*w).t(), &mut out);
                }
                if let Some(tw) = tw {
                    mul_add(self.value(*x), &tw.t(), &mut out);
                }
                if let Some(tb) = tb {
                    out += tb;
                }
                Some(out)
            }
            Op::MatMul(a, b) => {
                let (ta, tb) = (get(*a), get(*b));
                if ta.is_none() && tb.is_none() {
                    return None;
                }
                let mut out = zeros(pool);
                if let Some(ta) = ta {
                    mul_add(ta, self.value(*b), &mut out);
                }
                if let Some(tb) = tb {
                    mul_add(self.value(*a), tb, &mut out);
                }
                Some(out)
            }
            Op::AddRow(a, b) | Op::Add(a, b) | Op::Sub(a, b) => {
                let (ta, tb) = (get(*a), get(*b));
                if ta.is_none() && tb.is_none() {
                    return None;
                }
                let mut out = zeros(pool);
                if let Some(ta) = ta {
                    out += ta;
                }
                if let Some(tb) = tb {
                    match node.op {
                        Op::Sub(..) => out -= tb,
                        _ => out += tb,
                    }
                }
                Some(out)
            }
            // d(A ⊙ B) = Ȧ ⊙ B + A ⊙ Ḃ.
            Op::Mul(a, b) => {
                let (ta, tb) = (get(*a), get(*b));
                if ta.is_none() && tb.is_none() {
                    return None;
                }
                let mut out = zeros(pool);
                if let Some(ta) = ta {
                    Zip::from(&mut out)
                        .and(ta)
                        .and(self.value(*b))
                        .for_each(|o, &d, &v| *o += d * v);
                }
                if let Some(tb) = tb {
                    Zip::from(&mut out)
                        .and(tb)
                        .and(self.value(*a))
                        .for_each(|o, &d, &v| *o += d * v);
                }
                Some(out)
            }
            Op::Scale(a, c) => {
                let ta = get(*a)?;
                let mut out = zeros(pool);
                out.scaled_add(*c, ta);
                Some(out)
            }
            // d act(z) = act'(z) ż: the backward rule applied to ż.
            Op::Activate(a, activation) => {
                let ta = get(*a)?;
                let mut out = zeros(pool);
                activation.backward(
                    contiguous(self.value(*a)),
                    contiguous(&node.value),
                    contiguous(ta),
                    out.as_slice_mut().expect("pool arrays are contiguous"),
                );
                Some(out)
            }
            // dL = (1/n) Σ_i (p_i − e_{y_i}) · ż_i.
            Op::CrossEntropy {
                logits,
                labels,
                probs,
            } => {
                let tz = get(*logits)?;
                let mut total = Zip::from(probs)
                    .and(tz)
                    .fold(T::zero(), |s, &p, &d| s + p * d);
                for (i, &label) in labels.iter().enumerate() {
                    total -= tz[[i, label]];
                }
                scalar(total / T::of(labels.len().max(1) as f64))
            }
            // dL = (2/N) Σ (p − t) ṗ.
            Op::MeanSquaredError { pred, target } => {
                let tp = get(*pred)?;
                let total = Zip::from(self.value(*pred))
                    .and(target)
                    .and(tp)
                    .fold(T::zero(), |s, &p, &y, &d| s + (p - y) * d);
                scalar(total * T::of(2.0) / T::of(target.len().max(1) as f64))
            }
            Op::Sum(a) => scalar(get(*a)?.sum()),
            Op::Mean(a) => {
                let ta = get(*a)?;
                scalar(ta.sum() / T::of(ta.len().max(1) as f64))
            }
            Op::Gather { table, ids } => {
                let tt = get(*table)?;
                let mut out = zeros(pool);
                for (mut row, &id) in out.rows_mut().into_iter().zip(ids) {
                    row.assign(&tt.row(id));
                }
                Some(out)
            }
            Op::Reshape(a) => {
                let ta = get(*a)?;
                let mut out = zeros(pool);
                fill_row_major(&mut out, ta);
                Some(out)
            }
            // d(z − lse z) = ż − (softmax z · ż), row by row.
            Op::LogSoftmax(logits) => {
                let tz = get(*logits)?;
                let mut out = zeros(pool);
                for ((mut o, y), d) in out
                    .rows_mut()
                    .into_iter()
                    .zip(node.value.rows())
                    .zip(tz.rows())
                {
                    let mean = Zip::from(&y)
                        .and(&d)
                        .fold(T::zero(), |s, &y, &d| s + y.exp() * d);
                    Zip::from(&mut o).and(&d).for_each(|o, &d| *o = d - mean);
                }
                Some(out)
            }
            Op::NegativeLogLikelihood { log_probs, labels } => {
                let tl = get(*log_probs)?;
                let total = labels
                    .iter()
                    .enumerate()
                    .fold(T::zero(), |s, (i, &label)| s + tl[[i, label]]);
                scalar(-total / T::of(labels.len().max(1) as f64))
            }
        }
    }
}

impl<T: Scalar> Op<T> {
    /// Adds the derivative along the tangents of this op's backward rule
    /// with the adjoint `grad` held fixed: the terms of R{∂L/∂input} that
    /// come from the rule reading its inputs. Ops whose rule reads nothing
    /// but the adjoint (sums, reshapes, lookups) add nothing.
    pub(super) fn curvature(
        &self,
        tape: &Tape<T>,
        grad: &Array2<T>,
        t: &[Option<Array2<T>>],
        this: Var,
        acc: &mut super::ops::Accumulate<'_, T>,
    ) {
        let get = |var: Var| t[var.0].as_ref();
        match self {
            // dX += g W, dW += gᵀ X: their tangents add g Ẇ and gᵀ Ẋ.
            Op::Linear(x, w, _) | Op::MatMulT(x, w) => {
                if let Some(tw) = get(*w) {
                    acc(*x, &mut |g| mul_add(grad, tw, g));
                }
                if let Some(tx) = get(*x) {
                    acc(*w, &mut |g| mul_add(&grad.t(), tx, g));
                }
            }
            // dA += g Bᵀ, dB += Aᵀ g.
            Op::MatMul(a, b) => {
                if let Some(tb) = get(*b) {
                    acc(*a, &mut |g| mul_add(grad, &tb.t(), g));
                }
                if let Some(ta) = get(*a) {
                    acc(*b, &mut |g| mul_add(&ta.t(), grad, g));
                }
            }
            Op::Mul(a, b) => {
                if let Some(tb) = get(*b) {
                    acc(*a, &mut |g| {
                        Zip::from(g)
                            .and(grad)
                            .and(tb)
                            .for_each(|g, &d, &v| *g += d * v)
                    });
                }
                if let Some(ta) = get(*a) {
                    acc(*b, &mut |g| {
                        Zip::from(g)
                            .and(grad)
                            .and(ta)
                            .for_each(|g, &d, &v| *g += d * v)
                    });
                }
            }
            // dz += g act'(z): its tangent adds g act''(z) ż.
            Op::Activate(a, activation) => {
                if let Some(ta) = get(*a) {
                    let z = contiguous(tape.value(*a));
                    let y = contiguous(tape.value(this));
                    acc(*a, &mut |g| {
                        activation.second_order(
                            z,
                            y,
                            contiguous(grad),
                            contiguous(ta),
                            g.as_slice_mut().expect("gradients are contiguous"),
                        )
                    });
                }
            }
            // dz += s (P − Y) with s = g/n: its tangent adds s Ṗ, where
            // Ṗ = P ⊙ (ż − P·ż) row by row (the softmax's Jacobian).
            Op::CrossEntropy {
                logits,
                probs,
                labels,
            } => {
                if let Some(tz) = get(*logits) {
                    let scale = grad[[0, 0]] / T::of(labels.len().max(1) as f64);
                    acc(*logits, &mut |g| {
                        for ((mut g, p), d) in
                            g.rows_mut().into_iter().zip(probs.rows()).zip(tz.rows())
                        {
                            let mean = Zip::from(&p).and(&d).fold(T::zero(), |s, &p, &d| s + p * d);
                            Zip::from(&mut g)
                                .and(&p)
                                .and(&d)
                                .for_each(|g, &p, &d| *g += scale * p * (d - mean));
                        }
                    });
                }
            }
            // dpred += (2g/N)(pred − target): its tangent adds (2g/N) ṗred.
            Op::MeanSquaredError { pred, target } => {
                if let Some(tp) = get(*pred) {
                    let scale = grad[[0, 0]] * T::of(2.0) / T::of(target.len().max(1) as f64);
                    acc(*pred, &mut |g| g.scaled_add(scale, tp));
                }
            }
            // dz += d − e^y Σ_j d_j: its tangent adds −e^y ⊙ ẏ Σ_j d_j.
            Op::LogSoftmax(logits) => {
                if let Some(ty) = get(this) {
                    let y = tape.value(this);
                    acc(*logits, &mut |g| {
                        for (((mut g, y), ty), d) in g
                            .rows_mut()
                            .into_iter()
                            .zip(y.rows())
                            .zip(ty.rows())
                            .zip(grad.rows())
                        {
                            let total = d.sum();
                            Zip::from(&mut g)
                                .and(&y)
                                .and(&ty)
                                .for_each(|g, &y, &t| *g -= y.exp() * t * total);
                        }
                    });
                }
            }
            Op::Leaf
            | Op::AddRow(..)
            | Op::Add(..)
            | Op::Sub(..)
            | Op::Scale(..)
            | Op::Sum(_)
            | Op::Mean(_)
            | Op::Gather { .. }
            | Op::Reshape(_)
            | Op::NegativeLogLikelihood { .. } => {}
        }
    }
}

/// A loss recorded on a tape with its gradient, kept for Hessian-vector
/// products at that one point: Lanczos asks for dozens there, and each
/// then costs a tangent pass and one reverse pass, not a forward and a
/// backward pass again.
pub struct Linearised<T> {
    tape: Tape<T>,
    output: Var,
    leaves: Vec<Var>,
    places: Vec<Range<usize>>,
    grads: Gradients<T>,
}

impl<T: Scalar> Linearised<T> {
    /// Runs the backward pass of `output` on `tape`; `places[i]` is where
    /// parameter leaf `leaves[i]` lives in the flat parameter vector.
    pub fn new(
        mut tape: Tape<T>,
        output: Var,
        leaves: Vec<Var>,
        places: Vec<Range<usize>>,
    ) -> Self {
        assert_eq!(leaves.len(), places.len(), "one place per leaf");
        for (&leaf, place) in leaves.iter().zip(&places) {
            assert_eq!(tape.value(leaf).len(), place.len(), "a place fits its leaf");
        }
        let grads = tape.backward(output);
        Self {
            tape,
            output,
            leaves,
            places,
            grads,
        }
    }

    /// The loss.
    pub fn value(&self) -> T {
        self.tape.scalar(self.output)
    }

    /// The gradient, in the flat parameter layout.
    pub fn gradient(&self, flat: &mut [T]) {
        self.grads
            .write_flat(self.places.iter().cloned(), &self.leaves, flat);
    }

    /// Writes H v into `out` (both in the flat parameter layout).
    pub fn hessian_vector(&mut self, v: &[T], out: &mut [T]) {
        let seeds: Vec<(Var, ArrayView2<T>)> = self
            .leaves
            .iter()
            .zip(&self.places)
            .map(|(&leaf, place)| {
                let dim = self.tape.value(leaf).dim();
                let view =
                    ArrayView2::from_shape(dim, &v[place.clone()]).expect("a place fits its leaf");
                (leaf, view)
            })
            .collect();
        let tangents = self.tape.tangents(&seeds);
        let products = self
            .tape
            .hessian_vector(self.output, &self.grads, &tangents);
        products.write_flat(self.places.iter().cloned(), &self.leaves, out);
        self.tape.recycle_tangents(tangents);
        self.tape.recycle(products);
    }
}
