//! The slices the runtime asks for: which plane (following, frozen,
//! computed, or a surface's own), when a new grid is due, the 1D line
//! along its first direction, the frozen map beside the following one, and
//! the chart of the path's distance off the start's plane.

use std::sync::Arc;
use std::time::Instant;

use super::{FOLLOW_INTERVAL, FOLLOW_PATIENCE, FOLLOW_REST, MOVING_RESOLUTION, Runtime};
use crate::notices::{Level, Source};
use crate::settings::{DirectionChoice, Settings, SliceMode};
use valley_engine::analysis::{Control, PlaneSite, build_plane};
use valley_engine::landscape::{GridSpec, LandscapeRequest, Plane};
use valley_engine::problem::Problem;
use valley_engine::train::RunState;

impl Runtime {
    /// Charts how far the path is from the plane through the start (networks
    /// only: a surface's plane is its whole space).
    pub(super) fn track_wormhole(&mut self, settings: &Settings) {
        if self.problem.surface().is_some()
            || self.snapshot.params.len() != self.problem.num_params()
        {
            self.wormhole.clear();
            return;
        }
        if let Ok(plane) = self.frozen_plane(settings) {
            self.wormhole.update(&plane, &self.snapshot.trajectory);
        }
    }

    /// The frozen plane's grid for the second map, when its plane or grid changed.
    pub(super) fn request_twin(&mut self, settings: &Settings) {
        let plane = match self.frozen_plane(settings) {
            Ok(plane) => plane,
            Err(e) => {
                self.notices.error(Source::Directions, e);
                return;
            }
        };
        let spec = GridSpec::square(settings.span, settings.resolution.clamp(11, 201));
        let key = (Arc::as_ptr(&plane) as usize, spec);
        if self.twin_request == Some(key) {
            return;
        }
        self.twin_worker.request(LandscapeRequest {
            problem: Arc::clone(&self.problem),
            plane,
            spec,
        });
        self.twin_request = Some(key);
    }

    pub(super) fn request_slices(&mut self, settings: &Settings) {
        let step = self.snapshot.step;
        let follows = settings.slice_mode == SliceMode::Follow
            && self.problem.surface().is_none()
            && !settings.directions.is_computed();
        // A slice that follows a running trainer is redrawn often and seen
        // briefly: it is computed coarser, and sharpened once training pauses.
        let moving = follows && self.snapshot.state == RunState::Running;
        let resolution = match moving {
            true => settings.resolution.clamp(11, MOVING_RESOLUTION),
            false => settings.resolution.clamp(11, 201),
        };
        let key = settings_key(settings) ^ usize::from(moving);
        let due = match self.last_request {
            None => true,
            Some((_, _, k, _)) if k != key => true,
            // A frozen plane only needs a new grid when the plane changes.
            Some((last_step, at, _, _)) => {
                let rested = match self.last_finished {
                    Some((finished, cost)) if finished >= at => {
                        finished.elapsed() >= cost * FOLLOW_REST
                    }
                    _ => at.elapsed() >= FOLLOW_PATIENCE,
                };
                follows && last_step != step && at.elapsed() >= FOLLOW_INTERVAL && rested
            }
        };
        if !due {
            return;
        }
        let plane = match self.plane_for(settings) {
            Ok(plane) => plane,
            Err(e) => {
                self.notices.error(Source::Directions, e);
                return;
            }
        };
        // The plane is there again: a complaint about its directions is stale.
        if self
            .notices
            .get(Source::Directions)
            .is_some_and(|n| n.level == Level::Error)
        {
            self.notices.clear(Source::Directions);
        }
        let span = match self.problem.surface() {
            Some(kind) => kind.view().1 as f32,
            // A line's ends sit at α = ±1: reach a quarter beyond them.
            None if settings.directions.is_line() => 1.25 * settings.span,
            None => settings.span,
        };
        self.plane_worker.request(LandscapeRequest {
            problem: Arc::clone(&self.problem),
            plane: Arc::clone(&plane),
            spec: GridSpec::square(span, resolution),
        });
        self.request_line(&plane, span);
        self.last_request = Some((step, Instant::now(), key, follows));
    }

