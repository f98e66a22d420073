//! How a slice's plane is laid, in one place for the app, the command line
//! and lessons: random directions (filter-normalised or Gaussian), two
//! chosen parameters, or directions computed at a point — the Hessian's
//! extremes, the path's principal components, the gradient, the line from
//! the start, the line to a run from another seed. Each recipe also says
//! what its plane is, in a sentence a student can read, and what to mark.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::lanczos::{Control, extremes};
use super::planes::{gradient_plane, interpolate, line_plane, pca_plane, plane_through_points};
use crate::exec::{Outcome, run_here};
use crate::io::limits::MAX_RETRAINED_STEPS;
use crate::landscape::{DirectionKind, Plane, make_direction};
use crate::numbers::plain_number;
use crate::problem::{Batch, Problem};
use crate::train::{Run, TrainConfig, TrainSteps};

/// Which directions span a slice. The names are written in settings,
/// scenes and sessions; keep them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaneRecipe {
    /// Random, filter-normalised (Li et al. 2018).
    Filter,
    /// Random Gaussian.
    Gaussian,
    /// Two chosen parameters (flat indices).
    Parameters(usize, usize),
    /// The Hessian's sharpest and most negative eigenvectors, computed once where asked.
    Hessian,
    /// The two principal components of the path so far, computed once where asked.
    Pca,
    /// Downhill along −∇L and a random direction orthogonal to it, computed once where asked.
    Gradient,
    /// The straight line from the start (α = −1) to now (α = 1), computed once where asked.
    StartToNow,
    /// The line from this run (α = −1) to a second one from another seed
    /// (α = 1), trained as long; the plane also holds this run's start.
    Seeds,
}

impl PlaneRecipe {
    /// Whether the directions are computed at a point (and the plane then stays put).
    pub fn is_computed(self) -> bool {
        matches!(
            self,
            Self::Hessian | Self::Pca | Self::Gradient | Self::StartToNow | Self::Seeds
        )
    }

    /// Whether the plane is laid through a line whose ends sit at α = ±1.
    pub fn is_line(self) -> bool {
        matches!(self, Self::StartToNow | Self::Seeds)
    }

    /// Whether the recipe needs the path a run took (its start, its points).
    pub fn needs_path(self) -> bool {
        matches!(self, Self::Pca | Self::StartToNow | Self::Seeds)
    }

    /// A name for menus and messages.
    pub fn name(self) -> String {
        match self {
            Self::Filter => "filter-normalised".into(),
            Self::Gaussian => "Gaussian".into(),
            Self::Parameters(..) => "two parameters".into(),
            Self::Hessian => "Hessian".into(),
            Self::Pca => "PCA".into(),
            Self::Gradient => "gradient".into(),
            Self::StartToNow => "start → now".into(),
            Self::Seeds => "this run → another seed".into(),
        }
    }
}

/// Where a plane is laid, and what is known about the run there.
pub struct PlaneSite<'a> {
    /// The model whose loss is sliced.
    pub problem: &'a Arc<dyn Problem>,
    /// The centre: the parameters now.
    pub centre: &'a [f32],
    /// Where the run started, if there was a run.
    pub start: Option<&'a [f32]>,
    /// The kept points of the run's path, ending at the centre.
    pub path: &'a [Arc<[f32]>],
    /// The run's step count, if there was a run (the sentences quote it).
    pub step: Option<u64>,
    /// The run's settings: its seed draws the random directions, and a
    /// second run for [`PlaneRecipe::Seeds`] is trained with them.
    pub config: TrainConfig,
    /// The second run's seed for [`PlaneRecipe::Seeds`] (default: the run's + 1).
    pub other_seed: Option<u64>,
}

/// What a landmark on a plane is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LandmarkKind {
    /// Where the run started.
    Start,
    /// Where another run ended.
    OtherRun,
}

/// A labelled point of parameter space to mark on a plane.
#[derive(Clone, Debug)]
pub struct Landmark {
    /// What it is, e.g. "start".
    pub label: String,
    /// Which kind of point.
    pub kind: LandmarkKind,
    /// Where it is.
    pub params: Arc<[f32]>,
}

/// A plane and what comes with it.
#[derive(Debug)]
pub struct BuiltPlane {
    /// The slice.
    pub plane: Plane,
    /// What α and β run along, for axis labels.
    pub labels: [String; 2],
    /// Points to mark (the start, the other run).
    pub landmarks: Vec<Landmark>,
    /// What the plane is, in a sentence.
    pub description: String,
    /// The span that shows what matters, when the recipe knows one (the
    /// PCA plane's reach, a line's ends and a quarter beyond).
    pub span: Option<f32>,
}

