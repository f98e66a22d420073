//! `valley filmstrip`: one model's landscape across training as small
//! multiples in one PNG (slices through the parameters at chosen steps, the
//! directions drawn with the same seed each time), and the wormhole in
//! numbers: how far the parameters have left the plane through the start,
//! and how little of each step lies in the plane a slice shows.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::landscape::{RandomKind, parse_size};
use super::problem_args::RunArgs;
use super::progress::{Progress, with_progress};
use valley_engine::landscape::{
    DirectionKind, FilmFrame, FilmSpec, GridSpec, Plane, StepParams, film_steps, film_strip,
    make_direction, project, share_in_plane,
};
use valley_engine::problem::Problem;
use valley_engine::train::{Run, StepOutcome};
use valley_figure::{readable_number, render_film_frames, save_png};

/// Options of `valley filmstrip`.
#[derive(Debug, Args)]
pub struct FilmStripArgs {
    #[command(flatten)]
    /// Data, network and training.
    pub run: RunArgs,
    /// The steps to show, e.g. 0,10,100,1000 (default: 0, powers of ten, and --steps).
    #[arg(long, value_delimiter = ',', value_name = "STEPS")]
    pub at: Vec<u64>,
    /// Frames when --at is not given.
    #[arg(long, default_value_t = 4)]
    pub frames: usize,
    /// Random directions: filter (normalised, the default) or gaussian.
    #[arg(long, default_value = "filter")]
    pub random: RandomKind,
    /// Points per axis of each frame.
    #[arg(long, default_value_t = 41)]
    pub res: usize,
    /// Coefficients run over [−span, span].
    #[arg(long, default_value_t = 1.0)]
    pub span: f32,
    /// Write the strip as one PNG.
    #[arg(long, value_name = "FILE.png")]
    pub png: Option<PathBuf>,
    /// Colour by log10 of the loss.
    #[arg(long)]
    pub log: bool,
    /// Frames per row (default: all in one row).
    #[arg(long)]
    pub columns: Option<usize>,
    /// Figure size in pixels, WIDTHxHEIGHT (default: 600 pixels a frame, in a row).
    #[arg(long)]
    pub figure_size: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One frame's numbers, as `--json` prints them.
#[derive(Debug, Serialize)]
pub struct FrameSummary {
    /// Step.
    pub step: u64,
    /// Training loss at the frame's parameters.
    pub loss: f32,
    /// Lowest and highest loss on the frame's slice.
    pub loss_range: Option<(f32, f32)>,
    /// Distance from the parameters to the plane through the start.
    pub distance_off_frozen_plane: f32,
    /// The share of the step taken here that lies in the plane through the start.
    pub step_share_in_frozen_plane: Option<f32>,
    /// The share of the same step that lies in this frame's own plane.
    pub step_share_in_own_plane: Option<f32>,
}

/// Runs `valley filmstrip`.
pub fn run(args: &FilmStripArgs) -> anyhow::Result<()> {
    let problem: Arc<dyn Problem> = args.run.problem()?.1;
    let mut steps = if args.at.is_empty() {
        film_steps(args.run.optim.steps, args.frames)
    } else {
        args.at.clone()
    };
    steps.sort_unstable();
    steps.dedup();
    if steps.len() > 24 {
        bail!(
            "a strip of {} frames is too many to read: use at most 24",
            steps.len()
        );
    }
    let spec = GridSpec::square(args.span, args.res);
    spec.validate().map_err(anyhow::Error::msg)?;
    if args.res > 201 {
        bail!(
            "--res {} is more than a small frame shows: use at most 201",
            args.res
        );
    }
    let trained = train_recording(&problem, args, &steps)?;
    let kind = match args.random {
        RandomKind::Filter => DirectionKind::Filter,
        RandomKind::Gaussian => DirectionKind::Gaussian,
    };
    let seed = args.run.optim.seed.wrapping_mul(2);
    let film = FilmSpec {
        kind,
        seed,
        grid: spec,
    };
    let frames: Vec<StepParams> = trained
        .frames
        .iter()
        .map(|(step, params, _)| StepParams {
            step: *step,
            params,
        })
        .collect();
    let path: Vec<StepParams> = trained
        .path
        .iter()
        .map(|(step, params)| StepParams {
            step: *step,
            params,
        })
        .collect();
    let strip = with_progress(frames.len() as u64, "frames", |done| {
        film_strip(
            problem.as_ref(),
            &frames,
            &path,
            &film,
            &|d| done.store(d as u64, Ordering::Relaxed),
            &|| false,
        )
    })
    .context("a direction cannot be used")?
    .context("the strip was cancelled")?;
    // The frozen plane: through the start, along the first frame's kind of directions.
    let start = trained.start.as_slice();
    let frozen_directions = (1..=2u64)
        .map(|k| make_direction(kind, problem.layout(), start, seed.wrapping_add(k)))
        .collect::<Result<Vec<_>, _>>()?;
    let frozen = Plane::new(start.to_vec(), frozen_directions)?;
    let summaries: Vec<FrameSummary> = strip
        .iter()
        .zip(&trained.frames)
        .map(|(frame, (_, params, step_taken))| FrameSummary {
            step: frame.step,
            loss: frame.loss,
            loss_range: frame.grid.finite_range(),
            distance_off_frozen_plane: project(&frozen, params).distance,
            step_share_in_frozen_plane: step_taken
                .as_deref()
                .and_then(|d| share_in_plane(&frozen, d)),
            step_share_in_own_plane: step_taken
                .as_deref()
                .and_then(|d| share_in_plane(&frame.plane, d)),
        })
        .collect();
    if let Some(png) = &args.png {
        let title = format!(
            "{} · {} slices through the parameters as training goes on",
            problem.name(),
            if kind == DirectionKind::Filter {
                "filter-normalised"
            } else {
                "Gaussian"
            }
        );
        draw(args, &strip, &title, png)?;
    }
    if args.json {
        #[derive(Serialize)]
        struct Output<'a> {
            problem: String,
            num_params: usize,
            frames: &'a [FrameSummary],
        }
        let output = Output {
            problem: problem.name(),
            num_params: problem.num_params(),
            frames: &summaries,
        };
        println!("{}", serde_json::to_string(&output)?);
    } else {
        print_table(&problem.name(), problem.num_params(), &summaries);
        if let Some(png) = &args.png {
            println!("png written to {}", png.display());
        }
    }
    Ok(())
}

