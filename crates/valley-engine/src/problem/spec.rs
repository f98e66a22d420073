//! A problem described in data rather than built: what a session file, the
//! command line and the app all agree on, so a session saved by one opens
//! in the others. New kinds of problem add a variant here and a `build` arm.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{LanguageProblem, TextSource};
use super::{MlpProblem, Problem, SurfaceProblem};
use crate::data::{DatasetSpec, generate, load_csv, split};
use crate::io::{read_safetensors, sequential_from_file};
use crate::language::{CharModel, MAX_VOCAB};
use crate::nn::{Activation, Init, Mlp};
use crate::surface::SurfaceKind;

/// Everything needed to rebuild a problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemSpec {
    /// An MLP on a built-in dataset.
    Dataset {
        /// The dataset and its seed.
        data: DatasetSpec,
        /// Hidden layer widths (input and output sizes come from the data).
        #[serde(deserialize_with = "crate::io::bounded::layers")]
        hidden: Vec<usize>,
        /// Hidden activation.
        activation: Activation,
    },
    /// An MLP on a CSV file.
    Csv {
        /// The file.
        data: PathBuf,
        /// Share held out for testing.
        test_fraction: f32,
        /// Seeds the split.
        data_seed: u64,
        /// Hidden layer widths.
        #[serde(deserialize_with = "crate::io::bounded::layers")]
        hidden: Vec<usize>,
        /// Hidden activation.
        activation: Activation,
    },
    /// A PyTorch model (safetensors) with its CSV data; runs start from its weights.
    Imported {
        /// The weights.
        weights: PathBuf,
        /// The data.
        data: PathBuf,
        /// Share held out for testing.
        test_fraction: f32,
        /// Seeds the split.
        data_seed: u64,
        /// The activation between the Linear layers.
        activation: Activation,
    },
    /// A character-level language model on a text.
    Language {
        /// The text: a built-in corpus or a file.
        text: TextSource,
        /// Characters of context, 1 to 8.
        context: usize,
        /// Width of each character's embedding.
        embed: usize,
        /// Hidden layer widths (empty: the embeddings feed the read-out directly).
        #[serde(deserialize_with = "crate::io::bounded::layers")]
        hidden: Vec<usize>,
        /// Hidden activation.
        activation: Activation,
        /// Share of the text, at its end, held out for testing.
        test_fraction: f32,
    },
    /// A ball on a formula surface.
    Surface {
        /// Which surface.
        surface: SurfaceKind,
    },
}

impl ProblemSpec {
    /// Builds the problem; the error says which file or setting is wrong.
    pub fn build(&self) -> anyhow::Result<Arc<dyn Problem>> {
        Ok(match self {
            ProblemSpec::Surface { surface } => Arc::new(SurfaceProblem::new(*surface)),
            ProblemSpec::Language {
                text,
                context,
                embed,
                hidden,
                activation,
                test_fraction,
            } => {
                check_test_fraction(*test_fraction)
                    .map_err(|e| anyhow::anyhow!("the language model cannot be built: {e}"))?;
                let (text, name) = text.load()?;
                Arc::new(LanguageProblem::new(
                    &text,
                    &name,
                    *context,
                    *embed,
                    hidden,
                    *activation,
                    *test_fraction,
                )?)
            }
            _ => self.build_mlp()?,
        })
    }

    /// Builds the problem when it is a network (`None` for a surface).
    pub fn build_mlp(&self) -> anyhow::Result<Arc<MlpProblem>> {
        let problem = match self {
            ProblemSpec::Surface { .. } => {
                anyhow::bail!("a formula surface is not a network")
            }
            ProblemSpec::Language { .. } => {
                anyhow::bail!("a language model is not a plain network on a table of numbers")
            }
            ProblemSpec::Dataset {
                data,
                hidden,
                activation,
            } => {
                let split = generate(data)?;
                let mlp = Mlp::new(&sizes(&split, hidden), *activation)?;
                MlpProblem::new(mlp, Arc::new(split), Init::Torch, data.kind.title())?
            }
            ProblemSpec::Csv {
                data,
                test_fraction,
                data_seed,
                hidden,
                activation,
            } => {
                let split = split(load_csv(data)?, *test_fraction, *data_seed);
                let mlp = Mlp::new(&sizes(&split, hidden), *activation)?;
                MlpProblem::new(mlp, Arc::new(split), Init::Torch, &file_name(data))?
            }
            ProblemSpec::Imported {
                weights,
                data,
                test_fraction,
                data_seed,
                activation,
            } => {
                let file = read_safetensors(weights)?;
                let loaded = sequential_from_file(&file, &weights.display().to_string())?;
                let split = split(load_csv(data)?, *test_fraction, *data_seed);
                let mlp = Mlp::new(&loaded.layer_sizes, *activation)?;
                let start: Vec<f32> = loaded.params.iter().map(|&w| w as f32).collect();
                if start.iter().any(|w| !w.is_finite()) {
                    anyhow::bail!(
                        "{} holds NaN or infinite weights: export the model again from a healthy checkpoint",
                        weights.display()
                    );
                }
                MlpProblem::new(mlp, Arc::new(split), Init::Torch, &file_name(data))
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "{} does not fit the model in {}: {e}",
                            data.display(),
                            weights.display()
                        )
                    })?
                    .with_start(start)?
            }
        };
        Ok(Arc::new(problem))
    }
}

