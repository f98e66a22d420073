//! The app's live state: the problem, the trainer and landscape threads,
//! and the latest results they produced. `logic` ingests results and asks
//! for new grids; the views only read what is here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::computed_plane::ComputedPlanes;
use super::notices::{Notices, Source};
use super::race::RaceState;
use super::settings::{CentralView, Settings, SliceMode};
use super::wake::{Wake, boxed};
mod slices;

use slices::FrozenKey;

use valley_engine::landscape::WormholeTrack;
use valley_engine::landscape::{GridSpec, LandscapeResult, LandscapeWorker, Plane};
use valley_engine::problem::Problem;
use valley_engine::train::{Command, Snapshot, Speed, Trainer};

/// How often a following slice may be recomputed while training runs, at most.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(120);
/// A following slice rests this many times its own cost between refreshes,
/// so refreshing takes at most a third of the time and the trainer keeps its pace.
const FOLLOW_REST: u32 = 2;
/// Points per axis of a following slice while training runs (at most).
const MOVING_RESOLUTION: usize = 41;
/// A following slice that has not finished after this long is superseded anyway.
const FOLLOW_PATIENCE: Duration = Duration::from_secs(2);

/// Threads and their latest results.
pub struct Runtime {
    /// The problem being trained.
    pub problem: Arc<dyn Problem>,
    /// The trainer thread.
    pub trainer: Trainer,
    /// The 2D slice thread.
    pub plane_worker: LandscapeWorker,
    /// The 1D slice thread.
    pub line_worker: LandscapeWorker,
    /// The second map's thread (the frozen plane beside the following one).
    pub twin_worker: LandscapeWorker,
    /// The newest snapshot.
    pub snapshot: Arc<Snapshot>,
    /// Newest 2D grid.
    pub grid: Option<LandscapeResult>,
    /// Newest 1D grid.
    pub line: Option<LandscapeResult>,
    /// Newest grid of the second map (frozen, beside the following one).
    pub twin: Option<LandscapeResult>,
    /// The plane and grid last asked of the twin worker.
    twin_request: Option<(usize, GridSpec)>,
    /// Whether the two maps are shown side by side.
    side_by_side: bool,
    /// The distance off the start's plane along the path, and each move's share in it.
    pub wormhole: WormholeTrack,
    /// The last slice request: its step, time, settings key, and whether
    /// its plane follows the parameters (so a new step needs a new grid).
    last_request: Option<(u64, Instant, usize, bool)>,
    /// When the last requested 2D slice arrived at full resolution, and how long it took.
    last_finished: Option<(Instant, Duration)>,
    /// The frozen plane of this run and the directions it was drawn for
    /// (rebuilt when the run restarts or the directions change).
    frozen: Option<(Arc<[f32]>, FrozenKey, Arc<Plane>)>,
    /// Hessian and PCA planes, computed on a thread.
    pub computed: ComputedPlanes,
    /// When the 1D slice was last asked for.
    last_line: Instant,
    /// The optimiser race, when one is on.
    pub race: RaceState,
    /// What the status bar says, each notice with its source and level.
    pub notices: Notices,
    wake: Wake,
}

impl Runtime {
    /// Builds the problem and starts the threads.
    pub fn new(settings: &Settings, wake: Wake) -> anyhow::Result<Self> {
        let problem = build_problem(settings)?;
        let trainer = spawn_trainer(&problem, settings, &wake)?;
        let plane_worker = LandscapeWorker::spawn(boxed(&wake))?;
        let line_worker = LandscapeWorker::spawn(boxed(&wake))?;
        let twin_worker = LandscapeWorker::spawn(boxed(&wake))?;
        let snapshot = trainer.latest();
        Ok(Self {
            problem,
            trainer,
            plane_worker,
            line_worker,
            twin_worker,
            snapshot,
            grid: None,
            line: None,
            twin: None,
            twin_request: None,
            side_by_side: false,
            wormhole: WormholeTrack::default(),
            last_request: None,
            last_finished: None,
            race: RaceState::default(),
            last_line: Instant::now(),
            computed: ComputedPlanes::default(),
            frozen: None,
            notices: Notices::default(),
            wake,
        })
    }

    /// Swaps in a new problem (architecture or dataset changed) with a fresh run.
    pub fn rebuild(&mut self, settings: &Settings) {
        match build_problem(settings) {
            Ok(problem) => {
                self.trainer
                    .send(Command::SetProblem(Arc::clone(&problem), settings.train));
                self.problem = problem;
                self.race.forget();
                self.forget_views();
                self.notices.clear(Source::Problem);
                self.notices.clear(Source::Trainer);
            }
            Err(e) => self.notices.error(Source::Problem, format!("{e:#}")),
        }
    }

    /// Asks for new slices at the next frame (the plane has changed).
    pub fn forget_slices(&mut self) {
        self.last_request = None;
    }

