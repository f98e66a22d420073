//! The app's live state: the problem, the trainer and landscape threads,
//! and the latest results they produced. `logic` ingests results and asks
//! for new grids; the views only read what is here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::computed_plane::ComputedPlanes;
use super::race::RaceState;
use super::settings::{DirectionChoice, Settings, SliceMode};
use crate::engine::landscape::{
    DirectionKind, GridSpec, LandscapeRequest, LandscapeResult, LandscapeWorker, Plane,
    make_direction,
};
use crate::engine::problem::{MlpProblem, Problem, ProblemSpec};
use crate::engine::train::{Command, Decimated, RunState, Snapshot, Speed, Trainer};

/// How often a following slice may be recomputed while training runs, at most.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(120);
/// A following slice rests this many times its own cost between refreshes,
/// so refreshing takes at most a third of the time and the trainer keeps its pace.
const FOLLOW_REST: u32 = 2;
/// Points per axis of a following slice while training runs (at most).
const MOVING_RESOLUTION: usize = 41;
/// A following slice that has not finished after this long is superseded anyway.
const FOLLOW_PATIENCE: Duration = Duration::from_secs(2);

/// One point of the evaluation curves the app keeps.
#[derive(Clone, Copy, Debug)]
pub struct CurvePoint {
    /// Step.
    pub step: u64,
    /// Full training loss.
    pub train_loss: f32,
    /// Test loss, if there is a test set.
    pub test_loss: Option<f32>,
}

/// Callback that wakes the UI (a repaint request in the real app).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Threads and their latest results.
pub struct Runtime {
    /// The problem being trained.
    pub problem: Arc<dyn Problem>,
    /// The same problem when it is an MLP (for decision boundaries).
    pub mlp_problem: Option<Arc<MlpProblem>>,
    /// The trainer thread.
    pub trainer: Trainer,
    /// The 2D slice thread.
    pub plane_worker: LandscapeWorker,
    /// The 1D slice thread.
    pub line_worker: LandscapeWorker,
    /// The newest snapshot.
    pub snapshot: Arc<Snapshot>,
    /// Newest 2D grid.
    pub grid: Option<LandscapeResult>,
    /// Newest 1D grid.
    pub line: Option<LandscapeResult>,
    /// Evaluation curves, decimated.
    pub curves: Decimated<CurvePoint>,
    /// The last slice request: its step, time, settings key, and whether
    /// its plane follows the parameters (so a new step needs a new grid).
    last_request: Option<(u64, Instant, usize, bool)>,
    /// When the last requested 2D slice arrived at full resolution, and how long it took.
    last_finished: Option<(Instant, Duration)>,
    /// The frozen plane of this run (rebuilt when the run restarts).
    frozen: Option<(Arc<[f32]>, Arc<Plane>)>,
    /// Hessian and PCA planes, computed on a thread.
    pub computed: ComputedPlanes,
    /// When the 1D slice was last asked for.
    last_line: Instant,
    /// The optimiser race, when one is on.
    pub race: RaceState,
    /// A message for the status bar (a rejected setting, a failed build).
    pub message: Option<String>,
    wake: Wake,
}

impl Runtime {
    /// Builds the problem and starts the threads.
    pub fn new(settings: &Settings, wake: Wake) -> anyhow::Result<Self> {
        let (problem, mlp_problem) = build_problem(settings)?;
        let trainer = spawn_trainer(&problem, settings, &wake)?;
        let plane_worker = LandscapeWorker::spawn(boxed(&wake))?;
        let line_worker = LandscapeWorker::spawn(boxed(&wake))?;
        let snapshot = trainer.latest();
        Ok(Self {
            problem,
            mlp_problem,
            trainer,
            plane_worker,
            line_worker,
            snapshot,
            grid: None,
            line: None,
            curves: Decimated::new(2048),
            last_request: None,
            last_finished: None,
            race: RaceState::default(),
            last_line: Instant::now(),
            computed: ComputedPlanes::default(),
            frozen: None,
            message: None,
            wake,
        })
    }

