//! The directions of `valley landscape` around a model: files, random ones,
//! or directions computed at the centre (the Hessian's, the gradient's, the
//! PCA of the path, the line from the start, the line to a second seed).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};

use super::{ComputedDirections, LandscapeArgs, RandomKind};
use crate::cli::progress::with_progress;
use valley_engine::analysis::{Control, LandmarkKind, PlaneRecipe, PlaneSite, build_plane};
use valley_engine::io::{SequentialWeights, flat_like, read_safetensors};
use valley_engine::landscape::{Plane, project};
use valley_engine::problem::Problem;
use valley_engine::train::TrainConfig;
use valley_figure::{Marker, MarkerStyle};

/// Where the training before a slice went: its kept points, its start, and
/// how to train it again with another seed.
pub struct TrainedPath {
    /// Kept points of the trajectory, the last one the centre.
    pub points: Vec<Arc<[f32]>>,
    /// The starting parameters.
    pub start: Vec<f32>,
    /// The run's settings.
    pub config: TrainConfig,
    /// Steps it took.
    pub steps: u64,
}

/// The plane to slice, and what to draw on it.
pub struct Chosen {
    /// The slice.
    pub plane: Plane,
    /// The axis labels: what α and β run along.
    pub labels: [String; 2],
    /// Points to mark, in (α, β).
    pub markers: Vec<Marker>,
    /// The training path on the plane (PCA only).
    pub path: Vec<(f32, f32)>,
    /// A span that shows what matters, when `--span` is not given.
    pub span: Option<f32>,
}

/// Picks the directions `args` ask for around `center`: direction files, or
/// the engine's plane recipe (the one the app uses).
pub fn choose(
    args: &LandscapeArgs,
    problem: &Arc<dyn Problem>,
    center: Vec<f32>,
    path: Option<&TrainedPath>,
    reference: Option<&SequentialWeights>,
    dims: usize,
) -> anyhow::Result<Chosen> {
    let at_centre = vec![Marker::new(0.0, 0.0, MarkerStyle::Dot, "θ")];
    if args.computed.is_none() && !args.directions.is_empty() {
        let Some(reference) = reference else {
            bail!(
                "--direction files are read as nn.Sequential weights; this model is not a plain stack of Linear layers, so use --random or --directions"
            );
        };
        return from_files(args, center, reference, dims, at_centre);
    }
    let recipe = match args.computed {
        Some(ComputedDirections::Hessian) => PlaneRecipe::Hessian,
        Some(ComputedDirections::Pca) => PlaneRecipe::Pca,
        Some(ComputedDirections::Interpolate) => PlaneRecipe::StartToNow,
        Some(ComputedDirections::Gradient) => PlaneRecipe::Gradient,
        Some(ComputedDirections::Seeds) => PlaneRecipe::Seeds,
        None => match args.random.unwrap_or(RandomKind::Filter) {
            RandomKind::Filter => PlaneRecipe::Filter,
            RandomKind::Gaussian => PlaneRecipe::Gaussian,
        },
    };
    if recipe.needs_path() && path.is_none() {
        bail!(
            "--directions pca, interpolate and seeds need a training run: use --dataset or --data (or --session) instead of --weights"
        );
    }
    let config = path.map_or(
        TrainConfig {
            seed: args.run.optim.seed,
            ..TrainConfig::default()
        },
        |p| p.config,
    );
    let site = PlaneSite {
        problem,
        centre: &center,
        start: path.map(|p| p.start.as_slice()),
        path: path.map_or(&[], |p| p.points.as_slice()),
        step: path.map(|p| p.steps),
        config,
        other_seed: args.seed_b,
    };
    if recipe == PlaneRecipe::Seeds
        && let Some(trained) = path
    {
        let seed_b = args.seed_b.unwrap_or(config.seed.wrapping_add(1));
        println!(
            "training run B (seed {seed_b}) for {} steps as well",
            trained.steps
        );
    }
    let built = with_progress(100, "%", |done| {
        let progress = |fraction: f32| done.store((100.0 * fraction) as u64, Ordering::Relaxed);
        let control = Control {
            cancelled: &|| false,
            progress: &progress,
        };
        build_plane(recipe, &site, dims, &control)
    })
    .map_err(|e| anyhow::anyhow!(e))?;
    if recipe.is_computed() {
        println!("{}", built.description);
    }
    let on_plane = |params: &[f32]| project(&built.plane, params).coords;
    let (markers, span) = match recipe {
        PlaneRecipe::StartToNow => (
            vec![
                Marker::new(-1.0, 0.0, MarkerStyle::Cross, "start"),
                Marker::new(1.0, 0.0, MarkerStyle::Dot, "θ"),
            ],
            built.span,
        ),
        PlaneRecipe::Seeds => {
            let mut markers = vec![
                Marker::new(-1.0, 0.0, MarkerStyle::Dot, "A"),
                Marker::new(1.0, 0.0, MarkerStyle::Star, "B"),
            ];
            let start = built
                .landmarks
                .iter()
                .find(|l| l.kind == LandmarkKind::Start)
                .map(|l| on_plane(&l.params));
            match start {
                Some(start) if dims == 2 => {
                    markers.push(Marker::new(
                        start[0],
                        start[1],
                        MarkerStyle::Cross,
                        "A's start",
                    ));
                    (markers, Some(1.15 * start[1].abs().max(1.0)))
                }
                _ => (markers, built.span),
            }
        }
        _ => (at_centre, built.span),
    };
    let drawn_path = match recipe {
        PlaneRecipe::Pca => site
            .path
            .iter()
            .map(|p| {
                let c = on_plane(p);
                (c[0], c.get(1).copied().unwrap_or(0.0))
            })
            .collect(),
        _ => Vec::new(),
    };
    let labels = match recipe {
        PlaneRecipe::StartToNow => [
            "α · start (−1) → end (1)".into(),
            "β · random, ⟂ the line".into(),
        ],
        PlaneRecipe::Seeds => [
            "α · run A (−1) → run B (1)".into(),
            "β · towards A's start".into(),
        ],
        _ => built.labels,
    };
    Ok(Chosen {
        plane: built.plane,
        labels,
        markers,
        path: drawn_path,
        span,
    })
}

/// Directions read from safetensors files shaped like the model.
fn from_files(
    args: &LandscapeArgs,
    center: Vec<f32>,
    reference: &SequentialWeights,
    dims: usize,
    markers: Vec<Marker>,
) -> anyhow::Result<Chosen> {
    if args.directions.len() != dims {
        bail!(
            "--dims {dims} needs {dims} --direction file(s), got {}",
            args.directions.len()
        );
    }
    let directions = args
        .directions
        .iter()
        .map(|path| {
            let file = read_safetensors(path)?;
            let flat = flat_like(&file, reference, &path.display().to_string())?;
            Ok(flat.iter().map(|&v| v as f32).collect())
        })
        .collect::<anyhow::Result<Vec<Vec<f32>>>>()?;
    Ok(Chosen {
        plane: Plane::new(center, directions).context("a direction cannot be used")?,
        labels: numbered("direction"),
        markers,
        path: Vec::new(),
        span: None,
    })
}

/// "α · KIND 1" and "β · KIND 2".
fn numbered(kind: &str) -> [String; 2] {
    [format!("α · {kind} 1"), format!("β · {kind} 2")]
}
