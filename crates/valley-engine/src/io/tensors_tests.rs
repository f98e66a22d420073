//! Tests for safetensors reading and writing: round trips, compatibility with
//! the reference `safetensors` crate both ways, one malformed file per error,
//! and fuzzing that the parser never panics.

use std::path::Path;

use proptest::prelude::*;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::*;

const SOURCE: &str = "test.safetensors";

/// A safetensors file from a header written by hand and raw data bytes.
fn raw_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn tensor(name: &str, shape: &[usize], data: &[f64]) -> NamedTensor {
    NamedTensor {
        name: name.to_owned(),
        shape: shape.to_vec(),
        data: data.to_vec(),
    }
}

fn sample_tensors() -> Vec<NamedTensor> {
    vec![
        tensor("0.weight", &[2, 3], &[0.5, -1.25, 3.0, 0.0, -0.0, 1024.0]),
        tensor("0.bias", &[2], &[0.125, -7.5]),
        tensor("scalar", &[], &[42.0]),
        tensor("empty", &[0, 3], &[]),
    ]
}

fn write_and_read(tensors: &[NamedTensor], dtype: DType) -> TensorFile {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.safetensors");
    write_safetensors(&path, tensors, dtype).expect("write");
    read_safetensors(&path).expect("read back")
}

#[test]
fn f64_round_trip_is_bit_exact_and_keeps_names_shapes_and_order() {
    let awkward = [0.1, -1.0 / 3.0, f64::MIN_POSITIVE, 5e-324, 1e300, -f64::MAX];
    let mut tensors = sample_tensors();
    tensors.push(tensor("awkward", &[3, 2], &awkward));

    let read = write_and_read(&tensors, DType::F64);

    assert_eq!(read.dtype, DType::F64);
    assert_eq!(read.tensors.len(), tensors.len());
    for (got, want) in read.tensors.iter().zip(&tensors) {
        assert_eq!(got.name, want.name);
        assert_eq!(got.shape, want.shape);
        let got_bits: Vec<u64> = got.data.iter().map(|v| v.to_bits()).collect();
        let want_bits: Vec<u64> = want.data.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got_bits, want_bits, "tensor {}", want.name);
    }
}

#[test]
fn f32_round_trip_is_exact_for_f32_values() {
    let representable = [
        f64::from(f32::MAX),
        f64::from(f32::MIN_POSITIVE),
        f64::from(1e-45_f32),
        f64::from(0.1_f32),
    ];
    let mut tensors = sample_tensors();
    tensors.push(tensor("edge", &[4], &representable));

    let read = write_and_read(&tensors, DType::F32);

    assert_eq!(read.dtype, DType::F32);
    assert_eq!(read.tensors, tensors);
}

#[test]
fn f32_writing_rounds_to_nearest_f32() {
    let read = write_and_read(&[tensor("t", &[2], &[0.1, -2.0 / 3.0])], DType::F32);
    assert_eq!(
        read.tensors[0].data,
        vec![f64::from(0.1_f32), f64::from(-2.0_f32 / 3.0)]
    );
}

#[test]
fn written_header_carries_pt_metadata_and_aligns_data() {
    let bytes = tensors_to_bytes(&sample_tensors(), DType::F32).expect("encode");
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    assert_eq!(header_len % 8, 0);
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + header_len]).expect("header is JSON");
    assert_eq!(header["__metadata__"]["format"], "pt");
    assert_eq!(header["0.weight"]["dtype"], "F32");
    assert_eq!(
        header["0.weight"]["data_offsets"],
        serde_json::json!([0, 24])
    );
}

