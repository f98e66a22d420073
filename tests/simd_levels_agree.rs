//! The binary is built for the x86-64 baseline and picks its kernels' SIMD
//! level at run time (valley_engine::simd). Every level this CPU has must
//! give the same landscape and the same training run, to rounding: FMA
//! rounds once where the baseline rounds twice, nothing more.

use std::process::Command;

use tempfile::TempDir;

/// `valley args` with `VALLEY_SIMD` capping the level; its stdout.
fn valley_at(level: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_valley"))
        .env("VALLEY_SIMD", level)
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "VALLEY_SIMD={level} valley {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The loss column of a landscape CSV.
fn losses(csv: &str) -> Vec<f64> {
    csv.lines()
        .skip(1)
        .map(|line| {
            line.rsplit(',')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a number in the last column")
        })
        .collect()
}

fn train_loss(json: &str) -> f64 {
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    value["train_loss"].as_f64().expect("train_loss")
}

#[test]
fn every_simd_level_draws_the_same_landscape_and_trains_the_same_run() {
    let dir = TempDir::new().expect("temp dir");
    let mut grids = Vec::new();
    let mut runs = Vec::new();
    for level in ["baseline", "avx2", "avx512"] {
        for activation in ["tanh", "gelu"] {
            let csv = dir.path().join(format!("{level}-{activation}.csv"));
            let csv_arg = csv.to_str().expect("path");
            valley_at(
                level,
                &[
                    "landscape",
                    "--dataset",
                    "moons",
                    "--size",
                    "300",
                    "--activation",
                    activation,
                    "--res",
                    "15",
                    "--csv",
                    csv_arg,
                ],
            );
            let text = std::fs::read_to_string(&csv).expect("the CSV");
            grids.push((level, activation, losses(&text)));
        }
        let json = valley_at(
            level,
            &[
                "train",
                "--dataset",
                "moons",
                "--size",
                "300",
                "--steps",
                "300",
                "--json",
            ],
        );
        runs.push((level, train_loss(&json)));
        let reported: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let reported = reported["simd"].as_str().expect("simd").to_string();
        // Capped at what the CPU has: never above the level asked for.
        let order = ["baseline", "avx2", "avx512"];
        let rank = |name: &str| order.iter().position(|l| *l == name).expect("a level");
        assert!(
            rank(&reported) <= rank(level),
            "asked for {level}, ran {reported}"
        );
        let json = valley_at(
            level,
            &[
                "train",
                "--corpus",
                "names",
                "--context",
                "2",
                "--embed",
                "4",
                "--hidden",
                "16",
                "--steps",
                "100",
                "--json",
            ],
        );
        runs.push((level, train_loss(&json)));
    }
    for (level, activation, values) in &grids {
        let (_, _, baseline) = grids
            .iter()
            .find(|(l, a, _)| *l == "baseline" && a == activation)
            .expect("the baseline grid");
        assert_eq!(values.len(), 15 * 15);
        for (got, want) in values.iter().zip(baseline) {
            assert!(
                (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                "{level} {activation}: {got} against the baseline's {want}"
            );
        }
    }
    for (k, (level, loss)) in runs.iter().enumerate() {
        let (_, want) = runs[k % 2];
        assert!(
            (loss - want).abs() <= 1e-3 * want.abs().max(1.0),
            "{level}: training loss {loss} against the baseline's {want}"
        );
    }
}
