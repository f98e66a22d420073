//! A character model on a text: next-symbol cross-entropy as a [`Problem`],
//! so every landscape, analysis and session works on it as on an MLP.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::hessian_products::HessianProducts;
use super::{Batch, Evaluation, Problem, Workspace};
use crate::autograd::{Linearised, Tape};
use crate::kernels::Activation;
use crate::language::{
    self as sample, CharModel, CharScratch, Corpus, Examples, Text, TextError, TextSplit,
    bigram_optimum,
};
use crate::nn::ParamLayout;

/// Where a language model's text comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// A built-in corpus.
    Corpus(Corpus),
    /// A user's UTF-8 file.
    File(PathBuf),
}

impl TextSource {
    /// Reads the text; the error names the file and what is wrong.
    pub fn load(&self) -> Result<(Text, String), TextError> {
        match self {
            TextSource::Corpus(corpus) => Ok((
                Text::parse(corpus.text(), corpus.name())?,
                corpus.title().to_string(),
            )),
            TextSource::File(path) => {
                let name = path
                    .file_name()
                    .map_or("text".into(), |n| n.to_string_lossy().into_owned());
                Ok((Text::read(path)?, name))
            }
        }
    }
}

/// A language model's buffers in a [`Workspace`].
#[derive(Default)]
struct LanguageScratch {
    forward: CharScratch<f32>,
    tape: Tape<f32>,
    batch: Examples,
}

/// A character model and the text it learns to continue.
pub struct LanguageProblem {
    model: CharModel,
    vocab: Vec<char>,
    split: TextSplit,
    /// Evenly spaced examples of each set, for the loss chart.
    curve: TextSplit,
    /// Which training examples `curve.train` holds.
    curve_indices: Vec<usize>,
    /// The training text's ids in order (the first context, then every
    /// target), searched for a prompt's true continuation each frame.
    train_text: Vec<usize>,
    label: String,
    bigram: f64,
    products: HessianProducts,
}

impl LanguageProblem {
    /// The model `context` → `embed` → `hidden` → vocabulary on `text`,
    /// whose last `test_fraction` is held out.
    pub fn new(
        text: &Text,
        text_name: &str,
        context: usize,
        embed: usize,
        hidden: &[usize],
        activation: Activation,
        test_fraction: f32,
    ) -> anyhow::Result<Self> {
        let model = CharModel::new(text.vocab().len(), context, embed, hidden, activation)?;
        let split = TextSplit::new(text, context, test_fraction, text_name)?;
        let bigram = bigram_optimum(&split.train, text.vocab().len());
        let curve_indices = evenly_spaced(split.train.len(), CURVE_SAMPLE);
        let test_indices = evenly_spaced(split.test.len(), CURVE_SAMPLE);
        let mut curve = TextSplit {
            train: Examples::default(),
            test: Examples::default(),
        };
        split.train.select(&curve_indices, &mut curve.train);
        split.test.select(&test_indices, &mut curve.test);
        let train_text = split
            .train
            .context_of(0)
            .iter()
            .chain(&split.train.targets)
            .copied()
            .collect();
        Ok(Self {
            curve,
            curve_indices,
            train_text,
            label: format!("{text_name} · next character, {}", model.describe()),
            model,
            vocab: text.vocab().to_vec(),
            split,
            bigram,
            products: HessianProducts::default(),
        })
    }

    fn evaluate_on(
        &self,
        sets: &TextSplit,
        params: &[f32],
        workspace: &mut Workspace,
    ) -> Evaluation {
        let scratch = &mut workspace.scratch::<LanguageScratch>().forward;
        let (train_loss, train_accuracy) =
            self.model.loss_and_accuracy(params, &sets.train, scratch);
        let test = (!sets.test.is_empty())
            .then(|| self.model.loss_and_accuracy(params, &sets.test, scratch));
        Evaluation {
            train_loss,
            test_loss: test.map(|(loss, _)| loss),
            train_accuracy: Some(train_accuracy as f32),
            test_accuracy: test.map(|(_, accuracy)| accuracy as f32),
        }
    }

    /// The model's shape.
    pub fn model(&self) -> &CharModel {
        &self.model
    }

    /// The symbols, in id order.
    pub fn vocab(&self) -> &[char] {
        &self.vocab
    }

    /// Training and test examples.
    pub fn split(&self) -> &TextSplit {
        &self.split
    }

    /// The lowest training loss any bigram model reaches (nats), from counts.
    pub fn bigram_bound(&self) -> f64 {
        self.bigram
    }

    /// A prompt's symbol ids; the error names the first character the
    /// text never uses.
    pub fn encode(&self, prompt: &str) -> Result<Vec<usize>, String> {
        prompt
            .replace("\r\n", "\n")
            .chars()
            .map(|c| {
                self.vocab.binary_search(&c).map_err(|_| {
                    format!(
                        "the text never uses {}, so the model has no embedding for it",
                        crate::language::show_symbol(c)
                    )
                })
            })
            .collect()
    }

    /// Symbol ids back to text.
    pub fn decode(&self, ids: &[usize]) -> String {
        ids.iter().filter_map(|&i| self.vocab.get(i)).collect()
    }

    /// The last k symbols of a prompt, padded on the left with the line
    /// end (or the first symbol when the text has none) when it is shorter:
    /// the model then reads a short prompt as the start of a line.
    pub fn context_of(&self, prompt: &[usize]) -> Vec<usize> {
        let k = self.model.context();
        let pad = self.vocab.binary_search(&'\n').unwrap_or(0);
        let mut context = vec![pad; k.saturating_sub(prompt.len())];
        context.extend_from_slice(&prompt[prompt.len().saturating_sub(k)..]);
        context
    }

