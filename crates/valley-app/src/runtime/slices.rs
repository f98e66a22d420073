//! The slices drawn around the run: which plane (following, frozen,
//! computed, or a surface's own), when a new grid is due, the 1D line along
//! its first direction, the frozen map beside the following one, and the
//! chart of the path's distance off the start's plane. Their workers run
//! off the UI thread; this only plans requests and keeps the newest grids.

use std::sync::Arc;
use std::time::Duration;
use valley_engine::exec::Instant;

use super::wormhole_watch::WormholeWatch;
use crate::computed_plane::ComputedPlanes;
use crate::notices::{Level, Notices, Source};
use crate::settings::{CentralView, DirectionChoice, Settings, SliceMode};
use crate::wake::{Wake, boxed};
use valley_engine::analysis::{Control, PlaneSite, build_plane};
use valley_engine::landscape::{
    GridSpec, LandscapeRequest, LandscapeResult, LandscapeWorker, Plane,
};
use valley_engine::problem::Problem;
use valley_engine::train::{RunState, Snapshot};

/// How often a following slice may be recomputed while training runs, at most.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(120);
/// A following slice rests this many times its own cost between refreshes,
/// so refreshing takes at most a third of the time and the trainer keeps its pace.
const FOLLOW_REST: u32 = 2;
/// Points per axis of a following slice while training runs (at most).
const MOVING_RESOLUTION: usize = 41;
/// A following slice that has not finished after this long is superseded
/// anyway. Long: a slice superseded before it finishes is work thrown away,
/// and with a big network on a slow or busy machine (a grid taking over two
/// seconds) a short patience meant no following map ever finished.
const FOLLOW_PATIENCE: Duration = Duration::from_secs(30);

/// What the slices are drawn around: the run as it is now.
pub(super) struct Here<'a> {
    pub problem: &'a Arc<dyn Problem>,
    pub snapshot: &'a Arc<Snapshot>,
    /// Where the ball on the 1D slice is: the run's parameters, or during a
    /// race the leading lane's (the main run is hidden then).
    pub ball: &'a [f32],
    pub wake: &'a Wake,
}

/// The slice workers, what was asked of them, and their newest grids.
pub struct Slices {
    /// The 2D slice's worker.
    pub plane_worker: LandscapeWorker,
    /// The 1D slice's worker.
    pub line_worker: LandscapeWorker,
    /// The second map's worker (the frozen plane beside the following one).
    pub twin_worker: LandscapeWorker,
    /// Newest 2D grid.
    pub grid: Option<LandscapeResult>,
    /// Newest 1D grid.
    pub line: Option<LandscapeResult>,
    /// Newest grid of the second map (frozen, beside the following one).
    pub twin: Option<LandscapeResult>,
    /// The distance off the start's plane along the path, and each move's share in it.
    pub wormhole: WormholeWatch,
    /// Hessian, PCA and other computed planes.
    pub computed: ComputedPlanes,
    /// The plane and grid last asked of the twin worker.
    twin_request: Option<(usize, GridSpec)>,
    /// Whether the two maps are shown side by side.
    side_by_side: bool,
    /// The last slice request: its step, time, settings key, and whether
    /// its plane follows the parameters (so a new step needs a new grid).
    last_request: Option<(u64, Instant, usize, bool)>,
    /// When the last requested 2D slice arrived at full resolution, and how long it took.
    last_finished: Option<(Instant, Duration)>,
    /// The frozen plane of this run and the directions it was drawn for
    /// (rebuilt when the run restarts or the directions change).
    frozen: Option<(Arc<[f32]>, FrozenKey, Arc<Plane>)>,
    /// When the 1D slice was last asked for.
    last_line: Instant,
}

impl Slices {
    /// Starts the three workers; `wake` is called when a grid arrives.
    pub fn new(wake: &Wake) -> anyhow::Result<Self> {
        Ok(Self {
            plane_worker: LandscapeWorker::spawn(boxed(wake))?,
            line_worker: LandscapeWorker::spawn(boxed(wake))?,
            twin_worker: LandscapeWorker::spawn(boxed(wake))?,
            grid: None,
            line: None,
            twin: None,
            wormhole: WormholeWatch::default(),
            computed: ComputedPlanes::default(),
            twin_request: None,
            side_by_side: false,
            last_request: None,
            last_finished: None,
            frozen: None,
            last_line: Instant::now(),
        })
    }

    /// Asks for new slices at the next frame (the plane has changed).
    pub fn ask_again(&mut self) {
        self.last_request = None;
    }

    /// Drops grids and curves that belong to an earlier run or problem.
    pub fn forget(&mut self) {
        self.grid = None;
        self.line = None;
        self.twin = None;
        self.twin_request = None;
        self.wormhole.clear();
        self.last_request = None;
        self.frozen = None;
    }

