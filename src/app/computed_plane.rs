//! Slices along directions that have to be computed: the Hessian's sharpest
//! and most negative eigenvectors, or the two principal components of the
//! path so far. They are worked out once, on a thread, at the point where
//! the user asked, and the plane then stays fixed (like a frozen one) while
//! training moves on, until the user asks again or the run restarts.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use super::runtime::Wake;
use super::settings::DirectionChoice;
use crate::engine::analysis::{Control, extremes, pca_plane};
use crate::engine::landscape::Plane;
use crate::engine::problem::Problem;
use crate::engine::train::Snapshot;

/// Which run and which request a plane belongs to.
type Key = (DirectionChoice, usize, u64);

/// A computed plane and its description for the status bar, or why it failed.
type Outcome = Result<(Plane, String), String>;

/// A plane being computed, or ready.
#[derive(Default)]
pub struct ComputedPlanes {
    ready: Option<(Key, Arc<Plane>)>,
    pending: Option<(Key, Receiver<Outcome>)>,
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

    /// The plane for `choice`, if ready; otherwise starts (or waits for) its
    /// computation and says so.
    pub fn plane(
        &mut self,
        choice: DirectionChoice,
        problem: &Arc<dyn Problem>,
        snapshot: &Arc<Snapshot>,
        wake: &Wake,
    ) -> Result<Arc<Plane>, String> {
        let key = (
            choice,
            Arc::as_ptr(&snapshot.initial_params) as *const f32 as usize,
            self.generation,
        );
        if let Some((k, plane)) = &self.ready
            && *k == key
        {
            return Ok(Arc::clone(plane));
        }
        if let Some((k, message)) = &self.failed
            && *k == key
        {
            return Err(message.clone());
        }
        if let Some((k, receiver)) = &self.pending
            && *k == key
        {
            return match receiver.try_recv() {
                Ok(Ok((plane, description))) => {
                    let plane = Arc::new(plane);
                    self.ready = Some((key, Arc::clone(&plane)));
                    self.pending = None;
                    self.news = Some(description);
                    Ok(plane)
                }
                Ok(Err(message)) => {
                    self.pending = None;
                    self.failed = Some((key, message.clone()));
                    Err(message)
                }
                Err(_) => Err(format!("computing the {} directions…", name(choice))),
            };
        }
        let (sender, receiver) = channel();
        let problem = Arc::clone(problem);
        let snapshot = Arc::clone(snapshot);
        let wake = Arc::clone(wake);
        std::thread::Builder::new()
            .name("valley-directions".into())
            .spawn(move || {
                // Nobody may be waiting any more; then the result is simply dropped.
                let _ = sender.send(compute(choice, problem.as_ref(), &snapshot));
                wake();
            })
            .map_err(|e| format!("cannot start a thread for the directions: {e}"))?;
        self.pending = Some((key, receiver));
        Err(format!("computing the {} directions…", name(choice)))
    }
}

fn name(choice: DirectionChoice) -> &'static str {
    match choice {
        DirectionChoice::Pca => "PCA",
        _ => "Hessian",
    }
}

/// The plane through the current parameters.
fn compute(choice: DirectionChoice, problem: &dyn Problem, snapshot: &Snapshot) -> Outcome {
    let centre = snapshot.params.to_vec();
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
            let found = extremes(at.len(), 1, &mut product, 0, &Control::none())
                .map_err(|e| e.to_string())?;
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
    Ok((plane, description))
}