/// Lays the plane `recipe` describes at `site`, with `dims` (1 or 2)
/// directions. Long work (Lanczos, training a second run) reports through
/// `control` and stops when it says so (the error is then "cancelled").
pub fn build_plane(
    recipe: PlaneRecipe,
    site: &PlaneSite<'_>,
    dims: usize,
    control: &Control<'_>,
) -> Result<BuiltPlane, String> {
    let dims = dims.clamp(1, 2);
    let at = match site.step {
        Some(step) => format!("at step {step}"),
        None => "at the centre".into(),
    };
    let mut built = match recipe {
        PlaneRecipe::Filter | PlaneRecipe::Gaussian | PlaneRecipe::Parameters(..) => {
            random(recipe, site, dims)?
        }
        PlaneRecipe::Hessian => hessian(site, control, &at)?,
        PlaneRecipe::Pca => pca(site, &at)?,
        PlaneRecipe::Gradient => gradient(site, &at)?,
        PlaneRecipe::StartToNow => start_to_now(site, &at)?,
        PlaneRecipe::Seeds => seeds(site, control)?,
    };
    built.plane.directions.truncate(dims);
    Ok(built)
}

/// A filter-normalised direction at `at`, drawn from the run's seed plus `k`
/// (1 and 2 for a random plane's two; 2 for the β of a computed one).
fn random_direction(
    kind: DirectionKind,
    site: &PlaneSite<'_>,
    at: &[f32],
    k: u64,
) -> Result<Vec<f32>, String> {
    let seed = site.config.seed.wrapping_mul(2).wrapping_add(k);
    make_direction(kind, site.problem.layout(), at, seed).map_err(|e| e.to_string())
}

fn random(recipe: PlaneRecipe, site: &PlaneSite<'_>, dims: usize) -> Result<BuiltPlane, String> {
    let centre = site.centre;
    let (kinds, label) = match recipe {
        PlaneRecipe::Gaussian => (
            [DirectionKind::Gaussian, DirectionKind::Gaussian],
            "Gaussian direction",
        ),
        PlaneRecipe::Parameters(i, j) => ([DirectionKind::Axis(i), DirectionKind::Axis(j)], ""),
        _ => (
            [DirectionKind::Filter, DirectionKind::Filter],
            "filter-normalised direction",
        ),
    };
    let directions = kinds
        .iter()
        .take(dims)
        .zip(1..)
        .map(|(&kind, k)| random_direction(kind, site, centre, k))
        .collect::<Result<Vec<_>, _>>()?;
    let labels = match recipe {
        PlaneRecipe::Parameters(i, j) => {
            let layout = site.problem.layout();
            [
                format!("α · {}", layout.plain_name(i)),
                format!("β · {}", layout.plain_name(j)),
            ]
        }
        _ => numbered(label),
    };
    Ok(BuiltPlane {
        plane: Plane::new(centre.to_vec(), directions).map_err(|e| e.to_string())?,
        labels,
        landmarks: Vec::new(),
        description: format!("slice along {} directions", recipe.name()),
        span: None,
    })
}

fn hessian(site: &PlaneSite<'_>, control: &Control<'_>, at: &str) -> Result<BuiltPlane, String> {
    let point: Vec<f64> = site.centre.iter().map(|&p| f64::from(p)).collect();
    let problem = site.problem.as_ref();
    let mut product = |v: &[f64]| problem.hessian_vector(&point, v);
    let found = extremes(point.len(), 1, &mut product, site.config.seed, control)
        .map_err(|e| e.to_string())?;
    let as_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let number = |v: f64| plain_number(v);
    Ok(BuiltPlane {
        plane: Plane::new(
            site.centre.to_vec(),
            vec![as_f32(&found.top_vectors[0]), as_f32(&found.min_vector)],
        )
        .map_err(|e| e.to_string())?,
        labels: numbered("Hessian eigenvector"),
        landmarks: Vec::new(),
        description: format!(
            "slice along the Hessian {at}: α along the sharpest eigenvalue (λ = {}), β along the most negative (λ = {})",
            number(found.top[0]),
            number(found.min)
        ),
        span: None,
    })
}

fn pca(site: &PlaneSite<'_>, at: &str) -> Result<BuiltPlane, String> {
    let points: Vec<&[f32]> = site.path.iter().map(|p| &p[..]).collect();
    let plane = pca_plane(&points, site.centre).map_err(|_| {
        "PCA needs a path to take components of: train a little, then compute it again".to_string()
    })?;
    let path = match site.step {
        Some(step) => format!("the path to step {step}"),
        None => format!("the path {at}"),
    };
    Ok(BuiltPlane {
        plane: Plane::new(site.centre.to_vec(), plane.directions).map_err(|e| e.to_string())?,
        labels: numbered("principal component"),
        landmarks: Vec::new(),
        description: format!(
            "slice on the PCA plane of {path}: the two components explain {:.1} % and {:.1} % of its variance",
            100.0 * plane.explained[0],
            100.0 * plane.explained.get(1).copied().unwrap_or(0.0)
        ),
        span: Some(1.2 * plane.reach.max(1e-3)),
    })
}