#[test]
fn our_bytes_are_read_by_the_safetensors_crate() {
    let tensors = sample_tensors();
    for dtype in [DType::F32, DType::F64] {
        let bytes = tensors_to_bytes(&tensors, dtype).expect("encode");
        let reference = SafeTensors::deserialize(&bytes).expect("reference crate reads it");
        assert_eq!(reference.len(), tensors.len());
        for want in &tensors {
            let view = reference.tensor(&want.name).expect("tensor present");
            assert_eq!(view.shape(), &want.shape[..]);
            let (expected_dtype, expected_bytes) = match dtype {
                DType::F32 => {
                    let narrowed: Vec<f32> = want.data.iter().map(|&v| v as f32).collect();
                    (Dtype::F32, f32_bytes(&narrowed))
                }
                DType::F64 => (Dtype::F64, f64_bytes(&want.data)),
            };
            assert_eq!(view.dtype(), expected_dtype);
            assert_eq!(view.data(), &expected_bytes[..]);
        }
    }
}

#[test]
fn bytes_from_the_safetensors_crate_are_read_by_ours() {
    let weight = f32_bytes(&[1.0, -2.0, 3.5, 0.25]);
    let bias = f64_bytes(&[0.1, -0.2]);
    let views = vec![
        (
            "net.0.weight",
            TensorView::new(Dtype::F32, vec![2, 2], &weight).expect("view"),
        ),
        (
            "net.0.bias",
            TensorView::new(Dtype::F64, vec![2], &bias).expect("view"),
        ),
    ];
    let metadata = Some([("format".to_owned(), "pt".to_owned())].into());
    let bytes = safetensors::serialize(views, metadata).expect("reference serializes");

    let file = parse_safetensors(&bytes, SOURCE).expect("ours reads it");

    assert_eq!(
        file.dtype,
        DType::F64,
        "mixed file reports the widest dtype"
    );
    let find = |name: &str| {
        file.tensors
            .iter()
            .find(|t| t.name == name)
            .expect("tensor present")
    };
    assert_eq!(find("net.0.weight").shape, vec![2, 2]);
    assert_eq!(find("net.0.weight").data, vec![1.0, -2.0, 3.5, 0.25]);
    assert_eq!(find("net.0.bias").data, vec![0.1, -0.2]);
}

#[test]
fn tensors_come_back_in_data_order_not_header_order() {
    let data = f32_bytes(&[1.0, 2.0, 3.0]);
    let header = r#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},
                     "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let file = parse_safetensors(&raw_file(header, &data), SOURCE).expect("valid");
    let names: Vec<&str> = file.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(file.tensors[1].data, vec![3.0]);
}

#[test]
fn a_file_with_no_tensors_parses_as_empty_f32() {
    let file = parse_safetensors(&raw_file("{}      ", &[]), SOURCE).expect("valid");
    assert!(file.tensors.is_empty());
    assert_eq!(file.dtype, DType::F32);
}

type Check = fn(&IoError) -> bool;

