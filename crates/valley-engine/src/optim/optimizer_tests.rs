//! Tests for the update rules. Every expected value below was worked by
//! hand from the torch.optim formulas (the arithmetic is in the comments)
//! and agrees with PyTorch 2.x in float64 to the digits shown.

use super::*;

fn config(kind: OptimizerKind) -> OptimizerConfig {
    OptimizerConfig {
        kind,
        ..OptimizerConfig::default()
    }
}

#[track_caller]
fn close(actual: &[f32], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    for (&a, &e) in actual.iter().zip(expected) {
        assert!(
            (f64::from(a) - e).abs() <= 2e-6 * (1.0 + e.abs()),
            "{actual:?} vs {expected:?}"
        );
    }
}

/// Runs `kind` from `start` through the gradients, returning θ after each step.
fn trace(config: OptimizerConfig, start: &[f32], grads: &[&[f32]], lr: f32) -> Vec<Vec<f32>> {
    let mut opt = Optimizer::new(config, start.len());
    let mut p = start.to_vec();
    grads
        .iter()
        .map(|g| {
            opt.step(&mut p, g, lr);
            p.clone()
        })
        .collect()
}

#[test]
fn sgd_with_weight_decay_by_hand() {
    // θ = (1, −2), g = (0.5, 1), wd = 0.1, η = 0.1.
    // Step 1: g + wd θ = (0.6, 0.8);         θ = (0.94, −2.08).
    // Step 2: g + wd θ = (0.594, 0.792);     θ = (0.8806, −2.1592).
    let config = OptimizerConfig {
        weight_decay: 0.1,
        ..config(OptimizerKind::Sgd)
    };
    let steps = trace(config, &[1.0, -2.0], &[&[0.5, 1.0], &[0.5, 1.0]], 0.1);
    close(&steps[0], &[0.94, -2.08]);
    close(&steps[1], &[0.8806, -2.1592]);
}

#[test]
fn sgd_with_an_l1_penalty_by_hand() {
    // θ = (1, −2, 0), g = (0.5, 1, 0.3), l1 = 0.2, η = 0.1.
    // g + l1 sign θ = (0.7, 0.8, 0.3): θ = (0.93, −2.08, −0.03).
    // Then sign θ = (1, −1, −1): g' = (0.7, 0.8, 0.1): θ = (0.86, −2.16, −0.04).
    let penalised = OptimizerConfig {
        l1: 0.2,
        ..config(OptimizerKind::Sgd)
    };
    let g: &[f32] = &[0.5, 1.0, 0.3];
    let steps = trace(penalised, &[1.0, -2.0, 0.0], &[g, g], 0.1);
    close(&steps[0], &[0.93, -2.08, -0.03]);
    close(&steps[1], &[0.86, -2.16, -0.04]);
    // With clipping the penalty is clipped too: it is part of the gradient.
    let clipped = OptimizerConfig {
        l1: 0.2,
        clip_norm: Some(0.5),
        ..config(OptimizerKind::Sgd)
    };
    let steps = trace(clipped, &[1.0, -2.0, 0.0], &[g], 1.0);
    let norm = (0.7f64 * 0.7 + 0.8 * 0.8 + 0.3 * 0.3).sqrt();
    let scale = 0.5 / norm;
    close(
        &steps[0],
        &[1.0 - 0.7 * scale, -2.0 - 0.8 * scale, -0.3 * scale],
    );
    assert!(
        OptimizerConfig {
            l1: -1.0,
            ..config(OptimizerKind::Sgd)
        }
        .validate()
        .is_err()
    );
}

#[test]
fn momentum_by_hand() {
    // μ = 0.9, η = 0.1, θ = (0, 0); g = (1, −2), (1, −2), (0.5, 0).
    // b = g = (1, −2) on the first step:   θ = (−0.1, 0.2).
    // b = 0.9 b + g = (1.9, −3.8):          θ = (−0.29, 0.58).
    // b = (1.71 + 0.5, −3.42 + 0) = (2.21, −3.42): θ = (−0.511, 0.922).
    let grads: [&[f32]; 3] = [&[1.0, -2.0], &[1.0, -2.0], &[0.5, 0.0]];
    let steps = trace(config(OptimizerKind::Momentum), &[0.0, 0.0], &grads, 0.1);
    close(&steps[0], &[-0.1, 0.2]);
    close(&steps[1], &[-0.29, 0.58]);
    close(&steps[2], &[-0.511, 0.922]);
    // With wd = 0.5, θ = 1, g = 1: g' = 1.5, b = 1.5, θ = 0.85;
    // g' = 1 + 0.425 = 1.425, b = 1.35 + 1.425 = 2.775, θ = 0.85 − 0.2775 = 0.5725.
    let config = OptimizerConfig {
        weight_decay: 0.5,
        ..config(OptimizerKind::Momentum)
    };
    let steps = trace(config, &[1.0], &[&[1.0], &[1.0]], 0.1);
    close(&steps[0], &[0.85]);
    close(&steps[1], &[0.5725]);
}

