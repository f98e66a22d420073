//! `valley double-descent`, `valley lottery` and `valley seeds`: the
//! generalisation lab's experiments, each run with no options on the
//! setting its measured figures come from.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::choice::choice;
use super::landscape::parse_size;
use super::progress::with_progress;
use valley_engine::data::DatasetKind;
use valley_engine::exec::{Outcome, run_here};
use valley_engine::generalisation::{
    Arm, DoubleDescent, DoubleDescentSettings, DoubleDescentSummary, Experiment, FitMode, Lottery,
    LotteryRow, LotterySettings, SeedRow, Seeds, SeedsSettings, Sweep, double_descent, lottery,
    seeds,
};
use valley_engine::nn::{Activation, PruneScope, parse_layer_sizes};
use valley_figure::{Band, LineFigure, LineSeries, VLine, plain_number, render_line};

/// Where and how to write an experiment's results.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write the rows as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
    /// Draw the figure.
    #[arg(long, value_name = "FILE.png")]
    pub png: Option<PathBuf>,
    /// Figure size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1200x900")]
    pub figure_size: String,
}

/// Runs an experiment on this thread with a progress bar; its rows.
fn sweep<E: Experiment>(experiment: E, what: &str) -> anyhow::Result<(Vec<E::Row>, f64)> {
    let total = experiment.total() as u64;
    let sweep = Sweep::new(experiment);
    let rows = sweep.rows();
    let start = Instant::now();
    let outcome = with_progress(total, what, |done| {
        run_here(sweep, |_| {
            done.store(rows.len() as u64, Ordering::Relaxed);
            true
        })
    });
    let seconds = start.elapsed().as_secs_f64();
    match outcome {
        Outcome::Done(rows) => Ok((rows, seconds)),
        Outcome::Failed(message) => bail!("{message}"),
        Outcome::Cancelled => bail!("the experiment was cancelled"),
    }
}

