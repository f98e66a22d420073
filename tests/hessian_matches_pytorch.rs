//! Valley's curvature against PyTorch's: the full float64 Hessian of two
//! 3-7-5-4 networks (tanh and gelu), from
//! `scripts/make_hessian_reference.py`, against Valley's dense Hessian from
//! products, its Lanczos extremes and its trace.
//!
//! The products are exact (the R-operator through the tape), so at the very
//! float64 weights PyTorch used they give its Hessian to rounding.

use valley::engine::analysis::{Control, extremes, symmetric_eigen, trace};
use valley::engine::io::read_safetensors;
use valley::engine::nn::Activation;
use valley::engine::problem::{Problem, ProblemSpec};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_ref");

fn reference() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{DATA}/hessian.json")).expect("reference file"),
    )
    .expect("JSON")
}

/// PyTorch's eigenvalues (ascending) and trace for one model.
fn eigenvalues_and_trace(reference: &serde_json::Value, name: &str) -> (Vec<f64>, f64) {
    let eigenvalues = reference[name]["eigenvalues"]
        .as_array()
        .expect("eigenvalues")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    (
        eigenvalues,
        reference[name]["trace"].as_f64().expect("trace"),
    )
}

fn problem(
    name: &str,
    activation: Activation,
) -> std::sync::Arc<valley::engine::problem::MlpProblem> {
    ProblemSpec::Imported {
        weights: format!("{DATA}/cls_{name}_f64.safetensors").into(),
        data: format!("{DATA}/cls_data.csv").into(),
        test_fraction: 0.0,
        data_seed: 0,
        activation,
    }
    .build_mlp()
    .expect("the reference model loads")
}

/// The dense Hessian, column by column from products with the unit vectors.
fn dense_hessian(problem: &dyn Problem, params: &[f64]) -> Vec<f64> {
    let n = params.len();
    let mut dense = vec![0.0; n * n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let column = problem.hessian_vector(params, &e).expect("product");
        for i in 0..n {
            dense[i * n + j] = column[i];
        }
    }
    dense
}

#[test]
fn exact_products_give_torchs_hessian_to_1e_8() {
    let reference = reference();
    for (name, activation) in [("tanh", Activation::Tanh), ("gelu", Activation::Gelu)] {
        let (expected, expected_trace) = eigenvalues_and_trace(&reference, name);
        let problem = problem(name, activation);
        // PyTorch's own float64 weights, in the flat layout order.
        let file = read_safetensors(format!("{DATA}/cls_{name}_f64.safetensors").as_ref())
            .expect("weights");
        let params: Vec<f64> = problem
            .layout()
            .tensors
            .iter()
            .flat_map(|spec| {
                let tensor = file.tensors.iter().find(|t| t.name == spec.name);
                tensor.expect("every layer is in the file").data.clone()
            })
            .collect();
        let n = expected.len();
        assert_eq!(params.len(), n);
        let dense = dense_hessian(problem.as_ref(), &params);
        let scale = expected[n - 1].abs().max(expected[0].abs());
        // Exact products are symmetric to rounding: no averaging needed.
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (dense[i * n + j], dense[j * n + i]);
                assert!(
                    (a - b).abs() <= 1e-12 * scale,
                    "{name}: H[{i},{j}] {a} vs {b}"
                );
            }
        }
        let (values, _) = symmetric_eigen(&dense, n);
        for (got, want) in values.iter().zip(&expected) {
            assert!(
                (got - want).abs() <= 1e-8 * scale,
                "{name}: eigenvalue {got} vs torch {want}"
            );
        }
        let t: f64 = (0..n).map(|i| dense[i * n + i]).sum();
        assert!(
            (t - expected_trace).abs() <= 1e-8 * expected_trace.abs(),
            "{name}: trace {t} vs {expected_trace}"
        );
    }
}

/// At the weights Valley trains from (rounded to f32), Lanczos and the
/// trace on products still match PyTorch's unrounded Hessian to 1e-4.
#[test]
fn eigenvalues_and_trace_match_torch_autograd() {
    let reference = reference();
    for (name, activation) in [("tanh", Activation::Tanh), ("gelu", Activation::Gelu)] {
        let (expected, expected_trace) = eigenvalues_and_trace(&reference, name);
        let problem = problem(name, activation);
        let n = expected.len();
        // Valley trains in f32, so the point is the f64 weights rounded to f32.
        let params: Vec<f64> = problem
            .init_params(0)
            .iter()
            .map(|&p| f64::from(p))
            .collect();
        assert_eq!(params.len(), n);
        let hvp = |v: &[f64]| problem.hessian_vector(&params, v);
        let dense = dense_hessian(problem.as_ref(), &params);
        let (values, _) = symmetric_eigen(&dense, n);
        let scale = expected[n - 1].abs();
        for (got, want) in values.iter().zip(&expected) {
            assert!(
                (got - want).abs() <= 1e-4 * want.abs().max(1e-2 * scale),
                "{name}: eigenvalue {got} vs torch {want}"
            );
        }
        let mut product = |v: &[f64]| hvp(v);
        let found = extremes(n, 5, &mut product, 3, &Control::none()).expect("Lanczos");
        for (k, top) in found.top.iter().enumerate() {
            let want = expected[n - 1 - k];
            assert!(
                (top - want).abs() <= 1e-4 * want.abs(),
                "{name}: top {k}: {top} vs {want}"
            );
        }
        assert!(
            (found.min - expected[0]).abs() <= 1e-4 * expected[0].abs(),
            "{name}: min {} vs {}",
            found.min,
            expected[0]
        );
        let t = trace(n, &mut product, 0, 0, &Control::none()).expect("trace");
        assert!(
            (t.value - expected_trace).abs() <= 1e-4 * expected_trace.abs(),
            "{name}: trace {} vs {expected_trace}",
            t.value
        );
    }
}