    /// Swaps in a new problem (architecture or dataset changed) with a fresh run.
    pub fn rebuild(&mut self, settings: &Settings) {
        match build_problem(settings) {
            Ok((problem, mlp_problem)) => {
                self.trainer
                    .send(Command::SetProblem(Arc::clone(&problem), settings.train));
                self.problem = problem;
                self.mlp_problem = mlp_problem;
                self.forget_views();
            }
            Err(e) => self.message = Some(format!("{e:#}")),
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
        self.curves.clear();
        self.last_request = None;
        self.frozen = None;
    }

    /// The UI's wake-up call, for threads that report back.
    pub fn wake(&self) -> Wake {
        Arc::clone(&self.wake)
    }

    /// Sends a command to the trainer (and to the race, if one is on).
    pub fn send(&self, command: Command) {
        self.race.mirror(&command, self.problem.as_ref(), 0);
        self.trainer.send(command);
    }

    /// Ingests the newest results and asks for new slices when needed.
    pub fn logic(&mut self, settings: &Settings) {
        let snapshot = self.trainer.latest();
        if snapshot.step < self.snapshot.step
            || !Arc::ptr_eq(&snapshot.initial_params, &self.snapshot.initial_params)
        {
            self.curves.clear();
            self.frozen = None;
            self.last_request = None;
        }
        if snapshot.step != self.snapshot.step || self.curves.items().is_empty() {
            self.curves.push(CurvePoint {
                step: snapshot.step,
                train_loss: snapshot.evaluation.train_loss,
                test_loss: snapshot.evaluation.test_loss,
            });
        }
        self.snapshot = snapshot;
        self.race
            .sync(settings, &self.problem, &self.snapshot, &self.wake);
        if let Some(error) = self.trainer.take_error() {
            self.message = Some(error);
        }
        for worker in [&self.plane_worker, &self.line_worker] {
            if let Some(error) = worker.take_error() {
                self.message = Some(error);
            }
        }
        let explained = self
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("the trainer stopped"));
        if !self.trainer.is_alive() && !explained {
            self.message = Some(
                "the trainer thread stopped unexpectedly; press Reset to start a new one".into(),
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
            self.grid = Some(result);
        }
        if let Some(result) = self.line_worker.latest()
            && result.generation == self.line_worker.newest_generation()
            && result.plane.center.len() == n
        {
            self.line = Some(result);
        }
        if self.snapshot.params.len() == n {
            self.request_slices(settings);
            self.follow_ball_with_line();
        }
    }

    /// Restarts the trainer thread after it died.
    pub fn restart_trainer(&mut self, settings: &Settings) {
        match spawn_trainer(&self.problem, settings, &self.wake) {
            Ok(trainer) => {
                self.trainer = trainer;
                self.message = None;
                self.forget_views();
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    /// Whether the snapshot and the slices all belong to the current problem.
    pub fn is_consistent(&self) -> bool {
        let n = self.problem.num_params();
        let fits =
            |r: &Option<LandscapeResult>| r.as_ref().is_none_or(|r| r.plane.center.len() == n);
        self.snapshot.params.len() == n && fits(&self.grid) && fits(&self.line)
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
    }

    fn request_slices(&mut self, settings: &Settings) {
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
                self.message = Some(e);
                return;
            }
        };
        let span = match self.problem.surface() {
            Some(kind) => kind.view().1 as f32,
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
    fn request_line(&mut self, plane: &Plane, span: f32) {
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
    fn follow_ball_with_line(&mut self) {
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
    fn plane_for(&mut self, settings: &Settings) -> Result<Arc<Plane>, String> {
        let layout = self.problem.layout();
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
                &self.wake,
            )?;
            if let Some(news) = self.computed.news.take() {
                self.message = Some(news);
            }
            return Ok(plane);
        }
        let centre: Arc<[f32]> = match settings.slice_mode {
            SliceMode::Follow => Arc::clone(&self.snapshot.params),
            SliceMode::Frozen => {
                if let Some((initial, plane)) = &self.frozen
                    && Arc::ptr_eq(initial, &self.snapshot.initial_params)
                {
                    return Ok(Arc::clone(plane));
                }
                Arc::clone(&self.snapshot.initial_params)
            }
        };
        let seed = settings.train.seed.wrapping_mul(2);
        let direction = |kind: DirectionKind, k: u64| {
            make_direction(kind, layout, &centre, seed.wrapping_add(k)).map_err(|e| e.to_string())
        };
        let directions = match settings.directions {
            DirectionChoice::Filter => vec![
                direction(DirectionKind::Filter, 1)?,
                direction(DirectionKind::Filter, 2)?,
            ],
            DirectionChoice::Gaussian => vec![
                direction(DirectionKind::Gaussian, 1)?,
                direction(DirectionKind::Gaussian, 2)?,
            ],
            DirectionChoice::Parameters(i, j) => {
                vec![
                    direction(DirectionKind::Axis(i), 0)?,
                    direction(DirectionKind::Axis(j), 0)?,
                ]
            }
            DirectionChoice::Hessian | DirectionChoice::Pca => {
                unreachable!("computed directions returned above")
            }
        };
        let plane = Arc::new(Plane::new(centre.to_vec(), directions).map_err(|e| e.to_string())?);
        if settings.slice_mode == SliceMode::Frozen {
            self.frozen = Some((
                Arc::clone(&self.snapshot.initial_params),
                Arc::clone(&plane),
            ));
        }
        Ok(plane)
    }
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

fn boxed(wake: &Wake) -> Box<dyn Fn() + Send> {
    let wake = Arc::clone(wake);
    Box::new(move || wake())
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

/// A problem, and the same problem as an MLP when it is one.
type BuiltProblem = (Arc<dyn Problem>, Option<Arc<MlpProblem>>);

/// The problem the settings describe.
pub fn build_problem(settings: &Settings) -> anyhow::Result<BuiltProblem> {
    let spec = settings.problem_spec()?;
    match spec {
        ProblemSpec::Surface { .. } => Ok((spec.build()?, None)),
        _ => {
            let problem = spec.build_mlp()?;
            Ok((problem.clone() as Arc<dyn Problem>, Some(problem)))
        }
    }
}
