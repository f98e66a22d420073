//! The best any bigram model can do, from counts alone.
//!
//! A model that sees one symbol and predicts the next minimises its mean
//! cross-entropy by predicting the counted frequencies p(b | a) = c(a, b) / c(a);
//! its loss is then the conditional entropy H(next | previous) of the text.
//! A k = 1 model with no hidden layer and an embedding at least as wide as
//! the vocabulary can express any such table, so training it long must
//! arrive here: a check on the whole pipeline with an exact answer.

use super::text::Examples;

/// −(1/N) Σ log p(b | a) with counted probabilities, in nats, over
/// `examples` read by their last context symbol (0 when there are none).
pub fn bigram_optimum(examples: &Examples, vocab: usize) -> f64 {
    let n = examples.len();
    if n == 0 || examples.context == 0 {
        return 0.0;
    }
    let mut pairs = vec![0u64; vocab * vocab];
    let mut firsts = vec![0u64; vocab];
    for i in 0..n {
        let a = examples.context_of(i)[examples.context - 1];
        pairs[a * vocab + examples.targets[i]] += 1;
        firsts[a] += 1;
    }
    let total: f64 = pairs
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(ab, &c)| {
            let c = c as f64;
            -c * (c / firsts[ab / vocab] as f64).ln()
        })
        .sum();
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_counted_text_gives_its_conditional_entropy() {
        // "aab" repeated: after a comes a or b half the time each; after b always a.
        let ids: Vec<usize> = [0, 0, 1].repeat(4);
        let examples = Examples::windows(&ids, 1);
        // Pairs: aa ×4, ab ×4, ba ×3 of 11 → (8·ln 2 + 3·0) / 11.
        let expected = 8.0 * 2f64.ln() / 11.0;
        assert!((bigram_optimum(&examples, 2) - expected).abs() < 1e-15);
        // A deterministic text costs nothing.
        let cycle = Examples::windows(&[0, 1, 2].repeat(5), 1);
        assert_eq!(bigram_optimum(&cycle, 3), 0.0);
    }
}