    /// Takes the workers' newest grids and asks for new ones when due;
    /// `restarted` says the run went back to a start since the last frame.
    pub(super) fn logic(
        &mut self,
        run: &Here<'_>,
        settings: &Settings,
        restarted: bool,
        notices: &mut Notices,
    ) {
        if restarted {
            self.frozen = None;
            self.last_request = None;
            self.twin_request = None;
        }
        // Cheap when nothing moved: only new points, or a new plane, cost work.
        self.track_wormhole(run, settings);
        for worker in [&self.plane_worker, &self.line_worker, &self.twin_worker] {
            if let Some(error) = worker.take_error() {
                notices.error(Source::Landscape, error);
            }
        }
        // Right after a new problem is chosen, results of the old one may
        // still arrive; they live in another parameter space and are dropped.
        let n = run.problem.num_params();
        if let Some(result) = self.plane_worker.latest()
            && result.generation == self.plane_worker.newest_generation()
            && result.plane.center.len() == n
        {
            if result.is_final
                && self
                    .grid
                    .as_ref()
                    .is_none_or(|g| g.generation != result.generation || !g.is_final)
                && let Some((_, requested, _, _)) = self.last_request
            {
                self.last_finished = Some((Instant::now(), requested.elapsed()));
            }
            if result.is_final {
                // A grid that arrives means the landscape works again.
                notices.clear(Source::Landscape);
            }
            self.grid = Some(result);
        }
        if let Some(result) = self.line_worker.latest()
            && result.generation == self.line_worker.newest_generation()
            && result.plane.center.len() == n
        {
            self.line = Some(result);
        }
        if let Some(result) = self.twin_worker.latest()
            && result.generation == self.twin_worker.newest_generation()
            && result.plane.center.len() == n
        {
            self.twin = Some(result);
        }
        self.side_by_side =
            settings.view == CentralView::SideBySide && run.problem.surface().is_none();
        if run.snapshot.params.len() == n {
            // Side by side, the main map follows and the second one is frozen.
            let shown = match self.side_by_side {
                true => &Settings {
                    slice_mode: SliceMode::Follow,
                    ..settings.clone()
                },
                false => settings,
            };
            self.request_slices(run, shown, notices);
            self.follow_ball_with_line(run);
            if self.side_by_side {
                self.request_twin(run, settings, notices);
            }
        }
    }

    /// Whether every grid held has `n` parameters (belongs to the current problem).
    pub fn all_have(&self, n: usize) -> bool {
        let fits =
            |r: &Option<LandscapeResult>| r.as_ref().is_none_or(|r| r.plane.center.len() == n);
        fits(&self.grid) && fits(&self.line) && fits(&self.twin)
    }

    /// Whether the frozen and following maps are shown side by side.
    pub fn is_side_by_side(&self) -> bool {
        self.side_by_side
    }

    /// Whether the views show the newest slice at full resolution, asked at `step`.
    pub fn is_settled(&self, step: u64) -> bool {
        let newest = |w: &LandscapeWorker, r: &Option<LandscapeResult>| {
            r.as_ref()
                .is_some_and(|r| r.is_final && r.generation == w.newest_generation())
        };
        self.last_request
            .is_some_and(|(asked, _, _, follows)| !follows || asked == step)
            && newest(&self.plane_worker, &self.grid)
            && newest(&self.line_worker, &self.line)
            && (!self.side_by_side || newest(&self.twin_worker, &self.twin))
            && !self.wormhole.is_pending()
    }
}

impl Slices {
    /// Charts how far the path is from the plane through the start (networks
    /// only: a surface's plane is its whole space).
    fn track_wormhole(&mut self, run: &Here<'_>, settings: &Settings) {
        if run.problem.surface().is_some() || run.snapshot.params.len() != run.problem.num_params()
        {
            self.wormhole.clear();
            return;
        }
        if let Ok(plane) = self.frozen_plane(run, settings) {
            self.wormhole
                .follow(&plane, &run.snapshot.trajectory, run.wake);
        }
    }

    /// The frozen plane's grid for the second map, when its plane or grid changed.
    fn request_twin(&mut self, run: &Here<'_>, settings: &Settings, notices: &mut Notices) {
        let plane = match self.frozen_plane(run, settings) {
            Ok(plane) => plane,
            Err(e) => {
                notices.error(Source::Directions, e);
                return;
            }
        };
        let spec = GridSpec::square(settings.span, settings.resolution.clamp(11, 201));
        let key = (Arc::as_ptr(&plane) as usize, spec);
        if self.twin_request == Some(key) {
            return;
        }
        self.twin_worker.request(LandscapeRequest {
            problem: Arc::clone(run.problem),
            plane,
            spec,
        });
        self.twin_request = Some(key);
    }