fn write_csv(path: &Path, header: &str, lines: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut text = format!("{header}\n");
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    valley_engine::io::write_atomic(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Two figures one above the other, in one PNG.
fn save_stacked(
    top: &LineFigure,
    bottom: &LineFigure,
    size: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let (width, height) = parse_size(size)?;
    let upper = height * 11 / 20;
    let a = render_line(top, width, upper)?;
    let b = render_line(bottom, width, height - upper)?;
    let mut image = image::RgbImage::new(width, height);
    image::imageops::replace(&mut image, &a, 0, 0);
    image::imageops::replace(&mut image, &b, 0, i64::from(upper));
    valley_figure::save_png(&image, path)?;
    Ok(())
}

fn f32s(values: impl Iterator<Item = f64>) -> Vec<f32> {
    values.map(|v| v as f32).collect()
}

// ---------------------------------------------------------------- double descent

/// Options of `valley double-descent`.
#[derive(Debug, Args)]
pub struct DoubleDescentArgs {
    /// How each width is fitted: random-features (frozen random layer,
    /// output layer by minimum-norm least squares) or trained-mlp.
    #[arg(long, default_value = "random-features")]
    pub mode: FitMode,
    /// Training points; the threshold sits at this many parameters.
    #[arg(long, default_value_t = 100)]
    pub train_size: usize,
    /// Clean test points.
    #[arg(long, default_value_t = 1000)]
    pub test_size: usize,
    /// Share of training labels flipped (0 to 0.5).
    #[arg(long, default_value_t = 0.1)]
    pub label_noise: f32,
    /// Ridge on the least-squares solve: 0 is the interpolator with the
    /// peak; a little ridge melts it.
    #[arg(long, default_value_t = 0.0)]
    pub ridge: f64,
    /// Seeds to average over.
    #[arg(long, default_value_t = 5)]
    pub seeds: usize,
    /// Log-spaced sizes from 0.1× to 10× the threshold (plus six near it).
    #[arg(long, default_value_t = 24)]
    pub widths: usize,
    /// Adam steps per trained model (trained-mlp).
    #[arg(long, default_value_t = 4000)]
    pub steps: usize,
    /// Adam's learning rate (trained-mlp).
    #[arg(long, default_value_t = 0.01)]
    pub lr: f32,
    #[command(flatten)]
    /// Where the results go.
    pub output: OutputArgs,
}

impl DoubleDescentArgs {
    fn settings(&self) -> DoubleDescentSettings {
        DoubleDescentSettings {
            mode: self.mode,
            train_size: self.train_size,
            test_size: self.test_size,
            label_noise: self.label_noise,
            ridge: self.ridge,
            seeds: self.seeds,
            widths: self.widths,
            steps: self.steps,
            lr: self.lr,
        }
    }
}

/// One width in `--json`: means over seeds.
#[derive(Serialize)]
struct WidthRow {
    params: usize,
    width: usize,
    seeds: usize,
    train_loss: f64,
    test_loss: f64,
    test_loss_low: f64,
    test_loss_high: f64,
    train_error: f64,
    test_error: f64,
}

/// Runs `valley double-descent`.
pub fn run_double_descent(args: &DoubleDescentArgs) -> anyhow::Result<()> {
    let settings = args.settings();
    let experiment = DoubleDescent::new(settings.clone()).map_err(anyhow::Error::msg)?;
    let (rows, seconds) = sweep(experiment, "models")?;
    let summary = double_descent::summarise(&settings, &rows);
    let table: Vec<WidthRow> = summary
        .points
        .iter()
        .map(|p| WidthRow {
            params: p.params,
            width: p.width,
            seeds: p.seeds,
            train_loss: p.train_loss.mean,
            test_loss: p.test_loss.mean,
            test_loss_low: p.test_loss.low,
            test_loss_high: p.test_loss.high,
            train_error: p.train_error.mean,
            test_error: p.test_error.mean,
        })
        .collect();
    if let Some(path) = &args.output.csv {
        write_csv(
            path,
            "params,width,seeds,train_loss,test_loss,test_loss_low,test_loss_high,train_error,test_error",
            table.iter().map(|r| {
                format!(
                    "{},{},{},{},{},{},{},{},{}",
                    r.params,
                    r.width,
                    r.seeds,
                    r.train_loss,
                    r.test_loss,
                    r.test_loss_low,
                    r.test_loss_high,
                    r.train_error,
                    r.test_error
                )
            }),
        )?;
    }
    if let Some(path) = &args.output.png {
        draw_double_descent(&settings, &summary, &args.output.figure_size, path)?;
    }
    let peak = summary.peak.as_ref();
    if args.output.json {
        #[derive(Serialize)]
        struct Output<'a> {
            settings: &'a DoubleDescentSettings,
            threshold_params: usize,
            peak_params: Option<usize>,
            peak_over_threshold: Option<f64>,
            peak_over_largest: Option<f64>,
            models: usize,
            seconds: f64,
            rows: &'a [WidthRow],
        }
        let output = Output {
            settings: &settings,
            threshold_params: summary.threshold_params,
            peak_params: peak.map(|p| p.params),
            peak_over_threshold: summary.peak_over_threshold,
            peak_over_largest: summary.peak_over_largest,
            models: rows.len(),
            seconds,
            rows: &table,
        };
        println!("{}", serde_json::to_string(&output)?);
        return Ok(());
    }
    println!(
        "double descent · {} · {} training points in 20-D, {} % of labels flipped, ridge {} · mean over {} seeds",
        mode_title(settings.mode),
        settings.train_size,
        plain_number(f64::from(settings.label_noise) * 100.0),
        plain_number(settings.ridge),
        settings.seeds
    );
    println!(
        "{:>8} {:>7} {:>12} {:>12} {:>11}",
        "params", "width", "train loss", "test loss", "test error"
    );
    for r in &table {
        println!(
            "{:>8} {:>7} {:>12} {:>12} {:>10.1} %",
            r.params,
            r.width,
            plain_number(r.train_loss),
            plain_number(r.test_loss),
            100.0 * r.test_error
        );
    }
    println!(
        "threshold: {} parameters (training points × outputs)",
        summary.threshold_params
    );
    if let (Some(peak), Some(ratio), Some(where_)) =
        (peak, summary.peak_over_largest, summary.peak_over_threshold)
    {
        println!(
            "peak: test loss {} at {} parameters ({}× the threshold), {}× the test loss at the largest width",
            plain_number(peak.test_loss.mean),
            peak.params,
            plain_number(where_),
            plain_number(ratio)
        );
    }
    println!("{} models in {} s", rows.len(), plain_number(seconds));
    if let Some(png) = &args.output.png {
        println!("png written to {}", png.display());
    }
    Ok(())
}

fn mode_title(mode: FitMode) -> &'static str {
    match mode {
        FitMode::RandomFeatures => "random ReLU features, output layer by least squares",
        FitMode::TrainedMlp => "one-hidden-layer ReLU MLP trained with Adam",
    }
}

