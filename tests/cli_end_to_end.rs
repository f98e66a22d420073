//! The `valley` binary as a user runs it, on files made here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;
use valley::engine::io::{DType, NamedTensor, read_safetensors, write_safetensors};

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

fn tensor(name: &str, shape: &[usize], seed: usize) -> NamedTensor {
    let len = shape.iter().product();
    NamedTensor {
        name: name.into(),
        shape: shape.to_vec(),
        data: (0..len)
            .map(|i| (((i + seed) * 37 % 17) as f64 - 8.0) / 10.0)
            .collect(),
    }
}

/// A 2-3-2 model, its data (6 rows, 2 classes) and a direction file, in a temp dir.
struct Files {
    dir: TempDir,
}

impl Files {
    fn new() -> Self {
        let dir = TempDir::new().expect("temp dir");
        let files = Self { dir };
        files.write_weights("w.safetensors", &[2, 3, 2], DType::F64, 0);
        files.write_weights("d1.safetensors", &[2, 3, 2], DType::F32, 5);
        files.write_weights("d2.safetensors", &[2, 3, 2], DType::F32, 9);
        files.write(
            "d.csv",
            "x1,x2,label\n0.5,1,0\n-1,0.25,1\n0,0,1\n2,-1,0\n1,1,1\n-0.5,-2,0\n",
        );
        files
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("write");
    }

    fn write_weights(&self, name: &str, sizes: &[usize], dtype: DType, seed: usize) {
        let mut tensors = Vec::new();
        for (l, pair) in sizes.windows(2).enumerate() {
            tensors.push(tensor(
                &format!("{}.weight", 2 * l),
                &[pair[1], pair[0]],
                seed + l,
            ));
            tensors.push(tensor(&format!("{}.bias", 2 * l), &[pair[1]], seed + 7 * l));
        }
        write_safetensors(&self.path(name), &tensors, dtype).expect("write weights");
    }
}

