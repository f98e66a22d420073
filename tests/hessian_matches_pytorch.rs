//! Valley's curvature against PyTorch's: the full float64 Hessian of two
//! 3-7-5-4 networks (tanh and gelu), from
//! `scripts/make_hessian_reference.py`, against Valley's dense Hessian from
//! products, its Lanczos extremes and its trace.

use valley::engine::analysis::{Control, extremes, symmetric_eigen, trace};
use valley::engine::nn::Activation;
use valley::engine::problem::ProblemSpec;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_ref");

#[test]
fn eigenvalues_and_trace_match_torch_autograd() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DATA}/hessian.json")).expect("reference file"),
    )
    .expect("JSON");
    for (name, activation) in [("tanh", Activation::Tanh), ("gelu", Activation::Gelu)] {
        let expected: Vec<f64> = reference[name]["eigenvalues"]
            .as_array()
            .expect("eigenvalues")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        let expected_trace = reference[name]["trace"].as_f64().expect("trace");
        let problem = ProblemSpec::Imported {
            weights: format!("{DATA}/cls_{name}_f64.safetensors").into(),
            data: format!("{DATA}/cls_data.csv").into(),
            test_fraction: 0.0,
            data_seed: 0,
            activation,
        }
        .build_mlp()
        .expect("the reference model loads");
        let n = expected.len();
        // Valley trains in f32, so the point is the f64 weights rounded to f32.
        let params: Vec<f64> = valley::engine::problem::Problem::init_params(problem.as_ref(), 0)
            .iter()
            .map(|&p| f64::from(p))
            .collect();
        assert_eq!(params.len(), n);
        let hvp = |v: &[f64]| {
            valley::engine::problem::Problem::hessian_vector(problem.as_ref(), &params, v)
        };
        let mut dense = vec![0.0; n * n];
        for j in 0..n {
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            let column = hvp(&e).expect("product");
            for i in 0..n {
                dense[i * n + j] = column[i];
            }
        }
        // Central differences leave H a hair from symmetric; average it with its transpose.
        for i in 0..n {
            for j in 0..i {
                let mean = 0.5 * (dense[i * n + j] + dense[j * n + i]);
                dense[i * n + j] = mean;
                dense[j * n + i] = mean;
            }
        }
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
