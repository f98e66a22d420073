//! Every op's gradient against central finite differences in f64.

use ndarray::{Array2, array};
use strum::IntoEnumIterator;

use super::{Tape, Var};
use crate::nn::{Activation, seeded_rng};
use rand::RngExt;

/// A random matrix with entries in (−1.5, 1.5), away from relu's kink in expectation.
fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
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
fn weigh(tape: &mut Tape<f64>, a: Var, seed: u64) -> Var {
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
