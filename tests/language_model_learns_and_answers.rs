//! The character language model end to end: the bigram model reaches the
//! optimum its counts predict, and the `valley` binary trains, samples,
//! slices and exports it as a user would, refusing bad text with its own
//! error.

use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::Value;
use valley::engine::io::read_safetensors;
use valley::engine::language::{Corpus, Text, argmax};
use valley::engine::nn::Activation;
use valley::engine::optim::{LrSchedule, OptimizerConfig, Schedule};
use valley::engine::problem::{LanguageProblem, Problem, Workspace};
use valley::engine::train::{Run, TrainConfig};

fn valley(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_valley"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

#[test]
fn the_bigram_model_trained_long_reaches_its_count_based_optimum() {
    // The first 600 names: every pair the text holds, and many it never does
    // (their probabilities must fall towards zero).
    let names: String = Corpus::Names
        .text()
        .lines()
        .take(600)
        .map(|l| format!("{l}\n"))
        .collect();
    let text = Text::parse(&names, "names").expect("text");
    let vocab = text.vocab().len();
    let problem = Arc::new(
        LanguageProblem::new(&text, "names", 1, vocab, &[], Activation::Tanh, 0.0)
            .expect("the bigram model"),
    );
    let bound = problem.bigram_bound();
    assert!((1.5..3.0).contains(&bound), "bound {bound}");
    // Annealed to a hundredth of the rate: at a constant 0.1 Adam hovers
    // about 1e-3 above the optimum, on whichever side of a tolerance the
    // last bits of the matrix products' rounding put it.
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            lr: 0.1,
            ..OptimizerConfig::default()
        },
        schedule: LrSchedule {
            schedule: Schedule::Cosine {
                total_steps: 3000,
                min_factor: 0.01,
            },
            warmup_steps: 0,
        },
        batch_size: None,
        ..TrainConfig::default()
    };
    let mut run = Run::new(Arc::clone(&problem) as Arc<dyn Problem>, config).expect("run");
    for _ in 0..3000 {
        run.step();
    }
    let loss = f64::from(
        problem
            .evaluate(run.params(), &mut Workspace::default())
            .train_loss,
    );
    assert!(
        loss >= bound - 1e-4,
        "no model beats the counts: {loss} < {bound}"
    );
    assert!(loss - bound < 1e-3, "loss {loss} vs the bound {bound}");
}

#[test]
fn train_sample_slice_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("names.json");
    let weights = dir.path().join("names.safetensors");
    let summary = json(&valley(&[
        "train",
        "--corpus",
        "names",
        "--context",
        "2",
        "--embed",
        "6",
        "--hidden",
        "32",
        "--batch",
        "32",
        "--steps",
        "1500",
        "--json",
        "--save-session",
        session.to_str().expect("path"),
        "--weights-out",
        weights.to_str().expect("path"),
    ]));
    let train_loss = summary["train_loss"].as_f64().expect("train_loss");
    let bits = summary["bits_per_char"].as_f64().expect("bits_per_char");
    assert!((bits - train_loss / std::f64::consts::LN_2).abs() < 1e-5);
    assert_eq!(summary["vocab_size"], 27);
    assert_eq!(summary["num_params"], 27 * 6 + 12 * 32 + 32 + 32 * 27 + 27);
    assert!(summary["test_loss"].as_f64().expect("test_loss") < 27f64.ln());
    // It learnt more than the letters' frequencies: below uniform, near the bigram bound.
    assert!(train_loss < summary["bigram_bound"].as_f64().expect("bound") + 0.15);

    // The weights load under CharModel's state-dict names.
    let file = read_safetensors(&weights).expect("weights");
    let names: Vec<&str> = file.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "embedding.weight",
            "mlp.0.weight",
            "mlp.0.bias",
            "mlp.2.weight",
            "mlp.2.bias"
        ]
    );
    assert_eq!(file.tensors[0].shape, [27, 6]);

    // Sampling at temperature 0 follows the argmax of each next-character distribution.
    let path = session.to_str().expect("path");
    let sampled = json(&valley(&[
        "sample",
        "--session",
        path,
        "--prompt",
        "an",
        "--temperature",
        "0",
        "--chars",
        "8",
        "--json",
    ]));
    let text = sampled["text"].as_str().expect("text");
    assert_eq!(text.chars().count(), 8);
    let next = sampled["next"].as_array().expect("next");
    assert_eq!(next.len(), 10);
    assert_eq!(
        text.chars().next().map(String::from).as_deref(),
        next[0]["symbol"].as_str(),
        "the first greedy character is the most likely one"
    );
    let probabilities: Vec<f64> = next
        .iter()
        .map(|c| c["probability"].as_f64().expect("p"))
        .collect();
    assert_eq!(argmax(&probabilities), 0, "ranked");
    let refused = valley(&[
        "sample",
        "--session",
        path,
        "--prompt",
        "Zoë",
        "--chars",
        "3",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("never uses Z"));

    // The landscape of the session, as a PNG.
    let png = dir.path().join("slice.png");
    let out = valley(&[
        "landscape",
        "--session",
        path,
        "--res",
        "9",
        "--png",
        png.to_str().expect("path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&png).expect("a PNG").len() > 1000);
}

#[test]
fn a_malformed_or_oversized_text_gets_its_own_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("big.txt", vec![b'a'; 300_000], "262144 bytes"),
        ("latin1.txt", b"caf\xe9 au lait".to_vec(), "not UTF-8"),
        ("one.txt", b"aaaaaaaa".to_vec(), "at least two"),
        ("short.txt", b"ab".to_vec(), "needs at least"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = valley(&[
            "train",
            "--text",
            path.to_str().expect("path"),
            "--steps",
            "1",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(
            stderr.contains(expected) && stderr.contains(name),
            "{name}: {stderr}"
        );
    }
    let out = valley(&[
        "train",
        "--corpus",
        "names",
        "--context",
        "9",
        "--steps",
        "1",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 8"));
}
