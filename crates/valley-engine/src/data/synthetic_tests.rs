//! Tests for the generators: each shape against its formula (without
//! noise), balance, reproducibility from the seed, and refused settings.

use strum::IntoEnumIterator;

use super::*;

/// All points of a spec with no noise and no test split.
fn noiseless(kind: DatasetKind, size: usize) -> (Array2<f32>, Targets) {
    let spec = DatasetSpec {
        size,
        noise: 0.0,
        test_fraction: 0.0,
        ..DatasetSpec::new(kind)
    };
    let data = generate(&spec).expect("valid spec").train;
    (data.x, data.targets)
}

fn labels_of(targets: &Targets) -> &[usize] {
    match targets {
        Targets::Classes { labels, .. } => labels,
        Targets::Values(_) => panic!("expected classes"),
    }
}

#[test]
fn every_kind_is_balanced_seeded_and_in_range() {
    for kind in DatasetKind::iter() {
        let spec = DatasetSpec::new(kind);
        let split = generate(&spec).expect("valid spec");
        assert_eq!(split.train.len() + split.test.len(), 1000, "{kind}");
        assert_eq!(split.test.len(), 200, "{kind}");
        assert_eq!(split.train.is_classification(), kind.is_classification());
        // Noiseless extents fit a [−2, 2] plot (sine's x spans [−π, π)); the
        // Gaussian noise adds less than five standard deviations.
        if kind == DatasetKind::Teacher {
            // Gaussian inputs in 20-D, targets ±1.
            assert_eq!(split.train.num_features(), crate::data::TEACHER_DIMS);
            let all_x = split.train.x.iter().chain(split.test.x.iter());
            assert!(all_x.clone().all(|v| v.is_finite() && v.abs() < 7.0));
            continue;
        }
        let extent = match kind {
            DatasetKind::Spirals => 2.0,
            DatasetKind::Xor => 1.0,
            DatasetKind::Sine => PI,
            _ => 1.5,
        };
        let limit = extent + 5.0 * spec.noise;
        let all_x = split.train.x.iter().chain(split.test.x.iter());
        assert!(
            all_x.clone().all(|v| v.is_finite() && v.abs() < limit),
            "{kind}"
        );
        if let Targets::Classes {
            labels,
            num_classes,
        } = &split.train.targets
        {
            for c in 0..*num_classes {
                let count = labels.iter().filter(|&&l| l == c).count();
                let share = count as f64 / labels.len() as f64;
                assert!(
                    (share - 1.0 / *num_classes as f64).abs() < 0.06,
                    "{kind} class {c}: {share}"
                );
            }
        }
        assert_eq!(generate(&spec), generate(&spec), "{kind} reproducible");
        let other = generate(&DatasetSpec { seed: 5, ..spec }).expect("valid");
        assert_ne!(other.train.x, split.train.x, "{kind} depends on the seed");
    }
}

#[test]
fn whole_sets_are_exactly_balanced() {
    // Before the split, class i % k: 1001 points over 3 blobs give 334, 334, 333.
    let spec = DatasetSpec {
        kind: DatasetKind::Blobs,
        size: 1001,
        test_fraction: 0.0,
        ..DatasetSpec::default()
    };
    let data = generate(&spec).expect("valid").train;
    let labels = labels_of(&data.targets);
    let counts: Vec<usize> = (0..3)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .collect();
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [333, 334, 334], "{counts:?}");
}

#[test]
fn noiseless_moons_are_sklearns_arcs() {
    let (x, targets) = noiseless(DatasetKind::Moons, 100);
    let labels = labels_of(&targets);
    let mut ends = [(f32::MAX, f32::MIN); 2];
    for (row, &label) in x.rows().into_iter().zip(labels) {
        // Outer arc: centre (0, 0) − (0.5, 0.25), upper half; inner: centre (1, 0.5) − shift, lower half.
        let (centre, upper) = if label == 0 {
            ((-0.5, -0.25), true)
        } else {
            ((0.5, 0.25), false)
        };
        let (dx, dy) = (row[0] - centre.0, row[1] - centre.1);
        assert!(((dx * dx + dy * dy).sqrt() - 1.0).abs() < 1e-5);
        assert!(if upper { dy >= -1e-6 } else { dy <= 1e-6 });
        ends[label] = (ends[label].0.min(row[0]), ends[label].1.max(row[0]));
    }
    // linspace(0, π) includes both ends: the arcs reach x = −1.5…0.5 and −0.5…1.5.
    assert!((ends[0].0 + 1.5).abs() < 1e-5 && (ends[0].1 - 0.5).abs() < 1e-5);
    assert!((ends[1].0 + 0.5).abs() < 1e-5 && (ends[1].1 - 1.5).abs() < 1e-5);
}

