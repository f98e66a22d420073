//! The directions of `valley landscape` around a model: files, random ones,
//! or directions computed at the centre (the Hessian's, the gradient's, the
//! PCA of the path, the line from the start, the line to a second seed).

use std::sync::Arc;
use valley_engine::io::limits::MAX_RETRAINED_STEPS;

use anyhow::{Context, bail};

use super::{ComputedDirections, LandscapeArgs, RandomKind};
use valley_engine::analysis::{
    Control, extremes, gradient_plane, interpolate, line_plane, pca_plane, plane_through_points,
};
use valley_engine::io::{SequentialWeights, flat_like, read_safetensors};
use valley_engine::landscape::{DirectionKind, Plane, make_direction, project};
use valley_engine::problem::{Batch, MlpProblem, Problem};
use valley_engine::train::TrainConfig;
use valley_figure::{Marker, MarkerStyle, readable_number};

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

/// Picks the directions `args` ask for around `center`.
pub fn choose(
    args: &LandscapeArgs,
    problem: &Arc<MlpProblem>,
    center: Vec<f32>,
    path: Option<&TrainedPath>,
    reference: &SequentialWeights,
    dims: usize,
) -> anyhow::Result<Chosen> {
    let needs_path = || {
        path.ok_or_else(|| {
            anyhow::anyhow!("--directions pca, interpolate and seeds need a training run: use --dataset or --data (or --session) instead of --weights")
        })
    };
    let at_centre = vec![Marker::new(0.0, 0.0, MarkerStyle::Dot, "θ")];
    let random = |seed_offset: u64, at: &[f32]| {
        let kind = match args.random.unwrap_or(RandomKind::Filter) {
            RandomKind::Filter => DirectionKind::Filter,
            RandomKind::Gaussian => DirectionKind::Gaussian,
        };
        make_direction(
            kind,
            problem.layout(),
            at,
            args.run
                .optim
                .seed
                .wrapping_mul(2)
                .wrapping_add(seed_offset),
        )
    };
    let chosen = match args.computed {
        Some(ComputedDirections::Pca) => {
            let points = &needs_path()?.points;
            let refs: Vec<&[f32]> = points.iter().map(|p| &p[..]).collect();
            let plane = pca_plane(&refs, &center).map_err(|_| {
                anyhow::anyhow!(
                    "the run did not move: there is no trajectory to take components of"
                )
            })?;
            println!(
                "PCA of the trajectory: the two components explain {:.1} % and {:.1} % of its variance",
                100.0 * plane.explained[0],
                100.0 * plane.explained.get(1).copied().unwrap_or(0.0)
            );
            Chosen {
                plane: Plane::new(center, plane.directions.into_iter().take(dims).collect())?,
                labels: numbered("principal component"),
                markers: at_centre,
                path: plane.path,
                span: Some(1.2 * plane.reach.max(1e-3)),
            }
        }
        Some(ComputedDirections::Hessian) => {
            let at: Vec<f64> = center.iter().map(|&p| f64::from(p)).collect();
            let mut product = |v: &[f64]| problem.hessian_vector(&at, v);
            let found = extremes(
                at.len(),
                1,
                &mut product,
                args.run.optim.seed,
                &Control::none(),
            )?;
            println!(
                "Hessian at the centre: sharpest eigenvalue {:.4e} (α), most negative {:.4e} (β)",
                found.top[0], found.min
            );
            let as_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            let mut directions = vec![as_f32(&found.top_vectors[0])];
            if dims == 2 {
                directions.push(as_f32(&found.min_vector));
            }
            Chosen {
                plane: Plane::new(center, directions)?,
                labels: numbered("Hessian eigenvector"),
                markers: at_centre,
                path: Vec::new(),
                span: None,
            }
        }
        Some(ComputedDirections::Gradient) => {
            let mut gradient = vec![0.0f32; center.len()];
            problem.loss_and_grad(&center, Batch::Full, &mut gradient, &mut Default::default());
            let other = random(2, &center)?;
            let plane = gradient_plane(&center, &gradient, &other).context(
                "the gradient is zero (or not finite) at the centre: there is no slope to slice along",
            )?;
            let norm = gradient.iter().map(|g| g * g).sum::<f32>().sqrt();
            println!("gradient at the centre: norm {norm:.4e}; α runs downhill along −∇L");
            let plane = Plane::new(
                plane.center,
                plane.directions.into_iter().take(dims).collect(),
            )?;
            Chosen {
                plane,
                labels: ["α · downhill (−∇L)".into(), "β · random, ⟂ ∇L".into()],
                markers: at_centre,
                path: Vec::new(),
                span: None,
            }
        }
        Some(ComputedDirections::Interpolate) => {
            let start = &needs_path()?.start;
            describe_line(problem, start, &center, "the start", "the end");
            let middle: Vec<f32> = start
                .iter()
                .zip(&center)
                .map(|(a, b)| 0.5 * (a + b))
                .collect();
            let plane = line_plane(start, &center, &random(2, &middle)?)
                .context("the run did not move: the start and the end coincide")?;
            Chosen {
                plane: first(plane, dims),
                labels: [
                    "α · start (−1) → end (1)".into(),
                    "β · random, ⟂ the line".into(),
                ],
                markers: vec![
                    Marker::new(-1.0, 0.0, MarkerStyle::Cross, "start"),
                    Marker::new(1.0, 0.0, MarkerStyle::Dot, "θ"),
                ],
                path: Vec::new(),
                span: Some(1.25),
            }
        }
        Some(ComputedDirections::Seeds) => {
            let trained = needs_path()?;
            let seed_b = args.seed_b.unwrap_or(trained.config.seed.wrapping_add(1));
            if seed_b == trained.config.seed {
                bail!("--seed-b must differ from the run's own seed ({seed_b})");
            }
            if trained.steps > MAX_RETRAINED_STEPS {
                bail!(
                    "run A is at step {}; run B would be trained as long, and Valley trains it for at most {MAX_RETRAINED_STEPS} steps",
                    trained.steps
                );
            }
            let config = TrainConfig {
                seed: seed_b,
                ..trained.config
            };
            println!(
                "training run B (seed {seed_b}) for {} steps as well",
                trained.steps
            );
            let (run_b, summary) =
                crate::cli::train::train(Arc::clone(problem), config, trained.steps, None)?;
            if let Some(message) = &summary.diverged {
                bail!("run B {message}");
            }
            let theta_b = run_b.params().to_vec();
            describe_line(problem, &center, &theta_b, "run A", "run B");
            // The plane through both ends and A's start, so all three show.
            let plane = plane_through_points(&center, &theta_b, &trained.start)
                .or_else(|_| line_plane(&center, &theta_b, &random(2, &center)?))
                .context("runs A and B ended at the same point")?;
            let start = project(&plane, &trained.start).coords;
            let mut markers = vec![
                Marker::new(-1.0, 0.0, MarkerStyle::Dot, "A"),
                Marker::new(1.0, 0.0, MarkerStyle::Star, "B"),
            ];
            if dims == 2 {
                markers.push(Marker::new(
                    start[0],
                    start[1],
                    MarkerStyle::Cross,
                    "A's start",
                ));
            }
            let reach = 1.15 * start[1].abs().max(1.0);
            Chosen {
                plane: first(plane, dims),
                labels: [
                    "α · run A (−1) → run B (1)".into(),
                    "β · towards A's start".into(),
                ],
                markers,
                path: Vec::new(),
                span: Some(if dims == 2 { reach } else { 1.25 }),
            }
        }
        None if args.directions.is_empty() => {
            let directions = (0..dims as u64)
                .map(|k| random(k + 1, &center))
                .collect::<Result<Vec<_>, _>>()?;
            Chosen {
                plane: Plane::new(center, directions)?,
                labels: numbered(if matches!(args.random, Some(RandomKind::Gaussian)) {
                    "Gaussian direction"
                } else {
                    "filter-normalised direction"
                }),
                markers: at_centre,
                path: Vec::new(),
                span: None,
            }
        }
        None => {
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
            Chosen {
                plane: Plane::new(center, directions).context("a direction cannot be used")?,
                labels: numbered("direction"),
                markers: at_centre,
                path: Vec::new(),
                span: None,
            }
        }
    };
    Ok(chosen)
}

/// "α · KIND 1" and "β · KIND 2".
fn numbered(kind: &str) -> [String; 2] {
    [format!("α · {kind} 1"), format!("β · {kind} 2")]
}

/// The plane, or only its first direction for a line.
fn first(plane: Plane, dims: usize) -> Plane {
    Plane {
        directions: plane.directions.into_iter().take(dims).collect(),
        ..plane
    }
}

/// Prints the loss at both ends of a straight line and the barrier between them.
fn describe_line(problem: &Arc<MlpProblem>, from: &[f32], to: &[f32], a: &str, b: &str) {
    let line = interpolate(problem.as_ref(), from, to, 101);
    let number = |v: f32| readable_number(f64::from(v));
    println!(
        "from {a} (α = −1) to {b} (α = 1): loss {} → {}, barrier {} above the higher end",
        number(line.loss[0]),
        number(line.loss[line.loss.len() - 1]),
        number(line.barrier)
    );
}
