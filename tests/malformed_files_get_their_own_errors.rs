//! One table of the broken files users really bring (truncated downloads,
//! the wrong file, a model from another project, a damaged session), each
//! mapped to the error that names what is wrong. None may panic.

use std::path::Path;

use valley::engine::data::{DataError, load_csv, parse_csv};
use valley::engine::io::{
    DType, IoError, NamedTensor, parse_safetensors, sequential_from_file, tensors_to_bytes,
};
use valley::engine::nn::Activation;
use valley::engine::problem::ProblemSpec;
use valley::engine::session::{SessionError, load_session};

/// One row of a table: what is wrong, the input, the expected error, a
/// fragment its message must contain.
type Case<'a, Input, Error> = (&'a str, Input, fn(&Error) -> bool, &'a str);

/// A valid 2-3-2 nn.Sequential as safetensors bytes.
fn model_bytes(weights: &[(&str, &[usize], f64)]) -> Vec<u8> {
    let tensors: Vec<NamedTensor> = weights
        .iter()
        .map(|&(name, shape, value)| NamedTensor {
            name: name.into(),
            shape: shape.to_vec(),
            data: vec![value; shape.iter().product()],
        })
        .collect();
    tensors_to_bytes(&tensors, DType::F32).expect("valid tensors")
}

fn good_model() -> Vec<u8> {
    model_bytes(&[
        ("0.weight", &[3, 2], 0.1),
        ("0.bias", &[3], 0.0),
        ("2.weight", &[2, 3], 0.2),
        ("2.bias", &[2], 0.0),
    ])
}