/// A run recorded for a strip: the parameters at every frame's step with the
/// step taken there, the kept path, and the start.
struct Recorded {
    frames: Vec<(u64, Vec<f32>, Option<Vec<f32>>)>,
    path: Vec<(u64, Arc<[f32]>)>,
    start: Vec<f32>,
}

/// Trains to the last frame (and one step beyond it, to see the step taken
/// there), keeping the parameters at each frame.
fn train_recording(
    problem: &Arc<dyn Problem>,
    args: &FilmStripArgs,
    steps: &[u64],
) -> anyhow::Result<Recorded> {
    let mut run = Run::new(Arc::clone(problem), args.run.optim.config()?)?;
    let last = steps.last().copied().unwrap_or(0);
    let mut frames: Vec<(u64, Vec<f32>, Option<Vec<f32>>)> = Vec::new();
    let mut progress = Progress::new(last + 1, "steps");
    let mut wanted = steps.iter().peekable();
    while run.step_index() <= last {
        let here = run.step_index();
        let before = run.params().to_vec();
        let outcome = run.step();
        let moved = matches!(outcome, StepOutcome::Stepped { .. });
        if wanted.peek() == Some(&&here) {
            wanted.next();
            let step_taken = moved.then(|| {
                run.params()
                    .iter()
                    .zip(&before)
                    .map(|(a, b)| a - b)
                    .collect()
            });
            frames.push((here, before, step_taken));
        }
        if let StepOutcome::Diverged { step, loss } = outcome {
            if let Some(next) = wanted.peek() {
                bail!(
                    "the run diverged at step {step} (loss = {loss}), before step {next}: try a smaller --lr"
                );
            }
            break;
        }
        if here % 64 == 0 {
            progress.set(here);
        }
    }
    progress.finish();
    let path = run
        .trajectory_points()
        .into_iter()
        .map(|p| (p.step, p.params))
        .collect();
    Ok(Recorded {
        frames,
        path,
        start: run.initial_params().to_vec(),
    })
}

fn draw(
    args: &FilmStripArgs,
    strip: &[FilmFrame],
    title: &str,
    png: &std::path::Path,
) -> anyhow::Result<()> {
    let size = args.figure_size.as_deref().map(parse_size).transpose()?;
    let image = render_film_frames(strip, title, args.log, args.columns, size)?;
    save_png(&image, png)?;
    Ok(())
}

fn print_table(name: &str, num_params: usize, frames: &[FrameSummary]) {
    println!("{name} ({num_params} parameters): slices through the parameters at each step");
    println!(
        "{:>7}  {:>9}  {:>14}  {:>22}  {:>20}",
        "step", "loss", "off the start's", "step's share in the", "step's share in its"
    );
    println!(
        "{:>7}  {:>9}  {:>14}  {:>22}  {:>20}",
        "", "", "plane", "start's plane", "own plane"
    );
    let pct = |s: Option<f32>| s.map_or("–".to_string(), |s| format!("{:.2} %", 100.0 * s));
    for f in frames {
        println!(
            "{:>7}  {:>9}  {:>14.4}  {:>22}  {:>20}",
            f.step,
            readable_number(f64::from(f.loss)),
            f.distance_off_frozen_plane,
            pct(f.step_share_in_frozen_plane),
            pct(f.step_share_in_own_plane)
        );
    }
    println!(
        "a random plane holds about √(2/n) = {:.2} % of a step in n = {num_params} dimensions: the rest of the move is out of sight",
        100.0 * (2.0 / num_params.max(1) as f64).sqrt()
    );
}
