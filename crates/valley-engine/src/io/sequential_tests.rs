//! Tests for the nn.Sequential mapping: layer order, flat layout, its
//! inverse, and one rejected state dict per error.

use proptest::prelude::*;
use safetensors::{Dtype, tensor::TensorView};

use super::*;
use crate::io::{parse_safetensors, tensors_to_bytes};

const SOURCE: &str = "mlp.safetensors";

fn tensor(name: &str, shape: &[usize], data: &[f64]) -> NamedTensor {
    NamedTensor {
        name: name.to_owned(),
        shape: shape.to_vec(),
        data: data.to_vec(),
    }
}

/// Values `base, base + 1, ...` so each tensor's place in the flat vector shows.
fn counting(name: &str, shape: &[usize], base: f64) -> NamedTensor {
    let count: usize = shape.iter().product();
    let data: Vec<f64> = (0..count).map(|i| base + i as f64).collect();
    tensor(name, shape, &data)
}

/// A 2 -> 3 -> 4 -> 1 MLP with module indices 0, 2 and 10 (so numeric and
/// lexicographic order differ), listed out of order as a state dict might be.
fn three_layer_tensors() -> Vec<NamedTensor> {
    vec![
        counting("10.bias", &[1], 600.0),
        counting("2.weight", &[4, 3], 300.0),
        counting("0.bias", &[3], 200.0),
        counting("10.weight", &[1, 4], 500.0),
        counting("0.weight", &[3, 2], 100.0),
        counting("2.bias", &[4], 400.0),
    ]
}

fn file_of(tensors: Vec<NamedTensor>) -> TensorFile {
    TensorFile {
        tensors,
        dtype: DType::F32,
    }
}

/// Bytes written by the reference `safetensors` crate, as PyTorch would write them.
fn reference_bytes(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let raw: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, values)| values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views: Vec<(&str, TensorView)> = tensors
        .iter()
        .zip(&raw)
        .map(|((name, shape, _), bytes)| {
            let view = TensorView::new(Dtype::F32, shape.clone(), bytes).expect("view");
            (*name, view)
        })
        .collect();
    safetensors::serialize(views, None).expect("reference serializes")
}

fn load(bytes: &[u8]) -> Result<SequentialWeights, IoError> {
    let file = parse_safetensors(bytes, SOURCE)?;
    sequential_from_file(&file, SOURCE)
}

#[test]
fn three_layer_file_maps_to_sizes_and_pytorch_parameter_order() {
    let weights = sequential_from_file(&file_of(three_layer_tensors()), SOURCE).expect("valid");

    assert_eq!(weights.layer_sizes, vec![2, 3, 4, 1]);
    let names: Vec<(&str, &str)> = weights
        .tensor_names
        .iter()
        .map(|(w, b)| (w.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("0.weight", "0.bias"),
            ("2.weight", "2.bias"),
            ("10.weight", "10.bias")
        ]
    );
    let mut expected = Vec::new();
    for (base, count) in [
        (100.0, 6),
        (200.0, 3),
        (300.0, 12),
        (400.0, 4),
        (500.0, 4),
        (600.0, 1),
    ] {
        expected.extend((0..count).map(|i| base + f64::from(i)));
    }
    assert_eq!(weights.params, expected);
    assert_eq!(weights.dtype, DType::F32);
}

#[test]
fn sequential_tensors_inverts_sequential_from_file() {
    let original = three_layer_tensors();
    let weights = sequential_from_file(&file_of(original.clone()), SOURCE).expect("valid");

    let rebuilt = sequential_tensors(&weights.layer_sizes, &weights.tensor_names, &weights.params);

    assert_eq!(rebuilt.len(), original.len());
    for tensor in &rebuilt {
        let source = original
            .iter()
            .find(|t| t.name == tensor.name)
            .expect("same names");
        assert_eq!(tensor, source);
    }
}

