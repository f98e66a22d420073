//! Options shared by the commands that build and train a model.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;

use super::choice::choice;

use valley_engine::data::{self, DatasetKind, DatasetSpec, Split};
use valley_engine::language::Corpus;
use valley_engine::nn::{Activation, Init, Mlp, parse_layer_sizes};
use valley_engine::optim::{LrSchedule, OptimizerConfig, OptimizerKind, Schedule};
use valley_engine::problem::{MlpProblem, Problem, ProblemSpec, TextSource};
use valley_engine::train::TrainConfig;

/// Where the data comes from.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Built-in dataset.
    #[arg(long, conflicts_with = "data", value_parser = choice::<DatasetKind>())]
    pub dataset: Option<DatasetKind>,
    /// Built-in text for a character language model (names, prose).
    #[arg(long, conflicts_with_all = ["data", "dataset", "text"], value_parser = choice::<Corpus>())]
    pub corpus: Option<Corpus>,
    /// Your own UTF-8 text for a character language model (at most 256 KiB, 256 distinct characters).
    #[arg(long, value_name = "FILE.txt", conflicts_with_all = ["data", "dataset"])]
    pub text: Option<PathBuf>,
    /// CSV file with header `x1,...,xd,label` (classes) or `x1,...,xd,y` (regression).
    #[arg(long, value_name = "FILE.csv")]
    pub data: Option<PathBuf>,
    /// Points in a built-in dataset (train + test).
    #[arg(long, default_value_t = 1000)]
    pub size: usize,
    /// Noise of a built-in dataset (default: the dataset's own).
    #[arg(long, allow_negative_numbers = true)]
    pub noise: Option<f32>,
    /// Classes of the blobs dataset.
    #[arg(long, default_value_t = 3)]
    pub classes: usize,
    /// Fraction of the examples held out as a test set (a text's last part).
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f32,
    /// Seed of the dataset and its split.
    #[arg(long, default_value_t = 0)]
    pub data_seed: u64,
}

impl DataArgs {
    /// Generates or loads the data; returns it with a name for titles.
    pub fn load(&self) -> anyhow::Result<(Split, String)> {
        match (&self.data, self.dataset) {
            (Some(path), _) => {
                let dataset = data::load_csv(path)?;
                let name = path
                    .file_name()
                    .map_or("data".into(), |n| n.to_string_lossy().into_owned());
                Ok((
                    data::split(dataset, self.test_fraction, self.data_seed),
                    name,
                ))
            }
            (None, Some(kind)) => {
                let spec = DatasetSpec {
                    kind,
                    size: self.size,
                    noise: self.noise.unwrap_or(kind.default_noise()),
                    test_fraction: self.test_fraction,
                    seed: self.data_seed,
                    classes: self.classes,
                };
                Ok((data::generate(&spec)?, kind.title().to_string()))
            }
            (None, None) => bail!(
                "say which data to use: --dataset NAME (moons, spirals, ...) or --data FILE.csv, or --corpus NAME / --text FILE for a language model"
            ),
        }
    }

    /// The text of a language model, when one was asked for.
    pub fn text_source(&self) -> Option<TextSource> {
        match (&self.text, self.corpus) {
            (Some(path), _) => Some(TextSource::File(path.clone())),
            (None, Some(corpus)) => Some(TextSource::Corpus(corpus)),
            (None, None) => None,
        }
    }
}

/// The shape of a character language model (used with --corpus or --text).
#[derive(Debug, Args, Clone)]
pub struct LanguageArgs {
    /// Characters of context the model reads (1 to 8).
    #[arg(long, default_value_t = 3)]
    pub context: usize,
    /// Width of each character's embedding.
    #[arg(long, default_value_t = 10)]
    pub embed: usize,
    /// Hidden layer widths, e.g. 200 or 128-128; 0 for none (with --context 1: the bigram model).
    #[arg(long, default_value = "200")]
    pub hidden: String,
}

impl LanguageArgs {
    /// The hidden widths (empty for `0`).
    pub fn hidden_widths(&self) -> anyhow::Result<Vec<usize>> {
        let text = self.hidden.trim();
        if text == "0" {
            return Ok(Vec::new());
        }
        text.split(['-', ',', 'x', ' '])
            .filter(|s| !s.is_empty())
            .map(|w| match w.parse::<usize>() {
                Ok(width) if width > 0 => Ok(width),
                _ => Err(anyhow::anyhow!(
                    "--hidden '{}' is not a list of widths like 200 or 128-128 (or 0 for none)",
                    self.hidden
                )),
            })
            .collect()
    }
}

/// The network.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Layer widths from input to output, e.g. 2-16-16-2; or only the hidden
    /// widths, e.g. 16-16, to take input and output sizes from the data.
    #[arg(long, default_value = "16-16")]
    pub arch: String,
    /// Hidden activation.
    #[arg(long, default_value = "tanh", value_parser = choice::<Activation>())]
    pub activation: Activation,
    /// Weight initialisation (torch is the nn.Linear default).
    #[arg(long, default_value = "torch", value_parser = choice::<Init>())]
    pub init: Init,
}

