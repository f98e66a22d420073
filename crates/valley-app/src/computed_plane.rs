//! Slices along directions that have to be computed: the Hessian's sharpest
//! and most negative eigenvectors, the two principal components of the path
//! so far, the gradient, the line from the start to now, or the line to a
//! second run from another seed. They are worked out once, on a thread, at
//! the point where the user asked, and the plane then stays fixed (like a
//! frozen one) while training moves on, until the user asks again or the run
//! restarts.

use std::sync::Arc;
use valley_engine::exec::{self, run_here};
use valley_engine::io::limits::MAX_RETRAINED_STEPS;
use valley_engine::train::TrainSteps;

use super::settings::DirectionChoice;
use super::wake::Wake;
use valley_engine::analysis::{
    Control, extremes, gradient_plane, interpolate, line_plane, pca_plane, plane_through_points,
};
use valley_engine::landscape::{DirectionError, DirectionKind, Plane, make_direction};
use valley_engine::problem::Problem;
use valley_engine::train::{Run, Snapshot, TrainConfig};
use valley_figure::readable_number;

/// Which run and which request a plane belongs to.
type Key = (DirectionChoice, usize, u64);

/// A labelled point of parameter space to mark on a computed plane (the
/// start, the other run's minimum).
#[derive(Clone, Debug)]
pub struct Landmark {
    /// What it is, e.g. "start".
    pub label: String,
    /// Where it is.
    pub params: Arc<[f32]>,
}

/// A plane with what to mark on it.
pub struct Computed {
    /// The plane.
    pub plane: Arc<Plane>,
    /// Points to mark.
    pub landmarks: Vec<Landmark>,
    /// What the plane is, in a sentence (explained variance, eigenvalues, barrier).
    pub description: String,
}

/// A computed plane and its description for the status bar, or why it failed.
type Outcome = Result<(Plane, Vec<Landmark>, String), String>;

/// A computation on its thread: its outcome to come, how far it is, and
/// how to stop it (when the user asks for another plane first).
struct Pending {
    key: Key,
    job: Option<exec::Job<(Plane, Vec<Landmark>, String)>>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Superseded or done: a thread still working stops at its next check,
        // and the UI does not wait for it.
        if let Some(job) = self.job.take() {
            job.detach();
        }
    }
}

/// A plane being computed, or ready.
#[derive(Default)]
pub struct ComputedPlanes {
    ready: Option<(Key, Arc<Computed>)>,
    pending: Option<Pending>,
    /// A computation that failed, not retried until asked again.
    failed: Option<(Key, String)>,
    /// Bumped by "compute again here".
    generation: u64,
    /// What the newest plane is, to show once in the status bar.
    pub news: Option<String>,
}

impl ComputedPlanes {
    /// Forget the plane: the next slice computes a new one at the current point.
    pub fn again(&mut self) {
        self.generation += 1;
    }

    /// The landmarks to draw on `plane`, if it is the ready computed one.
    pub fn landmarks_on(&self, plane: &Arc<Plane>) -> &[Landmark] {
        self.computed_on(plane).map_or(&[], |c| &c.landmarks)
    }

    /// What `plane` is, if it is the ready computed one: a caption for the map.
    pub fn description_on(&self, plane: &Arc<Plane>) -> Option<&str> {
        self.computed_on(plane).map(|c| c.description.as_str())
    }

    fn computed_on(&self, plane: &Arc<Plane>) -> Option<&Computed> {
        match &self.ready {
            Some((_, computed)) if Arc::ptr_eq(&computed.plane, plane) => Some(computed),
            _ => None,
        }
    }