/// One malformed file per defect the parser must name.
fn malformed_files() -> Vec<(&'static str, Vec<u8>, Check)> {
    let entry = |dtype: &str, shape: &str, begin: u64, end: u64| {
        format!(r#"{{"t":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[{begin},{end}]}}}}"#)
    };
    let two_tensors = |a: (u64, u64), b: (u64, u64)| {
        format!(
            r#"{{"a":{{"dtype":"F32","shape":[2],"data_offsets":[{},{}]}},
                "b":{{"dtype":"F32","shape":[2],"data_offsets":[{},{}]}}}}"#,
            a.0, a.1, b.0, b.1
        )
    };
    let huge_header = format!("{{}}{}", " ".repeat(MAX_HEADER_BYTES));
    let many_tensors = {
        let entries: Vec<String> = (0..=MAX_TENSORS)
            .map(|i| format!(r#""t{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#))
            .collect();
        format!("{{{}}}", entries.join(","))
    };
    let mut past_end = 100u64.to_le_bytes().to_vec();
    past_end.extend_from_slice(b"{}");
    let mut max_len = u64::MAX.to_le_bytes().to_vec();
    max_len.extend_from_slice(b"{}");
    let mut not_utf8 = 5u64.to_le_bytes().to_vec();
    not_utf8.extend_from_slice(b"{\"\xff\"}");
    let eight = f32_bytes(&[1.0, 2.0]);
    let sixteen = f32_bytes(&[1.0, 2.0, 3.0, 4.0]);

    vec![
        ("empty file", vec![], |e| {
            matches!(e, IoError::TooShort { bytes: 0, .. })
        }),
        ("5 bytes", vec![1, 2, 3, 4, 5], |e| {
            matches!(e, IoError::TooShort { bytes: 5, .. })
        }),
        ("header length past the end", past_end, |e| {
            matches!(
                e,
                IoError::HeaderPastEnd {
                    header_bytes: 100,
                    available: 2,
                    ..
                }
            )
        }),
        ("header length u64::MAX", max_len, |e| {
            matches!(e, IoError::HeaderPastEnd { .. })
        }),
        ("header over the limit", raw_file(&huge_header, &[]), |e| {
            matches!(e, IoError::HeaderTooLarge { .. })
        }),
        (
            "tensor of 2^62 elements",
            raw_file(&entry("F32", "[2147483648,2147483648]", 0, 16), &sixteen),
            |e| matches!(e, IoError::TooManyParams { .. }),
        ),
        (
            "shape whose product overflows",
            raw_file(
                &entry("F64", "[4294967296,4294967296,16]", 0, 8),
                &sixteen[..8],
            ),
            |e| matches!(e, IoError::TooManyParams { .. }),
        ),
        (
            "one element over MAX_PARAMS",
            raw_file(&entry("F32", "[5000001]", 0, 4), &sixteen[..4]),
            |e| matches!(e, IoError::TooManyParams { .. }),
        ),
        (
            "shape beyond u64",
            raw_file(&entry("F32", "[1e30]", 0, 4), &sixteen[..4]),
            |e| matches!(e, IoError::InvalidHeader { .. }),
        ),
        (
            "negative dimension",
            raw_file(&entry("F32", "[-1]", 0, 4), &sixteen[..4]),
            |e| matches!(e, IoError::InvalidHeader { .. }),
        ),
        ("invalid JSON", raw_file(r#"{"t": {"dtype""#, &[]), |e| {
            matches!(e, IoError::InvalidHeader { .. })
        }),
        ("header not UTF-8", not_utf8, |e| {
            matches!(e, IoError::InvalidHeader { .. })
        }),
        ("header is a JSON array", raw_file("[1, 2]", &[]), |e| {
            matches!(e, IoError::InvalidHeader { .. })
        }),
        (
            "entry without data_offsets",
            raw_file(r#"{"t":{"dtype":"F32","shape":[1]}}"#, &[]),
            |e| matches!(e, IoError::InvalidHeader { .. }),
        ),
        (
            "duplicate tensor name",
            raw_file(
                r#"{"t":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},
                    "t":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#,
                &[],
            ),
            |e| matches!(e, IoError::DuplicateTensor { tensor, .. } if tensor == "t"),
        ),
        ("too many tensors", raw_file(&many_tensors, &[]), |e| {
            matches!(e, IoError::TooManyTensors { .. })
        }),
        (
            "dtype F16",
            raw_file(&entry("F16", "[4]", 0, 8), &eight),
            |e| matches!(e, IoError::UnsupportedDtype { dtype, .. } if dtype == "F16"),
        ),
        (
            "dtype I64",
            raw_file(&entry("I64", "[1]", 0, 8), &eight),
            |e| matches!(e, IoError::UnsupportedDtype { dtype, .. } if dtype == "I64"),
        ),
        (
            "dtype BF16",
            raw_file(&entry("BF16", "[4]", 0, 8), &eight),
            |e| matches!(e, IoError::UnsupportedDtype { dtype, .. } if dtype == "BF16"),
        ),
        (
            "overlapping offsets",
            raw_file(&two_tensors((0, 8), (4, 12)), &sixteen[..12]),
            |e| matches!(e, IoError::BadOffsets { tensor, .. } if tensor == "b"),
        ),
        (
            "gap between tensors",
            raw_file(&two_tensors((0, 8), (12, 20)), &[0; 20]),
            |e| matches!(e, IoError::BadOffsets { tensor, .. } if tensor == "b"),
        ),
        (
            "first tensor not at 0",
            raw_file(&entry("F32", "[2]", 8, 16), &sixteen),
            |e| matches!(e, IoError::BadOffsets { .. }),
        ),
        (
            "offsets run backwards",
            raw_file(&entry("F32", "[0]", 8, 0), &eight),
            |e| matches!(e, IoError::BadOffsets { .. }),
        ),
        (
            "offsets too short for shape",
            raw_file(&entry("F32", "[3]", 0, 8), &eight),
            |e| {
                matches!(
                    e,
                    IoError::DataLength {
                        expected: 12,
                        actual: 8,
                        ..
                    }
                )
            },
        ),
        (
            "data cut short",
            raw_file(&entry("F32", "[4]", 0, 16), &eight),
            |e| {
                matches!(
                    e,
                    IoError::TruncatedData {
                        end: 16,
                        available: 8,
                        ..
                    }
                )
            },
        ),
        (
            "bytes after the last tensor",
            raw_file(&entry("F32", "[2]", 0, 8), &sixteen),
            |e| matches!(e, IoError::TrailingBytes { bytes: 8, .. }),
        ),
        (
            "NaN value",
            raw_file(&entry("F32", "[2]", 0, 8), &f32_bytes(&[1.0, f32::NAN])),
            |e| matches!(e, IoError::NonFinite { index: 1, .. }),
        ),
        (
            "infinite value",
            raw_file(&entry("F64", "[1]", 0, 8), &f64_bytes(&[f64::NEG_INFINITY])),
            |e| matches!(e, IoError::NonFinite { index: 0, .. }),
        ),
    ]
}

#[test]
fn each_malformed_file_gets_its_own_error_naming_the_file() {
    for (label, bytes, is_expected) in malformed_files() {
        match parse_safetensors(&bytes, SOURCE) {
            Ok(file) => panic!("{label}: accepted, got {file:?}"),
            Err(error) => {
                assert!(is_expected(&error), "{label}: wrong error {error:?}");
                assert!(
                    error.to_string().contains(SOURCE),
                    "{label}: message does not name the file: {error}"
                );
            }
        }
    }
}

#[test]
fn unsupported_dtype_message_says_what_to_save_as() {
    let bytes = raw_file(
        r#"{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#,
        &[0, 0],
    );
    let message = parse_safetensors(&bytes, SOURCE)
        .expect_err("F16 is rejected")
        .to_string();
    assert!(message.contains("F16"), "{message}");
    assert!(message.contains("save as float32 or float64"), "{message}");
}

#[test]
fn missing_file_is_unreadable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nope.safetensors");
    let error = read_safetensors(&path).expect_err("missing");
    assert!(matches!(error, IoError::Unreadable { .. }), "{error:?}");
    assert!(error.to_string().contains("nope.safetensors"));
}

#[test]
fn oversized_file_is_rejected_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.safetensors");
    // Sparse: costs no disk, and the size check must come before any read.
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(MAX_FILE_BYTES + 1))
        .expect("sparse file");
    let error = read_safetensors(&path).expect_err("too large");
    assert!(matches!(error, IoError::FileTooLarge { .. }), "{error:?}");
}

