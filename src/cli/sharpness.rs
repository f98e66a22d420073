//! `valley sharpness`: flat vs sharp minima. The same model, from the same
//! start, trained with small and with large batches (or learning rates);
//! each minimum's sharpness (largest Hessian eigenvalue), its test loss, a
//! sentence saying what those numbers show, and its 1D slices drawn together
//! in one figure: along its sharpest direction (the one λmax measures), or
//! along a random filter-normalised direction with `--along random`.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::bail;
use clap::Args;
use serde::Serialize;

use super::landscape::parse_size;
use super::problem_args::RunArgs;
use super::progress::with_progress;
use valley_engine::analysis::{
    Control, MinimaSpec, Minimum, MinimumFacts, compare_minima, minima_verdict,
};
use valley_engine::landscape::DirectionKind;
use valley_engine::problem::Problem;
use valley_engine::train::TrainConfig;
use valley_figure::{LineFigure, LineSeries, plain_number, readable_number, render_line, save_png};

/// A batch size, or the whole training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchChoice {
    /// Examples per step.
    Size(usize),
    /// Every training example each step.
    Full,
}

impl FromStr for BatchChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "full" | "all" => Ok(BatchChoice::Full),
            n => match n.parse::<usize>() {
                Ok(0) | Err(_) => Err(format!(
                    "'{s}' is not a batch size: use a whole number ≥ 1, or full"
                )),
                Ok(size) => Ok(BatchChoice::Size(size)),
            },
        }
    }
}

/// The direction the figure slices each minimum along.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlongArg {
    /// Each minimum's top Hessian eigenvector, the direction λmax is measured
    /// along, over one shared range in parameter units: a higher λmax climbs faster.
    #[default]
    Sharpest,
    /// A random filter-normalised direction (Li et al. 2018), over ±span.
    Random,
}

/// Options of `valley sharpness`.
#[derive(Debug, Args)]
pub struct SharpnessArgs {
    #[command(flatten)]
    /// Data, network and training.
    pub run: RunArgs,
    /// Batch sizes to compare, e.g. 16,full (the default comparison).
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "lrs",
        value_name = "SIZES"
    )]
    pub batches: Vec<BatchChoice>,
    /// Learning rates to compare instead, e.g. 0.01,0.3.
    #[arg(long, value_delimiter = ',', value_name = "RATES")]
    pub lrs: Vec<f32>,
    /// The random slices run over [−span, span] in filter-normalised units
    /// (the sharpest-direction slices choose their range from the largest λmax).
    #[arg(long, default_value_t = 1.0)]
    pub span: f32,
    /// The direction the figure follows from each minimum.
    #[arg(long, value_enum, default_value_t = AlongArg::Sharpest)]
    pub along: AlongArg,
    /// Points along each slice.
    #[arg(long, default_value_t = 101)]
    pub res: usize,
    /// Draw the slices in one figure.
    #[arg(long, value_name = "FILE.png")]
    pub png: Option<PathBuf>,
    /// Log scale for the loss.
    #[arg(long)]
    pub log: bool,
    /// Figure size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1000x700")]
    pub figure_size: String,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One minimum, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct MinimumSummary {
    /// What the run changed, e.g. "batch 16".
    pub label: String,
    /// Its batch size (null: full batch).
    pub batch: Option<usize>,
    /// Its learning rate.
    pub lr: f32,
    /// Training loss at the end.
    pub train_loss: f32,
    /// Test loss at the end.
    pub test_loss: Option<f32>,
    /// Test accuracy at the end.
    pub test_accuracy: Option<f32>,
    /// The largest Hessian eigenvalue there.
    pub sharpness: f64,
    /// The highest loss on the random slice within ±span/4: how steep the walls are near the minimum.
    pub slice_rise: f32,
    /// How far the sharpest-direction slice climbs from the minimum to its
    /// ends (mean of both ends less the centre), on the range all minima share.
    pub sharpest_rise: f32,
    /// The same for the random filter-normalised slice, over ±span.
    pub random_rise: f32,
}

