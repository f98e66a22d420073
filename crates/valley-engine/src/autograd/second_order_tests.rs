//! Every op's Hessian-vector product against central differences of its
//! gradient, in f64.

use ndarray::Array2;
use strum::IntoEnumIterator;

use super::tests::{random, weigh};
use super::{Tape, Var};
use crate::nn::Activation;

type Build<'a> = dyn Fn(&mut Tape<f64>, &[Var]) -> Var + 'a;

/// Records `build` on leaves holding `inputs`; returns the tape, output and leaves.
fn record(inputs: &[Array2<f64>], build: &Build<'_>) -> (Tape<f64>, Var, Vec<Var>) {
    let mut tape = Tape::new();
    let vars: Vec<Var> = inputs.iter().map(|v| tape.leaf(v.clone(), true)).collect();
    let out = build(&mut tape, &vars);
    (tape, out, vars)
}

/// The gradient of every input at `inputs`, zeros where the output ignores one.
fn gradient(inputs: &[Array2<f64>], build: &Build<'_>) -> Vec<Array2<f64>> {
    let (mut tape, out, vars) = record(inputs, build);
    let grads = tape.backward(out);
    vars.iter()
        .zip(inputs)
        .map(|(v, x)| {
            grads
                .get(*v)
                .cloned()
                .unwrap_or_else(|| Array2::zeros(x.dim()))
        })
        .collect()
}

/// Checks H v (the R-operator) against (∇L(x + h v) − ∇L(x − h v)) / 2h
/// along a random direction, and the tangent pass's dL against ∇L · v.
fn check(inputs: &[Array2<f64>], build: &Build<'_>) {
    let direction: Vec<Array2<f64>> = inputs
        .iter()
        .enumerate()
        .map(|(k, x)| random(x.nrows(), x.ncols(), 1000 + k as u64))
        .collect();
    let (mut tape, out, vars) = record(inputs, build);
    let grads = tape.backward(out);
    let seeds: Vec<_> = vars
        .iter()
        .zip(&direction)
        .map(|(v, d)| (*v, d.view()))
        .collect();
    let tangents = tape.tangents(&seeds);
    let slope: f64 = vars
        .iter()
        .zip(&direction)
        .filter_map(|(v, d)| grads.get(*v).map(|g| (g * d).sum()))
        .sum();
    let moved = tangents.get(out).map_or(0.0, |t| t[[0, 0]]);
    assert!(
        (moved - slope).abs() < 1e-12 * (1.0 + slope.abs()),
        "tangent of the output {moved} vs gradient · v {slope}"
    );
    let products = tape.hessian_vector(out, &grads, &tangents);
    let h = 1e-5;
    let shifted = |sign: f64| -> Vec<Array2<f64>> {
        inputs
            .iter()
            .zip(&direction)
            .map(|(x, d)| x + &(d * (sign * h)))
            .collect()
    };
    let (plus, minus) = (
        gradient(&shifted(1.0), build),
        gradient(&shifted(-1.0), build),
    );
    for (k, var) in vars.iter().enumerate() {
        let exact = products
            .get(*var)
            .cloned()
            .unwrap_or_else(|| Array2::zeros(inputs[k].dim()));
        for idx in 0..inputs[k].len() {
            let numeric = (plus[k].as_slice().expect("contiguous")[idx]
                - minus[k].as_slice().expect("contiguous")[idx])
                / (2.0 * h);
            let e = exact.as_slice().expect("contiguous")[idx];
            assert!(
                (e - numeric).abs() < 1e-6 * (1.0 + numeric.abs()),
                "input {k} element {idx}: R-operator {e} vs central difference {numeric}"
            );
        }
    }
}

/// Σ A², so that a linear op still has a Hessian.
fn square_sum(tape: &mut Tape<f64>, a: Var) -> Var {
    let sq = tape.mul(a, a);
    tape.sum(sq)
}

#[test]
fn products_of_two_moving_matrices() {
    check(&[random(3, 4, 1), random(4, 2, 2)], &|t, v| {
        let c = t.matmul(v[0], v[1]);
        let c = t.tanh(c);
        weigh(t, c, 9)
    });
    check(&[random(5, 3, 3), random(4, 3, 4)], &|t, v| {
        let c = t.matmul_t(v[0], v[1]);
        square_sum(t, c)
    });
}

#[test]
fn a_linear_layer_used_twice() {
    check(
        &[random(5, 3, 21), random(11, 3, 22), random(1, 11, 23)],
        &|t, v| {
            let z1 = t.linear(v[0], v[1], v[2]);
            let z1 = t.tanh(z1);
            let z2 = t.linear(v[0], v[1], v[2]);
            let z = t.mul(z1, z2);
            weigh(t, z, 24)
        },
    );
}

#[test]
fn elementwise_ops() {
    check(
        &[random(3, 3, 7), random(3, 3, 8), random(1, 3, 6)],
        &|t, v| {
            let a = t.add(v[0], v[1]);
            let s = t.sub(a, v[1]);
            let s = t.sub(s, v[1]);
            let s = t.add_row(s, v[2]);
            let m = t.mul(s, v[0]);
            let m = t.scale(m, -0.7);
            let m = t.sigmoid(m);
            t.mean(m)
        },
    );
}

#[test]
fn every_activation() {
    for act in Activation::iter() {
        check(&[random(4, 5, 10), random(4, 5, 11)], &|t, v| {
            let p = t.mul(v[0], v[1]);
            let a = t.activate(p, act);
            weigh(t, a, 12)
        });
    }
}

#[test]
fn losses() {
    let labels = [0, 2, 1, 2, 0];
    check(&[random(5, 3, 13) * 3.0], &|t, v| {
        t.cross_entropy(v[0], &labels)
    });
    let target = random(4, 2, 14);
    check(&[random(4, 2, 15), random(4, 2, 16)], &|t, v| {
        let p = t.mul(v[0], v[1]);
        t.mse(p, target.view())
    });
    check(&[random(4, 7, 53)], &|t, v| {
        let log_probs = t.log_softmax(v[0]);
        t.negative_log_likelihood(log_probs, &[3, 0, 6, 6])
    });
    check(&[random(4, 7, 51)], &|t, v| {
        let log_probs = t.log_softmax(v[0]);
        weigh(t, log_probs, 52)
    });
}

#[test]
fn a_small_language_model_from_lookup_to_loss() {
    // Symbol 2 is looked up three times, as a context repeats symbols.
    let ids = [2, 0, 2, 3, 1, 2];
    check(
        &[random(5, 3, 31), random(4, 9, 32), random(1, 4, 33)],
        &|t, v| {
            let rows = t.gather(v[0], &ids);
            let wide = t.reshape(rows, 2, 9);
            let z = t.linear(wide, v[1], v[2]);
            let z = t.gelu(z);
            let log_probs = t.log_softmax(z);
            t.negative_log_likelihood(log_probs, &[1, 3])
        },
    );
}

#[test]
fn an_mlp_on_data_with_a_fused_cross_entropy() {
    let x = random(7, 2, 40);
    check(
        &[
            random(6, 2, 41),
            random(1, 6, 42),
            random(3, 6, 43),
            random(1, 3, 44),
        ],
        &|t, v| {
            let x = t.leaf(x.clone(), false);
            let h = t.linear(x, v[0], v[1]);
            let h = t.tanh(h);
            let z = t.linear(h, v[2], v[3]);
            t.cross_entropy(z, &[0, 1, 2, 2, 1, 0, 0])
        },
    );
}