fn gradient(site: &PlaneSite<'_>, at: &str) -> Result<BuiltPlane, String> {
    let mut gradient = vec![0.0f32; site.centre.len()];
    site.problem.loss_and_grad(
        site.centre,
        Batch::Full,
        &mut gradient,
        &mut Default::default(),
    );
    let other = random_direction(DirectionKind::Filter, site, site.centre, 2)?;
    let plane = gradient_plane(site.centre, &gradient, &other).map_err(|_| {
        "the gradient is zero here (or not finite): there is no slope to slice along".to_string()
    })?;
    let norm = gradient.iter().map(|g| g * g).sum::<f32>().sqrt();
    Ok(BuiltPlane {
        plane,
        labels: ["α · downhill (−∇L)".into(), "β · random, ⟂ ∇L".into()],
        landmarks: Vec::new(),
        description: format!(
            "slice {at} with α straight downhill (−∇L, |∇L| = {}) and β random at right angles",
            plain_number(f64::from(norm))
        ),
        span: None,
    })
}

fn start_to_now(site: &PlaneSite<'_>, at: &str) -> Result<BuiltPlane, String> {
    let start = site
        .start
        .ok_or("the line from the start needs a run: train one first")?;
    let middle: Vec<f32> = start
        .iter()
        .zip(site.centre)
        .map(|(a, b)| 0.5 * (a + b))
        .collect();
    let toward = random_direction(DirectionKind::Filter, site, &middle, 2)?;
    let plane = line_plane(start, site.centre, &toward).map_err(|_| {
        "the run has not moved: the start and now coincide; train a little first".to_string()
    })?;
    Ok(BuiltPlane {
        plane,
        labels: [
            "α · start (−1) → now (1)".into(),
            "β · random, ⟂ the line".into(),
        ],
        landmarks: vec![Landmark {
            label: "start".into(),
            kind: LandmarkKind::Start,
            params: Arc::from(start),
        }],
        description: format!(
            "slice along the straight line from the start (α = −1) to {} (α = 1): {}",
            at.trim_start_matches("at "),
            barrier(site.problem.as_ref(), start, site.centre)
        ),
        span: Some(1.25),
    })
}

fn seeds(site: &PlaneSite<'_>, control: &Control<'_>) -> Result<BuiltPlane, String> {
    let (Some(start), Some(steps)) = (site.start, site.step) else {
        return Err("the line to another seed needs a run: train one first".into());
    };
    let other = site.other_seed.unwrap_or(site.config.seed.wrapping_add(1));
    if other == site.config.seed {
        return Err(format!(
            "the second run's seed must differ from this run's ({other})"
        ));
    }
    if steps > MAX_RETRAINED_STEPS {
        return Err(format!(
            "this run is at step {steps}; a run from seed {other} would be trained as long, and Valley trains one for at most {MAX_RETRAINED_STEPS} steps: try start → now instead"
        ));
    }
    let config = TrainConfig {
        seed: other,
        ..site.config
    };
    let run = Run::new(Arc::clone(site.problem), config).map_err(|e| e.to_string())?;
    let run = match run_here(TrainSteps::new(run, steps), |fraction| {
        (control.progress)(fraction);
        !(control.cancelled)()
    }) {
        Outcome::Done(run) => run,
        Outcome::Cancelled => return Err("cancelled".into()),
        Outcome::Failed(message) => return Err(message),
    };
    if let Some((step, _)) = run.divergence() {
        return Err(format!(
            "the run from seed {other} diverged at step {step}: lower the learning rate"
        ));
    }
    let theta: Arc<[f32]> = Arc::from(run.params());
    // The plane through both ends and this run's start, so all three show
    // (or, when the three are in a line, a random β).
    let plane = plane_through_points(site.centre, &theta, start)
        .or_else(|_| {
            let toward = random_direction(DirectionKind::Filter, site, site.centre, 2)
                .map_err(|_| crate::landscape::DirectionError::Zero)?;
            line_plane(site.centre, &theta, &toward)
        })
        .map_err(|_| format!("this run and the run from seed {other} ended at the same point"))?;
    Ok(BuiltPlane {
        plane,
        labels: [
            format!("α · this run (−1) → seed {other} (1)"),
            "β · towards this run's start".into(),
        ],
        landmarks: vec![
            Landmark {
                label: "start".into(),
                kind: LandmarkKind::Start,
                params: Arc::from(start),
            },
            Landmark {
                label: format!("seed {other}"),
                kind: LandmarkKind::OtherRun,
                params: Arc::clone(&theta),
            },
        ],
        description: format!(
            "slice along the line from this run (α = −1) to a run from seed {other} (α = 1), both at step {steps}: {}",
            barrier(site.problem.as_ref(), site.centre, &theta)
        ),
        span: Some(1.25),
    })
}

