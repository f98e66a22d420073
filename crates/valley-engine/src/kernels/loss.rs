//! Losses on a batch of outputs, as PyTorch defines them by default.
//!
//! Cross-entropy is the mean over rows of −log softmax(z)[label], computed
//! with the log-sum-exp shift so that large logits never overflow; mean
//! squared error is the mean over all elements.

use ndarray::ArrayView2;

use crate::scalar::Scalar;

/// What the outputs are compared against.
#[derive(Clone, Copy, Debug)]
pub enum TargetsRef<'a, T> {
    /// Integer class labels, one per row (softmax cross-entropy).
    Classes(&'a [usize]),
    /// Real targets with the outputs' shape (mean squared error).
    Values(ArrayView2<'a, T>),
}

impl<T> TargetsRef<'_, T> {
    /// Number of examples.
    pub fn len(&self) -> usize {
        match self {
            TargetsRef::Classes(labels) => labels.len(),
            TargetsRef::Values(values) => values.nrows(),
        }
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, T> TargetsRef<'a, T> {
    /// The targets of examples `rows`.
    pub fn rows(&self, rows: std::ops::Range<usize>) -> TargetsRef<'a, T> {
        match *self {
            TargetsRef::Classes(labels) => TargetsRef::Classes(&labels[rows]),
            TargetsRef::Values(values) => {
                TargetsRef::Values(values.slice_move(ndarray::s![rows, ..]))
            }
        }
    }
}

/// log Σ_j e^{z_j}, shifted by the row maximum.
pub fn log_sum_exp<T: Scalar>(row: impl Iterator<Item = T> + Clone) -> T {
    let max = row.clone().fold(T::neg_infinity(), T::max);
    if !max.is_finite() {
        // All −∞ gives −∞; +∞ or NaN poison the row, as they should.
        return max;
    }
    max + row.map(|z| (z - max).exp()).sum::<T>().ln()
}

/// Mean softmax cross-entropy of `logits` [n, k] against labels in 0..k.
///
/// Laid out for speed (this is part of every landscape point): the
/// exponentials and logarithms run as whole-slice passes, which vectorise.
pub fn cross_entropy<T: Scalar>(logits: ArrayView2<T>, labels: &[usize]) -> T {
    assert_eq!(logits.nrows(), labels.len(), "one label per row");
    let (n, k) = logits.dim();
    if k == 2
        && let Some(total) = two_class_total(logits, labels)
    {
        return total / T::of(n.max(1) as f64);
    }
    // Per row: the shift (the maximum, unless it is ±∞ or NaN, which must
    // poison the total), then every shifted logit into one flat buffer.
    let mut shifts = Vec::with_capacity(n);
    let mut shifted = Vec::with_capacity(n * k);
    for row in logits.rows() {
        let append = |values: &[T], shifts: &mut Vec<T>, shifted: &mut Vec<T>| {
            let max = row_max(values);
            let shift = if max.is_finite() { max } else { T::zero() };
            shifts.push(shift);
            shifted.extend(values.iter().map(|&z| z - shift));
        };
        match row.as_slice() {
            Some(values) => append(values, &mut shifts, &mut shifted),
            None => append(&row.to_vec(), &mut shifts, &mut shifted),
        }
    }
    T::exp_in_place(&mut shifted);
    let mut sums: Vec<T> = shifted
        .chunks_exact(k.max(1))
        .map(|c| c.iter().copied().sum())
        .collect();
    T::ln_in_place(&mut sums);
    let mut total = T::zero();
    for (((row, &label), &shift), &log_sum) in logits
        .rows()
        .into_iter()
        .zip(labels)
        .zip(&shifts)
        .zip(&sums)
    {
        total += shift + log_sum - row[label];
    }
    total / T::of(n.max(1) as f64)
}

/// Σ −log softmax(z)[label] for two classes, as the softplus of the
/// margin d = z_other − z_label: max(d, 0) + ln(1 + e^−|d|). One exp and
/// one ln per row, with no per-row shift to find (most built-in datasets
/// have two classes, and this is part of every landscape point). `None`
/// when a margin is not finite: the general path then says how.
fn two_class_total<T: Scalar>(logits: ArrayView2<T>, labels: &[usize]) -> Option<T> {
    let (first, second) = (logits.column(0), logits.column(1));
    match (first.as_slice(), second.as_slice()) {
        // Feature-major logits (the tape-free loss): two contiguous rows.
        (Some(a), Some(b)) => two_class_slices(a, b, labels),
        _ => two_class_slices(&first.to_vec(), &second.to_vec(), labels),
    }
}

/// [`two_class_total`] on the two logits of each example, in passes over
/// contiguous slices that vectorise, sums included (eight running sums).
fn two_class_slices<T: Scalar>(first: &[T], second: &[T], labels: &[usize]) -> Option<T> {
    let mut tails: Vec<T> = first
        .iter()
        .zip(second)
        .zip(labels)
        .map(|((&a, &b), &label)| if label == 0 { b - a } else { a - b })
        .collect();
    if !tails.iter().fold(true, |ok, m| ok & m.is_finite()) {
        return None;
    }
    let total = lane_sum(&tails, |m| m.max(T::zero()));
    tails.iter_mut().for_each(|m| *m = -m.abs());
    T::exp_in_place(&mut tails);
    tails.iter_mut().for_each(|t| *t += T::one());
    T::ln_in_place(&mut tails);
    Some(total + lane_sum(&tails, |t| t))
}