#[test]
fn nesterov_by_hand() {
    // Same gradients; the update is g + μ b.
    // b = (1, −2),      update = (1.9, −3.8):              θ = (−0.19, 0.38).
    // b = (1.9, −3.8),  update = (1 + 1.71, −2 − 3.42):     θ = (−0.461, 0.922).
    // b = (2.21, −3.42), update = (0.5 + 1.989, 0 − 3.078): θ = (−0.7099, 1.2298).
    let grads: [&[f32]; 3] = [&[1.0, -2.0], &[1.0, -2.0], &[0.5, 0.0]];
    let steps = trace(config(OptimizerKind::Nesterov), &[0.0, 0.0], &grads, 0.1);
    close(&steps[0], &[-0.19, 0.38]);
    close(&steps[1], &[-0.461, 0.922]);
    close(&steps[2], &[-0.7099, 1.2298]);
}

#[test]
fn rmsprop_by_hand() {
    // α = 0.99, η = 0.01, ε = 1e-8, θ = (1, 0); g = (2, −1), (2, 0.5), (−1, 0).
    // v = 0.01 g² = (0.04, 0.01), √v = (0.2, 0.1):  θ = (1 − 0.1, 0 + 0.1) = (0.9, 0.1).
    // v = (0.0396 + 0.04, 0.0099 + 0.0025) = (0.0796, 0.0124),
    //   √v = (0.282135, 0.111355):                  θ = (0.9 − 0.070888, 0.1 − 0.044901).
    // v = (0.078804 + 0.01, ·) = (0.088804, ·), √v = 0.298000:
    //   θ₀ = 0.829112 + 0.01/0.298000 = 0.862669; g₁ = 0 leaves θ₁ alone.
    let grads: [&[f32]; 3] = [&[2.0, -1.0], &[2.0, 0.5], &[-1.0, 0.0]];
    let steps = trace(config(OptimizerKind::RmsProp), &[1.0, 0.0], &grads, 0.01);
    close(&steps[0], &[0.9, 0.1]);
    close(&steps[1], &[0.829_111_9, 0.055_098_7]);
    close(&steps[2], &[0.862_668_9, 0.055_098_7]);
    // wd = 0.5 adds 0.5 θ: g' = 2.5, v = 0.0625, θ = 1 − 0.01·2.5/0.25 = 0.9;
    // g' = 2.45, v = 0.061875 + 0.060025 = 0.1219, θ = 0.9 − 0.0245/0.349142 = 0.829828.
    let config = OptimizerConfig {
        weight_decay: 0.5,
        ..config(OptimizerKind::RmsProp)
    };
    let steps = trace(config, &[1.0], &[&[2.0], &[2.0]], 0.01);
    close(&steps[0], &[0.9]);
    close(&steps[1], &[0.829_827_9]);
}

#[test]
fn adam_by_hand() {
    // β = (0.9, 0.999), η = 0.1, θ = (1, 1); g = (0.3, −4), (0.1, 0), (−0.2, 1).
    // Step 1: m̂ = g, v̂ = g², so the step is η·sign(g):            θ = (0.9, 1.1).
    // Step 2, θ₀: m = 0.027 + 0.01 = 0.037, v = 0.00008991 + 0.00001 = 0.00009991;
    //   m̂ = 0.037/0.19 = 0.194737, v̂ = 0.00009991/0.001999 = 0.049980, √ = 0.223562;
    //   θ₀ = 0.9 − 0.1·0.194737/0.223562 = 0.812894.
    // Step 2, θ₁: m = −0.36, v = 0.015984; m̂ = −1.894737, √v̂ = √7.995998 = 2.827719;
    //   θ₁ = 1.1 + 0.067006 = 1.167006.
    // Step 3, θ₀: m = 0.0333 − 0.02 = 0.0133, v = 0.00009981 + 0.00004 = 0.00013981;
    //   m̂ = 0.0133/0.271 = 0.049077, √v̂ = √(0.00013981/0.002997001) = 0.215986;
    //   θ₀ = 0.812894 − 0.022722 = 0.790171.
    // Step 3, θ₁: m = −0.324 + 0.1 = −0.224, v = 0.015968 + 0.001 = 0.016968;
    //   m̂ = −0.826568, √v̂ = 2.379426; θ₁ = 1.167006 + 0.034738 = 1.201744.
    let grads: [&[f32]; 3] = [&[0.3, -4.0], &[0.1, 0.0], &[-0.2, 1.0]];
    let steps = trace(config(OptimizerKind::Adam), &[1.0, 1.0], &grads, 0.1);
    close(&steps[0], &[0.9, 1.1]);
    close(&steps[1], &[0.812_893_6, 1.167_005_8]);
    close(&steps[2], &[0.790_171_1, 1.201_744_0]);
}

