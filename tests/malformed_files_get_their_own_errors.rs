//! One table of the broken files users really bring (truncated downloads,
//! the wrong file, a model from another project, a damaged session), each
//! mapped to the error that names what is wrong. None may panic.

use std::path::Path;

use valley::engine::data::{DataError, load_csv, parse_csv};
use valley::engine::io::{
    DType, IoError, NamedTensor, SessionError, load_session, parse_safetensors,
    sequential_from_file, tensors_to_bytes,
};
use valley::engine::nn::Activation;
use valley::engine::problem::ProblemSpec;

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
    // or be refused, without a panic.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fuzz");
    for entry in std::fs::read_dir(dir).expect("the findings folder") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("readable");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("csv") {
            let _ = parse_csv(&String::from_utf8_lossy(&bytes), name);
        } else if name.starts_with("safetensors") {
            if let Ok(file) = parse_safetensors(&bytes, name) {
                let _ = sequential_from_file(&file, name);
            }
        } else if name.starts_with("session") {
            let _ = valley::engine::io::parse_session(&bytes, &path);
        }
    }
}