    /// Probabilities of each symbol following `prompt`.
    pub fn next_probabilities(&self, params: &[f32], prompt: &[usize]) -> Vec<f64> {
        sample::next_probabilities(&self.model, params, &self.context_of(prompt))
    }

    /// `count` characters continuing `prompt` at `temperature`.
    pub fn sample(
        &self,
        params: &[f32],
        prompt: &[usize],
        count: usize,
        temperature: f32,
        seed: u64,
    ) -> String {
        let ids = sample::sample(
            &self.model,
            params,
            &self.context_of(prompt),
            count,
            temperature,
            seed,
        );
        self.decode(&ids)
    }

    /// The two parameters whose change moves −log p(`target` | `prompt`)
    /// most per unit: the largest entries of that one prediction's gradient
    /// (for a map of two single weights beside the random-direction map).
    pub fn most_influential_parameters(
        &self,
        params: &[f32],
        prompt: &[usize],
        target: usize,
    ) -> [usize; 2] {
        let example = Examples {
            context: self.model.context(),
            contexts: self.context_of(prompt),
            targets: vec![target],
        };
        let params64: Vec<f64> = params.iter().map(|&p| f64::from(p)).collect();
        let mut grad = vec![0.0; params.len()];
        self.model
            .loss_and_grad(&params64, &example, &mut grad, &mut Tape::new());
        let mut order: Vec<usize> = (0..grad.len()).collect();
        order.sort_by(|&a, &b| grad[b].abs().total_cmp(&grad[a].abs()).then(a.cmp(&b)));
        [order[0], order.get(1).copied().unwrap_or(order[0])]
    }

    /// The character that follows `prompt` where it first appears in the
    /// training text (`None` when it never does, or is empty).
    pub fn continuation_in_text(&self, prompt: &[usize]) -> Option<usize> {
        if prompt.is_empty() {
            return None;
        }
        self.train_text
            .windows(prompt.len() + 1)
            .find(|w| &w[..prompt.len()] == prompt)
            .map(|w| w[prompt.len()])
    }
}

/// Examples per set the loss chart's evaluations read: a run evaluates
/// every one of its first 256 steps, and a whole text would cost a hundred
/// training steps each time. The sample is fixed, so the curve is smooth;
/// the summary and the landscape read every example.
pub const CURVE_SAMPLE: usize = 2048;

/// At most `count` indices spread evenly over 0..n (all of them when there are fewer).
fn evenly_spaced(n: usize, count: usize) -> Vec<usize> {
    if n <= count {
        return (0..n).collect();
    }
    (0..count).map(|i| i * n / count).collect()
}

impl Problem for LanguageProblem {
    fn name(&self) -> String {
        self.label.clone()
    }

    fn layout(&self) -> &ParamLayout {
        self.model.layout()
    }

    fn init_params(&self, seed: u64) -> Vec<f32> {
        self.model.init(seed)
    }

    fn num_train_examples(&self) -> usize {
        self.split.train.len()
    }

    fn loss_and_grad(
        &self,
        params: &[f32],
        batch: Batch,
        grad: &mut [f32],
        workspace: &mut Workspace,
    ) -> f32 {
        let scratch = workspace.scratch::<LanguageScratch>();
        match batch {
            Batch::Full => {
                self.model
                    .loss_and_grad(params, &self.split.train, grad, &mut scratch.tape)
            }
            Batch::Indices(indices) => {
                self.split.train.select(indices, &mut scratch.batch);
                self.model
                    .loss_and_grad(params, &scratch.batch, grad, &mut scratch.tape)
            }
        }
    }

    fn loss(&self, params: &[f32], workspace: &mut Workspace) -> f32 {
        let scratch = workspace.scratch::<LanguageScratch>();
        self.model
            .loss(params, &self.split.train, &mut scratch.forward)
    }

    fn evaluate(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        self.evaluate_on(&self.split, params, workspace)
    }

    fn evaluate_for_curve(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        self.evaluate_on(&self.curve, params, workspace)
    }

    fn curve_batch(&self) -> Option<&[usize]> {
        (self.curve_indices.len() < self.split.train.len()).then_some(self.curve_indices.as_slice())
    }

    fn loss_and_grad_f64(&self, params: &[f64]) -> Option<(f64, Vec<f64>)> {
        let mut grad = vec![0.0; params.len()];
        let loss = self
            .model
            .loss_and_grad(params, &self.split.train, &mut grad, &mut Tape::new());
        Some((loss, grad))
    }

    /// Exact, by the R-operator through the tape (one tangent and one
    /// reverse pass per share of the examples, at a point recorded once).
    fn hessian_vector(&self, params: &[f64], v: &[f64]) -> Option<Vec<f64>> {
        let train = &self.split.train;
        Some(self.products.product(params, v, train.len(), |rows| {
            let mut share = Examples::default();
            train.select(&rows.collect::<Vec<_>>(), &mut share);
            let mut tape = Tape::new();
            let (loss, leaves) = self.model.record(params, &share, &mut tape);
            Linearised::new(tape, loss, leaves, self.model.places())
        }))
    }

    fn language(&self) -> Option<&LanguageProblem> {
        Some(self)
    }
}