impl ModelArgs {
    /// The MLP for this data: a full architecture must match it, a hidden-only one is completed.
    pub fn build(&self, split: &Split) -> anyhow::Result<Mlp> {
        let sizes = parse_layer_sizes(&self.arch).or_else(|_| {
            // A single hidden width ("16") is not a full architecture; treat it as hidden-only.
            self.arch
                .trim()
                .parse::<usize>()
                .map(|w| vec![w])
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--arch '{}' is not a list of widths like 2-16-16-2 or 16-16",
                        self.arch
                    )
                })
        })?;
        let (inputs, outputs) = (split.train.num_features(), split.train.num_outputs());
        let full = if sizes.len() >= 2 && sizes[0] == inputs && sizes[sizes.len() - 1] == outputs {
            sizes
        } else if sizes.len() >= 2 && sizes[0] == inputs {
            bail!(
                "--arch {} ends in {} outputs but the data needs {outputs} ({}); use e.g. --arch {}",
                self.arch,
                sizes[sizes.len() - 1],
                split.train.describe_task(),
                join(&[&sizes[..sizes.len() - 1], &[outputs]].concat())
            );
        } else {
            [&[inputs][..], &sizes, &[outputs]].concat()
        };
        Ok(Mlp::new(&full, self.activation)?)
    }
}

fn join(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

/// The optimiser and how long to train.
#[derive(Debug, Args, Clone)]
pub struct OptimArgs {
    /// Update rule.
    #[arg(long, default_value = "adam", value_parser = choice::<OptimizerKind>())]
    pub optimizer: OptimizerKind,
    /// Learning rate.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lr: f32,
    /// Momentum (momentum, nesterov).
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f32,
    /// Adam's β₁.
    #[arg(long, default_value_t = 0.9)]
    pub beta1: f32,
    /// Adam's β₂.
    #[arg(long, default_value_t = 0.999)]
    pub beta2: f32,
    /// Weight decay (L2; decoupled for adamw).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f32,
    /// An L1 penalty: adds L1 × Σ|θ| to the loss.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub l1: f32,
    /// Clip the gradient to this global norm.
    #[arg(long)]
    pub clip: Option<f32>,
    /// constant, step[:EVERY:GAMMA], cosine[:STEPS:MIN_FACTOR].
    #[arg(long, default_value = "constant")]
    pub schedule: Schedule,
    /// Steps of linear learning-rate warm-up.
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    /// Minibatch size (default: the full training set).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Optimiser steps.
    #[arg(long, default_value_t = 2000)]
    pub steps: u64,
    /// Seed of the initial weights and minibatch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl OptimArgs {
    /// The training configuration.
    pub fn config(&self) -> anyhow::Result<TrainConfig> {
        let config = TrainConfig {
            optimizer: OptimizerConfig {
                kind: self.optimizer,
                lr: self.lr,
                momentum: self.momentum,
                beta1: self.beta1,
                beta2: self.beta2,
                weight_decay: self.weight_decay,
                l1: self.l1,
                clip_norm: self.clip,
                ..OptimizerConfig::default()
            },
            schedule: LrSchedule {
                schedule: self.schedule,
                warmup_steps: self.warmup,
            },
            batch_size: self.batch,
            seed: self.seed,
        };
        config.validate()?;
        Ok(config)
    }
}

/// What every command that trains a model takes: the data, the network and
/// how to train it.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    /// Data.
    pub data: DataArgs,
    #[command(flatten)]
    /// The network.
    pub model: ModelArgs,
    #[command(flatten)]
    /// A language model's shape.
    pub language: LanguageArgs,
    #[command(flatten)]
    /// The optimiser, steps and seed.
    pub optim: OptimArgs,
}

impl RunArgs {
    /// The problem these options describe, and the same problem built: an
    /// MLP on a dataset or CSV, or a language model on a text.
    pub fn problem(&self) -> anyhow::Result<(ProblemSpec, Arc<dyn Problem>)> {
        match self.data.text_source() {
            Some(text) => {
                let spec = ProblemSpec::Language {
                    text,
                    context: self.language.context,
                    embed: self.language.embed,
                    hidden: self.language.hidden_widths()?,
                    activation: self.model.activation,
                    test_fraction: self.data.test_fraction,
                };
                spec.check()
                    .map_err(|e| anyhow::anyhow!("the language model: {e}"))?;
                let problem = spec.build()?;
                Ok((spec, problem))
            }
            None => Ok((
                problem_spec(&self.data, &self.model)?,
                Arc::new(mlp_problem(&self.data, &self.model)?),
            )),
        }
    }
}

/// Builds the problem from data and model options.
pub fn mlp_problem(data: &DataArgs, model: &ModelArgs) -> anyhow::Result<MlpProblem> {
    let (split, name) = data.load()?;
    let mlp = model.build(&split)?;
    MlpProblem::new(mlp, Arc::new(split), model.init, &name)
        .context("the model does not fit the data")
}

/// The problem as a session describes it (the same data and network as `mlp_problem`).
pub fn problem_spec(data: &DataArgs, model: &ModelArgs) -> anyhow::Result<ProblemSpec> {
    let (split, _) = data.load()?;
    let mlp = model.build(&split)?;
    let sizes = mlp.layer_sizes();
    let hidden = sizes[1..sizes.len() - 1].to_vec();
    Ok(match (&data.data, data.dataset) {
        (Some(path), _) => ProblemSpec::Csv {
            data: path.clone(),
            test_fraction: data.test_fraction,
            data_seed: data.data_seed,
            hidden,
            activation: model.activation,
        },
        (None, Some(kind)) => ProblemSpec::Dataset {
            data: DatasetSpec {
                kind,
                size: data.size,
                noise: data.noise.unwrap_or(kind.default_noise()),
                test_fraction: data.test_fraction,
                seed: data.data_seed,
                classes: data.classes,
            },
            hidden,
            activation: model.activation,
        },
        (None, None) => {
            bail!("say which data to use: --dataset NAME (moons, spirals, ...) or --data FILE.csv")
        }
    })
}
