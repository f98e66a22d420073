//! The character model: embed each of the k context symbols, lay the k
//! embeddings side by side, and read the next symbol's logits from an MLP.
//!
//! Its parameters are PyTorch's `CharModel` state dict in order
//! (`embedding.weight` [V, d], then `mlp.0.weight`, `mlp.0.bias`, …; see
//! `scripts/char_model.py`), so weights load into that module unchanged.

use ndarray::{ArrayView2, Axis};
use rand_distr::{Distribution, StandardNormal};

use super::text::{Examples, MAX_CONTEXT, MAX_VOCAB};
use crate::autograd::{Tape, Var};
use crate::io::limits::MAX_WIDTH;
use crate::kernels::Activation;
use crate::kernels::loss;
use crate::nn::{ForwardScratch, Init, Mlp, NnError, ParamLayout, seeded_rng};
use crate::scalar::Scalar;

/// Rows evaluated at once by the tape-free loss: their activations stay in
/// the core's cache however long the text is.
const CHUNK_ROWS: usize = 4096;

/// Why a character model cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CharModelError {
    /// Context outside 1..=8.
    #[error("the context must be 1 to {MAX_CONTEXT} characters, not {0}")]
    Context(usize),
    /// Embedding width outside 1..=MAX_WIDTH.
    #[error("the embedding width must be 1 to {MAX_WIDTH}, not {0}")]
    Embed(usize),
    /// Vocabulary outside 2..=256.
    #[error("the vocabulary must hold 2 to {MAX_VOCAB} symbols, not {0}")]
    Vocab(usize),
    /// The MLP after the embedding is too large.
    #[error(transparent)]
    Network(#[from] NnError),
}

/// A character-level language model's shape (the parameters live outside).
#[derive(Clone, Debug, PartialEq)]
pub struct CharModel {
    vocab: usize,
    context: usize,
    embed: usize,
    mlp: Mlp,
    layout: ParamLayout,
}

/// Buffers reused by tape-free passes.
#[derive(Debug, Default)]
pub struct CharScratch<T> {
    /// Each row's k embeddings side by side.
    inputs: Vec<T>,
    forward: ForwardScratch<T>,
}

impl CharModel {
    /// A model over `vocab` symbols reading `context` of them, each
    /// embedded in `embed` numbers, through `hidden` layers (none for the
    /// bigram-style linear read-out).
    pub fn new(
        vocab: usize,
        context: usize,
        embed: usize,
        hidden: &[usize],
        activation: Activation,
    ) -> Result<Self, CharModelError> {
        if !(1..=MAX_CONTEXT).contains(&context) {
            return Err(CharModelError::Context(context));
        }
        if !(1..=MAX_WIDTH).contains(&embed) {
            return Err(CharModelError::Embed(embed));
        }
        if !(2..=MAX_VOCAB).contains(&vocab) {
            return Err(CharModelError::Vocab(vocab));
        }
        let mut sizes = vec![context * embed];
        sizes.extend_from_slice(hidden);
        sizes.push(vocab);
        let mlp = Mlp::new(&sizes, activation)?;
        let embedding = std::iter::once(("embedding.weight".to_string(), vec![vocab, embed]));
        let layers = mlp
            .layout()
            .tensors
            .iter()
            .map(|t| (format!("mlp.{}", t.name), t.shape.clone()));
        let layout = ParamLayout::from_shapes(embedding.chain(layers));
        if layout.num_params() > crate::io::limits::MAX_PARAMS {
            return Err(NnError::TooManyParams {
                sizes,
                count: layout.num_params(),
            }
            .into());
        }
        Ok(Self {
            vocab,
            context,
            embed,
            mlp,
            layout,
        })
    }

    /// Symbols in the vocabulary.
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    /// Characters of context.
    pub fn context(&self) -> usize {
        self.context
    }

    /// Width of one embedding.
    pub fn embed(&self) -> usize {
        self.embed
    }

    /// The MLP from the concatenated embeddings to the logits.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// Names and shapes of every parameter.
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// Total parameter count.
    pub fn num_params(&self) -> usize {
        self.layout.num_params()
    }

    /// `k 3 · d 10 · 200 tanh` (or `k 1 · d 27 · linear`).
    pub fn describe(&self) -> String {
        let sizes = self.mlp.layer_sizes();
        let hidden = &sizes[1..sizes.len() - 1];
        let body = if hidden.is_empty() {
            "linear".to_string()
        } else {
            format!(
                "{} {}",
                crate::nn::describe_sizes(hidden),
                self.mlp.activation()
            )
        };
        format!("k {} · d {} · {body}", self.context, self.embed)
    }