    /// The plane for `choice`, if ready; otherwise starts (or waits for) its
    /// computation and says so. `config` is the run's, for a second seed.
    pub fn plane(
        &mut self,
        choice: DirectionChoice,
        problem: &Arc<dyn Problem>,
        snapshot: &Arc<Snapshot>,
        config: TrainConfig,
        wake: &Wake,
    ) -> Result<Arc<Plane>, String> {
        let key = (
            choice,
            Arc::as_ptr(&snapshot.initial_params) as *const f32 as usize,
            self.generation,
        );
        if let Some((k, computed)) = &self.ready
            && *k == key
        {
            return Ok(Arc::clone(&computed.plane));
        }
        if let Some((k, message)) = &self.failed
            && *k == key
        {
            return Err(message.clone());
        }
        if let Some(pending) = &self.pending
            && pending.key == key
        {
            let Some(job) = &pending.job else {
                return Err("no computation".into());
            };
            return match job.take() {
                Some(exec::Outcome::Done((plane, landmarks, description))) => {
                    let plane = Arc::new(plane);
                    let computed = Computed {
                        plane: Arc::clone(&plane),
                        landmarks,
                        description: description.clone(),
                    };
                    self.ready = Some((key, Arc::new(computed)));
                    self.pending = None;
                    self.news = Some(description);
                    Ok(plane)
                }
                Some(exec::Outcome::Failed(message)) => {
                    self.pending = None;
                    self.failed = Some((key, message.clone()));
                    Err(message)
                }
                Some(exec::Outcome::Cancelled) => {
                    self.pending = None;
                    Err("cancelled".into())
                }
                None => Err(format!(
                    "computing the {} directions… {:.0} %",
                    choice.name(),
                    100.0 * job.progress()
                )),
            };
        }
        // Whatever was being computed for another choice is not wanted any more.
        self.pending = None;
        let problem = Arc::clone(problem);
        let snapshot = Arc::clone(snapshot);
        let wake = Arc::clone(wake);
        let job = exec::spawn_blocking(
            "valley-directions",
            move |control| {
                let control = Control {
                    cancelled: control.cancelled,
                    progress: control.progress,
                };
                match compute(choice, &problem, &snapshot, config, &control) {
                    Ok(found) => exec::Outcome::Done(found),
                    Err(message) if message == "cancelled" => exec::Outcome::Cancelled,
                    Err(message) => exec::Outcome::Failed(message),
                }
            },
            move || wake(),
        )?;
        self.pending = Some(Pending {
            key,
            job: Some(job),
        });
        Err(format!("computing the {} directions…", choice.name()))
    }
}

/// The plane through the current parameters.
fn compute(
    choice: DirectionChoice,
    problem: &Arc<dyn Problem>,
    snapshot: &Snapshot,
    config: TrainConfig,
    control: &Control<'_>,
) -> Outcome {
    match choice {
        DirectionChoice::Gradient => return gradient_slice(problem.as_ref(), snapshot, config),
        DirectionChoice::StartToNow => {
            let random = random_direction(problem.as_ref(), &snapshot.params, config)?;
            let start = Arc::clone(&snapshot.initial_params);
            let landmarks = vec![Landmark {
                label: "start".into(),
                params: Arc::clone(&start),
            }];
            let plane = line_plane(&start, &snapshot.params, &random);
            return line_slice(problem.as_ref(), (&start, &snapshot.params), plane, landmarks)
                .map(|(plane, landmarks, barrier)| {
                    let description = format!(
                        "slice along the straight line from the start (α = −1) to step {} (α = 1): {barrier}",
                        snapshot.step
                    );
                    (plane, landmarks, description)
                });
        }
        DirectionChoice::Seeds => return seeds_slice(problem, snapshot, config, control),
        _ => {}
    }
    let centre = snapshot.params.to_vec();
    let problem = problem.as_ref();
    let (directions, description) = match choice {
        DirectionChoice::Pca => {
            let points: Vec<&[f32]> = snapshot.trajectory.iter().map(|p| &p.params[..]).collect();
            let plane = pca_plane(&points, &centre)
                .map_err(|_| "PCA needs a path to take components of: train a little, then press Compute again here".to_string())?;
            // Scaled so that the slice's span of 1 reaches the far end of the path.
            let reach = 1.2 * plane.reach.max(1e-3);
            let scaled = plane
                .directions
                .iter()
                .map(|d| d.iter().map(|x| x * reach).collect())
                .collect();
            let description = format!(
                "slice on the PCA plane of the path to step {}: the components explain {:.1} % and {:.1} % of its variance",
                snapshot.step,
                100.0 * plane.explained[0],
                100.0 * plane.explained.get(1).copied().unwrap_or(0.0)
            );
            (scaled, description)
        }
        _ => {
            let at: Vec<f64> = centre.iter().map(|&p| f64::from(p)).collect();
            let mut product = |v: &[f64]| problem.hessian_vector(&at, v);
            let found =
                extremes(at.len(), 1, &mut product, 0, control).map_err(|e| e.to_string())?;
            let as_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            let description = format!(
                "slice along the Hessian at step {}: α sharpest (λ = {:.3e}), β most negative (λ = {:.3e})",
                snapshot.step, found.top[0], found.min
            );
            (
                vec![as_f32(&found.top_vectors[0]), as_f32(&found.min_vector)],
                description,
            )
        }
    };
    let plane = Plane::new(centre, directions).map_err(|e| e.to_string())?;
    Ok((plane, Vec::new(), description))
}