fn draw_double_descent(
    settings: &DoubleDescentSettings,
    summary: &DoubleDescentSummary,
    size: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let p = &summary.points;
    if p.is_empty() {
        bail!("no model finished: nothing to draw");
    }
    let xs = f32s(p.iter().map(|p| p.params as f64));
    let test = f32s(p.iter().map(|p| p.test_loss.mean));
    let (test_low, test_high) = (
        f32s(p.iter().map(|p| p.test_loss.low)),
        f32s(p.iter().map(|p| p.test_loss.high)),
    );
    let train_err = f32s(p.iter().map(|p| 100.0 * p.train_error.mean));
    let test_err = f32s(p.iter().map(|p| 100.0 * p.test_error.mean));
    let (err_low, err_high) = (
        f32s(p.iter().map(|p| 100.0 * p.test_error.low)),
        f32s(p.iter().map(|p| 100.0 * p.test_error.high)),
    );
    let threshold = format!("threshold: {} parameters", summary.threshold_params);
    let vlines = [VLine {
        x: summary.threshold_params as f32,
        label: &threshold,
    }];
    // The training loss falls to ~1e-13 past the threshold: on the same log
    // axis it would squash the peak, and the error panel shows it reach 0.
    let loss_series = [LineSeries {
        label: "test loss (mean over seeds; band: lowest to highest)",
        xs: &xs,
        ys: &test,
    }];
    let loss_bands = [Band {
        series: 0,
        xs: &xs,
        low: &test_low,
        high: &test_high,
    }];
    let title = format!(
        "Double descent · {} · {} points, {} % labels flipped, ridge {}",
        mode_title(settings.mode),
        settings.train_size,
        plain_number(f64::from(settings.label_noise) * 100.0),
        plain_number(settings.ridge)
    );
    let mut top = LineFigure::of_series(&loss_series);
    top.title = &title;
    top.x_label = "parameters fitted (log scale)";
    top.y_label = "test loss (MSE)";
    top.log_scale = true;
    top.log_x = true;
    top.bands = &loss_bands;
    top.vlines = &vlines;
    let error_series = [
        LineSeries {
            label: "test error",
            xs: &xs,
            ys: &test_err,
        },
        LineSeries {
            label: "training error",
            xs: &xs,
            ys: &train_err,
        },
    ];
    let error_bands = [Band {
        series: 0,
        xs: &xs,
        low: &err_low,
        high: &err_high,
    }];
    let mut bottom = LineFigure::of_series(&error_series);
    bottom.x_label = "parameters fitted (log scale)";
    bottom.y_label = "points on the wrong side (%)";
    bottom.log_x = true;
    bottom.bands = &error_bands;
    bottom.vlines = &vlines;
    save_stacked(&top, &bottom, size, path)
}

// ---------------------------------------------------------------- lottery

