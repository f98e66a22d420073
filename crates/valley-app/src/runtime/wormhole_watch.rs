//! The wormhole chart's track, brought up to date off the UI thread: on a
//! big network each new point costs two passes over every parameter, and a
//! fast trainer adds hundreds of points a second, which took the window
//! under 30 frames a second when it was done between frames.

use std::sync::Arc;

use crate::wake::Wake;
use valley_engine::exec;
use valley_engine::landscape::{Plane, WormholeTrack};
use valley_engine::train::TrajectoryPoint;

/// The newest finished track, and the job bringing a copy of it up to date.
#[derive(Default)]
pub struct WormholeWatch {
    shown: WormholeTrack,
    pending: Option<exec::Job<WormholeTrack>>,
}

impl WormholeWatch {
    /// The track as last finished.
    pub fn track(&self) -> &WormholeTrack {
        &self.shown
    }

    /// Whether an update is in flight.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets everything and drops the job in flight (a new problem or run).
    pub fn clear(&mut self) {
        if let Some(job) = self.pending.take() {
            job.cancel();
        }
        self.shown.clear();
    }

    /// Takes a finished update, and starts the next one when the track is
    /// behind `trajectory` on `plane`. At most one update is in flight.
    pub fn follow(
        &mut self,
        plane: &Arc<Plane>,
        trajectory: &Arc<Vec<TrajectoryPoint>>,
        wake: &Wake,
    ) {
        if let Some(job) = &self.pending
            && let Some(outcome) = job.take()
        {
            if let exec::Outcome::Done(track) = outcome {
                self.shown = track;
            }
            self.pending = None;
        }
        if self.pending.is_some() || !self.shown.is_behind(plane, trajectory) {
            return;
        }
        let mut track = self.shown.clone();
        let (plane, trajectory) = (Arc::clone(plane), Arc::clone(trajectory));
        let wake = Arc::clone(wake);
        let started = exec::spawn_blocking(
            "valley-wormhole",
            move |_| {
                track.update(&plane, &trajectory);
                exec::Outcome::Done(track)
            },
            move || wake(),
        );
        // Without a thread the chart keeps its last points; the next frame tries again.
        if let Ok(job) = started {
            self.pending = Some(job);
        }
    }
}