#[test]
fn adam_weight_decay_is_l2_and_adamw_is_decoupled() {
    // Adam, wd = 0.5, θ = 1, g = 2 then −1, η = 0.1.
    // g' = 2.5: a sign step, θ = 0.9.
    // g' = −1 + 0.45 = −0.55: m = 0.225 − 0.055 = 0.17, v = 0.00624375 + 0.0003025;
    //   m̂ = 0.894737, √v̂ = √3.274762 = 1.809630; θ = 0.9 − 0.049443 = 0.850557.
    let l2 = OptimizerConfig {
        weight_decay: 0.5,
        ..config(OptimizerKind::Adam)
    };
    let steps = trace(l2, &[1.0], &[&[2.0], &[-1.0]], 0.1);
    close(&steps[0], &[0.9]);
    close(&steps[1], &[0.850_556_9]);
    // AdamW: θ ← θ(1 − η·wd) = 0.95θ first, then Adam on the raw gradient.
    // Step 1: 0.95 − 0.1 = 0.85.
    // Step 2: 0.85·0.95 = 0.8075; m = 0.18 − 0.1 = 0.08, v = 0.003996 + 0.001;
    //   m̂ = 0.421053, √v̂ = √2.499250 = 1.580901; θ = 0.8075 − 0.026634 = 0.780866.
    let decoupled = OptimizerConfig {
        kind: OptimizerKind::AdamW,
        ..l2
    };
    let steps = trace(decoupled, &[1.0], &[&[2.0], &[-1.0]], 0.1);
    close(&steps[0], &[0.85]);
    close(&steps[1], &[0.780_866_3]);
}

#[test]
fn clipping_rescales_to_the_max_norm() {
    // ‖(3, 4)‖ = 5 > 1: scale by 1/(5 + 1e-6), giving (0.6, 0.8) to 1e-7.
    let mut g = [3.0, 4.0];
    assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
    close(&g, &[0.6, 0.8]);
    // Shorter than the limit: untouched.
    let mut g = [0.3, 0.4];
    assert_eq!(clip_grad_norm(&mut g, 1.0), 0.5);
    assert_eq!(g, [0.3, 0.4]);
    // Through the optimiser: SGD moves by the clipped gradient, returns
    // the norm before clipping, and leaves the caller's gradient alone.
    let mut opt = Optimizer::new(
        OptimizerConfig {
            clip_norm: Some(1.0),
            ..config(OptimizerKind::Sgd)
        },
        2,
    );
    let mut p = [0.0, 0.0];
    let grad = [3.0, 4.0];
    assert_eq!(opt.step(&mut p, &grad, 1.0), 5.0);
    close(&p, &[-0.6, -0.8]);
    assert_eq!(grad, [3.0, 4.0]);
}

#[test]
fn the_norm_is_exact_for_long_vectors() {
    // 1,203 entries of 0.5 (a chunked sum plus a tail): √(1203/4).
    let g = vec![0.5f32; 1203];
    let expected = (1203.0f64 / 4.0).sqrt();
    assert!((f64::from(l2_norm(&g)) - expected).abs() < 1e-4);
    assert_eq!(l2_norm(&[]), 0.0);
}

#[test]
fn live_changes_keep_state_unless_the_rule_changes() {
    // Momentum: change the learning rate between steps; the buffer
    // survives, so step 2 still uses b = 1.9 (θ = −0.1 − 0.5·1.9 = −1.05).
    let mut opt = Optimizer::new(config(OptimizerKind::Momentum), 1);
    let mut p = [0.0];
    opt.step(&mut p, &[1.0], 0.1);
    opt.set_config(OptimizerConfig {
        lr: 0.5,
        ..config(OptimizerKind::Momentum)
    });
    assert_eq!(opt.step_count(), 1);
    opt.step(&mut p, &[1.0], 0.5);
    close(&p, &[-1.05]);
    // Adam: a new β₂ keeps the moments and the count (bias correction continues).
    let mut opt = Optimizer::new(config(OptimizerKind::Adam), 2);
    let mut p = [1.0, 1.0];
    opt.step(&mut p, &[0.3, -4.0], 0.1);
    opt.set_config(OptimizerConfig {
        weight_decay: 0.0,
        ..config(OptimizerKind::Adam)
    });
    opt.step(&mut p, &[0.1, 0.0], 0.1);
    close(&p, &[0.812_893_6, 1.167_005_8]);
    // A new rule starts from scratch: Nesterov's first step ignores Adam's moments.
    opt.set_config(config(OptimizerKind::Nesterov));
    assert_eq!(opt.step_count(), 0);
    let mut q = [0.0, 0.0];
    opt.step(&mut q, &[1.0, -2.0], 0.1);
    close(&q, &[-0.19, 0.38]);
    opt.reset();
    assert_eq!(opt.step_count(), 0);
}