    fn request_slices(&mut self, run: &Here<'_>, settings: &Settings, notices: &mut Notices) {
        let step = run.snapshot.step;
        let follows = settings.slice_mode == SliceMode::Follow
            && run.problem.surface().is_none()
            && !settings.directions.is_computed();
        // A slice that follows a running trainer is redrawn often and seen
        // briefly: it is computed coarser, and sharpened once training pauses.
        let moving = follows && run.snapshot.state == RunState::Running;
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
        let plane = match self.plane_for(run, settings, notices) {
            Ok(plane) => plane,
            Err(e) => {
                notices.error(Source::Directions, e);
                return;
            }
        };
        // The plane is there again: a complaint about its directions is stale.
        if notices
            .get(Source::Directions)
            .is_some_and(|n| n.level == Level::Error)
        {
            notices.clear(Source::Directions);
        }
        let span = match run.problem.surface() {
            Some(kind) => kind.view().1 as f32,
            // A line's ends sit at α = ±1: reach a quarter beyond them.
            None if settings.directions.is_line() => 1.25 * settings.span,
            None => settings.span,
        };
        self.plane_worker.request(LandscapeRequest {
            problem: Arc::clone(run.problem),
            plane: Arc::clone(&plane),
            spec: GridSpec::square(span, resolution),
        });
        self.request_line(run, &plane, span);
        self.last_request = Some((step, Instant::now(), key, follows));
    }

    /// The 1D slice along the plane's first direction. On a formula surface
    /// it runs along x through the ball, so the ball always sits on the curve.
    fn request_line(&mut self, run: &Here<'_>, plane: &Plane, span: f32) {
        let mut center = plane.center.clone();
        if run.problem.surface().is_some()
            && let (Some(c), Some(&y)) = (center.get_mut(1), run.ball.get(1))
            && y.is_finite()
        {
            *c = y;
        }
        let line_plane = Plane {
            center,
            directions: vec![plane.directions[0].clone()],
        };
        self.line_worker.request(LandscapeRequest {
            problem: Arc::clone(run.problem),
            plane: Arc::new(line_plane),
            spec: GridSpec::line(span, 201),
        });
        self.last_line = Instant::now();
    }

    /// On a surface the plane stays put but the 1D slice follows the ball's y.
    fn follow_ball_with_line(&mut self, run: &Here<'_>) {
        let (Some(grid), Some(line)) = (&self.grid, &self.line) else {
            return;
        };
        let ball_y = run.ball.get(1).copied();
        let line_y = line.plane.center.get(1).copied();
        if run.problem.surface().is_none()
            || ball_y == line_y
            || self.last_line.elapsed() < FOLLOW_INTERVAL / 2
        {
            return;
        }
        let plane = Arc::clone(&grid.plane);
        let span = grid.grid.spec.alpha.max;
        self.request_line(run, &plane, span);
    }

    /// The slice for the current settings and snapshot.
    fn plane_for(
        &mut self,
        run: &Here<'_>,
        settings: &Settings,
        notices: &mut Notices,
    ) -> Result<Arc<Plane>, String> {
        if let Some(kind) = run.problem.surface() {
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
                run.problem,
                run.snapshot,
                settings.train,
                run.wake,
            )?;
            if let Some(news) = self.computed.news.take() {
                notices.info(Source::Directions, news);
            }
            return Ok(plane);
        }
        match settings.slice_mode {
            SliceMode::Follow => {
                let centre = Arc::clone(&run.snapshot.params);
                random_plane(run.problem, settings, &centre).map(Arc::new)
            }
            SliceMode::Frozen => self.frozen_plane(run, settings),
        }
    }

    /// The plane through this run's start along the settings' random (or
    /// parameter) directions; filter-normalised when the slice is computed.
    fn frozen_plane(&mut self, run: &Here<'_>, settings: &Settings) -> Result<Arc<Plane>, String> {
        let key = (settings.directions, settings.train.seed);
        if let Some((initial, k, plane)) = &self.frozen
            && Arc::ptr_eq(initial, &run.snapshot.initial_params)
            && *k == key
        {
            return Ok(Arc::clone(plane));
        }
        let initial = Arc::clone(&run.snapshot.initial_params);
        let plane = Arc::new(random_plane(run.problem, settings, &initial)?);
        self.frozen = Some((initial, key, Arc::clone(&plane)));
        Ok(plane)
    }
}

/// What a frozen plane was drawn for.
type FrozenKey = (DirectionChoice, u64);

/// A plane through `centre` along the settings' random or parameter
/// directions (filter-normalised for computed choices), as the engine's
/// recipe draws them from the run's seed.
pub(crate) fn random_plane(
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