#[test]
fn writer_rejects_what_it_could_not_read_back() {
    let cases: Vec<(&str, Vec<NamedTensor>, DType, Check)> = vec![
        (
            "wrong value count",
            vec![tensor("t", &[2, 2], &[1.0])],
            DType::F64,
            |e| {
                matches!(
                    e,
                    IoError::ValueCount {
                        expected: 4,
                        actual: 1,
                        ..
                    }
                )
            },
        ),
        (
            "duplicate name",
            vec![tensor("t", &[], &[1.0]), tensor("t", &[], &[2.0])],
            DType::F32,
            |e| matches!(e, IoError::DuplicateTensor { .. }),
        ),
        (
            "reserved name",
            vec![tensor("__metadata__", &[], &[1.0])],
            DType::F32,
            |e| matches!(e, IoError::ReservedName { .. }),
        ),
        (
            "NaN",
            vec![tensor("t", &[2], &[0.0, f64::NAN])],
            DType::F64,
            |e| matches!(e, IoError::NonFinite { index: 1, .. }),
        ),
        (
            "too large for f32",
            vec![tensor("t", &[1], &[1e39])],
            DType::F32,
            |e| matches!(e, IoError::NonFinite { dtype_note, .. } if dtype_note.contains("float32")),
        ),
    ];
    for (label, tensors, dtype, is_expected) in cases {
        let error = tensors_to_bytes(&tensors, dtype).expect_err(label);
        assert!(is_expected(&error), "{label}: wrong error {error:?}");
    }
}