#[test]
fn saved_state_resumes_the_same_run() {
    let grads: [&[f32]; 3] = [&[0.3, -4.0], &[0.1, 0.0], &[-0.2, 1.0]];
    let whole = trace(config(OptimizerKind::Adam), &[1.0, 1.0], &grads, 0.1);
    let mut opt = Optimizer::new(config(OptimizerKind::Adam), 2);
    let mut p = [1.0, 1.0];
    opt.step(&mut p, grads[0], 0.1);
    opt.step(&mut p, grads[1], 0.1);
    let saved = serde_json::to_string(&opt).expect("serialisable");
    let mut restored: Optimizer = serde_json::from_str(&saved).expect("parses");
    assert_eq!(restored.num_params(), 2);
    assert_eq!(restored.step_count(), 2);
    restored.step(&mut p, grads[2], 0.1);
    assert_eq!(p.to_vec(), whole[2]);
}

#[test]
fn very_long_runs_stay_finite() {
    // A step count past i32::MAX must not wrap βᵗ's exponent negative.
    let mut opt = Optimizer::new(config(OptimizerKind::Adam), 1);
    let mut state = serde_json::to_value(&opt).expect("serialisable");
    state["steps"] = serde_json::json!(3_000_000_000u64);
    opt = serde_json::from_value(state).expect("parses");
    let mut p = [1.0];
    opt.step(&mut p, &[0.5], 0.1);
    assert!(p[0].is_finite() && p[0] < 1.0, "{p:?}");
}

#[test]
#[should_panic(expected = "another model")]
fn stepping_the_wrong_size_is_a_bug() {
    let mut opt = Optimizer::new(config(OptimizerKind::Sgd), 3);
    opt.step(&mut [0.0; 2], &[0.0; 2], 0.1);
}

/// A large model's update runs in chunks on both cores; each chunk must
/// give the very bits the whole would in one loop. Element by element, so
/// separate optimisers on pieces of the vector (each below the parallel
/// threshold) are the reference.
#[test]
fn a_large_update_on_both_cores_gives_the_bits_of_one_loop() {
    let n = PARALLEL_FROM + 3 * CHUNK / 2 + 7;
    let start: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 40.0)
        .collect();
    let grads: Vec<Vec<f32>> = (0..3)
        .map(|s| {
            (0..n)
                .map(|i| (((i + s * 11) * 53 % 97) as f32 - 48.0) / 30.0)
                .collect()
        })
        .collect();
    let kinds = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Nesterov,
        OptimizerKind::RmsProp,
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
    ];
    for kind in kinds {
        let config = OptimizerConfig {
            weight_decay: 0.01,
            ..config(kind)
        };
        let mut whole = start.clone();
        let mut optimizer = Optimizer::new(config, n);
        for g in &grads {
            optimizer.step(&mut whole, g, 0.05);
        }
        let pieces = [0, PARALLEL_FROM / 3, PARALLEL_FROM / 3 * 2, n / 4 * 3, n];
        for range in pieces.windows(2) {
            let (from, to) = (range[0], range[1]);
            let mut piece = start[from..to].to_vec();
            let mut optimizer = Optimizer::new(config, to - from);
            for g in &grads {
                optimizer.step(&mut piece, &g[from..to], 0.05);
            }
            assert!(
                piece
                    .iter()
                    .zip(&whole[from..to])
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{kind:?} over {from}..{to}"
            );
        }
    }
}

/// The norm adds fixed chunks' partial sums in order: the same bits on one
/// thread or two, and within rounding of the exact sum.
#[test]
fn a_large_norm_is_the_same_on_any_number_of_threads() {
    let n = 3 * PARALLEL_FROM + 5;
    let values: Vec<f32> = (0..n)
        .map(|i| ((i * 29 % 211) as f32 - 105.0) / 17.0)
        .collect();
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| l2_norm(&values))
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one.to_bits(), two.to_bits());
    let exact = values
        .iter()
        .map(|&v| f64::from(v).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        (f64::from(one) - exact).abs() <= 1e-6 * exact,
        "{one} vs {exact}"
    );
    // Below one chunk the sum is the eight-lane loop itself.
    let few = &values[..1000];
    assert_eq!(
        l2_norm(few).to_bits(),
        (squares(few).sqrt() as f32).to_bits()
    );
}