/// Runs `valley sharpness`.
pub fn run(args: &SharpnessArgs) -> anyhow::Result<()> {
    let problem: Arc<dyn Problem> = args.run.problem()?.1;
    let base = args.run.optim.config()?;
    let runs = runs_to_compare(args, base);
    if runs.len() < 2 {
        bail!("compare at least two settings, e.g. --batches 16,full or --lrs 0.01,0.3");
    }
    if runs.len() > 7 {
        bail!(
            "{} settings are too many to tell apart in one figure: use at most 7",
            runs.len()
        );
    }
    let spec = MinimaSpec {
        steps: args.run.optim.steps,
        span: args.span,
        points: args.res,
        direction: DirectionKind::Filter,
        direction_seed: args.run.optim.seed.wrapping_mul(2).wrapping_add(1),
    };
    let minima = with_progress(1000, "‰", |done| {
        let progress = |p: f32| done.store((p * 1000.0) as u64, Ordering::Relaxed);
        let control = Control {
            cancelled: &|| false,
            progress: &progress,
        };
        compare_minima(&problem, &runs, &spec, &control)
    })?;
    let summaries: Vec<MinimumSummary> = minima.iter().map(|m| summary(m, args.span)).collect();
    let facts: Vec<MinimumFacts<'_>> = minima.iter().map(Minimum::facts).collect();
    let verdict = minima_verdict(&facts, &plain_number);
    if let Some(png) = &args.png {
        draw(args, &problem.name(), &minima, png)?;
    }
    if args.json {
        #[derive(Serialize)]
        struct Output<'a> {
            problem: String,
            steps: u64,
            /// The direction the figure follows.
            along: AlongArg,
            /// The sharpest-direction slices run over ±this, in parameter units.
            sharpest_half_range: f32,
            minima: &'a [MinimumSummary],
            verdict: &'a str,
        }
        let output = Output {
            problem: problem.name(),
            steps: args.run.optim.steps,
            along: args.along,
            sharpest_half_range: minima
                .first()
                .and_then(|m| m.sharpest_alphas.last())
                .copied()
                .unwrap_or(0.0),
            minima: &summaries,
            verdict: &verdict,
        };
        println!("{}", serde_json::to_string(&output)?);
        return Ok(());
    }
    println!(
        "{} · {} steps from the same start (seed {})",
        problem.name(),
        args.run.optim.steps,
        args.run.optim.seed
    );
    println!(
        "{:<14} {:>11} {:>11} {:>10} {:>12}",
        "run", "train loss", "test loss", "test acc", "sharpness"
    );
    let opt = |v: Option<f32>, pct: bool| match v {
        Some(v) if pct => format!("{:.1} %", 100.0 * v),
        Some(v) => readable_number(f64::from(v)),
        None => "–".into(),
    };
    for s in &summaries {
        println!(
            "{:<14} {:>11} {:>11} {:>10} {:>12}",
            s.label,
            readable_number(f64::from(s.train_loss)),
            opt(s.test_loss, false),
            opt(s.test_accuracy, true),
            readable_number(s.sharpness)
        );
    }
    println!("{verdict}");
    if let Some(png) = &args.png {
        println!("png written to {}", png.display());
    }
    Ok(())
}

/// The runs `args` ask for: the base config with each batch size or learning rate.
fn runs_to_compare(args: &SharpnessArgs, base: TrainConfig) -> Vec<(String, TrainConfig)> {
    if !args.lrs.is_empty() {
        return args
            .lrs
            .iter()
            .map(|&lr| {
                let mut config = base;
                config.optimizer.lr = lr;
                (format!("lr {lr}"), config)
            })
            .collect();
    }
    let batches = if args.batches.is_empty() {
        vec![BatchChoice::Size(16), BatchChoice::Full]
    } else {
        args.batches.clone()
    };
    batches
        .iter()
        .map(|&b| {
            let mut config = base;
            let label = match b {
                BatchChoice::Size(size) => {
                    config.batch_size = Some(size);
                    format!("batch {size}")
                }
                BatchChoice::Full => {
                    config.batch_size = None;
                    "full batch".to_string()
                }
            };
            (label, config)
        })
        .collect()
}

fn summary(m: &Minimum, span: f32) -> MinimumSummary {
    let near = m
        .random_alphas
        .iter()
        .zip(&m.random_curve)
        .filter(|(a, _)| a.abs() <= span / 4.0)
        .map(|(_, &v)| v)
        .fold(f32::NEG_INFINITY, f32::max);
    MinimumSummary {
        label: m.label.clone(),
        batch: m.config.batch_size,
        lr: m.config.optimizer.lr,
        train_loss: m.train_loss,
        test_loss: m.test_loss,
        test_accuracy: m.test_accuracy,
        sharpness: m.sharpness,
        slice_rise: near,
        sharpest_rise: m.sharpest_rise(),
        random_rise: m.random_rise(),
    }
}

fn draw(
    args: &SharpnessArgs,
    name: &str,
    minima: &[Minimum],
    png: &std::path::Path,
) -> anyhow::Result<()> {
    let (width, height) = parse_size(&args.figure_size)?;
    let labels: Vec<String> = minima
        .iter()
        .map(|m| {
            let test = m.test_loss.map_or(String::new(), |t| {
                format!(", test loss {}", plain_number(f64::from(t)))
            });
            format!("{}: λmax {}{test}", m.label, plain_number(m.sharpness))
        })
        .collect();
    let series: Vec<LineSeries> = minima
        .iter()
        .zip(&labels)
        .map(|(m, label)| {
            let (xs, ys) = match args.along {
                AlongArg::Sharpest => (&m.sharpest_alphas, &m.sharpest_curve),
                AlongArg::Random => (&m.random_alphas, &m.random_curve),
            };
            LineSeries { label, xs, ys }
        })
        .collect();
    let (direction, x_label) = match args.along {
        AlongArg::Sharpest => (
            "each minimum's sharpest direction",
            "α (parameter units) · each minimum's sharpest direction",
        ),
        AlongArg::Random => (
            "a random filter-normalised direction",
            "α (filter norms) · a random filter-normalised direction",
        ),
    };
    let title = format!("{name} · flat and sharp minima along {direction}");
    let mut figure = LineFigure::new(&[], &[]);
    figure.series = &series;
    figure.title = &title;
    figure.x_label = x_label;
    figure.y_label = "training loss";
    figure.log_scale = args.log;
    let image = render_line(&figure, width, height)?;
    save_png(&image, png)?;
    Ok(())
}