    /// The 1D slice along the plane's first direction. On a formula surface
    /// it runs along x through the ball, so the ball always sits on the curve.
    pub(super) fn request_line(&mut self, plane: &Plane, span: f32) {
        let mut center = plane.center.clone();
        if self.problem.surface().is_some()
            && let (Some(c), Some(&y)) = (center.get_mut(1), self.snapshot.params.get(1))
            && y.is_finite()
        {
            *c = y;
        }
        let line_plane = Plane {
            center,
            directions: vec![plane.directions[0].clone()],
        };
        self.line_worker.request(LandscapeRequest {
            problem: Arc::clone(&self.problem),
            plane: Arc::new(line_plane),
            spec: GridSpec::line(span, 201),
        });
        self.last_line = Instant::now();
    }

    /// On a surface the plane stays put but the 1D slice follows the ball's y.
    pub(super) fn follow_ball_with_line(&mut self) {
        let (Some(grid), Some(line)) = (&self.grid, &self.line) else {
            return;
        };
        let ball_y = self.snapshot.params.get(1).copied();
        let line_y = line.plane.center.get(1).copied();
        if self.problem.surface().is_none()
            || ball_y == line_y
            || self.last_line.elapsed() < FOLLOW_INTERVAL / 2
        {
            return;
        }
        let plane = Arc::clone(&grid.plane);
        let span = grid.grid.spec.alpha.max;
        self.request_line(&plane, span);
    }

    /// The slice for the current settings and snapshot.
    pub(super) fn plane_for(&mut self, settings: &Settings) -> Result<Arc<Plane>, String> {
        if let Some(kind) = self.problem.surface() {
            let ([cx, cy], _) = kind.view();
            let plane = Plane::new(
                vec![cx as f32, cy as f32],
                vec![vec![1.0, 0.0], vec![0.0, 1.0]],
            )
            .map_err(|e| e.to_string())?;
            return Ok(Arc::new(plane));
        }
        if settings.directions.is_computed() {
            let plane = self.computed.plane(
                settings.directions,
                &self.problem,
                &self.snapshot,
                settings.train,
                &self.wake,
            )?;
            if let Some(news) = self.computed.news.take() {
                self.notices.info(Source::Directions, news);
            }
            return Ok(plane);
        }
        match settings.slice_mode {
            SliceMode::Follow => {
                let centre = Arc::clone(&self.snapshot.params);
                random_plane(&self.problem, settings, &centre).map(Arc::new)
            }
            SliceMode::Frozen => self.frozen_plane(settings),
        }
    }

    /// The plane through this run's start along the settings' random (or
    /// parameter) directions; filter-normalised when the slice is computed.
    pub(super) fn frozen_plane(&mut self, settings: &Settings) -> Result<Arc<Plane>, String> {
        let key = (settings.directions, settings.train.seed);
        if let Some((initial, k, plane)) = &self.frozen
            && Arc::ptr_eq(initial, &self.snapshot.initial_params)
            && *k == key
        {
            return Ok(Arc::clone(plane));
        }
        let initial = Arc::clone(&self.snapshot.initial_params);
        let plane = Arc::new(random_plane(&self.problem, settings, &initial)?);
        self.frozen = Some((initial, key, Arc::clone(&plane)));
        Ok(plane)
    }
}

/// What a frozen plane was drawn for.
pub(super) type FrozenKey = (DirectionChoice, u64);

/// A plane through `centre` along the settings' random or parameter
/// directions (filter-normalised for computed choices), as the engine's
/// recipe draws them from the run's seed.
fn random_plane(
    problem: &Arc<dyn Problem>,
    settings: &Settings,
    centre: &[f32],
) -> Result<Plane, String> {
    let recipe = match settings.directions {
        recipe @ (DirectionChoice::Gaussian | DirectionChoice::Parameters(..)) => recipe,
        _ => DirectionChoice::Filter,
    };
    let site = PlaneSite {
        problem,
        centre,
        start: None,
        path: &[],
        step: None,
        config: settings.train,
        other_seed: None,
    };
    build_plane(recipe, &site, 2, &Control::none()).map(|built| built.plane)
}

/// A number that changes whenever a slice setting does.
fn settings_key(settings: &Settings) -> usize {
    let text = format!(
        "{:?}{:?}{}{}{}",
        settings.slice_mode,
        settings.directions,
        settings.span,
        settings.resolution,
        settings.train.seed
    );
    text.bytes().fold(17usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    })
}
