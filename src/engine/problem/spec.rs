//! A problem described in data rather than built: what a session file, the
//! command line and the app all agree on, so a session saved by one opens
//! in the others. New kinds of problem add a variant here and a `build` arm.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{MlpProblem, Problem, SurfaceProblem};
use crate::engine::data::{DatasetSpec, generate, load_csv, split};
use crate::engine::io::{read_safetensors, sequential_from_file};
use crate::engine::nn::{Activation, Init, Mlp};
use crate::engine::surface::SurfaceKind;

/// Everything needed to rebuild a problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemSpec {
    /// An MLP on a built-in dataset.
    Dataset {
        /// The dataset and its seed.
        data: DatasetSpec,
        /// Hidden layer widths (input and output sizes come from the data).
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
            _ => self.build_mlp()?,
        })
    }

    /// Builds the problem when it is a network (`None` for a surface).
    pub fn build_mlp(&self) -> anyhow::Result<Arc<MlpProblem>> {
        let problem = match self {
            ProblemSpec::Surface { .. } => {
                anyhow::bail!("a formula surface is not a network")
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

fn sizes(split: &crate::engine::data::Split, hidden: &[usize]) -> Vec<usize> {
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
    use crate::engine::data::DatasetKind;

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
}