    /// Where the embedding table ends and the MLP's parameters begin.
    fn embedding_len(&self) -> usize {
        self.vocab * self.embed
    }

    /// Fresh parameters: embeddings ~ N(0, 1) and the MLP's layers as
    /// `nn.Linear` starts them (PyTorch's defaults).
    pub fn init(&self, seed: u64) -> Vec<f32> {
        let mut rng = seeded_rng(seed ^ 0x656d_6265_6464_696e);
        let mut params: Vec<f32> = (0..self.embedding_len())
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        params.extend(self.mlp.init(Init::Torch, seed));
        params
    }

    /// Logits [n, V] of the contexts (row-major [n, k] ids), without a tape.
    pub fn logits<'s, T: Scalar>(
        &self,
        params: &[T],
        contexts: &[usize],
        scratch: &'s mut CharScratch<T>,
    ) -> ArrayView2<'s, T> {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        let (table, weights) = params.split_at(self.embedding_len());
        let width = self.context * self.embed;
        let n = contexts.len() / self.context;
        scratch.inputs.clear();
        scratch.inputs.reserve(n * width);
        for &id in contexts {
            scratch
                .inputs
                .extend_from_slice(&table[id * self.embed..(id + 1) * self.embed]);
        }
        let x = ArrayView2::from_shape((n, width), &scratch.inputs)
            .expect("one row of k embeddings per context");
        self.mlp.forward(weights, x, &mut scratch.forward)
    }

    /// Runs the examples through the model in chunks, so long texts stay in
    /// cache, handing each chunk's logits and targets to `read`.
    fn for_each_chunk<T: Scalar>(
        &self,
        params: &[T],
        examples: &Examples,
        scratch: &mut CharScratch<T>,
        mut read: impl FnMut(ArrayView2<T>, &[usize]),
    ) {
        let n = examples.len();
        for start in (0..n).step_by(CHUNK_ROWS) {
            let end = (start + CHUNK_ROWS).min(n);
            let contexts = &examples.contexts[start * self.context..end * self.context];
            read(
                self.logits(params, contexts, scratch),
                &examples.targets[start..end],
            );
        }
    }

    /// Mean cross-entropy (nats) and the fraction of next symbols ranked
    /// first, tape-free.
    pub fn loss_and_accuracy<T: Scalar>(
        &self,
        params: &[T],
        examples: &Examples,
        scratch: &mut CharScratch<T>,
    ) -> (T, f64) {
        let n = examples.len().max(1);
        let (mut total, mut correct) = (T::zero(), 0.0);
        self.for_each_chunk(params, examples, scratch, |logits, targets| {
            let rows = targets.len();
            total += loss::cross_entropy(logits, targets) * T::of(rows as f64);
            correct += loss::accuracy(logits, targets) * rows as f64;
        });
        (total / T::of(n as f64), correct / n as f64)
    }

    /// Mean cross-entropy (nats) over the examples, tape-free: the
    /// landscape's hot path.
    pub fn loss<T: Scalar>(
        &self,
        params: &[T],
        examples: &Examples,
        scratch: &mut CharScratch<T>,
    ) -> T {
        let mut total = T::zero();
        self.for_each_chunk(params, examples, scratch, |logits, targets| {
            total += loss::cross_entropy(logits, targets) * T::of(targets.len() as f64);
        });
        total / T::of(examples.len().max(1) as f64)
    }

    /// Mean cross-entropy and its gradient (into `grad`), built from tape
    /// ops a student can read: look up the embeddings, lay them side by
    /// side, run the layers, take the log-softmax, and average −log p of
    /// each true next symbol.
    pub fn loss_and_grad<T: Scalar>(
        &self,
        params: &[T],
        examples: &Examples,
        grad: &mut [T],
        tape: &mut Tape<T>,
    ) -> T {
        assert_eq!(grad.len(), self.num_params(), "gradient length");
        let (loss, leaves) = self.record(params, examples, tape);
        tape.loss_and_flat_gradient(loss, &leaves, self.places(), grad)
    }

    /// Records the mean loss on a cleared `tape`: the loss node and the
    /// parameter leaves, in the order of [`CharModel::places`].
    pub fn record<T: Scalar>(
        &self,
        params: &[T],
        examples: &Examples,
        tape: &mut Tape<T>,
    ) -> (Var, Vec<Var>) {
        assert_eq!(params.len(), self.num_params(), "parameter count");
        assert_eq!(examples.context, self.context, "context width");
        let n = examples.len();
        let (table_params, weights) = params.split_at(self.embedding_len());
        tape.clear();
        let table = ArrayView2::from_shape((self.vocab, self.embed), table_params)
            .expect("embedding table shape");
        let table = tape.leaf_from(table, true);
        let embedded = tape.gather(table, &examples.contexts);
        let mut h = tape.reshape(embedded, n, self.context * self.embed);
        let mut leaves = vec![table];
        let layers = self.mlp.num_layers();
        for l in 0..layers {
            let w = tape.leaf_from(self.mlp.weight(weights, l), true);
            let b = tape.leaf_from(self.mlp.bias(weights, l).insert_axis(Axis(0)), true);
            leaves.extend([w, b]);
            let z = tape.linear(h, w, b);
            h = if l + 1 < layers {
                tape.activate(z, self.mlp.activation())
            } else {
                z
            };
        }
        let log_probs = tape.log_softmax(h);
        let loss = tape.negative_log_likelihood(log_probs, &examples.targets);
        (loss, leaves)
    }

    /// Where each tensor lives in the flat parameters, in layout order.
    pub fn places(&self) -> Vec<std::ops::Range<usize>> {
        self.layout.tensors.iter().map(|t| t.range()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(vocab: usize, context: usize, n: usize, seed: u64) -> Examples {
        use rand::RngExt;
        let mut rng = seeded_rng(seed);
        let ids: Vec<usize> = (0..n + context)
            .map(|_| rng.random_range(0..vocab))
            .collect();
        Examples::windows(&ids, context)
    }

    #[test]
    fn the_gradient_matches_finite_differences_for_every_shape() {
        for (context, embed, hidden, activation) in [
            (3, 4, vec![6], Activation::Tanh),
            (1, 5, vec![], Activation::Tanh),
            (2, 3, vec![5, 4], Activation::Gelu),
        ] {
            let model = CharModel::new(7, context, embed, &hidden, activation).expect("model");
            let data = examples(7, context, 11, 1);
            let params: Vec<f64> = model.init(2).iter().map(|&p| f64::from(p)).collect();
            let mut grad = vec![0.0; params.len()];
            let value = model.loss_and_grad(&params, &data, &mut grad, &mut Tape::new());
            let mut scratch = CharScratch::default();
            let mut at = |p: &[f64]| model.loss(p, &data, &mut scratch);
            assert!((value - at(&params)).abs() < 1e-13, "taped vs tape-free");
            let h = 1e-6;
            for i in 0..params.len() {
                let (mut plus, mut minus) = (params.clone(), params.clone());
                plus[i] += h;
                minus[i] -= h;
                let numeric = (at(&plus) - at(&minus)) / (2.0 * h);
                assert!(
                    (grad[i] - numeric).abs() < 1e-7 * (1.0 + numeric.abs()),
                    "{}: {} vs {numeric}",
                    model.layout().describe_index(i),
                    grad[i]
                );
            }
        }
    }

    #[test]
    fn the_layout_uses_the_pytorch_module_names_and_sizes_are_checked() {
        let model = CharModel::new(27, 3, 10, &[200], Activation::Tanh).expect("model");
        let names: Vec<&str> = model
            .layout()
            .tensors
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "embedding.weight",
                "mlp.0.weight",
                "mlp.0.bias",
                "mlp.2.weight",
                "mlp.2.bias"
            ]
        );
        assert_eq!(model.num_params(), 27 * 10 + 30 * 200 + 200 + 200 * 27 + 27);
        assert_eq!(model.describe(), "k 3 · d 10 · 200 tanh");
        assert_eq!(model.init(5), model.init(5));
        assert_eq!(
            CharModel::new(27, 9, 10, &[], Activation::Tanh),
            Err(CharModelError::Context(9))
        );
        assert_eq!(
            CharModel::new(1, 2, 10, &[], Activation::Tanh),
            Err(CharModelError::Vocab(1))
        );
        assert!(matches!(
            CharModel::new(256, 8, 4096, &[4096], Activation::Tanh),
            Err(CharModelError::Network(_))
        ));
        // The chunked tape-free loss agrees with one pass over many rows.
        let data = examples(27, 3, 1000, 3);
        let params = model.init(1);
        let mut grad = vec![0.0; params.len()];
        let taped = model.loss_and_grad(&params, &data, &mut grad, &mut Tape::new());
        let (free, accuracy) = model.loss_and_accuracy(&params, &data, &mut CharScratch::default());
        assert!((taped - free).abs() < 1e-5 * taped, "{taped} vs {free}");
        assert!((0.0..=1.0).contains(&accuracy));
    }
}