    /// Drops grids and curves that belong to an earlier run or slice.
    pub fn forget_views(&mut self) {
        self.grid = None;
        self.line = None;
        self.twin = None;
        self.twin_request = None;
        self.wormhole.clear();
        self.last_request = None;
        self.frozen = None;
    }

    /// The UI's wake-up call, for threads that report back.
    pub fn wake(&self) -> Wake {
        Arc::clone(&self.wake)
    }

    /// Sends a command to the trainer (which drives the race's lanes too).
    pub fn send(&self, command: Command) {
        self.trainer.send(command);
    }

    /// Ingests the newest results and asks for new slices when needed.
    pub fn logic(&mut self, settings: &Settings) {
        let snapshot = self.trainer.latest();
        if snapshot.step < self.snapshot.step
            || !Arc::ptr_eq(&snapshot.initial_params, &self.snapshot.initial_params)
        {
            self.frozen = None;
            self.last_request = None;
            self.twin_request = None;
        }
        self.snapshot = snapshot;
        // Cheap when nothing moved: only new points, or a new plane, cost work.
        self.track_wormhole(settings);
        self.race
            .sync(settings, self.problem.as_ref(), &self.trainer);
        if let Some(error) = self.trainer.take_error() {
            self.notices.error(Source::Trainer, error);
        }
        for worker in [&self.plane_worker, &self.line_worker, &self.twin_worker] {
            if let Some(error) = worker.take_error() {
                self.notices.error(Source::Landscape, error);
            }
        }
        if !self.trainer.is_alive() && self.notices.get(Source::Trainer).is_none() {
            self.notices.error(
                Source::Trainer,
                "the trainer stopped unexpectedly; press Reset to start it again",
            );
        }
        // Right after a new problem is chosen, results of the old one may
        // still arrive; they live in another parameter space and are dropped.
        let n = self.problem.num_params();
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
                self.notices.clear(Source::Landscape);
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
            settings.view == CentralView::SideBySide && self.problem.surface().is_none();
        if self.snapshot.params.len() == n {
            // Side by side, the main map follows and the second one is frozen.
            let shown = match self.side_by_side {
                true => &Settings {
                    slice_mode: SliceMode::Follow,
                    ..settings.clone()
                },
                false => settings,
            };
            self.request_slices(shown);
            self.follow_ball_with_line();
            if self.side_by_side {
                self.request_twin(settings);
            }
        }
    }

    /// Restarts the trainer thread after it died.
    pub fn restart_trainer(&mut self, settings: &Settings) {
        match spawn_trainer(&self.problem, settings, &self.wake) {
            Ok(trainer) => {
                self.trainer = trainer;
                self.notices.clear(Source::Trainer);
                self.race.forget();
                self.forget_views();
            }
            Err(e) => self.notices.error(Source::Trainer, e.to_string()),
        }
    }

    /// Whether the snapshot and the slices all belong to the current problem.
    pub fn is_consistent(&self) -> bool {
        let n = self.problem.num_params();
        let fits =
            |r: &Option<LandscapeResult>| r.as_ref().is_none_or(|r| r.plane.center.len() == n);
        self.snapshot.params.len() == n && fits(&self.grid) && fits(&self.line) && fits(&self.twin)
    }

    /// Whether the frozen and following maps are shown side by side (a
    /// network only: a surface's plane is its whole space).
    pub fn is_side_by_side(&self) -> bool {
        self.side_by_side
    }

    /// Whether the views show the newest slice at full resolution.
    pub fn is_settled(&self) -> bool {
        let newest = |w: &LandscapeWorker, r: &Option<LandscapeResult>| {
            r.as_ref()
                .is_some_and(|r| r.is_final && r.generation == w.newest_generation())
        };
        self.last_request
            .is_some_and(|(step, _, _, follows)| !follows || step == self.snapshot.step)
            && newest(&self.plane_worker, &self.grid)
            && newest(&self.line_worker, &self.line)
            && (!self.side_by_side || newest(&self.twin_worker, &self.twin))
    }
}

fn spawn_trainer(
    problem: &Arc<dyn Problem>,
    settings: &Settings,
    wake: &Wake,
) -> anyhow::Result<Trainer> {
    let trainer = Trainer::spawn(Arc::clone(problem), settings.train, boxed(wake))?;
    trainer.send(Command::SetSpeed(speed_of(settings)));
    Ok(trainer)
}

/// The trainer's throttle for these settings.
pub fn speed_of(settings: &Settings) -> Speed {
    match settings.steps_per_second {
        Some(rate) => Speed::StepsPerSecond(rate),
        None => Speed::Max,
    }
}

/// The problem the settings describe.
pub fn build_problem(settings: &Settings) -> anyhow::Result<Arc<dyn Problem>> {
    settings.problem_spec()?.build()
}
