//! Every op's gradient against central finite differences in f64.

use ndarray::{Array2, array};
use strum::IntoEnumIterator;

use super::{Tape, Var};
use crate::nn::{Activation, seeded_rng};
use rand::RngExt;

/// A random matrix with entries in (−1.5, 1.5), away from relu's kink in expectation.
pub(super) fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = seeded_rng(seed);
    Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-1.5..1.5))
}

/// Builds a scalar from the inputs on a fresh tape.
type Build<'a> = dyn Fn(&mut Tape<f64>, &[Var]) -> Var + 'a;

/// Checks d(build)/d(input) for every input against central differences.
fn check(inputs: &[Array2<f64>], build: &Build<'_>) {
    let run = |values: &[Array2<f64>]| {
        let mut tape = Tape::new();
        let vars: Vec<Var> = values.iter().map(|v| tape.leaf(v.clone(), true)).collect();
        let out = build(&mut tape, &vars);
        (tape.scalar(out), tape.backward(out), vars)
    };
    let (_, grads, vars) = run(inputs);
    let h = 1e-6;
    for (k, var) in vars.iter().enumerate() {
        let analytic = grads
            .get(*var)
            .cloned()
            .unwrap_or_else(|| Array2::zeros(inputs[k].dim()));
        for idx in 0..inputs[k].len() {
            let mut plus = inputs.to_vec();
            let mut minus = inputs.to_vec();
            plus[k].as_slice_mut().expect("contiguous")[idx] += h;
            minus[k].as_slice_mut().expect("contiguous")[idx] -= h;
            let numeric = (run(&plus).0 - run(&minus).0) / (2.0 * h);
            let a = analytic.as_slice().expect("contiguous")[idx];
            let tol = 1e-7 * (1.0 + numeric.abs());
            assert!(
                (a - numeric).abs() < tol,
                "input {k} element {idx}: analytic {a} vs numeric {numeric}"
            );
        }
    }
}

/// Σ (A ⊙ C) with a fixed random C, turning a matrix into a scalar without symmetry.
pub(super) fn weigh(tape: &mut Tape<f64>, a: Var, seed: u64) -> Var {
    let (r, c) = tape.value(a).dim();
    let weights = tape.leaf(random(r, c, seed), false);
    let m = tape.mul(a, weights);
    tape.sum(m)
}

#[test]
fn matmul_gradient() {
    check(&[random(3, 4, 1), random(4, 2, 2)], &|t, v| {
        let c = t.matmul(v[0], v[1]);
        weigh(t, c, 9)
    });
}

#[test]
fn matmul_transposed_gradient() {
    check(&[random(5, 3, 3), random(4, 3, 4)], &|t, v| {
        let c = t.matmul_t(v[0], v[1]);
        weigh(t, c, 9)
    });
}

#[test]
fn linear_gradient() {
    // Widths that are not multiples of the kernel's vector width.
    check(
        &[random(5, 3, 21), random(11, 3, 22), random(1, 11, 23)],
        &|t, v| {
            // Each input used twice, so the gradients must accumulate.
            let z1 = t.linear(v[0], v[1], v[2]);
            let z1 = t.tanh(z1);
            let z2 = t.linear(v[0], v[1], v[2]);
            let z = t.add(z1, z2);
            weigh(t, z, 24)
        },
    );
}

#[test]
fn add_row_gradient() {
    check(&[random(4, 3, 5), random(1, 3, 6)], &|t, v| {
        let c = t.add_row(v[0], v[1]);
        weigh(t, c, 9)
    });
}

#[test]
fn elementwise_gradients() {
    check(&[random(3, 3, 7), random(3, 3, 8)], &|t, v| {
        let a = t.add(v[0], v[1]);
        let s = t.sub(a, v[1]);
        let s = t.sub(s, v[1]);
        let m = t.mul(s, v[0]);
        let m = t.scale(m, -0.7);
        weigh(t, m, 9)
    });
}

#[test]
fn activation_gradients() {
    for act in Activation::iter() {
        check(&[random(4, 5, 10)], &|t, v| {
            let a = t.activate(v[0], act);
            weigh(t, a, 11)
        });
    }
}

#[test]
fn mean_gradient() {
    check(&[random(3, 4, 12)], &|t, v| {
        let sq = t.mul(v[0], v[0]);
        t.mean(sq)
    });
}

#[test]
fn cross_entropy_gradient() {
    let labels = [0, 2, 1, 2, 0];
    check(&[random(5, 3, 13) * 3.0], &|t, v| {
        t.cross_entropy(v[0], &labels)
    });
}