/// A filter-normalised direction at `params`, seeded like the app's random slices.
fn random_direction(
    problem: &dyn Problem,
    params: &[f32],
    config: TrainConfig,
) -> Result<Vec<f32>, String> {
    let seed = config.seed.wrapping_mul(2).wrapping_add(2);
    make_direction(DirectionKind::Filter, problem.layout(), params, seed).map_err(|e| e.to_string())
}

/// α downhill at the ball, β random and orthogonal to it.
fn gradient_slice(problem: &dyn Problem, snapshot: &Snapshot, config: TrainConfig) -> Outcome {
    let random = random_direction(problem, &snapshot.params, config)?;
    let plane = gradient_plane(&snapshot.params, &snapshot.gradient, &random).map_err(|_| {
        "the gradient is zero here (or not finite): there is no slope to slice along".to_string()
    })?;
    let description = format!(
        "slice at step {} with α straight downhill (−∇L, |∇L| = {:.3e}) and β random at right angles",
        snapshot.step, snapshot.grad_norm
    );
    Ok((plane, Vec::new(), description))
}

/// A plane through the line from `from` to `to` (its construction's result),
/// and a sentence on the barrier along the line.
fn line_slice(
    problem: &dyn Problem,
    (from, to): (&[f32], &[f32]),
    plane: Result<Plane, DirectionError>,
    landmarks: Vec<Landmark>,
) -> Result<(Plane, Vec<Landmark>, String), String> {
    let plane = plane.map_err(|_| {
        "the two ends coincide: train a little first, then press Compute again here".to_string()
    })?;
    let line = interpolate(problem, from, to, 101);
    let number = |v: f32| readable_number(f64::from(v));
    let (first, last) = (number(line.loss[0]), number(line.loss[line.loss.len() - 1]));
    let barrier = if line.barrier > 0.0 {
        format!(
            "loss {first} → {last}, with a barrier {} above the higher end",
            number(line.barrier)
        )
    } else {
        format!("loss {first} → {last}, no barrier on the way")
    };
    Ok((plane, landmarks, barrier))
}

/// Trains a second run from the next seed as long as this one, then the line
/// from this run to it, on the plane that also holds this run's start.
fn seeds_slice(
    problem: &Arc<dyn Problem>,
    snapshot: &Snapshot,
    config: TrainConfig,
    control: &Control<'_>,
) -> Outcome {
    let seed_b = config.seed.wrapping_add(1);
    if snapshot.step > MAX_RETRAINED_STEPS {
        return Err(format!(
            "this run is at step {}; a run from seed {seed_b} would be trained as long, and Valley trains one for at most {MAX_RETRAINED_STEPS} steps: try start → now instead",
            snapshot.step
        ));
    }
    let config_b = TrainConfig {
        seed: seed_b,
        ..config
    };
    let run = Run::new(Arc::clone(problem), config_b).map_err(|e| e.to_string())?;
    let run = match run_here(TrainSteps::new(run, snapshot.step), |fraction| {
        (control.progress)(fraction);
        !(control.cancelled)()
    }) {
        exec::Outcome::Done(run) => run,
        exec::Outcome::Cancelled => return Err("cancelled".into()),
        exec::Outcome::Failed(message) => return Err(message),
    };
    if let Some((step, _)) = run.divergence() {
        return Err(format!(
            "the run from seed {seed_b} diverged at step {step}: lower the learning rate"
        ));
    }
    let theta_b: Arc<[f32]> = Arc::from(run.params());
    let landmarks = vec![
        Landmark {
            label: "start".into(),
            params: Arc::clone(&snapshot.initial_params),
        },
        Landmark {
            label: format!("seed {seed_b}"),
            params: Arc::clone(&theta_b),
        },
    ];
    let plane = plane_through_points(&snapshot.params, &theta_b, &snapshot.initial_params);
    line_slice(problem.as_ref(), (&snapshot.params, &theta_b), plane, landmarks).map(
        |(plane, landmarks, barrier)| {
            let description = format!(
                "slice along the line from this run (α = −1) to a run from seed {seed_b} (α = 1), both at step {}: {barrier}",
                snapshot.step
            );
            (plane, landmarks, description)
        },
    )
}
