//! `valley landscape`: the loss on a line or plane through a model's
//! parameters, or over a formula surface, as CSV and as a PNG figure.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

mod directions;

use directions::TrainedPath;

use super::choice::choice;
use super::problem_args::RunArgs;
use super::progress::with_progress;
use valley_engine::data::{Split, load_csv};
use valley_engine::io::{
    SequentialWeights, default_tensor_names, read_safetensors, sequential_from_file,
};
use valley_engine::landscape::{Grid, GridSpec, Plane, evaluate_grid};
use valley_engine::nn::{Activation, Init, Mlp};
use valley_engine::problem::{MlpProblem, Problem, SurfaceProblem};
use valley_engine::session::load_session;
use valley_engine::surface::{CriticalKind, SurfaceKind};
use valley_figure::{
    HeatmapFigure, LineFigure, Marker, MarkerStyle, render_heatmap, render_line, save_png,
};

/// Kinds of random direction.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RandomKind {
    /// Gaussian, each neuron's row rescaled to the weights' row norm, biases zero (Li et al. 2018).
    Filter,
    /// Plain Gaussian.
    Gaussian,
}

/// Directions computed at the centre.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ComputedDirections {
    /// The Hessian's sharpest eigenvector, and (for a plane) its most negative one.
    Hessian,
    /// The two principal components of the training trajectory (Li et al. 2018, §7).
    Pca,
    /// The straight line from the starting point (α = −1) to the trained one (α = 1),
    /// with a random β for a plane.
    Interpolate,
    /// α downhill along −∇L at the centre, β random and orthogonal to it.
    Gradient,
    /// The straight line from this run (α = −1) to a second one trained from
    /// --seed-b (α = 1), on the plane through both and this run's start.
    Seeds,
}

/// Options of `valley landscape`.
#[derive(Debug, Args)]
pub struct LandscapeArgs {
    /// A formula surface instead of a model.
    #[arg(long, conflicts_with_all = ["weights", "dataset", "data"], value_parser = choice::<SurfaceKind>())]
    pub surface: Option<SurfaceKind>,
    /// Slice around a saved session's current parameters (no training).
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["surface", "weights", "dataset", "data"])]
    pub session: Option<PathBuf>,
    /// Weights of an nn.Sequential of Linear layers (safetensors); needs --data and --activation.
    #[arg(long, value_name = "W.safetensors", requires = "data")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    /// Data, network and training.
    pub run: RunArgs,
    /// A direction file laid out like the weights (safetensors); give it twice for a plane.
    #[arg(long = "direction", value_name = "D.safetensors", num_args = 1)]
    pub directions: Vec<PathBuf>,
    /// Random directions: filter (normalised, the default) or gaussian.
    #[arg(long, conflicts_with = "directions")]
    pub random: Option<RandomKind>,
    /// Directions from the Hessian at the centre instead: the sharpest
    /// eigenvector (α) and the most negative one (β).
    #[arg(long = "directions", value_name = "KIND", conflicts_with_all = ["directions", "random", "surface"])]
    pub computed: Option<ComputedDirections>,
    /// The second run's seed for --directions seeds (default: --seed + 1).
    #[arg(long, value_name = "SEED")]
    pub seed_b: Option<u64>,
    /// 1 for a line, 2 for a plane (default: 2, or the number of --direction files).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub dims: Option<u8>,
    /// Points per axis.
    #[arg(long, default_value_t = 51)]
    pub res: usize,
    /// Coefficients run over [−span, span] (default 1, or the surface's window).
    #[arg(long)]
    pub span: Option<f32>,
    /// Write the grid as CSV (`alpha,loss` or `alpha,beta,loss`).
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
    /// Write a figure: heatmap with contours and colorbar, or a line plot.
    #[arg(long, value_name = "FILE.png")]
    pub png: Option<PathBuf>,
    /// Colour (or y) scale in log10 of the loss.
    #[arg(long)]
    pub log: bool,
    /// Figure size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "900x760")]
    pub figure_size: String,
}

/// A problem, the slice through it, and how to label the figure.
struct Slice {
    problem: Arc<dyn Problem>,
    plane: Plane,
    title: String,
    axis_labels: [String; 2],
    /// Added to the coefficients on the figure's axes: a formula surface is
    /// drawn in its own x, y; a model's slice in α, β around the centre.
    origin: (f32, f32),
    markers: Vec<Marker>,
    /// The training path projected onto the plane, drawn on the figure.
    path: Vec<(f32, f32)>,
    /// A span that shows what matters (the whole path), when `--span` is not given.
    span: Option<f32>,
}