/// Options of `valley lottery`.
#[derive(Debug, Args)]
pub struct LotteryArgs {
    /// Built-in classification dataset.
    #[arg(long, default_value = "spirals", value_parser = choice::<DatasetKind>())]
    pub dataset: DatasetKind,
    /// Points (train + test).
    #[arg(long, default_value_t = 1000)]
    pub size: usize,
    /// Hidden layer widths, e.g. 64,64.
    #[arg(long, default_value = "64,64")]
    pub hidden: String,
    /// Hidden activation.
    #[arg(long, default_value = "tanh", value_parser = choice::<Activation>())]
    pub activation: Activation,
    /// Steps per training.
    #[arg(long, default_value_t = 500)]
    pub steps: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f32,
    /// Examples per step.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seed of the initialisation and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Pruning rounds after the dense training.
    #[arg(long, default_value_t = 10)]
    pub rounds: usize,
    /// Share of the surviving weights pruned each round.
    #[arg(long, default_value_t = 0.32)]
    pub prune_rate: f64,
    /// Prune by one ranking over all layers, or each layer alike.
    #[arg(long, value_enum, default_value_t = ScopeArg::Global)]
    pub scope: ScopeArg,
    /// Rewind the survivors to their values at this step of the dense run (0: the initialisation).
    #[arg(long, default_value_t = 0)]
    pub rewind_step: usize,
    /// Test accuracy that counts as learned, for steps-to-threshold.
    #[arg(long, default_value_t = 0.9)]
    pub threshold: f32,
    #[command(flatten)]
    /// Where the results go.
    pub output: OutputArgs,
}

/// `--scope` choices.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ScopeArg {
    /// One ranking over every weight matrix.
    Global,
    /// Each matrix loses the same share.
    PerLayer,
}

impl LotteryArgs {
    fn settings(&self) -> anyhow::Result<LotterySettings> {
        let mut s = LotterySettings::default();
        s.base.data.kind = self.dataset;
        s.base.data.size = self.size;
        s.base.data.noise = self.dataset.default_noise();
        s.base.hidden = parse_layer_sizes(&self.hidden)?;
        s.base.activation = self.activation;
        s.base.steps = self.steps;
        s.base.train.optimizer.lr = self.lr;
        s.base.train.batch_size = Some(self.batch);
        s.base.train.seed = self.seed;
        s.rounds = self.rounds;
        s.prune_rate = self.prune_rate;
        s.scope = match self.scope {
            ScopeArg::Global => PruneScope::Global,
            ScopeArg::PerLayer => PruneScope::PerLayer,
        };
        s.rewind_step = self.rewind_step;
        s.threshold = self.threshold;
        Ok(s)
    }
}

