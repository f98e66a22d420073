//! Valley's character model against PyTorch's: `nn.Embedding` → reshape →
//! `nn.Linear` layers → `F.cross_entropy`, from
//! `scripts/make_language_reference.py` (the module is
//! `scripts/char_model.py`), in float32 and float64.

use valley::engine::autograd::Tape;
use valley::engine::language::{CharModel, CharScratch, Examples};
use valley::engine::nn::Activation;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/torch_ref/language.json"
);

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

fn ids(value: &serde_json::Value) -> Vec<usize> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_u64().expect("an id") as usize)
        .collect()
}

/// Largest |a − b| / (|b| + floor) over the pairs.
fn worst(actual: &[f64], expected: &[f64], floor: f64) -> f64 {
    assert_eq!(actual.len(), expected.len());
    actual
        .iter()
        .zip(expected)
        .map(|(a, b)| (a - b).abs() / (b.abs() + floor))
        .fold(0.0, f64::max)
}

#[test]
fn loss_gradient_and_log_probabilities_match_pytorch_in_f32_and_f64() {
    let text = std::fs::read_to_string(REFERENCE).expect("the reference file");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let cases = reference["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 10);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let activation: Activation = case["activation"]
            .as_str()
            .expect("activation")
            .parse()
            .expect("a Valley activation");
        let hidden = ids(&case["hidden"]);
        let context = case["context"].as_u64().expect("k") as usize;
        let vocab = case["vocab"].as_u64().expect("V") as usize;
        let model = CharModel::new(
            vocab,
            context,
            case["embed"].as_u64().expect("d") as usize,
            &hidden,
            activation,
        )
        .expect("the reference model's shape");
        let examples = Examples {
            context,
            contexts: case["contexts"]
                .as_array()
                .expect("contexts")
                .iter()
                .flat_map(ids)
                .collect(),
            targets: ids(&case["targets"]),
        };
        let params = numbers(&case["params"]);
        assert_eq!(params.len(), model.num_params(), "{name}");
        let expected_loss = case["loss"].as_f64().expect("loss");
        let expected_grad = numbers(&case["grad"]);
        let expected_row0 = numbers(&case["log_probs_row0"]);
        let (loss, grad, row0) = if case["dtype"] == "f32" {
            let params: Vec<f32> = params.iter().map(|&p| p as f32).collect();
            let mut scratch = CharScratch::default();
            let mut grad = vec![0.0f32; params.len()];
            let loss = model.loss_and_grad(&params, &examples, &mut grad, &mut Tape::new());
            let logits = model.logits(&params, &examples.contexts[..context], &mut scratch);
            let row: Vec<f64> = logits.row(0).iter().map(|&z| f64::from(z)).collect();
            (
                f64::from(loss),
                grad.iter().map(|&g| f64::from(g)).collect::<Vec<_>>(),
                row,
            )
        } else {
            let mut grad = vec![0.0f64; params.len()];
            let mut scratch = CharScratch::default();
            let loss = model.loss_and_grad(&params, &examples, &mut grad, &mut Tape::new());
            let logits = model.logits(&params, &examples.contexts[..context], &mut scratch);
            (loss, grad, logits.row(0).to_vec())
        };
        let lse = {
            let max = row0.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max + row0.iter().map(|z| (z - max).exp()).sum::<f64>().ln()
        };
        let log_probs: Vec<f64> = row0.iter().map(|z| z - lse).collect();
        let (tolerance, floor) = if case["dtype"] == "f32" {
            (2e-5, 1e-3)
        } else {
            (1e-11, 1e-9)
        };
        let loss_error = (loss - expected_loss).abs() / expected_loss.abs();
        assert!(
            loss_error < tolerance,
            "{name}: loss {loss} vs {expected_loss}"
        );
        // Gradients near zero are compared against a floor of the largest entry.
        let scale = expected_grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        let grad_error = worst(&grad, &expected_grad, floor * scale);
        assert!(
            grad_error < tolerance * 10.0,
            "{name}: gradient off by {grad_error:e}"
        );
        let row_error = worst(&log_probs, &expected_row0, 1.0);
        assert!(
            row_error < tolerance,
            "{name}: log-probabilities off by {row_error:e}"
        );
        println!("{name}: loss {loss_error:.1e}, gradient {grad_error:.1e}, log p {row_error:.1e}");
    }
}