/// Runs `valley landscape`.
pub fn run(args: &LandscapeArgs) -> anyhow::Result<()> {
    let interpolating = matches!(
        args.computed,
        Some(ComputedDirections::Interpolate | ComputedDirections::Seeds)
    );
    let dims = args.dims.map_or(
        if args.directions.len() == 1 || interpolating {
            1
        } else {
            2
        },
        usize::from,
    );
    let slice = match args.surface {
        Some(kind) => surface_slice(kind, dims),
        None => model_slice(args, dims)?,
    };
    let span = args.span.or(slice.span).unwrap_or(match args.surface {
        Some(kind) => kind.view().1 as f32,
        None => 1.0,
    });
    let spec = if dims == 1 {
        GridSpec::line(span, args.res)
    } else {
        GridSpec::square(span, args.res)
    };
    spec.validate().map_err(anyhow::Error::msg)?;
    let (grid, elapsed) = evaluate_with_progress(&slice, &spec);
    if let Some(path) = &args.csv {
        std::fs::write(path, grid.to_csv())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.png {
        let (width, height) = parse_size(&args.figure_size)?;
        let image = draw(&slice, &grid, args.log, width, height)?;
        save_png(&image, path)?;
    }
    summarise(&slice, &grid, elapsed, args);
    Ok(())
}

fn surface_slice(kind: SurfaceKind, dims: usize) -> Slice {
    let ([cx, cy], _) = kind.view();
    let axes = if dims == 1 {
        vec![vec![1.0, 0.0]]
    } else {
        vec![vec![1.0, 0.0], vec![0.0, 1.0]]
    };
    let plane =
        Plane::new(vec![cx as f32, cy as f32], axes).expect("unit axes are valid directions");
    let markers = kind
        .critical_points()
        .into_iter()
        .filter(|p| dims == 2 || p.y == cy)
        .map(|p| {
            let (style, label) = match p.kind {
                CriticalKind::GlobalMin => (MarkerStyle::Star, "global min"),
                CriticalKind::LocalMin => (MarkerStyle::Star, "local min"),
                CriticalKind::Saddle => (MarkerStyle::Cross, "saddle"),
                CriticalKind::Max => (MarkerStyle::Cross, "max"),
            };
            Marker::new(p.x as f32, p.y as f32, style, label)
        })
        .collect();
    Slice {
        problem: Arc::new(SurfaceProblem::new(kind)),
        plane,
        title: format!("{kind}: {}", kind.formula()),
        axis_labels: ["x".into(), "y".into()],
        origin: (cx as f32, cy as f32),
        markers,
        path: Vec::new(),
        span: None,
    }
}

fn model_slice(args: &LandscapeArgs, dims: usize) -> anyhow::Result<Slice> {
    // The run's path and starting point, when this command trained it (for PCA and interpolation).
    let mut path: Option<TrainedPath> = None;
    let (problem, center, reference, what) = match &args.weights {
        Some(path) => {
            let activation: Activation = args.run.model.activation;
            let file = read_safetensors(path)?;
            let weights = sequential_from_file(&file, &path.display().to_string())?;
            let csv = args
                .run
                .data
                .data
                .as_ref()
                .context("--weights needs --data FILE.csv")?;
            let data = load_csv(csv)?;
            let mlp = Mlp::new(&weights.layer_sizes, activation)?;
            let name = path
                .file_name()
                .map_or("weights".into(), |n| n.to_string_lossy().into_owned());
            let problem =
                MlpProblem::new(mlp, Arc::new(Split::train_only(data)), Init::Torch, &name)
                    .with_context(|| {
                        format!("{} does not fit {}", path.display(), csv.display())
                    })?;
            let problem: Arc<dyn Problem> = Arc::new(problem);
            let center: Vec<f32> = weights.params.iter().map(|&p| p as f32).collect();
            (problem, center, Some(weights), format!("around {name}"))
        }
        None => {
            let (problem, config, saved, steps) = match &args.session {
                Some(path) => {
                    let session = load_session(path)?;
                    let problem = session.problem.build().with_context(|| {
                        format!("the session {} cannot be sliced here", path.display())
                    })?;
                    // A session is sliced where it stands, without training.
                    (problem, session.train, Some(session.run), 0)
                }
                None => (
                    args.run.problem()?.1,
                    args.run.optim.config()?,
                    None,
                    args.run.optim.steps,
                ),
            };
            let (run, summary) = super::train::train(Arc::clone(&problem), config, steps, saved)?;
            if let Some(message) = &summary.diverged {
                bail!("training before the slice {message}");
            }
            // Direction files are read against the network's Linear layers.
            let reference = problem.linear_layers().map(|sizes| SequentialWeights {
                tensor_names: default_tensor_names(sizes.len() - 1),
                layer_sizes: sizes.to_vec(),
                params: run.params().iter().map(|&p| f64::from(p)).collect(),
                dtype: valley_engine::io::DType::F32,
            });
            let center = run.params().to_vec();
            path = Some(TrainedPath {
                points: run
                    .trajectory_points()
                    .into_iter()
                    .map(|p| p.params)
                    .collect(),
                start: run.initial_params().to_vec(),
                config,
                steps: run.step_index(),
            });
            (
                problem,
                center,
                reference,
                format!("after {} steps", summary.steps),
            )
        }
    };
    let chosen = directions::choose(
        args,
        &problem,
        center,
        path.as_ref(),
        reference.as_ref(),
        dims,
    )?;
    Ok(Slice {
        title: format!("{} · {what}", problem.name()),
        problem,
        plane: chosen.plane,
        axis_labels: chosen.labels,
        origin: (0.0, 0.0),
        markers: chosen.markers,
        path: chosen.path,
        span: chosen.span,
    })
}

fn evaluate_with_progress(slice: &Slice, spec: &GridSpec) -> (Grid, Duration) {
    let started = Instant::now();
    let grid = with_progress(spec.len() as u64, "points", |done| {
        let counting = || {
            done.fetch_add(1, Ordering::Relaxed);
            false
        };
        evaluate_grid(slice.problem.as_ref(), &slice.plane, spec, &counting)
    });
    // The closure never cancels: an uncancelled grid always completes.
    let grid = grid.unwrap_or_else(|| unreachable!("an uncancelled grid always completes"));
    (grid, started.elapsed())
}

pub(super) fn parse_size(text: &str) -> anyhow::Result<(u32, u32)> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    parsed.with_context(|| format!("--figure-size '{text}' is not WIDTHxHEIGHT, e.g. 900x760"))
}

