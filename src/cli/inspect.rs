//! `valley inspect`: a PyTorch model's loss, accuracy and gradient on a CSV file.
//!
//! Computed in the weights' own precision (f32 or f64), so the numbers can
//! be compared with PyTorch's to the last digits.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::choice::choice;
use valley_engine::analysis::{Control, Extremes, Trace, extremes, trace};
use valley_engine::data::{Dataset, Targets, load_csv};
use valley_engine::io::{
    DType, SequentialWeights, read_safetensors, sequential_from_file, sequential_tensors,
    write_safetensors,
};
use valley_engine::nn::{Activation, Mlp};
use valley_engine::problem::{PreciseEvaluation, Problem, ProblemSpec, evaluate_in};

/// Options of `valley inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Weights of an nn.Sequential of Linear layers (safetensors, f32 or f64).
    #[arg(long, value_name = "W.safetensors")]
    pub weights: PathBuf,
    /// Data: CSV with header `x1,...,xd,label` or `x1,...,xd,y`.
    #[arg(long, value_name = "D.csv")]
    pub data: PathBuf,
    /// The activation between the Linear layers.
    #[arg(long, value_parser = choice::<Activation>())]
    pub activation: Activation,
    /// Write the gradient of the mean loss, with the weights' names, shapes and dtype.
    #[arg(long, value_name = "G.safetensors")]
    pub grad_out: Option<PathBuf>,
    /// Also compute the Hessian's K largest eigenvalues, its smallest and its trace.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(1..=50))]
    pub hessian: Option<u16>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct InspectReport {
    /// Mean loss (cross-entropy or MSE) over all rows.
    pub loss: f64,
    /// Fraction classified correctly (null for regression).
    pub accuracy: Option<f64>,
    /// Euclidean norm of the gradient of the mean loss.
    pub grad_norm: f64,
    /// Parameter count.
    pub num_params: usize,
    /// Layer widths, input first.
    pub layers: Vec<usize>,
    /// Data rows.
    pub rows: usize,
    /// "classification, k classes" or "regression".
    pub task: String,
    /// Precision of the weights and of the computation.
    pub dtype: String,
    /// With `--hessian K`: the K largest Hessian eigenvalues, descending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian_top: Option<Vec<f64>>,
    /// With `--hessian K`: the smallest (most negative) Hessian eigenvalue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian_min: Option<f64>,
    /// With `--hessian K`: the trace (exact up to 3,000 parameters, else estimated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian_trace: Option<f64>,
}

/// Runs `valley inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let file = read_safetensors(&args.weights)?;
    let weights = sequential_from_file(&file, &args.weights.display().to_string())?;
    let data = load_csv(&args.data)?;
    let mlp = Mlp::new(&weights.layer_sizes, args.activation)?;
    check_fit(&mlp, &data, &args.weights, &args.data)?;
    let PreciseEvaluation {
        loss,
        grad,
        accuracy,
    } = match weights.dtype {
        DType::F64 => evaluate_in::<f64>(&mlp, &weights.params, &data),
        DType::F32 => evaluate_in::<f32>(&mlp, &weights.params, &data),
    };
    let grad_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    if let Some(path) = &args.grad_out {
        write_gradient(&weights, &grad, path)?;
    }
    let curvature = match args.hessian {
        Some(k) => Some(hessian(args, &weights.params, usize::from(k))?),
        None => None,
    };
    let report = InspectReport {
        hessian_top: curvature.as_ref().map(|c| c.0.top.clone()),
        hessian_min: curvature.as_ref().map(|c| c.0.min),
        hessian_trace: curvature.as_ref().map(|c| c.1.value),
        loss,
        accuracy,
        grad_norm,
        num_params: mlp.num_params(),
        layers: weights.layer_sizes.clone(),
        rows: data.len(),
        task: data.describe_task(),
        dtype: weights.dtype.to_string(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "model  {} ({} parameters, {})",
            mlp.describe(),
            report.num_params,
            report.dtype
        );
        println!("data   {} rows, {}", report.rows, report.task);
        println!("loss   {:.6}", report.loss);
        if let Some(a) = report.accuracy {
            println!("accuracy {:.2} %", 100.0 * a);
        }
        println!("gradient norm {:.6e}", report.grad_norm);
        if let Some(path) = &args.grad_out {
            println!("gradient saved to {}", path.display());
        }
        if let Some((extremes, trace)) = &curvature {
            let top: Vec<String> = extremes.top.iter().map(|v| format!("{v:.6e}")).collect();
            println!("Hessian: largest eigenvalues {}", top.join(", "));
            println!("Hessian: smallest eigenvalue {:.6e}", extremes.min);
            match trace.exact {
                true => println!("Hessian: trace {:.6e}", trace.value),
                false => println!(
                    "Hessian: trace {:.6e} ± {:.1e} (Hutchinson)",
                    trace.value, trace.error
                ),
            }
        }
    }
    Ok(())
}

/// The Hessian of the mean loss over every row, at the file's own weights (f64).
fn hessian(args: &InspectArgs, params: &[f64], k: usize) -> anyhow::Result<(Extremes, Trace)> {
    let problem = ProblemSpec::Imported {
        weights: args.weights.clone(),
        data: args.data.clone(),
        test_fraction: 0.0,
        data_seed: 0,
        activation: args.activation,
    }
    .build_mlp()?;
    let n = params.len();
    let mut product = |v: &[f64]| problem.hessian_vector(params, v);
    let extremes = extremes(n, k.min(n), &mut product, 0, &Control::none())?;
    let trace = trace(n, &mut product, 100, 0, &Control::none())?;
    Ok((extremes, trace))
}

fn check_fit(mlp: &Mlp, data: &Dataset, weights: &Path, csv: &Path) -> anyhow::Result<()> {
    if data.num_features() != mlp.num_inputs() {
        bail!(
            "{} has {} feature column(s) but the model in {} takes {} input(s)",
            csv.display(),
            data.num_features(),
            weights.display(),
            mlp.num_inputs()
        );
    }
    match &data.targets {
        Targets::Classes { num_classes, .. } if *num_classes > mlp.num_outputs() => bail!(
            "{} has labels up to {} but the model in {} has {} outputs; labels must be 0..{}",
            csv.display(),
            num_classes - 1,
            weights.display(),
            mlp.num_outputs(),
            mlp.num_outputs()
        ),
        Targets::Values(v) if v.ncols() != mlp.num_outputs() => bail!(
            "{} has {} target column(s) but the model in {} has {} outputs",
            csv.display(),
            v.ncols(),
            weights.display(),
            mlp.num_outputs()
        ),
        _ => Ok(()),
    }
}

fn write_gradient(weights: &SequentialWeights, grad: &[f64], path: &Path) -> anyhow::Result<()> {
    let tensors = sequential_tensors(&weights.layer_sizes, &weights.tensor_names, grad);
    write_safetensors(path, &tensors, weights.dtype)
        .with_context(|| format!("writing the gradient to {}", path.display()))
}