/// safetensors bytes with this JSON header and these data bytes.
fn raw(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// Parses as safetensors and maps to an nn.Sequential; the first error.
fn safetensors_error(bytes: &[u8]) -> IoError {
    let file = match parse_safetensors(bytes, "model.safetensors") {
        Ok(file) => file,
        Err(e) => return e,
    };
    sequential_from_file(&file, "model.safetensors").expect_err("should be refused")
}

#[test]
fn malformed_safetensors_files() {
    let good = good_model();
    let cases: Vec<Case<Vec<u8>, IoError>> = vec![
        (
            "empty file",
            vec![],
            |e| matches!(e, IoError::TooShort { .. }),
            "too short",
        ),
        (
            "truncated in the data",
            good[..good.len() - 5].to_vec(),
            |e| matches!(e, IoError::TruncatedData { .. }),
            "truncated",
        ),
        (
            "header length past the end",
            {
                let mut b = good.clone();
                b[..8].copy_from_slice(&10_000u64.to_le_bytes());
                b
            },
            |e| matches!(e, IoError::HeaderPastEnd { .. }),
            "says its header is 10000 bytes",
        ),
        (
            "a header claiming a huge tensor",
            raw(
                r#"{"0.weight":{"dtype":"F32","shape":[4000000000,4000000000],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
            |e| {
                matches!(
                    e,
                    IoError::TooManyParams { .. } | IoError::DataLength { .. }
                )
            },
            "",
        ),
        (
            "not JSON in the header",
            raw("{this is not json}", &[]),
            |e| matches!(e, IoError::InvalidHeader { .. }),
            "invalid safetensors header",
        ),
        (
            "shapes that do not chain",
            model_bytes(&[
                ("0.weight", &[3, 2], 0.1),
                ("0.bias", &[3], 0.0),
                ("2.weight", &[2, 4], 0.2),
                ("2.bias", &[2], 0.0),
            ]),
            |e| matches!(e, IoError::ShapesDontChain { .. }),
            "",
        ),
        (
            "NaN weights",
            {
                // Valley refuses to write NaN, so it is patched into the bytes.
                let mut b = good.clone();
                let header = u64::from_le_bytes(b[..8].try_into().expect("8 bytes")) as usize;
                b[8 + header..12 + header].copy_from_slice(&f32::NAN.to_le_bytes());
                b
            },
            |e| matches!(e, IoError::NonFinite { .. }),
            "NaN or infinite",
        ),
        (
            "binary garbage",
            (0..200u32).map(|i| (i * 97 % 251) as u8).collect(),
            |_| true,
            "model.safetensors",
        ),
    ];
    for (what, bytes, is_expected, text) in cases {
        let error = safetensors_error(&bytes);
        assert!(is_expected(&error), "{what}: unexpected error {error:?}");
        let message = error.to_string();
        assert!(message.contains(text), "{what}: {message}");
        assert!(
            message.contains("model.safetensors"),
            "{what}: the file is named: {message}"
        );
    }
}

#[test]
fn malformed_csv_files() {
    let binary: String = (0..300u32)
        .map(|i| char::from((i * 53 % 32) as u8))
        .collect();
    let cases: Vec<Case<String, DataError>> = vec![
        (
            "empty file",
            String::new(),
            |e| {
                matches!(
                    e,
                    DataError::Empty { .. }
                        | DataError::MissingHeader { .. }
                        | DataError::BadHeader { .. }
                )
            },
            "data.csv",
        ),
        (
            "header only",
            "x1,x2,label\n".into(),
            |e| matches!(e, DataError::Empty { .. }),
            "no data rows",
        ),
        (
            "wrong column count",
            "x1,x2,label\n0.1,0.2,1\n0.3,1\n".into(),
            |e| matches!(e, DataError::ColumnCount { .. }),
            "row 3 has 2 column(s)",
        ),
        (
            "a word where a number goes",
            "x1,x2,label\n0.1,abc,1\n".into(),
            |e| matches!(e, DataError::NotANumber { .. }),
            "`abc` is not a finite number",
        ),
        (
            "NaN in the data",
            "x1,x2,label\n0.1,NaN,1\n".into(),
            |e| {
                matches!(
                    e,
                    DataError::NotFinite { .. } | DataError::NotANumber { .. }
                )
            },
            "NaN",
        ),
        (
            "a fractional label",
            "x1,x2,label\n0.1,0.2,1.5\n".into(),
            |e| matches!(e, DataError::BadLabel { .. }),
            "label `1.5`",
        ),
        (
            "no header",
            "0.1,0.2,1\n0.3,0.4,0\n".into(),
            |e| matches!(e, DataError::MissingHeader { .. }),
            "is data, not a header",
        ),
        ("binary garbage", binary, |_| true, "data.csv"),
    ];
    for (what, text, is_expected, fragment) in cases {
        let error = parse_csv(&text, "data.csv").expect_err(what);
        assert!(is_expected(&error), "{what}: unexpected error {error:?}");
        let message = error.to_string();
        assert!(message.contains(fragment), "{what}: {message}");
    }
    // Bytes that are not text at all, from a file.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("image.csv");
    std::fs::write(&path, [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]).expect("write");
    let error = load_csv(&path).expect_err("not text");
    assert!(matches!(error, DataError::Unreadable { .. }), "{error:?}");
    assert!(error.to_string().contains("image.csv"), "{error}");
}

#[test]
fn malformed_sessions_and_models_that_do_not_fit_their_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let cases: Vec<Case<&str, SessionError>> = vec![
        (
            "empty file",
            "",
            |e| matches!(e, SessionError::Malformed { .. }),
            "not a readable Valley session",
        ),
        (
            "missing fields",
            r#"{"format_version": 1, "written_by": "valley"}"#,
            |e| matches!(e, SessionError::Malformed { .. }),
            "missing field `problem`",
        ),
        (
            "a newer format",
            r#"{"format_version": 42}"#,
            |e| matches!(e, SessionError::NewerFormat { found: 42, .. }),
            "update Valley",
        ),
        (
            "not a session",
            r#"[1, 2, 3]"#,
            |e| matches!(e, SessionError::Malformed { .. }),
            "not a readable Valley session",
        ),
        (
            "binary garbage",
            "\u{1}\u{2}\u{3}PK\u{4}",
            |e| matches!(e, SessionError::Malformed { .. }),
            "not a readable Valley session",
        ),
    ];
    for (what, text, is_expected, fragment) in cases {
        let path = write("session.json", text);
        let error = load_session(&path).expect_err(what);
        assert!(is_expected(&error), "{what}: unexpected error {error:?}");
        let message = error.to_string();
        assert!(
            message.contains(fragment) && message.contains("session.json"),
            "{what}: {message}"
        );
    }
    // A model whose input layer does not match the data's columns.
    let weights = dir.path().join("model.safetensors");
    std::fs::write(&weights, good_model()).expect("write");
    let data = write("three.csv", "x1,x2,x3,label\n0,0,0,1\n1,1,1,0\n");
    let spec = ProblemSpec::Imported {
        weights: weights.clone(),
        data,
        test_fraction: 0.0,
        data_seed: 0,
        activation: Activation::Tanh,
    };
    let message = format!("{:#}", spec.build().err().expect("does not fit"));
    assert!(
        message.contains("three.csv") && message.contains("model.safetensors"),
        "{message}"
    );
    assert!(
        message.contains("3 feature column(s)") && message.contains("2 input(s)"),
        "{message}"
    );
    assert!(Path::new(&weights).exists());
}

#[test]
fn fuzzer_findings_stay_harmless() {
    // Inputs kept from `cargo fuzz` runs (see fuzz/README.md); each must parse
    // or be refused, without a panic. Every file is named after the reader
    // it was found with, and the folder is never empty: a test that reads
    // nothing would pass whatever happened.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fuzz");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).expect("the findings folder") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("readable");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let reader = name.split(['-', '.']).next().unwrap_or_default();
        match reader {
            "csv" => {
                let _ = parse_csv(&String::from_utf8_lossy(&bytes), name);
            }
            "safetensors" => {
                if let Ok(file) = parse_safetensors(&bytes, name) {
                    let _ = sequential_from_file(&file, name);
                }
            }
            "session" => session_round_trip(&bytes, &path),
            "png_scene" => {
                if let Ok(scene) = valley::app::Scene::from_png_bytes(&bytes, &path) {
                    let _ = scene.settings.checked();
                }
            }
            "scene_json" => {
                if let Ok(scene) = valley::app::Scene::from_json(&String::from_utf8_lossy(&bytes)) {
                    let _ = scene.settings.checked();
                }
            }
            other => panic!("{name}: no reader is named `{other}`"),
        }
        read += 1;
    }
    assert!(read > 0, "the findings folder is empty");
}