#[test]
fn inspect_reports_loss_accuracy_and_writes_the_gradient_like_the_weights() {
    let f = Files::new();
    let out = valley(&[
        "inspect",
        "--weights",
        &f.arg("w.safetensors"),
        "--data",
        &f.arg("d.csv"),
        "--activation",
        "tanh",
        "--grad-out",
        &f.arg("g.safetensors"),
        "--json",
    ]);
    let report = json(&out);
    for key in ["loss", "accuracy", "grad_norm", "num_params"] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    assert_eq!(report["num_params"], 2 * 3 + 3 + 3 * 2 + 2);
    let loss = report["loss"].as_f64().expect("number");
    assert!(loss.is_finite() && loss > 0.0);
    let accuracy = report["accuracy"].as_f64().expect("classification");
    assert!((0.0..=1.0).contains(&accuracy) && (accuracy * 6.0).fract() < 1e-9);
    let weights = read_safetensors(&f.path("w.safetensors")).expect("weights");
    let grad = read_safetensors(&f.path("g.safetensors")).expect("gradient");
    assert_eq!(grad.dtype, weights.dtype);
    let shapes = |file: &valley::engine::io::TensorFile| {
        let mut v: Vec<(String, Vec<usize>)> = file
            .tensors
            .iter()
            .map(|t| (t.name.clone(), t.shape.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(shapes(&grad), shapes(&weights));
    let norm: f64 = grad
        .tensors
        .iter()
        .flat_map(|t| &t.data)
        .map(|g| g * g)
        .sum::<f64>()
        .sqrt();
    assert!((norm - report["grad_norm"].as_f64().expect("number")).abs() < 1e-12);
}

#[test]
fn train_prints_json_and_saves_weights_that_inspect_reads() {
    let f = Files::new();
    let out = valley(&[
        "train",
        "--dataset",
        "moons",
        "--arch",
        "2-16-16-2",
        "--activation",
        "tanh",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--steps",
        "600",
        "--seed",
        "1",
        "--batch",
        "64",
        "--weights-out",
        &f.arg("t.safetensors"),
        "--json",
    ]);
    let summary = json(&out);
    for key in [
        "train_loss",
        "test_loss",
        "train_accuracy",
        "test_accuracy",
        "steps",
    ] {
        assert!(summary.get(key).is_some(), "missing {key}: {summary}");
    }
    assert_eq!(summary["steps"], 600);
    assert!(
        summary["train_accuracy"].as_f64().expect("number") > 0.9,
        "{summary}"
    );
    // The saved weights inspect on a CSV of the same kind of data.
    let mut csv = String::from("x1,x2,label\n");
    for i in 0..40 {
        let t = std::f64::consts::PI * f64::from(i) / 39.0;
        csv.push_str(&format!(
            "{},{},0\n{},{},1\n",
            t.cos() - 0.5,
            t.sin() - 0.25,
            0.5 - t.cos(),
            0.25 - t.sin()
        ));
    }
    f.write("moons.csv", &csv);
    let report = json(&valley(&[
        "inspect",
        "--weights",
        &f.arg("t.safetensors"),
        "--data",
        &f.arg("moons.csv"),
        "--activation",
        "tanh",
        "--json",
    ]));
    assert!(
        report["accuracy"].as_f64().expect("number") > 0.9,
        "{report}"
    );
}

#[test]
fn landscape_writes_csv_and_png_around_given_weights() {
    let f = Files::new();
    let out = valley(&[
        "landscape",
        "--weights",
        &f.arg("w.safetensors"),
        "--data",
        &f.arg("d.csv"),
        "--activation",
        "tanh",
        "--direction",
        &f.arg("d1.safetensors"),
        "--direction",
        &f.arg("d2.safetensors"),
        "--res",
        "9",
        "--span",
        "0.5",
        "--csv",
        &f.arg("grid.csv"),
        "--png",
        &f.arg("grid.png"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(f.path("grid.csv")).expect("csv written");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("alpha,beta,loss"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    assert_eq!(rows.len(), 81);
    assert_eq!((rows[0][0], rows[0][1]), (-0.5, -0.5));
    assert_eq!((rows[80][0], rows[80][1]), (0.5, 0.5));
    // The centre row is the loss of the weights themselves.
    let centre = json(&valley(&[
        "inspect",
        "--weights",
        &f.arg("w.safetensors"),
        "--data",
        &f.arg("d.csv"),
        "--activation",
        "tanh",
        "--json",
    ]));
    assert!((rows[40][2] - centre["loss"].as_f64().expect("number")).abs() < 1e-5);
    let png = image::open(f.path("grid.png")).expect("png written");
    assert_eq!((png.width(), png.height()), (900, 760));

    let out = valley(&[
        "landscape",
        "--weights",
        &f.arg("w.safetensors"),
        "--data",
        &f.arg("d.csv"),
        "--activation",
        "tanh",
        "--random",
        "gaussian",
        "--seed",
        "4",
        "--dims",
        "1",
        "--res",
        "11",
        "--csv",
        &f.arg("line.csv"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = std::fs::read_to_string(f.path("line.csv")).expect("csv");
    assert!(line.starts_with("alpha,loss\n-1,"));
    assert_eq!(line.lines().count(), 12);
}

#[test]
fn landscape_of_the_bowl_is_its_formula() {
    let f = Files::new();
    let out = valley(&[
        "landscape",
        "--surface",
        "bowl",
        "--res",
        "5",
        "--span",
        "2",
        "--csv",
        &f.arg("bowl.csv"),
    ]);
    assert!(out.status.success());
    let csv = std::fs::read_to_string(f.path("bowl.csv")).expect("csv");
    for line in csv.lines().skip(1) {
        let v: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().expect("number"))
            .collect();
        assert!((v[2] - (v[0] * v[0] + v[1] * v[1])).abs() < 1e-6, "{line}");
    }
}

#[test]
fn every_command_has_help() {
    for command in [
        vec!["--help"],
        vec!["train", "--help"],
        vec!["inspect", "--help"],
        vec!["landscape", "--help"],
        vec!["filmstrip", "--help"],
        vec!["sharpness", "--help"],
    ] {
        let out = valley(&command);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));
    }
}

/// Writes a safetensors file by hand (for dtypes and damage our writer refuses).
fn raw_safetensors(path: &Path, header: &str, data: &[u8]) {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn bad_input_gets_a_clear_error_naming_the_file_and_no_panic() {
    let f = Files::new();
    f.write_weights("three.safetensors", &[3, 4, 2], DType::F32, 1);
    write_safetensors(
        &f.path("nobias.safetensors"),
        &[tensor("0.weight", &[2, 2], 0)],
        DType::F32,
    )
    .expect("write");
    write_safetensors(
        &f.path("chain.safetensors"),
        &[
            tensor("0.weight", &[3, 2], 0),
            tensor("0.bias", &[3], 0),
            tensor("2.weight", &[2, 4], 0),
            tensor("2.bias", &[2], 0),
        ],
        DType::F32,
    )
    .expect("write");
    raw_safetensors(
        &f.path("f16.safetensors"),
        r#"{"0.weight":{"dtype":"F16","shape":[1,1],"data_offsets":[0,2]}}"#,
        &[0, 0],
    );
    let whole = std::fs::read(f.path("w.safetensors")).expect("read");
    std::fs::write(f.path("cut.safetensors"), &whole[..whole.len() / 2]).expect("write");
    f.write("columns.csv", "x1,x2,label\n1,2,0\n3,1\n");
    f.write("word.csv", "x1,x2,label\n1,2,0\n3,abc,1\n");
    f.write("label.csv", "x1,x2,label\n1,2,0\n3,1,7\n");
    f.write("empty.csv", "");
    std::fs::write(f.path("garbage.csv"), [0xff, 0xfe, 0x00, 0x81, 0x10]).expect("write");
    f.write("three.csv", "x1,x2,x3,label\n1,2,3,0\n");

    let inspect = |weights: &str, data: &str| -> Vec<String> {
        vec![
            "inspect".into(),
            "--weights".into(),
            f.arg(weights),
            "--data".into(),
            f.arg(data),
            "--activation".into(),
            "tanh".into(),
        ]
    };
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            inspect("nobias.safetensors", "d.csv"),
            "nobias.safetensors",
            "bias",
        ),
        (
            inspect("chain.safetensors", "d.csv"),
            "chain.safetensors",
            "chain",
        ),
        (
            inspect("f16.safetensors", "d.csv"),
            "f16.safetensors",
            "float32 or float64",
        ),
        (inspect("cut.safetensors", "d.csv"), "cut.safetensors", ""),
        (
            inspect("missing.safetensors", "d.csv"),
            "missing.safetensors",
            "",
        ),
        (
            inspect("w.safetensors", "columns.csv"),
            "columns.csv",
            "row 3 has 2 column(s) but the header has 3",
        ),
        (
            inspect("w.safetensors", "word.csv"),
            "word.csv",
            "`abc` is not a finite number",
        ),
        (
            inspect("w.safetensors", "label.csv"),
            "label.csv",
            "labels up to 7",
        ),
        (
            inspect("w.safetensors", "empty.csv"),
            "empty.csv",
            "no data",
        ),
        (
            inspect("w.safetensors", "garbage.csv"),
            "garbage.csv",
            "not UTF-8",
        ),
        (
            inspect("w.safetensors", "three.csv"),
            "three.csv",
            "3 feature column(s)",
        ),
        (
            vec![
                "landscape".into(),
                "--weights".into(),
                f.arg("w.safetensors"),
                "--data".into(),
                f.arg("d.csv"),
                "--activation".into(),
                "tanh".into(),
                "--direction".into(),
                f.arg("three.safetensors"),
                "--dims".into(),
                "1".into(),
            ],
            "three.safetensors",
            "",
        ),
        (
            vec![
                "landscape".into(),
                "--surface".into(),
                "bowl".into(),
                "--res".into(),
                "0".into(),
            ],
            "",
            "grid resolution 0",
        ),
        (
            vec![
                "train".into(),
                "--dataset".into(),
                "moons".into(),
                "--lr".into(),
                "-1".into(),
            ],
            "",
            "learning rate -1",
        ),
        (
            vec![
                "train".into(),
                "--dataset".into(),
                "moons".into(),
                "--arch".into(),
                "2-8-5".into(),
            ],
            "",
            "the data needs 2",
        ),
    ];
    for (args, file, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = valley(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains(file),
            "{args:?}: the message does not name {file}: {stderr}"
        );
        assert!(
            stderr.contains(message),
            "{args:?}: expected '{message}' in: {stderr}"
        );
    }
}

#[test]
fn a_saved_session_resumes_exactly_where_it_stopped() {
    let dir = TempDir::new().expect("temp dir");
    let session = dir.path().join("lesson.json");
    let session_arg = session.to_str().expect("utf-8 path");
    let common = [
        "--dataset",
        "moons",
        "--size",
        "300",
        "--batch",
        "32",
        "--json",
    ];
    let first = json(&valley(
        &[
            &["train", "--steps", "150"][..],
            &common,
            &["--save-session", session_arg],
        ]
        .concat(),
    ));
    assert_eq!(first["steps"], 150);
    let resumed = json(&valley(&[
        "train",
        "--session",
        session_arg,
        "--steps",
        "250",
        "--json",
    ]));
    let straight = json(&valley(
        &[&["train", "--steps", "400"][..], &common].concat(),
    ));
    assert_eq!(resumed["steps"], 400);
    for key in ["train_loss", "test_loss", "train_accuracy"] {
        assert_eq!(
            resumed[key], straight[key],
            "{key}: resumed vs uninterrupted"
        );
    }
    // The landscape around a session is drawn where it stands.
    let csv = dir.path().join("slice.csv");
    let output = valley(&[
        "landscape",
        "--session",
        session_arg,
        "--res",
        "11",
        "--csv",
        csv.to_str().expect("utf-8 path"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("after 150 steps"));
    // A session from a newer Valley, or a damaged one, is refused by name.
    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, r#"{"format_version": 3}"#).expect("write");
    let output = valley(&["train", "--session", newer.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("newer than this Valley reads") && stderr.contains("newer.json"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn inspect_reports_the_hessian_spectrum_like_pytorch() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch_ref");
    let report = json(&valley(&[
        "inspect",
        "--weights",
        &format!("{data}/cls_tanh_f64.safetensors"),
        "--data",
        &format!("{data}/cls_data.csv"),
        "--activation",
        "tanh",
        "--hessian",
        "3",
        "--json",
    ]));
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{data}/hessian.json")).expect("reference"),
    )
    .expect("JSON");
    let eigenvalues: Vec<f64> = reference["tanh"]["eigenvalues"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    let top: Vec<f64> = report["hessian_top"]
        .as_array()
        .expect("hessian_top")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    assert_eq!(top.len(), 3);
    for (k, got) in top.iter().enumerate() {
        let want = eigenvalues[eigenvalues.len() - 1 - k];
        assert!(
            (got - want).abs() <= 1e-6 * want.abs(),
            "top {k}: {got} vs {want}"
        );
    }
    let min = report["hessian_min"].as_f64().expect("hessian_min");
    assert!((min - eigenvalues[0]).abs() <= 1e-6 * eigenvalues[0].abs());
    let trace = report["hessian_trace"].as_f64().expect("hessian_trace");
    let want = reference["tanh"]["trace"].as_f64().expect("trace");
    assert!((trace - want).abs() <= 1e-6 * want.abs());
    // K must be at least 1.
    let output = valley(&[
        "inspect",
        "--weights",
        &format!("{data}/cls_tanh_f64.safetensors"),
        "--data",
        &format!("{data}/cls_data.csv"),
        "--activation",
        "tanh",
        "--hessian",
        "0",
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--hessian"));
}

#[test]
fn landscape_along_the_hessian_is_sharp_along_alpha_and_flat_along_beta() {
    let dir = TempDir::new().expect("temp dir");
    let csv = dir.path().join("hessian.csv");
    let output = valley(&[
        "landscape",
        "--dataset",
        "moons",
        "--size",
        "200",
        "--steps",
        "400",
        "--directions",
        "hessian",
        "--res",
        "11",
        "--span",
        "0.5",
        "--csv",
        csv.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("sharpest eigenvalue"), "{stdout}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    let rows: Vec<(f64, f64, f64)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let v: Vec<f64> = line
                .split(',')
                .map(|x| x.parse().expect("number"))
                .collect();
            (v[0], v[1], v[2])
        })
        .collect();
    assert_eq!(rows.len(), 121);
    let at = |a: f64, b: f64| {
        rows.iter()
            .find(|r| (r.0 - a).abs() < 1e-6 && (r.1 - b).abs() < 1e-6)
            .expect("grid point")
            .2
    };
    let centre = at(0.0, 0.0);
    // The loss rises far more along the sharpest direction than along the flattest.
    let rise_alpha = at(0.5, 0.0) + at(-0.5, 0.0) - 2.0 * centre;
    let rise_beta = at(0.0, 0.5) + at(0.0, -0.5) - 2.0 * centre;
    assert!(
        rise_alpha > 10.0 * rise_beta.abs(),
        "α {rise_alpha} vs β {rise_beta}"
    );
}

#[test]
fn landscape_along_the_trajectory_pca_and_the_interpolation_line() {
    let output = valley(&[
        "landscape",
        "--dataset",
        "moons",
        "--size",
        "200",
        "--steps",
        "600",
        "--directions",
        "pca",
        "--res",
        "11",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "the two components explain 90.8 % and 6.8 % of its variance"
    let shares: Vec<f64> = stdout
        .split("explain ")
        .nth(1)
        .expect("the explained variance")
        .split(" % ")
        .take(2)
        .map(|s| s.trim_start_matches("and ").parse().expect("a percentage"))
        .collect();
    assert!(
        shares[0] >= shares[1] && shares[0] + shares[1] <= 100.0 + 1e-9,
        "{shares:?}"
    );
    assert!(
        shares[0] + shares[1] > 50.0,
        "a descent moves mostly in a plane: {shares:?}"
    );

    let dir = TempDir::new().expect("temp dir");
    let csv = dir.path().join("line.csv");
    let output = valley(&[
        "landscape",
        "--dataset",
        "moons",
        "--size",
        "200",
        "--steps",
        "600",
        "--directions",
        "interpolate",
        "--res",
        "21",
        "--csv",
        csv.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("barrier"), "{stdout}");
    // α = −1 is the start and α = 1 the end: training lowered the loss.
    let rows: Vec<(f64, f64)> = std::fs::read_to_string(&csv)
        .expect("csv")
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').expect("two columns");
            (a.parse().expect("alpha"), b.parse().expect("loss"))
        })
        .collect();
    let at = |alpha: f64| {
        rows.iter()
            .find(|r| (r.0 - alpha).abs() < 1e-6)
            .expect("point")
            .1
    };
    assert!(at(1.0) < at(-1.0), "start {} end {}", at(-1.0), at(1.0));
    // Interpolation needs a run to interpolate along.
    let output = valley(&["landscape", "--surface", "bowl", "--directions", "pca"]);
    assert!(!output.status.success());
}