/// Σ f(v) in eight running sums, so the loop vectorises (a single running
/// sum must add in order, one element at a time).
fn lane_sum<T: Scalar>(values: &[T], f: impl Fn(T) -> T) -> T {
    let mut lanes = [T::zero(); 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f(v);
        }
    }
    let rest = tail.iter().fold(T::zero(), |s, &v| s + f(v));
    lanes.iter().fold(rest, |s, &l| s + l)
}

/// The largest value, in eight running maxima that vectorise. A NaN is
/// skipped here (it poisons the row's sum of exponentials instead), so the
/// shift stays finite whenever any value is.
fn row_max<T: Scalar>(values: &[T]) -> T {
    let bigger = |m: T, v: T| if v > m { v } else { m };
    let mut lanes = [T::neg_infinity(); 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = bigger(*lane, v);
        }
    }
    let max = tail.iter().copied().fold(T::neg_infinity(), bigger);
    lanes.iter().copied().fold(max, bigger)
}

/// Mean squared error over all elements.
pub fn mean_squared_error<T: Scalar>(outputs: ArrayView2<T>, targets: ArrayView2<T>) -> T {
    assert_eq!(
        outputs.shape(),
        targets.shape(),
        "outputs and targets differ in shape"
    );
    let mut total = T::zero();
    for (&o, &t) in outputs.iter().zip(targets.iter()) {
        total += (o - t) * (o - t);
    }
    total / T::of(outputs.len().max(1) as f64)
}

/// The loss that matches the targets' kind.
pub fn loss<T: Scalar>(outputs: ArrayView2<T>, targets: TargetsRef<T>) -> T {
    match targets {
        TargetsRef::Classes(labels) => cross_entropy(outputs, labels),
        TargetsRef::Values(values) => mean_squared_error(outputs, values),
    }
}

/// Fraction of rows whose largest logit is the label (first maximum wins, as argmax).
pub fn accuracy<T: Scalar>(logits: ArrayView2<T>, labels: &[usize]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let correct = logits
        .rows()
        .into_iter()
        .zip(labels)
        .filter(|(row, label)| argmax(row.iter().copied()) == Some(**label))
        .count();
    correct as f64 / labels.len() as f64
}

fn argmax<T: Scalar>(values: impl Iterator<Item = T>) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cross_entropy_by_hand() {
        // Row 1: logits (0, ln 3): p = (1/4, 3/4), label 1 → −ln(3/4).
        // Row 2: logits (1000, 0): p ≈ (1, e^−1000), label 0 → ≈ 0 without overflow.
        let logits = array![[0.0f64, 3f64.ln()], [1000.0, 0.0]];
        let ce = cross_entropy(logits.view(), &[1, 0]);
        assert!((ce - (-(0.75f64).ln()) / 2.0).abs() < 1e-15);
        assert_eq!(accuracy(logits.view(), &[1, 0]), 1.0);
        assert_eq!(accuracy(logits.view(), &[0, 0]), 0.5);
    }

    #[test]
    fn two_classes_agree_with_the_general_path() {
        // Margins from −90 to 90: e^−|d| underflows at the ends, as the
        // general path's shifted exponentials do.
        let rows: Vec<[f64; 3]> = (0..61)
            .map(|i| {
                let d = f64::from(i - 30) * 3.0;
                [0.25 * d, -0.75 * d, 0.1 * d]
            })
            .collect();
        let labels: Vec<usize> = (0..61).map(|i| i % 2).collect();
        let three = ndarray::Array2::from_shape_fn((61, 3), |(r, c)| rows[r][c]);
        let two = three.slice(ndarray::s![.., ..2]);
        // The general path on two columns, by hand.
        let expected: f64 = two
            .rows()
            .into_iter()
            .zip(&labels)
            .map(|(row, &y)| log_sum_exp(row.iter().copied()) - row[y])
            .sum::<f64>()
            / 61.0;
        assert!((cross_entropy(two, &labels) - expected).abs() < 1e-14);
        let twof = two.mapv(|v| v as f32);
        assert!((f64::from(cross_entropy(twof.view(), &labels)) - expected).abs() < 1e-5);
    }

    #[test]
    fn mse_by_hand() {
        let out = array![[1.0f64, 2.0], [3.0, 4.0]];
        let target = array![[1.0f64, 0.0], [0.0, 4.0]];
        assert_eq!(
            mean_squared_error(out.view(), target.view()),
            (4.0 + 9.0) / 4.0
        );
    }

    #[test]
    fn non_finite_logits_poison_the_loss() {
        let logits = array![[f32::NAN, 0.0]];
        assert!(cross_entropy(logits.view(), &[1]).is_nan());
        let logits = array![[f32::INFINITY, 0.0]];
        assert!(!cross_entropy(logits.view(), &[1]).is_finite());
    }
}