impl ProblemSpec {
    /// Checks what the description alone can tell, before any data is made
    /// or read: the dataset's settings, the split, and that the hidden
    /// layers are within the width, depth and parameter caps (inputs and
    /// outputs are known only once the data is there; the model checks
    /// them again when it is built).
    pub fn check(&self) -> Result<(), String> {
        let hidden = match self {
            ProblemSpec::Surface { .. } => return Ok(()),
            ProblemSpec::Dataset { data, hidden, .. } => {
                data.validate()
                    .map_err(|e| format!("its dataset is invalid: {e}"))?;
                hidden
            }
            ProblemSpec::Csv {
                test_fraction,
                hidden,
                ..
            } => {
                check_test_fraction(*test_fraction)?;
                hidden
            }
            ProblemSpec::Imported { test_fraction, .. } => {
                return check_test_fraction(*test_fraction);
            }
            ProblemSpec::Language {
                context,
                embed,
                hidden,
                activation,
                test_fraction,
                ..
            } => {
                check_test_fraction(*test_fraction)?;
                // The widest vocabulary stands in for the text's, unknown until it is read.
                return CharModel::new(MAX_VOCAB, *context, *embed, hidden, *activation)
                    .map(|_| ())
                    .map_err(|e| format!("its language model cannot be built: {e}"));
            }
        };
        let mut widths = vec![1];
        widths.extend_from_slice(hidden);
        widths.push(1);
        Mlp::check_sizes(&widths).map_err(|e| {
            format!(
                "its hidden layers {} cannot be built: {e}",
                crate::nn::describe_sizes(hidden)
            )
        })
    }
}

fn check_test_fraction(fraction: f32) -> Result<(), String> {
    if (0.0..1.0).contains(&fraction) {
        Ok(())
    } else {
        Err(format!("its test fraction {fraction} must be in [0, 1)"))
    }
}

fn sizes(split: &crate::data::Split, hidden: &[usize]) -> Vec<usize> {
    let mut sizes = vec![split.train.num_features()];
    sizes.extend_from_slice(hidden);
    sizes.push(split.train.num_outputs());
    sizes
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map_or("data".into(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DatasetKind;

    #[test]
    fn specs_round_trip_through_json_and_build_the_problem_they_describe() {
        let specs = [
            ProblemSpec::Dataset {
                data: DatasetSpec {
                    size: 100,
                    ..DatasetSpec::new(DatasetKind::Moons)
                },
                hidden: vec![8, 8],
                activation: Activation::Relu,
            },
            ProblemSpec::Surface {
                surface: SurfaceKind::Rosenbrock,
            },
        ];
        for spec in specs {
            let text = serde_json::to_string(&spec).expect("serialise");
            let back: ProblemSpec = serde_json::from_str(&text).expect("parse");
            assert_eq!(back, spec);
        }
        let moons = ProblemSpec::Dataset {
            data: DatasetSpec::new(DatasetKind::Moons),
            hidden: vec![8, 8],
            activation: Activation::Tanh,
        };
        assert_eq!(
            moons.build().expect("builds").num_params(),
            2 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2
        );
        let missing = ProblemSpec::Csv {
            data: "/nonexistent/data.csv".into(),
            test_fraction: 0.2,
            data_seed: 0,
            hidden: vec![4],
            activation: Activation::Tanh,
        };
        let error = format!("{:#}", missing.build().err().expect("missing file"));
        assert!(error.contains("/nonexistent/data.csv"), "{error}");
    }

    #[test]
    fn a_description_past_a_limit_is_refused_before_anything_is_built() {
        let huge = ProblemSpec::Dataset {
            data: DatasetSpec::new(DatasetKind::Moons),
            hidden: vec![4096; 63],
            activation: Activation::Tanh,
        };
        let error = huge.check().expect_err("a billion parameters");
        assert!(error.contains("5000000"), "{error}");
        let too_many_points = ProblemSpec::Dataset {
            data: DatasetSpec {
                size: usize::MAX,
                ..DatasetSpec::new(DatasetKind::Moons)
            },
            hidden: vec![8],
            activation: Activation::Tanh,
        };
        let error = too_many_points.check().expect_err("size");
        assert!(error.contains("1000000"), "{error}");
        let deep = format!(
            r#"{{"kind": "dataset", "data": {}, "hidden": [{}], "activation": "tanh"}}"#,
            serde_json::to_string(&DatasetSpec::new(DatasetKind::Moons)).expect("json"),
            vec!["8"; 1000].join(",")
        );
        let error = serde_json::from_str::<ProblemSpec>(&deep).expect_err("1000 layers");
        assert!(
            error.to_string().contains("more than 64 hidden layers"),
            "{error}"
        );
        assert!(
            ProblemSpec::Surface {
                surface: SurfaceKind::Saddle
            }
            .check()
            .is_ok()
        );
    }
}