/// The loss at both ends of a straight line, and the barrier between them.
fn barrier(problem: &dyn Problem, from: &[f32], to: &[f32]) -> String {
    let line = interpolate(problem, from, to, 101);
    let number = |v: f32| plain_number(f64::from(v));
    let (first, last) = (number(line.loss[0]), number(line.loss[line.loss.len() - 1]));
    if line.barrier > 0.0 {
        format!(
            "loss {first} → {last}, with a barrier {} above the higher end",
            number(line.barrier)
        )
    } else {
        format!("loss {first} → {last}, no barrier on the way")
    }
}

/// "α · KIND 1" and "β · KIND 2".
fn numbered(kind: &str) -> [String; 2] {
    [format!("α · {kind} 1"), format!("β · {kind} 2")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscape::project;
    use crate::problem::SurfaceProblem;
    use crate::surface::SurfaceKind;

    fn site<'a>(
        problem: &'a Arc<dyn Problem>,
        centre: &'a [f32],
        start: &'a [f32],
        path: &'a [Arc<[f32]>],
    ) -> PlaneSite<'a> {
        PlaneSite {
            problem,
            centre,
            start: Some(start),
            path,
            step: Some(40),
            config: TrainConfig::default(),
            other_seed: None,
        }
    }

    #[test]
    fn on_a_saddle_the_hessian_plane_is_its_axes_with_their_curvatures() {
        // x² − y²: curvature +2 along x, −2 along y.
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Saddle));
        let centre = [0.3f32, -0.2];
        let built = build_plane(
            PlaneRecipe::Hessian,
            &site(&problem, &centre, &centre, &[]),
            2,
            &Control::none(),
        )
        .expect("plane");
        let [a, b] = [&built.plane.directions[0], &built.plane.directions[1]];
        assert!(a[0].abs() > 0.999 && b[1].abs() > 0.999, "{a:?} {b:?}");
        assert!(
            built.description.contains("at step 40")
                && built.description.contains("sharpest eigenvalue (λ = 2)")
                && built.description.contains("most negative (λ = −2)"),
            "{}",
            built.description
        );
    }

    #[test]
    fn the_line_from_the_start_puts_the_start_at_minus_one_and_now_at_one() {
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
        let (start, now) = ([1.0f32, 1.0], [0.2f32, 0.1]);
        let built = build_plane(
            PlaneRecipe::StartToNow,
            &site(&problem, &now, &start, &[]),
            2,
            &Control::none(),
        )
        .expect("plane");
        let at_start = project(&built.plane, &start).coords;
        let at_now = project(&built.plane, &now).coords;
        assert!((at_start[0] + 1.0).abs() < 1e-5 && at_start[1].abs() < 1e-5);
        assert!((at_now[0] - 1.0).abs() < 1e-5 && at_now[1].abs() < 1e-5);
        // Bowl: loss 2 at the start, 0.05 now, falling all the way.
        assert!(
            built.description.contains("loss 2 → 0.05, no barrier"),
            "{}",
            built.description
        );
        assert_eq!(built.landmarks[0].kind, LandmarkKind::Start);
    }

    #[test]
    fn random_planes_are_drawn_from_the_run_seed_and_cut_to_one_direction_for_a_line() {
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
        let centre = [0.5f32, 0.5];
        let s = site(&problem, &centre, &centre, &[]);
        let two = build_plane(PlaneRecipe::Gaussian, &s, 2, &Control::none()).expect("plane");
        let one = build_plane(PlaneRecipe::Gaussian, &s, 1, &Control::none()).expect("line");
        assert_eq!(one.plane.directions.len(), 1);
        assert_eq!(one.plane.directions[0], two.plane.directions[0]);
        let axes =
            build_plane(PlaneRecipe::Parameters(1, 0), &s, 2, &Control::none()).expect("axes");
        assert_eq!(axes.plane.directions, vec![vec![0.0, 1.0], vec![1.0, 0.0]]);
        // A recipe that needs a path says so instead of failing obscurely.
        let pca = build_plane(PlaneRecipe::Pca, &s, 2, &Control::none());
        assert!(pca.is_err_and(|e| e.contains("PCA needs a path")));
    }
}