fn draw(
    slice: &Slice,
    grid: &Grid,
    log: bool,
    width: u32,
    height: u32,
) -> anyhow::Result<image::RgbImage> {
    let a = grid.spec.alpha;
    let image = match grid.spec.beta {
        Some(b) => {
            let (ox, oy) = slice.origin;
            let x_range = (a.min + ox, a.max + ox);
            let y_range = (b.min + oy, b.max + oy);
            let mut figure = HeatmapFigure::new(&grid.values, a.points, b.points, x_range, y_range);
            figure.title = &slice.title;
            figure.x_label = &slice.axis_labels[0];
            figure.y_label = &slice.axis_labels[1];
            figure.log_scale = log;
            figure.markers = &slice.markers;
            figure.path = &slice.path;
            render_heatmap(&figure, width, height)?
        }
        None => {
            let xs: Vec<f32> = a.values().iter().map(|v| v + slice.origin.0).collect();
            let mut figure = LineFigure::new(&xs, &grid.values);
            figure.title = &slice.title;
            figure.x_label = &slice.axis_labels[0];
            figure.log_scale = log;
            let on_line: Vec<Marker> = slice
                .markers
                .iter()
                .filter(|m| m.y == slice.origin.1)
                .map(|m| {
                    let mut params = vec![0.0; slice.plane.center.len()];
                    slice.plane.point(&[m.x - slice.origin.0], &mut params);
                    let loss = slice.problem.loss(&params, &mut Default::default());
                    Marker::new(m.x, loss, m.style, m.label.clone())
                })
                .collect();
            figure.markers = &on_line;
            render_line(&figure, width, height)?
        }
    };
    Ok(image)
}

fn summarise(slice: &Slice, grid: &Grid, elapsed: Duration, args: &LandscapeArgs) {
    let points = grid.values.len();
    let non_finite = grid.values.iter().filter(|v| !v.is_finite()).count();
    let center_loss = slice
        .problem
        .loss(&slice.plane.center, &mut Default::default());
    println!("{}", slice.title);
    println!(
        "{} points in {:.3} s ({:.0} points/s), loss at the centre {center_loss:.6}",
        points,
        elapsed.as_secs_f64(),
        points as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    match grid.finite_range() {
        Some((lo, hi)) => println!("loss ranges from {lo:.6} to {hi:.6}"),
        None => println!("no point has a finite loss"),
    }
    if non_finite > 0 {
        println!("{non_finite} point(s) have a NaN or infinite loss");
    }
    for (flag, path) in [("csv", &args.csv), ("png", &args.png)] {
        if let Some(path) = path {
            println!("{flag} written to {}", path.display());
        }
    }
    if args.csv.is_none() && args.png.is_none() {
        println!("add --png FILE.png for a figure or --csv FILE.csv for the numbers");
    }
}