#[test]
fn noiseless_circles_have_radii_one_and_a_half_and_three_quarters() {
    let (x, targets) = noiseless(DatasetKind::Circles, 200);
    for (row, &label) in x.rows().into_iter().zip(labels_of(&targets)) {
        let radius = row[0].hypot(row[1]);
        let expected = if label == 0 { 1.5 } else { 0.75 };
        assert!(
            (radius - expected).abs() < 1e-5,
            "{radius} for class {label}"
        );
    }
}

#[test]
fn noiseless_spirals_wind_one_and_a_half_turns_half_a_turn_apart() {
    let (x, targets) = noiseless(DatasetKind::Spirals, 400);
    let labels = labels_of(&targets);
    // The split shuffled the points: put each arm back in order along its length.
    let arm = |c: usize| -> Vec<[f32; 2]> {
        let mut points: Vec<[f32; 2]> = x
            .rows()
            .into_iter()
            .zip(labels)
            .filter(|(_, l)| **l == c)
            .map(|(r, _)| [r[0], r[1]])
            .collect();
        points.sort_by(|a, b| a[0].hypot(a[1]).total_cmp(&b[0].hypot(b[1])));
        points
    };
    let (arm0, arm1) = (arm(0), arm(1));
    for points in [&arm0, &arm1] {
        // Radius from 0.1 towards 2; the angle turns 3π (1.5 turns) over the arm,
        // so half-way out (radius 1.05) it has turned 1.5π.
        let radius = |p: &[f32; 2]| p[0].hypot(p[1]);
        assert!((radius(&points[0]) - 0.1).abs() < 1e-6);
        assert!(radius(&points[points.len() - 1]) > 1.95);
        let t = 0.5;
        let expected_radius = 0.1 + 1.9 * t;
        let middle = points[points.len() / 2];
        assert!((radius(&middle) - expected_radius).abs() < 0.01);
    }
    // Point j of arm 1 is point j of arm 0 turned by π: its negative.
    for (a, b) in arm0.iter().zip(&arm1) {
        assert!((a[0] + b[0]).abs() < 1e-5 && (a[1] + b[1]).abs() < 1e-5);
    }
    // Half-way along, arm 0 has turned 1.5π from the +x axis: it points down.
    let middle = arm0[arm0.len() / 2];
    assert!(middle[1] < -1.0 && middle[0].abs() < 0.05, "{middle:?}");
}

#[test]
fn noiseless_xor_labels_follow_the_sign_of_xy() {
    let (x, targets) = noiseless(DatasetKind::Xor, 400);
    let mut quadrants = [0; 4];
    for (row, &label) in x.rows().into_iter().zip(labels_of(&targets)) {
        assert!(row.iter().all(|v| (XOR_MARGIN..1.0).contains(&v.abs())));
        assert_eq!(label, usize::from(row[0] * row[1] < 0.0));
        quadrants[usize::from(row[0] < 0.0) * 2 + usize::from(row[1] < 0.0)] += 1;
    }
    // All four quadrants are used, roughly equally.
    assert!(quadrants.iter().all(|&q| q > 60), "{quadrants:?}");
}

#[test]
fn blobs_centre_on_a_circle_with_the_requested_spread() {
    let spec = DatasetSpec {
        kind: DatasetKind::Blobs,
        classes: 5,
        size: 5000,
        noise: 0.3,
        test_fraction: 0.0,
        ..DatasetSpec::default()
    };
    let data = generate(&spec).expect("valid").train;
    assert_eq!(data.num_outputs(), 5);
    let labels = labels_of(&data.targets);
    for c in 0..5 {
        let angle = 2.0 * std::f64::consts::PI * c as f64 / 5.0;
        let centre = [1.5 * angle.cos(), 1.5 * angle.sin()];
        let rows: Vec<[f64; 2]> = data
            .x
            .rows()
            .into_iter()
            .zip(labels)
            .filter(|(_, l)| **l == c)
            .map(|(r, _)| [f64::from(r[0]), f64::from(r[1])])
            .collect();
        let n = rows.len() as f64;
        let mean = [0, 1].map(|d| rows.iter().map(|r| r[d]).sum::<f64>() / n);
        let sd = (rows
            .iter()
            .map(|r| (r[0] - mean[0]).powi(2) + (r[1] - mean[1]).powi(2))
            .sum::<f64>()
            / (2.0 * n))
            .sqrt();
        assert!((mean[0] - centre[0]).hypot(mean[1] - centre[1]) < 0.05);
        assert!((sd - 0.3).abs() < 0.02, "class {c}: sd {sd}");
    }
}