#[test]
fn common_prefix_and_other_index_steps_are_accepted() {
    let bytes = reference_bytes(&[
        ("model.0.weight", vec![2, 1], vec![1.0, 2.0]),
        ("model.0.bias", vec![2], vec![3.0, 4.0]),
        ("model.3.weight", vec![1, 2], vec![5.0, 6.0]),
        ("model.3.bias", vec![1], vec![7.0]),
    ]);
    let weights = load(&bytes).expect("valid");
    assert_eq!(weights.layer_sizes, vec![1, 2, 1]);
    assert_eq!(weights.params, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    assert_eq!(weights.tensor_names[1].0, "model.3.weight");
}

#[test]
fn default_names_skip_the_activation_indices() {
    assert_eq!(
        default_tensor_names(3),
        vec![
            ("0.weight".to_owned(), "0.bias".to_owned()),
            ("2.weight".to_owned(), "2.bias".to_owned()),
            ("4.weight".to_owned(), "4.bias".to_owned()),
        ]
    );
    assert!(default_tensor_names(0).is_empty());
}

type Check = fn(&IoError) -> bool;

fn rejected_state_dicts() -> Vec<(&'static str, Vec<u8>, Check)> {
    let layer = |index: &str, out: usize, inp: usize| {
        vec![
            (
                format!("{index}.weight"),
                vec![out, inp],
                vec![0.5; out * inp],
            ),
            (format!("{index}.bias"), vec![out], vec![0.5; out]),
        ]
    };
    let bytes = |tensors: Vec<(String, Vec<usize>, Vec<f32>)>| {
        let borrowed: Vec<(&str, Vec<usize>, Vec<f32>)> = tensors
            .iter()
            .map(|(n, s, v)| (n.as_str(), s.clone(), v.clone()))
            .collect();
        reference_bytes(&borrowed)
    };
    let with = |mut base: Vec<(String, Vec<usize>, Vec<f32>)>,
                extra: (&str, Vec<usize>, Vec<f32>)| {
        base.push((extra.0.to_owned(), extra.1, extra.2));
        base
    };
    let two_layers = || [layer("0", 3, 2), layer("2", 1, 3)].concat();

    vec![
        ("no tensors", bytes(vec![]), |e| {
            matches!(e, IoError::NoTensors { .. })
        }),
        (
            "missing bias",
            bytes(vec![layer("0", 3, 2)[0].clone()]),
            |e| matches!(e, IoError::MissingLayerPart { missing, .. } if missing == "0.bias"),
        ),
        (
            "missing weight",
            bytes(vec![layer("0", 3, 2)[1].clone()]),
            |e| matches!(e, IoError::MissingLayerPart { missing, .. } if missing == "0.weight"),
        ),
        (
            "shapes that don't chain",
            bytes([layer("0", 3, 2), layer("2", 1, 4)].concat()),
            |e| {
                matches!(e, IoError::ShapesDontChain { layer, next, .. }
                if layer == "0.weight" && next == "2.weight")
            },
        ),
        (
            "NaN weight",
            bytes(vec![
                ("0.weight".into(), vec![1, 2], vec![0.0, f32::NAN]),
                ("0.bias".into(), vec![1], vec![0.0]),
            ]),
            |e| matches!(e, IoError::NonFinite { tensor, index: 1, .. } if tensor == "0.weight"),
        ),
        (
            "rank-3 weight",
            bytes(vec![
                ("0.weight".into(), vec![1, 2, 2], vec![0.0; 4]),
                ("0.bias".into(), vec![1], vec![0.0]),
            ]),
            |e| matches!(e, IoError::WrongRank { tensor, .. } if tensor == "0.weight"),
        ),
        (
            "rank-2 bias",
            bytes(vec![
                ("0.weight".into(), vec![1, 2], vec![0.0; 2]),
                ("0.bias".into(), vec![1, 1], vec![0.0]),
            ]),
            |e| matches!(e, IoError::WrongRank { tensor, .. } if tensor == "0.bias"),
        ),
        (
            "bias length differs from outputs",
            bytes(vec![
                ("0.weight".into(), vec![2, 2], vec![0.0; 4]),
                ("0.bias".into(), vec![3], vec![0.0; 3]),
            ]),
            |e| matches!(e, IoError::BiasMismatch { .. }),
        ),
        (
            "layer with no inputs",
            bytes(vec![
                ("0.weight".into(), vec![2, 0], vec![]),
                ("0.bias".into(), vec![2], vec![0.0; 2]),
            ]),
            |e| matches!(e, IoError::EmptyLayer { .. }),
        ),
        (
            "BatchNorm buffer",
            bytes(with(
                two_layers(),
                ("1.running_mean", vec![3], vec![0.0; 3]),
            )),
            |e| matches!(e, IoError::UnexpectedTensor { tensor, .. } if tensor == "1.running_mean"),
        ),
        (
            "name without index",
            bytes(with(two_layers(), ("fc1.weight", vec![1], vec![0.0]))),
            |e| matches!(e, IoError::UnexpectedTensor { tensor, .. } if tensor == "fc1.weight"),
        ),
        (
            "mixed prefixes",
            bytes(with(two_layers(), ("model.4.weight", vec![1], vec![0.0]))),
            |e| matches!(e, IoError::UnexpectedTensor { tensor, .. } if tensor == "model.4.weight"),
        ),
        (
            "index with leading zero",
            bytes(with(two_layers(), ("04.weight", vec![1], vec![0.0]))),
            |e| matches!(e, IoError::UnexpectedTensor { .. }),
        ),
    ]
}

#[test]
fn each_rejected_state_dict_gets_its_own_error_naming_the_file() {
    for (label, bytes, is_expected) in rejected_state_dicts() {
        match load(&bytes) {
            Ok(weights) => panic!("{label}: accepted, got {weights:?}"),
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
fn chain_error_names_both_layers_and_their_shapes() {
    let file = file_of(vec![
        counting("0.weight", &[3, 2], 0.0),
        counting("0.bias", &[3], 0.0),
        counting("2.weight", &[1, 4], 0.0),
        counting("2.bias", &[1], 0.0),
    ]);
    let message = sequential_from_file(&file, SOURCE)
        .expect_err("no chain")
        .to_string();
    for part in ["0.weight", "[3, 2]", "2.weight", "[1, 4]"] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
}

#[test]
fn unexpected_tensor_message_says_only_linear_layers_are_read() {
    let mut tensors = three_layer_tensors();
    tensors.push(counting("1.running_mean", &[3], 0.0));
    let message = sequential_from_file(&file_of(tensors), SOURCE)
        .expect_err("BatchNorm")
        .to_string();
    assert!(message.contains("Linear"), "{message}");
}

#[test]
fn hand_built_files_are_checked_too() {
    let duplicate = file_of(vec![
        counting("0.weight", &[1, 1], 0.0),
        counting("0.weight", &[1, 1], 0.0),
    ]);
    let error = sequential_from_file(&duplicate, SOURCE).expect_err("duplicate");
    assert!(
        matches!(error, IoError::DuplicateTensor { .. }),
        "{error:?}"
    );

    let short = file_of(vec![
        tensor("0.weight", &[1, 2], &[1.0]),
        tensor("0.bias", &[1], &[0.0]),
    ]);
    let error = sequential_from_file(&short, SOURCE).expect_err("short data");
    assert!(
        matches!(
            error,
            IoError::ValueCount {
                expected: 2,
                actual: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

fn reference_weights() -> SequentialWeights {
    sequential_from_file(&file_of(three_layer_tensors()), SOURCE).expect("valid")
}

#[test]
fn flat_like_lays_a_direction_file_out_like_the_weights() {
    let weights = reference_weights();
    let mut direction = sequential_tensors(
        &weights.layer_sizes,
        &weights.tensor_names,
        &weights.params.iter().map(|v| -v).collect::<Vec<_>>(),
    );
    direction.reverse();

    let flat = flat_like(&file_of(direction), &weights, "dir.safetensors").expect("matches");

    let negated: Vec<f64> = weights.params.iter().map(|v| -v).collect();
    assert_eq!(flat, negated);
}

#[test]
fn flat_like_names_missing_extra_and_reshaped_tensors() {
    let weights = reference_weights();
    let base = || sequential_tensors(&weights.layer_sizes, &weights.tensor_names, &weights.params);

    let mut missing = base();
    missing.retain(|t| t.name != "2.bias");
    let error = flat_like(&file_of(missing), &weights, "dir.safetensors").expect_err("missing");
    assert!(
        matches!(&error, IoError::MissingTensor { tensor, .. } if tensor == "2.bias"),
        "{error:?}"
    );
    assert!(error.to_string().contains("dir.safetensors"));

    let mut extra = base();
    extra.push(counting("12.weight", &[1, 1], 0.0));
    let error = flat_like(&file_of(extra), &weights, "dir.safetensors").expect_err("extra");
    assert!(
        matches!(&error, IoError::ExtraTensor { tensor, .. } if tensor == "12.weight"),
        "{error:?}"
    );

    let mut reshaped = base();
    reshaped[0] = counting("0.weight", &[2, 3], 0.0);
    let error = flat_like(&file_of(reshaped), &weights, "dir.safetensors").expect_err("shape");
    assert!(matches!(error, IoError::ShapeDiffers { .. }), "{error:?}");
    let message = error.to_string();
    for part in ["0.weight", "[2, 3]", "[3, 2]"] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
}

proptest! {
    #[test]
    fn any_mlp_survives_a_trip_through_a_file(
        layer_sizes in proptest::collection::vec(1usize..6, 2..6),
        seed in any::<u32>(),
    ) {
        let names = default_tensor_names(layer_sizes.len() - 1);
        let count: usize = layer_sizes.windows(2).map(|w| w[1] * w[0] + w[1]).sum();
        let params: Vec<f64> = (0..count)
            .map(|i| f64::from(seed.wrapping_add(i as u32)) / 7.0 - 1e4)
            .collect();
        let tensors = sequential_tensors(&layer_sizes, &names, &params);
        let bytes = tensors_to_bytes(&tensors, DType::F64).expect("encode");

        let weights = load(&bytes).expect("valid");

        prop_assert_eq!(weights.layer_sizes, layer_sizes);
        prop_assert_eq!(weights.params, params);
        prop_assert_eq!(weights.tensor_names, names);
        prop_assert_eq!(weights.dtype, DType::F64);
    }
}