/// What the `session` fuzz target does with a finding: parse, build,
/// restore, step, save with `save_session`, and then a session that was
/// written must reopen and restore into its own problem.
fn session_round_trip(bytes: &[u8], path: &Path) {
    use valley::engine::session::{Session, parse_session, save_session};
    use valley::engine::train::Run;
    let Ok(session) = parse_session(bytes, path) else {
        return;
    };
    let Ok(problem) = session.problem.build() else {
        return;
    };
    let Ok(mut run) = Run::new(std::sync::Arc::clone(&problem), session.train) else {
        return;
    };
    if run.restore(session.run).is_err() {
        return;
    }
    for _ in 0..4 {
        run.step();
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let saved_path = dir.path().join("saved.json");
    let saved = Session::new(
        session.problem.clone(),
        session.train,
        run.save(),
        serde_json::Value::Null,
    );
    if save_session(&saved, &saved_path).is_err() {
        return;
    }
    let reopened = load_session(&saved_path)
        .unwrap_or_else(|e| panic!("{}: a saved session does not reopen: {e}", path.display()));
    let mut again = Run::new(problem, reopened.train).expect("the same config");
    again
        .restore(reopened.run)
        .unwrap_or_else(|e| panic!("{}: does not restore: {e}", path.display()));
}

/// A session Valley itself wrote (moons, 2-8-2, minibatches of 16, 40 steps)
/// as JSON, for the rows below to mutate.
fn written_session() -> serde_json::Value {
    use valley::app::Settings;
    use valley::engine::data::DatasetKind;
    use valley::engine::session::Session;
    use valley::engine::train::{Run, TrainConfig};
    let settings = Settings {
        problem: valley::app::ProblemChoice::Dataset(DatasetKind::Moons),
        dataset_size: 200,
        hidden_layers: 1,
        width: 8,
        ..Settings::default()
    };
    let spec = settings.problem_spec().expect("spec");
    let config = TrainConfig {
        batch_size: Some(16),
        ..TrainConfig::default()
    };
    let mut run = Run::new(spec.build().expect("builds"), config).expect("run");
    for _ in 0..40 {
        run.step();
    }
    let session = Session::new(
        spec,
        config,
        run.save(),
        serde_json::to_value(&settings).expect("view"),
    );
    serde_json::to_value(&session).expect("json")
}

/// A scene Valley itself wrote (the demo at step 250), as JSON.
fn written_scene() -> serde_json::Value {
    let scene = valley::app::Scene::new(&valley::app::Settings::default(), 250);
    serde_json::from_str(&scene.to_json()).expect("json")
}

/// A 1 × 1 PNG whose `valley-scene` iTXt chunk holds `text`, compressed or not.
fn png_with_scene(text: String, compressed: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 1, 1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("header");
    let mut chunk = png::text_metadata::ITXtChunk::new("valley-scene", text);
    chunk.compressed = compressed;
    writer.write_text_chunk(&chunk).expect("chunk");
    writer.write_image_data(&[0, 0, 0]).expect("pixels");
    writer.finish().expect("finish");
    bytes
}

/// Files from strangers: each row mutates a file Valley wrote (a session, a
/// `.json` scene, a PNG figure) the way a damaged or hostile copy might, and
/// opens it through the one reader every door uses (`--open`, Open…,
/// drag-and-drop, the autosave offer). Each is refused, at once, with the
/// file, the field, the value and the limit; none drives a loop, an
/// allocation or a thread first.
#[test]
fn files_from_strangers_are_refused_before_a_number_in_them_drives_work() {
    use serde_json::json;
    use valley::app::{Opened, Settings};
    // The error, without printing a whole session when a row is wrongly accepted.
    let refused =
        |path: &Path, current: &Settings, what: &str| match valley::app::read_file(path, current) {
            Ok(_) => panic!("{what}: opened"),
            Err(e) => format!("{e:#}"),
        };
    let read_file = valley::app::read_file;
    type Mutation = fn(&mut serde_json::Value);
    let session_rows: Vec<(&str, Mutation, &str)> = vec![
        (
            "a format-1 session asking to replay 10^12 shuffles",
            |s| {
                s["format_version"] = json!(1);
                s["run"]["shuffle_position"] = json!(null);
                s["run"]["shuffles"] = json!(1_000_000_000_000u64);
            },
            "run.shuffles × training examples is 160000000000000, past the limit of 20000000",
        ),
        (
            "a format-1 session asking to replay 2^64 - 1 shuffles",
            |s| {
                s["format_version"] = json!(1);
                s["run"]["shuffle_position"] = json!(null);
                s["run"]["shuffles"] = json!(u64::MAX);
            },
            "run.shuffles × training examples",
        ),
        (
            "a step counter at 2^64 - 1",
            |s| s["run"]["step"] = json!(u64::MAX),
            "run.step is 18446744073709551615, past the limit of 1000000000000",
        ),
        (
            "the optimiser's step counter near 2^64",
            |s| s["run"]["optimizer"]["steps"] = json!(u64::MAX - 1),
            "run.optimizer.steps is 18446744073709551614",
        ),
        (
            "a loss curve that claims 2^64 - 1 steps offered",
            |s| s["run"]["history"]["offered"] = json!(u64::MAX),
            "run.history is damaged",
        ),
        (
            "a network of 63 hidden layers of 4,096",
            |s| s["problem"]["hidden"] = json!(vec![4096; 63]),
            "more than the 5000000 any model may have",
        ),
        (
            "a thousand hidden layers",
            |s| s["problem"]["hidden"] = json!(vec![8; 1000]),
            "more than 64 hidden layers, the limit",
        ),
        (
            "a dataset of 2^64 - 1 points",
            |s| s["problem"]["data"]["size"] = json!(u64::MAX),
            "must be between 2 and 1000000",
        ),
        (
            "a batch order of two million examples",
            |s| s["run"]["order"] = json!(vec![0; 2_000_000]),
            "more than 1000000 training examples, the limit",
        ),
        (
            "a parameter vector of six million values",
            |s| s["run"]["params"] = json!(vec![0; 6_000_000]),
            "more than 5000000 parameters, the limit",
        ),
        (
            "a view block of two megabytes",
            |s| s["view"] = json!({ "padding": " ".repeat(2 << 20) }),
            "view block of 2097",
        ),
        (
            "a negative learning rate",
            |s| s["train"]["optimizer"]["lr"] = json!(-1.0),
            "learning rate -1 must be a positive number",
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let current = Settings::default();
    let mut rows = 0;
    for (what, mutate, fragment) in session_rows {
        let mut session = written_session();
        mutate(&mut session);
        let path = dir.path().join("lesson.json");
        std::fs::write(&path, serde_json::to_vec(&session).expect("json")).expect("write");
        let error = refused(&path, &current, what);
        assert!(
            error.contains(fragment) && error.contains("lesson.json"),
            "{what}: {error}"
        );
        rows += 1;
    }

    let scene_rows: Vec<(&str, Mutation, &str)> = vec![
        (
            "a scene at step 10^15",
            |s| s["step"] = json!(1_000_000_000_000_000u64),
            "its step is 1000000000000000, past the limit of 1000000000000",
        ),
        (
            "a scene with 63 hidden layers of 4,096",
            |s| {
                s["settings"]["hidden_layers"] = json!(63);
                s["settings"]["width"] = json!(4096);
            },
            "hidden_layers × width is 63 × 4096",
        ),
        (
            "a scene with 2^64 - 1 hidden layers",
            |s| s["settings"]["hidden_layers"] = json!(u64::MAX),
            "hidden_layers is 18446744073709551615; a network has 1 to 63 hidden layers",
        ),
        (
            "a race of a thousand lanes",
            |s| s["settings"]["race"] = json!(vec!["adam"; 1000]),
            "race is 1000 lanes; a race has at most 6 lanes",
        ),
        (
            "a negative speed",
            |s| s["settings"]["steps_per_second"] = json!(-5.0),
            "steps_per_second is -5",
        ),
        (
            "a million points per axis",
            |s| s["settings"]["resolution"] = json!(1_000_000),
            "resolution is 1000000; a slice has 1 to 2001 points per axis",
        ),
        (
            "ten million points of data",
            |s| s["settings"]["dataset_size"] = json!(10_000_000),
            "dataset_size is 10000000; the app shows 2 to 20000 points",
        ),
        (
            "a span of zero",
            |s| s["settings"]["span"] = json!(0.0),
            "span is 0; it must be a positive number",
        ),
    ];
    for (what, mutate, fragment) in scene_rows {
        let mut scene = written_scene();
        mutate(&mut scene);
        let text = serde_json::to_string(&scene).expect("json");
        // The same scene as a `.json` file and inside a PNG figure.
        let json_path = dir.path().join("scene.json");
        std::fs::write(&json_path, &text).expect("write");
        let png_path = dir.path().join("figure.png");
        std::fs::write(&png_path, png_with_scene(text, true)).expect("write");
        for path in [&json_path, &png_path] {
            let error = refused(path, &current, what);
            let name = path.file_name().and_then(|n| n.to_str()).expect("name");
            assert!(
                error.contains(fragment) && error.contains(name),
                "{what} ({name}): {error}"
            );
            rows += 1;
        }
    }

    // Sizes: a PNG whose scene inflates to 64 MiB, a `.json` scene of 2 MiB,
    // a session of 200 MiB and a PNG of 300 MiB are refused before they are
    // read or inflated whole.
    let bomb = dir.path().join("bomb.png");
    std::fs::write(&bomb, png_with_scene("\0".repeat(64 << 20), true)).expect("write");
    let bomb_bytes = std::fs::metadata(&bomb).expect("size").len();
    assert!(bomb_bytes < 1 << 20, "a small file: {bomb_bytes}");
    let error = refused(&bomb, &current, "bomb");
    assert!(
        error.contains("inflates past 1048576 bytes") && error.contains("bomb.png"),
        "{error}"
    );
    let long_scene = dir.path().join("long.json");
    let mut scene = written_scene();
    scene["settings"]["film_steps"] = json!(" ".repeat(2 << 20));
    std::fs::write(&long_scene, serde_json::to_vec(&scene).expect("json")).expect("write");
    let error = refused(&long_scene, &current, "long");
    assert!(
        error.contains("more than the 1048576 bytes a scene may have"),
        "{error}"
    );
    let sparse = |name: &str, bytes: u64, head: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, head).expect("head");
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(bytes))
            .expect("sparse file");
        path
    };
    let big_session = sparse("big.json", 200 << 20, b"{\"format_version\": 2");
    let error = refused(&big_session, &current, "big");
    assert!(error.contains("more than any Valley session"), "{error}");
    let big_png = sparse("big.png", 300 << 20, &png_with_scene("{}".into(), false));
    let error = refused(&big_png, &current, "big png");
    assert!(error.contains("more than the 268435456 bytes"), "{error}");
    rows += 4;

    // What is within the limits still opens, whatever the file is called: a
    // session named .png, a scene whose speed a slider could set is brought
    // into range and says so, and a format-2 session's generator position is
    // restored in constant time however far it has run.
    let session = written_session();
    let renamed = dir.path().join("session.png");
    std::fs::write(&renamed, serde_json::to_vec(&session).expect("json")).expect("write");
    assert!(matches!(
        read_file(&renamed, &current).expect("a session, by its content"),
        Opened::Session { .. }
    ));
    let mut fast = written_scene();
    fast["settings"]["steps_per_second"] = json!(1e9);
    let fast_path = dir.path().join("fast.json");
    std::fs::write(&fast_path, serde_json::to_vec(&fast).expect("json")).expect("write");
    match read_file(&fast_path, &current).expect("brought into range") {
        Opened::Scene { scene, adjusted } => {
            assert_eq!(scene.settings.steps_per_second, Some(2000.0));
            assert_eq!(
                adjusted,
                vec!["steps per second 1000000000 → 2000".to_string()]
            );
        }
        other => panic!("not a scene: {other:?}"),
    }
    let mut far = written_session();
    far["run"]["shuffle_position"] = json!(u64::MAX);
    let far_path = dir.path().join("far.json");
    std::fs::write(&far_path, serde_json::to_vec(&far).expect("json")).expect("write");
    assert!(matches!(
        read_file(&far_path, &current).expect("opens"),
        Opened::Session { .. }
    ));
    rows += 3;
    assert_eq!(
        rows, 35,
        "the files in the table, as the README counts them"
    );
}