/// Runs `valley lottery`.
pub fn run_lottery(args: &LotteryArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let experiment = Lottery::new(settings.clone()).map_err(anyhow::Error::msg)?;
    let (mut rows, seconds) = sweep(experiment, "networks")?;
    rows.sort_by_key(|r| (r.round, arm_order(r.arm)));
    let summary = lottery::summarise(&rows).context("the dense network did not finish")?;
    if let Some(path) = &args.output.csv {
        write_csv(
            path,
            "arm,round,fraction_left,test_accuracy,train_accuracy,test_loss,steps_to_threshold",
            rows.iter().map(|r| {
                format!(
                    "{},{},{},{},{},{},{}",
                    r.arm,
                    r.round,
                    r.fraction_left,
                    r.test_accuracy,
                    r.train_accuracy,
                    r.test_loss,
                    r.steps_to_threshold
                        .map_or(String::new(), |s| s.to_string())
                )
            }),
        )?;
    }
    if let Some(path) = &args.output.png {
        draw_lottery(
            &settings,
            &rows,
            summary.dense_test_accuracy,
            &args.output.figure_size,
            path,
        )?;
    }
    if args.output.json {
        #[derive(Serialize)]
        struct Output<'a> {
            settings: &'a LotterySettings,
            dense_test_accuracy: f64,
            ticket_matches_dense_down_to: Option<f64>,
            networks: usize,
            seconds: f64,
            rows: &'a [LotteryRow],
        }
        let output = Output {
            settings: &settings,
            dense_test_accuracy: summary.dense_test_accuracy,
            ticket_matches_dense_down_to: summary.ticket_matches_dense_down_to,
            networks: rows.len(),
            seconds,
            rows: &rows,
        };
        println!("{}", serde_json::to_string(&output)?);
        return Ok(());
    }
    println!(
        "lottery tickets · {} · {} rounds pruning {} % of the surviving weights ({}), rewound to step {}",
        settings.base.describe(),
        settings.rounds,
        plain_number(settings.prune_rate * 100.0),
        match settings.scope {
            PruneScope::Global => "global",
            PruneScope::PerLayer => "per layer",
        },
        settings.rewind_step
    );
    println!(
        "{:>6} {:>11} {:>10} {:>10} {:>12}   steps to {} % test accuracy: ticket / fresh / random",
        "round",
        "weights left",
        "ticket",
        "fresh",
        "random mask",
        plain_number(f64::from(settings.threshold) * 100.0)
    );
    let last = rows.iter().map(|r| r.round).max().unwrap_or(0);
    for round in 0..=last {
        let at = |arm: Arm| rows.iter().find(|r| r.round == round && r.arm == arm);
        let acc = |r: Option<&LotteryRow>| {
            r.map_or("–".to_string(), |r| {
                format!("{:.1} %", 100.0 * r.test_accuracy)
            })
        };
        let steps = |r: Option<&LotteryRow>| {
            r.and_then(|r| r.steps_to_threshold)
                .map_or("never".to_string(), |s| s.to_string())
        };
        if round == 0 {
            let dense = at(Arm::Dense);
            println!(
                "{:>6} {:>11} {:>10}   (dense)                 {}",
                0,
                "100 %",
                acc(dense),
                steps(dense)
            );
            continue;
        }
        let t = at(Arm::Ticket);
        println!(
            "{:>6} {:>11} {:>10} {:>10} {:>12}   {} / {} / {}",
            round,
            t.map_or("–".into(), |r| format!(
                "{} %",
                plain_number(100.0 * r.fraction_left)
            )),
            acc(t),
            acc(at(Arm::Reinit)),
            acc(at(Arm::RandomMask)),
            steps(t),
            steps(at(Arm::Reinit)),
            steps(at(Arm::RandomMask))
        );
    }
    match summary.ticket_matches_dense_down_to {
        Some(f) => println!(
            "the ticket stays within 1 point of the dense network's {:.1} % down to {} % of the weights",
            100.0 * summary.dense_test_accuracy,
            plain_number(100.0 * f)
        ),
        None => println!(
            "the ticket fell more than 1 point behind the dense network at the first round"
        ),
    }
    println!("{} networks in {} s", rows.len(), plain_number(seconds));
    if let Some(png) = &args.output.png {
        println!("png written to {}", png.display());
    }
    Ok(())
}

fn arm_order(arm: Arm) -> u8 {
    match arm {
        Arm::Dense => 0,
        Arm::Ticket => 1,
        Arm::Reinit => 2,
        Arm::RandomMask => 3,
    }
}

/// Each arm's points from fraction 1 (the dense network) down.
fn arm_curve(
    rows: &[LotteryRow],
    arm: Arm,
    value: impl Fn(&LotteryRow) -> f64,
) -> (Vec<f32>, Vec<f32>) {
    rows.iter()
        .filter(|r| r.arm == arm || r.arm == Arm::Dense)
        .map(|r| ((100.0 * r.fraction_left) as f32, value(r) as f32))
        // A round that never got there has no point (not a "not finite" gap).
        .filter(|(_, y)| y.is_finite())
        .unzip()
}

