//! The wormhole, measured: for every kept point of the path, how far the
//! parameters are from the plane through the start, and how much of the move
//! since the previous kept point lies in that plane (each single step, while
//! the trainer still keeps every step). Worked out from the trainer's own
//! record, so a run trained faster than the window draws is charted in full,
//! and incrementally, so each frame projects only the new points.

use std::sync::Arc;

use super::{Plane, project, share_in_plane};
use crate::train::{Decimated, TrajectoryPoint};

/// Points the chart keeps (decimated beyond).
const CAPACITY: usize = 2048;

/// One point of the chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WormholePoint {
    /// Step of the kept point.
    pub step: u64,
    /// Distance from the parameters to the plane through the start.
    pub off_plane: f32,
    /// The share of the move since the previous kept point that lies in the plane.
    pub step_share: Option<f32>,
}

/// The chart's points, for one frozen plane.
#[derive(Clone)]
pub struct WormholeTrack {
    plane: Option<Arc<Plane>>,
    last: Option<(u64, Arc<[f32]>)>,
    points: Decimated<WormholePoint>,
}

impl Default for WormholeTrack {
    fn default() -> Self {
        Self {
            plane: None,
            last: None,
            points: Decimated::new(CAPACITY),
        }
    }
}

impl WormholeTrack {
    /// Adds the trajectory's points after the last one seen; starts over when
    /// the plane is another one (a new run, other directions) or the path
    /// went back in time (a reset).
    pub fn update(&mut self, plane: &Arc<Plane>, trajectory: &[TrajectoryPoint]) {
        let restarted = match (&self.last, trajectory.first()) {
            (Some((step, _)), Some(first)) => {
                trajectory.last().is_some_and(|p| p.step < *step) || first.step > *step
            }
            _ => false,
        };
        if restarted || !self.plane.as_ref().is_some_and(|p| Arc::ptr_eq(p, plane)) {
            self.clear();
            self.plane = Some(Arc::clone(plane));
        }
        let n = plane.center.len();
        for point in trajectory.iter().filter(|p| p.params.len() == n) {
            if self
                .last
                .as_ref()
                .is_some_and(|(step, _)| point.step <= *step)
            {
                continue;
            }
            let step_share = self.last.as_ref().and_then(|(_, before)| {
                let moved: Vec<f32> = point
                    .params
                    .iter()
                    .zip(before.iter())
                    .map(|(a, b)| a - b)
                    .collect();
                share_in_plane(plane, &moved)
            });
            let off_plane = project(plane, &point.params).distance;
            if off_plane.is_finite() {
                self.points.push(WormholePoint {
                    step: point.step,
                    off_plane,
                    step_share,
                });
            }
            self.last = Some((point.step, Arc::clone(&point.params)));
        }
    }

    /// Forgets everything (a new problem or run).
    pub fn clear(&mut self) {
        self.plane = None;
        self.last = None;
        self.points.clear();
    }

    /// The points so far.
    pub fn points(&self) -> &[WormholePoint] {
        self.points.items()
    }

    /// Whether `update` with this plane and trajectory would do any work:
    /// another plane, a reset, or points past the last one seen.
    pub fn is_behind(&self, plane: &Arc<Plane>, trajectory: &[TrajectoryPoint]) -> bool {
        let same_plane = self.plane.as_ref().is_some_and(|p| Arc::ptr_eq(p, plane));
        match (&self.last, trajectory.last()) {
            // Another plane: start over (even with nothing to add, to forget).
            _ if !same_plane => true,
            (Some((step, _)), Some(newest)) => newest.step != *step,
            (None, newest) => newest.is_some(),
            // Nothing to add: `update` would change nothing.
            (Some(_), None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(step: u64, params: [f32; 3]) -> TrajectoryPoint {
        TrajectoryPoint {
            step,
            params: Arc::from(&params[..]),
            loss: 0.0,
        }
    }

    #[test]
    fn each_move_is_split_into_its_part_on_the_plane_and_the_distance_off_it() {
        // The plane z = 0 through the origin.
        let plane = Arc::new(
            Plane::new(vec![0.0; 3], vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]])
                .expect("plane"),
        );
        let mut track = WormholeTrack::default();
        let path = vec![point(0, [0.0, 0.0, 0.0]), point(1, [1.0, 0.0, 0.0])];
        assert!(track.is_behind(&plane, &path));
        track.update(&plane, &path);
        // Caught up: nothing to do until a point, a plane or a reset is new.
        assert!(!track.is_behind(&plane, &path));
        assert!(!track.is_behind(&plane, &[]));
        let other = Arc::new(Plane::clone(&plane));
        assert!(track.is_behind(&other, &path));
        // Then straight up, then at 45° (x and z): cos 45° of it lies in the plane.
        let path = [
            path,
            vec![point(2, [1.0, 0.0, 2.0]), point(3, [2.0, 0.0, 3.0])],
        ]
        .concat();
        track.update(&plane, &path);
        let points = track.points();
        let steps: Vec<u64> = points.iter().map(|p| p.step).collect();
        assert_eq!(steps, vec![0, 1, 2, 3], "each point once");
        let off: Vec<f32> = points.iter().map(|p| p.off_plane).collect();
        assert_eq!(off, vec![0.0, 0.0, 2.0, 3.0]);
        assert_eq!(points[0].step_share, None);
        assert_eq!(points[1].step_share, Some(1.0));
        assert_eq!(points[2].step_share, Some(0.0));
        let diagonal = points[3].step_share.expect("a share");
        assert!((diagonal - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        // A reset (the path starts again) starts the chart again.
        track.update(&plane, &[point(0, [0.0, 0.0, 1.0])]);
        assert_eq!(track.points().len(), 1);
        assert_eq!(track.points()[0].off_plane, 1.0);
    }
}
