//! Slices along directions that have to be computed: the Hessian's sharpest
//! and most negative eigenvectors, the two principal components of the path
//! so far, the gradient, the line from the start to now, or the line to a
//! second run from another seed. They are worked out once, on a thread, at
//! the point where the user asked, and the plane then stays fixed (like a
//! frozen one) while training moves on, until the user asks again or the run
//! restarts.

use std::sync::Arc;

use super::settings::DirectionChoice;
use super::wake::Wake;
use valley_engine::analysis::{Control, Landmark, PlaneSite, build_plane};
use valley_engine::exec;
use valley_engine::landscape::Plane;
use valley_engine::problem::Problem;
use valley_engine::train::{Snapshot, TrainConfig};

/// Which run and which request a plane belongs to.
type Key = (DirectionChoice, usize, u64);

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
        // Sliced by replay in a browser (the Hessian's products are the cost).
        let job = valley_engine::analysis::spawn_analysis(
            "valley-directions",
            problem,
            Box::new(move |problem: &Arc<dyn Problem>, control: &Control<'_>| {
                compute(choice, problem, &snapshot, config, control)
            }),
            move || wake(),
        )?;
        self.pending = Some(Pending {
            key,
            job: Some(job),
        });
        Err(format!("computing the {} directions…", choice.name()))
    }
}

/// The plane through the current parameters, as the engine's recipe lays it.
fn compute(
    choice: DirectionChoice,
    problem: &Arc<dyn Problem>,
    snapshot: &Snapshot,
    config: TrainConfig,
    control: &Control<'_>,
) -> Outcome {
    let path: Vec<Arc<[f32]>> = snapshot
        .trajectory
        .iter()
        .map(|p| Arc::clone(&p.params))
        .collect();
    let site = PlaneSite {
        problem,
        centre: &snapshot.params,
        start: Some(&snapshot.initial_params),
        path: &path,
        step: Some(snapshot.step),
        config,
        other_seed: None,
    };
    let mut built = build_plane(choice, &site, 2, control)?;
    if choice == DirectionChoice::Pca
        && let Some(reach) = built.span
    {
        // Scaled so that the slice's span of 1 reaches the far end of the path.
        for direction in &mut built.plane.directions {
            direction.iter_mut().for_each(|x| *x *= reach);
        }
    }
    Ok((built.plane, built.landmarks, built.description))
}