fn draw_lottery(
    settings: &LotterySettings,
    rows: &[LotteryRow],
    dense: f64,
    size: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let arms = [Arm::Ticket, Arm::Reinit, Arm::RandomMask];
    let acc: Vec<(Vec<f32>, Vec<f32>)> = arms
        .iter()
        .map(|&a| arm_curve(rows, a, |r| 100.0 * r.test_accuracy))
        .collect();
    let steps: Vec<(Vec<f32>, Vec<f32>)> = arms
        .iter()
        .map(|&a| {
            arm_curve(rows, a, |r| {
                r.steps_to_threshold.map_or(f64::NAN, |s| s as f64)
            })
        })
        .collect();
    let dense_label = format!("dense network: {:.1} %", 100.0 * dense);
    let dense_x = [100.0f32, acc[0].0.last().copied().unwrap_or(1.0)];
    let dense_y = [(100.0 * dense) as f32; 2];
    let mut acc_series: Vec<LineSeries> = arms
        .iter()
        .zip(&acc)
        .map(|(a, (xs, ys))| LineSeries {
            label: a.title(),
            xs,
            ys,
        })
        .collect();
    acc_series.push(LineSeries {
        label: &dense_label,
        xs: &dense_x,
        ys: &dense_y,
    });
    let title = format!(
        "Lottery tickets · {} · {} % of the survivors pruned per round",
        settings.base.describe(),
        plain_number(settings.prune_rate * 100.0)
    );
    let mut top = LineFigure::of_series(&acc_series);
    top.title = &title;
    top.x_label = "weights left (%, log scale)";
    top.y_label = "test accuracy (%)";
    top.log_x = true;
    let steps_series: Vec<LineSeries> = arms
        .iter()
        .zip(&steps)
        .map(|(a, (xs, ys))| LineSeries {
            label: a.title(),
            xs,
            ys,
        })
        .collect();
    let steps_title = format!(
        "Steps until {} % test accuracy (no point: not within {} steps)",
        plain_number(f64::from(settings.threshold) * 100.0),
        settings.base.steps
    );
    let mut bottom = LineFigure::of_series(&steps_series);
    bottom.title = &steps_title;
    bottom.x_label = "weights left (%, log scale)";
    bottom.y_label = "training steps";
    bottom.log_x = true;
    save_stacked(&top, &bottom, size, path)
}

// ---------------------------------------------------------------- seeds

/// Options of `valley seeds`.
#[derive(Debug, Args)]
pub struct SeedsArgs {
    /// Built-in dataset.
    #[arg(long, default_value = "moons", value_parser = choice::<DatasetKind>())]
    pub dataset: DatasetKind,
    /// Points (train + test).
    #[arg(long, default_value_t = 200)]
    pub size: usize,
    /// Noise of the dataset.
    #[arg(long, default_value_t = 0.25)]
    pub noise: f32,
    /// Hidden layer widths.
    #[arg(long, default_value = "16,16")]
    pub hidden: String,
    /// Hidden activation.
    #[arg(long, default_value = "tanh", value_parser = choice::<Activation>())]
    pub activation: Activation,
    /// Steps per training.
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f32,
    /// Examples per step.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// How many seeds.
    #[arg(long, default_value_t = 20)]
    pub seeds: usize,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    #[command(flatten)]
    /// Where the results go.
    pub output: OutputArgs,
}

impl SeedsArgs {
    fn settings(&self) -> anyhow::Result<SeedsSettings> {
        let mut s = SeedsSettings::default();
        s.base.data.kind = self.dataset;
        s.base.data.size = self.size;
        s.base.data.noise = self.noise;
        s.base.hidden = parse_layer_sizes(&self.hidden)?;
        s.base.activation = self.activation;
        s.base.steps = self.steps;
        s.base.train.optimizer.lr = self.lr;
        s.base.train.batch_size = Some(self.batch);
        s.base.train.seed = self.first_seed;
        s.seeds = self.seeds;
        Ok(s)
    }
}