#[test]
fn sine_is_regression_on_sin_x_with_the_requested_noise() {
    let (x, targets) = noiseless(DatasetKind::Sine, 500);
    let Targets::Values(y) = &targets else {
        panic!("sine is regression")
    };
    assert_eq!((x.ncols(), y.ncols()), (1, 1));
    for (x, y) in x.column(0).iter().zip(y.column(0)) {
        assert!((-PI..PI).contains(x));
        assert!((x.sin() - y).abs() < 1e-6);
    }
    let spec = DatasetSpec {
        size: 20_000,
        noise: 0.2,
        test_fraction: 0.0,
        ..DatasetSpec::new(DatasetKind::Sine)
    };
    let data = generate(&spec).expect("valid").train;
    let Targets::Values(y) = &data.targets else {
        panic!("sine is regression")
    };
    let residuals: Vec<f64> = data
        .x
        .column(0)
        .iter()
        .zip(y.column(0))
        .map(|(x, y)| f64::from(y - x.sin()))
        .collect();
    let sd = (residuals.iter().map(|r| r * r).sum::<f64>() / residuals.len() as f64).sqrt();
    assert!((sd - 0.2).abs() < 0.01, "noise sd {sd}");
}

#[test]
fn bad_specs_are_refused() {
    let base = DatasetSpec::default();
    for bad in [
        DatasetSpec { size: 1, ..base },
        DatasetSpec {
            size: MAX_GENERATED + 1,
            ..base
        },
        DatasetSpec {
            noise: -1.0,
            ..base
        },
        DatasetSpec {
            noise: f32::NAN,
            ..base
        },
        DatasetSpec {
            noise: f32::INFINITY,
            ..base
        },
        DatasetSpec {
            test_fraction: 1.0,
            ..base
        },
        DatasetSpec {
            test_fraction: -0.1,
            ..base
        },
        DatasetSpec {
            test_fraction: f32::NAN,
            ..base
        },
        DatasetSpec {
            kind: DatasetKind::Blobs,
            classes: 1,
            ..base
        },
        DatasetSpec {
            kind: DatasetKind::Blobs,
            classes: 17,
            ..base
        },
    ] {
        assert!(
            matches!(generate(&bad), Err(DataError::InvalidSpec(_))),
            "{bad:?}"
        );
    }
    // The class count matters only for blobs.
    assert!(generate(&DatasetSpec { classes: 0, ..base }).is_ok());
}

#[test]
fn names_parse_print_and_serialise() {
    for kind in DatasetKind::iter() {
        assert_eq!(kind.to_string().parse(), Ok(kind));
        assert_eq!(kind.to_string().to_uppercase().parse(), Ok(kind));
        assert!(kind.description().ends_with('.'), "{kind}");
        let json = serde_json::to_string(&kind).expect("serialisable");
        assert_eq!(json, format!("\"{kind}\""));
    }
    let error = "mnist".parse::<DatasetKind>().unwrap_err();
    assert_eq!(
        error,
        "unknown dataset 'mnist': use one of moons, circles, spirals, xor, blobs, sine, teacher"
    );
    let spec = DatasetSpec {
        kind: DatasetKind::Blobs,
        classes: 4,
        ..DatasetSpec::default()
    };
    let json = serde_json::to_string(&spec).expect("serialisable");
    assert_eq!(
        serde_json::from_str::<DatasetSpec>(&json).expect("parses"),
        spec
    );
    assert_eq!(DatasetSpec::default().kind, DatasetKind::Moons);
    assert_eq!(DatasetSpec::default().noise, 0.1);
}

#[test]
fn the_hidden_plane_flips_only_training_labels_and_as_many_as_asked() {
    let spec = DatasetSpec {
        kind: DatasetKind::Teacher,
        size: 4000,
        noise: 0.2,
        test_fraction: 0.5,
        ..DatasetSpec::new(DatasetKind::Teacher)
    };
    let clean = DatasetSpec { noise: 0.0, ..spec };
    let (noisy, clean) = (generate(&spec).unwrap(), generate(&clean).unwrap());
    assert_eq!(noisy.test, clean.test, "the test set stays clean");
    let (Targets::Values(a), Targets::Values(b)) = (&noisy.train.targets, &clean.train.targets)
    else {
        panic!("±1 targets")
    };
    assert!(a.iter().all(|v| v.abs() == 1.0));
    let flipped = a.iter().zip(b.iter()).filter(|(x, y)| x != y).count() as f64 / a.len() as f64;
    assert!(
        (flipped - 0.2).abs() < 0.03,
        "{flipped} of the labels flipped"
    );
    assert!(generate(&DatasetSpec { noise: 0.6, ..spec }).is_err());
}
