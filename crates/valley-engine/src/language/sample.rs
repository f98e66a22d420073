//! Reading a trained model: the next symbol's probabilities, and text
//! sampled from them one symbol at a time.

use rand::RngExt;

use super::model::{CharModel, CharScratch};
use crate::nn::seeded_rng;

/// Below this temperature sampling takes the most likely symbol: the limit
/// of p^(1/T) as T → 0 (ties go to the lower id).
pub const GREEDY_TEMPERATURE: f32 = 1e-3;

/// Softmax of `logits / temperature`, computed in f64 so a low temperature
/// neither overflows nor rounds every small probability to zero unevenly.
pub fn softmax(logits: &[f32], temperature: f32) -> Vec<f64> {
    let t = f64::from(temperature.max(GREEDY_TEMPERATURE));
    let max = logits
        .iter()
        .map(|&z| f64::from(z))
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logits
        .iter()
        .map(|&z| ((f64::from(z) - max) / t).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

/// The model's probabilities for the symbol after `context` (exactly k ids).
pub fn next_probabilities(model: &CharModel, params: &[f32], context: &[usize]) -> Vec<f64> {
    let mut scratch = CharScratch::default();
    let logits = model.logits(params, context, &mut scratch);
    let row: Vec<f32> = logits.row(0).to_vec();
    softmax(&row, 1.0)
}

/// The index of the largest value (the lowest index among ties).
pub fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(best, top), (i, &v)| {
            if v > top { (i, v) } else { (best, top) }
        })
        .0
}

/// `count` symbols continuing `context` (k ids), each drawn from the
/// model's distribution at `temperature` (≤ [`GREEDY_TEMPERATURE`]: the
/// most likely one), seeded so a sample can be shown again.
pub fn sample(
    model: &CharModel,
    params: &[f32],
    context: &[usize],
    count: usize,
    temperature: f32,
    seed: u64,
) -> Vec<usize> {
    assert_eq!(context.len(), model.context(), "a context of k symbols");
    let mut rng = seeded_rng(seed);
    let mut scratch = CharScratch::default();
    let mut window = context.to_vec();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let logits = model.logits(params, &window, &mut scratch);
        let row: Vec<f32> = logits.row(0).to_vec();
        let next = if temperature <= GREEDY_TEMPERATURE {
            let as_f64: Vec<f64> = row.iter().map(|&z| f64::from(z)).collect();
            argmax(&as_f64)
        } else {
            let probabilities = softmax(&row, temperature);
            let u: f64 = rng.random();
            let mut acc = 0.0;
            probabilities
                .iter()
                .position(|&p| {
                    acc += p;
                    u < acc
                })
                .unwrap_or(probabilities.len() - 1)
        };
        out.push(next);
        window.remove(0);
        window.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Activation;

    #[test]
    fn at_temperature_near_zero_sampling_is_the_argmax_and_at_one_it_follows_the_probabilities() {
        let model = CharModel::new(5, 2, 3, &[4], Activation::Tanh).expect("model");
        // Weights ten times their starting scale separate the logits clearly.
        let params: Vec<f32> = model.init(3).iter().map(|w| 10.0 * w).collect();
        let start = [1, 4];
        let greedy = sample(&model, &params, &start, 12, 0.0, 1);
        // Each greedy symbol is the argmax of the distribution its window gives.
        let mut window = start.to_vec();
        let mut smallest_gap = f64::INFINITY;
        for &symbol in &greedy {
            let p = next_probabilities(&model, &params, &window);
            assert_eq!(symbol, argmax(&p));
            let mut sorted = p.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            smallest_gap = smallest_gap.min((sorted[0] / sorted[1]).ln());
            window = vec![window[1], symbol];
        }
        // A temperature 30 times below the smallest logit gap leaves the
        // runner-up a chance below 4·e^−30 per draw: sampling must agree.
        let cold = (smallest_gap / 30.0) as f32;
        assert!(
            cold > GREEDY_TEMPERATURE,
            "the test must sample, gap {smallest_gap}"
        );
        for seed in 0..5 {
            assert_eq!(sample(&model, &params, &start, 12, cold, seed), greedy);
        }
        // At T = 1 the first symbol's frequency matches its probability.
        let p = next_probabilities(&model, &params, &start);
        let draws = 20_000;
        let mut counts = [0usize; 5];
        for seed in 0..draws {
            counts[sample(&model, &params, &start, 1, 1.0, seed)[0]] += 1;
        }
        for (c, q) in counts.iter().zip(&p) {
            let frequency = *c as f64 / draws as f64;
            let sigma = (q * (1.0 - q) / draws as f64).sqrt();
            assert!(
                (frequency - q).abs() < 5.0 * sigma + 1e-9,
                "{frequency} vs {q}"
            );
        }
        let hot = softmax(&[1.0, 2.0, 3.0], 100.0);
        assert!(hot.iter().all(|&q| (q - 1.0 / 3.0).abs() < 0.01));
        assert!((softmax(&[1.0, 2.0, 3.0], 1e-9)[2] - 1.0).abs() < 1e-12);
    }
}