#[test]
fn write_replaces_atomically_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("w.safetensors");
    write_safetensors(&path, &[tensor("a", &[1], &[1.0])], DType::F32).expect("first write");
    write_safetensors(&path, &[tensor("b", &[1], &[2.0])], DType::F64).expect("overwrite");

    let read = read_safetensors(&path).expect("read");
    assert_eq!(read.tensors, vec![tensor("b", &[1], &[2.0])]);
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("w.safetensors")]);
}

#[test]
fn failed_write_reports_the_path_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("missing-dir").join("w.safetensors");
    let error = write_safetensors(&path, &[tensor("a", &[1], &[1.0])], DType::F32)
        .expect_err("no such directory");
    assert!(matches!(error, IoError::Unwritable { .. }), "{error:?}");
    assert!(error.to_string().contains("w.safetensors"));
    assert!(!Path::new(&path).exists());
}

/// Whatever the parser accepts is well formed and survives a round trip.
fn assert_accepted_file_is_sound(file: &TensorFile) {
    for t in &file.tensors {
        assert_eq!(Some(t.data.len()), element_count(&t.shape));
        assert!(t.data.iter().all(|v| v.is_finite()));
    }
    let bytes = tensors_to_bytes(&file.tensors, file.dtype).expect("re-encode");
    let again = parse_safetensors(&bytes, SOURCE).expect("re-parse");
    assert_eq!(again.tensors, file.tensors);
}

fn valid_file() -> Vec<u8> {
    tensors_to_bytes(&sample_tensors(), DType::F32).expect("encode")
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(file) = parse_safetensors(&bytes, SOURCE) {
            assert_accepted_file_is_sound(&file);
        }
    }

    #[test]
    fn arbitrary_headers_never_panic(
        header in r#"[{}\[\]":,0-9a-zA-Z_ .-]{0,120}"#,
        data in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Ok(file) = parse_safetensors(&raw_file(&header, &data), SOURCE) {
            assert_accepted_file_is_sound(&file);
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        keep in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = valid_file();
        for (at, value) in edits {
            let index = at.index(bytes.len());
            bytes[index] = value;
        }
        if truncate {
            bytes.truncate(keep.index(bytes.len()));
        }
        if let Ok(file) = parse_safetensors(&bytes, SOURCE) {
            assert_accepted_file_is_sound(&file);
        }
    }

    #[test]
    fn round_trip_preserves_any_finite_f64(
        values in proptest::collection::vec(any::<f64>().prop_filter("finite", |v| v.is_finite()), 0..40),
    ) {
        let tensors = vec![tensor("v", &[values.len()], &values)];
        let bytes = tensors_to_bytes(&tensors, DType::F64).expect("encode");
        let file = parse_safetensors(&bytes, SOURCE).expect("parse");
        prop_assert_eq!(file.tensors, tensors);
    }
}