/// Runs `valley seeds`.
pub fn run_seeds(args: &SeedsArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let experiment = Seeds::new(settings.clone()).map_err(anyhow::Error::msg)?;
    let problem = std::sync::Arc::clone(experiment.problem());
    let (mut rows, seconds) = sweep(experiment, "seeds")?;
    rows.sort_by_key(|r| r.seed);
    let summary =
        seeds::summarise(problem.as_ref(), &rows).context("fewer than two seeds finished")?;
    if let Some(path) = &args.output.csv {
        write_csv(
            path,
            "seed,train_loss,test_loss,test_accuracy",
            rows.iter().map(|r| {
                format!(
                    "{},{},{},{}",
                    r.seed,
                    r.train_loss,
                    r.test_loss,
                    r.test_accuracy.map_or(String::new(), |a| a.to_string())
                )
            }),
        )?;
    }
    if let Some(path) = &args.output.png {
        draw_seeds(&settings, &rows, &summary, &args.output.figure_size, path)?;
    }
    if args.output.json {
        #[derive(Serialize)]
        struct Output<'a> {
            settings: &'a SeedsSettings,
            seconds: f64,
            summary: &'a seeds::SeedsSummary,
            rows: &'a [SeedRow],
        }
        println!(
            "{}",
            serde_json::to_string(&Output {
                settings: &settings,
                seconds,
                summary: &summary,
                rows: &rows
            })?
        );
        return Ok(());
    }
    println!(
        "the luck of the draw · {} · {} steps · {} seeds",
        settings.base.describe(),
        settings.base.steps,
        settings.seeds
    );
    println!(
        "{:>6} {:>12} {:>12} {:>10}",
        "seed", "train loss", "test loss", "test acc"
    );
    for r in &rows {
        println!(
            "{:>6} {:>12} {:>12} {:>10}",
            r.seed,
            plain_number(r.train_loss),
            plain_number(r.test_loss),
            r.test_accuracy
                .map_or("–".into(), |a| format!("{:.1} %", 100.0 * a))
        );
    }
    let spread = |s: &valley_engine::generalisation::Spread| {
        format!(
            "{} to {} (mean {})",
            plain_number(s.low),
            plain_number(s.high),
            plain_number(s.mean)
        )
    };
    println!("training loss: {}", spread(&summary.train_loss));
    println!("test loss: {}", spread(&summary.test_loss));
    println!(
        "on the straight line from the best seed ({}) to the worst ({}) the training loss rises {} above the higher end",
        summary.best_seed,
        summary.worst_seed,
        plain_number(summary.barrier)
    );
    println!("{} trainings in {} s", rows.len(), plain_number(seconds));
    if let Some(png) = &args.output.png {
        println!("png written to {}", png.display());
    }
    Ok(())
}

fn draw_seeds(
    settings: &SeedsSettings,
    rows: &[SeedRow],
    summary: &seeds::SeedsSummary,
    size: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let mut by_test: Vec<&SeedRow> = rows.iter().collect();
    by_test.sort_by(|a, b| a.test_loss.total_cmp(&b.test_loss));
    let rank: Vec<f32> = (1..=by_test.len()).map(|i| i as f32).collect();
    let test = f32s(by_test.iter().map(|r| r.test_loss));
    let train = f32s(by_test.iter().map(|r| r.train_loss));
    let series = [
        LineSeries {
            label: "test loss",
            xs: &rank,
            ys: &test,
        },
        LineSeries {
            label: "training loss",
            xs: &rank,
            ys: &train,
        },
    ];
    let title = format!(
        "The luck of the draw · {} · {} seeds, sorted by test loss",
        settings.base.describe(),
        rows.len()
    );
    let mut top = LineFigure::of_series(&series);
    top.title = &title;
    top.x_label = "seeds, best to worst test loss";
    top.y_label = "final loss";
    let n = summary.line_train_loss.len().max(2);
    let t: Vec<f32> = (0..n).map(|i| i as f32 / (n - 1) as f32).collect();
    let line = f32s(summary.line_train_loss.iter().copied());
    let label = format!(
        "seed {} (t = 0) to seed {} (t = 1): barrier {}",
        summary.best_seed,
        summary.worst_seed,
        plain_number(summary.barrier)
    );
    let line_series = [LineSeries {
        label: &label,
        xs: &t,
        ys: &line,
    }];
    let mut bottom = LineFigure::of_series(&line_series);
    bottom.x_label = "t along the straight line from the best run to the worst";
    bottom.y_label = "training loss";
    save_stacked(&top, &bottom, size, path)
}