#[test]
fn mse_gradient() {
    let target = random(4, 2, 14);
    check(&[random(4, 2, 15)], &|t, v| t.mse(v[0], target.view()));
}

#[test]
fn gradient_accumulates_over_reuse() {
    // y = Σ (x ⊙ x ⊙ x) uses x three times: dy/dx = 3x².
    let x = array![[0.5, -2.0]];
    let mut tape = Tape::new();
    let v = tape.leaf(x.clone(), true);
    let sq = tape.mul(v, v);
    let cube = tape.mul(sq, v);
    let y = tape.sum(cube);
    let grads = tape.backward(y);
    assert_eq!(grads.get(v), Some(&(x.mapv(|a| 3.0 * a * a))));
}

#[test]
fn data_leaves_get_no_gradient() {
    let mut tape = Tape::new();
    let data = tape.leaf(random(2, 2, 16), false);
    let w = tape.leaf(random(2, 2, 17), true);
    let z = tape.matmul(data, w);
    let y = tape.sum(z);
    let grads = tape.backward(y);
    assert!(grads.get(data).is_none());
    assert!(grads.get(w).is_some());
}

#[test]
fn gather_gradient_scatters_back_and_adds_repeats() {
    // Symbol 2 is looked up three times, symbol 4 never: its row gets no gradient.
    let ids = [2, 0, 2, 3, 1, 2];
    check(&[random(5, 3, 31)], &|t, v| {
        let rows = t.gather(v[0], &ids);
        weigh(t, rows, 32)
    });
    let mut tape = Tape::new();
    let table = tape.leaf(random(5, 3, 31), true);
    let rows = tape.gather(table, &ids);
    assert_eq!(tape.value(rows).row(3), tape.value(table).row(3));
    let total = tape.sum(rows);
    let grads = tape.backward(total);
    let g = grads.get(table).expect("table gradient");
    assert_eq!(g.row(2).to_vec(), vec![3.0; 3], "three lookups add up");
    assert_eq!(g.row(4).to_vec(), vec![0.0; 3], "an unused symbol");
}

#[test]
fn reshape_lays_each_examples_embeddings_side_by_side() {
    check(&[random(6, 2, 41)], &|t, v| {
        let wide = t.reshape(v[0], 2, 6);
        let scaled = t.scale(wide, 1.5);
        weigh(t, scaled, 42)
    });
    let mut tape = Tape::new();
    let rows = tape.leaf(
        array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]],
        false,
    );
    let wide = tape.reshape(rows, 2, 4);
    assert_eq!(
        tape.value(wide),
        &array![[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]
    );
}

#[test]
fn log_softmax_and_negative_log_likelihood_gradients() {
    let labels = [3, 0, 6, 6];
    check(&[random(4, 7, 51)], &|t, v| {
        let log_probs = t.log_softmax(v[0]);
        weigh(t, log_probs, 52)
    });
    check(&[random(4, 7, 53)], &|t, v| {
        let log_probs = t.log_softmax(v[0]);
        t.negative_log_likelihood(log_probs, &labels)
    });
    // Composed, they are the fused cross-entropy to rounding.
    let logits = random(4, 7, 54);
    let mut tape = Tape::new();
    let z = tape.leaf(logits.clone(), true);
    let log_probs = tape.log_softmax(z);
    let nll = tape.negative_log_likelihood(log_probs, &labels);
    let fused = tape.cross_entropy(z, &labels);
    assert!((tape.scalar(nll) - tape.scalar(fused)).abs() < 1e-14);
}

#[test]
fn log_softmax_is_stable_for_huge_logits() {
    // e^800 overflows f64; shifted by the row maximum it does not.
    let mut tape = Tape::new();
    let z = tape.leaf(array![[800.0, 799.0, -800.0], [-1e4, 0.0, 1e4]], true);
    let log_probs = tape.log_softmax(z);
    let value = tape.value(log_probs).clone();
    assert!(value.iter().all(|v: &f64| v.is_finite()), "{value}");
    let expected = -(1.0 + (-1.0f64).exp()).ln();
    assert!((value[[0, 0]] - expected).abs() < 1e-12);
    assert!((value[[0, 2]] - (-1600.0 + expected)).abs() < 1e-9);
    assert_eq!(value[[1, 2]], 0.0);
    let nll = tape.negative_log_likelihood(log_probs, &[0, 2]);
    let grads = tape.backward(nll);
    let g = grads.get(z).expect("gradient");
    assert!(g.iter().all(|v: &f64| v.is_finite()));
    // Each row's gradient sums to zero (softmax minus a one-hot).
    for row in g.rows() {
        assert!(row.sum().abs() < 1e-12, "{row}");
    }
}
