//! The trainer: commands in, snapshots out, as one executor service over
//! the main run and, when a race is on, its lanes (all stepped in lockstep,
//! so "after 200 steps" means the same for every one of them).
//!
//! Snapshots are published to a single latest-value slot at most once per
//! `PUBLISH_INTERVAL`, however fast training runs and however rarely (or
//! never) anyone reads; the wake-up callback then tells the consumer to
//! look. Memory therefore stays bounded and throughput does not depend on
//! the consumer. While training, a new snapshot waits until the consumer
//! has taken the last one (or for `UNREAD_PUBLISH_INTERVAL`): a snapshot
//! costs a full-batch evaluation, and a window drawing 30 frames a second
//! should not make the trainer pay for 125.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::race::{Lane, Race, RaceSnapshot};
use super::run::{Run, RunState, SavedRun, Snapshot, StepOutcome, TrainConfig};
use crate::exec::{Instant, Next, Service, ServiceHandle, Sliced};
use crate::optim::OptimError;
use crate::problem::Problem;

/// Fastest snapshot rate: one per frame of a 120 Hz display.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(8);
/// While the last snapshot is unread, the next one waits this long: a
/// consumer that looks only now and then still sees a recent state.
const UNREAD_PUBLISH_INTERVAL: Duration = Duration::from_millis(100);

/// How fast to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// As fast as the machine allows.
    Max,
    /// At most this many steps per second (slow motion for teaching).
    StepsPerSecond(f64),
}

/// What the trainer can be told. Run commands (play, pause, step, reset,
/// start here, speed) drive the race's lanes too.
pub enum Command {
    /// Train continuously.
    Play,
    /// Stop after the current step.
    Pause,
    /// Take this many steps, then pause.
    Step(u64),
    /// Back to step 0, with fresh parameters from this seed (or the current one).
    Reset {
        /// New seed, if any.
        seed: Option<u64>,
    },
    /// Change hyperparameters live.
    SetConfig(TrainConfig),
    /// Change the throttle.
    SetSpeed(Speed),
    /// Restart from these parameters ("start here").
    SetParams(Vec<f32>),
    /// Swap in another problem (architecture or dataset changed), with a
    /// fresh run and no race.
    SetProblem(Arc<dyn Problem>, TrainConfig),
    /// Start a race of these lanes from where the main run started (none
    /// ends the race).
    SetLanes(Vec<Lane>),
    /// Send the run, frozen for a session file, and its config back on this channel.
    Save(Sender<(SavedRun, TrainConfig)>),
    /// Replace the run's state with a saved one (same problem and config).
    Restore(Box<SavedRun>),
}

/// What the trainer publishes; the owner reads it without waiting.
struct Published {
    snapshot: Mutex<Slot>,
    race: Mutex<Option<Arc<RaceSnapshot>>>,
    errors: Mutex<Option<String>>,
}

/// Handle to the trainer service; ends it on drop.
pub struct Trainer {
    service: ServiceHandle<Command>,
    published: Arc<Published>,
    /// Whether a stop by panic has been reported through `take_error`.
    failure_told: std::sync::atomic::AtomicBool,
}

impl Trainer {
    /// Starts a paused run on a thread of its own; `wake` is called after
    /// each new snapshot.
    pub fn spawn(
        problem: Arc<dyn Problem>,
        config: TrainConfig,
        wake: Box<dyn Fn() + Send>,
    ) -> Result<Self, OptimError> {
        let (service, published) = TrainerService::new(problem, config, wake)?;
        let service = crate::exec::spawn_service("valley-trainer", service, || {
            crate::exec::lower_priority(crate::exec::TRAINER_NICE)
        })
        .map_err(OptimError::Invalid)?;
        Ok(Self::with(service, published))
    }

    /// Starts a paused run that `executor` advances between frames (the
    /// browser's way); it behaves exactly as the threaded one.
    pub fn sliced(
        executor: &mut Sliced,
        problem: Arc<dyn Problem>,
        config: TrainConfig,
        wake: Box<dyn Fn() + Send>,
    ) -> Result<Self, OptimError> {
        let (service, published) = TrainerService::new(problem, config, wake)?;
        Ok(Self::with(executor.start_service(service), published))
    }

    fn with(service: ServiceHandle<Command>, published: Arc<Published>) -> Self {
        Self {
            service,
            published,
            failure_told: Default::default(),
        }
    }

    /// Sends a command; ignored if the trainer has stopped.
    pub fn send(&self, command: Command) {
        self.service.send(command);
    }

    /// The newest snapshot of the main run.
    pub fn latest(&self) -> Arc<Snapshot> {
        let mut slot = match self.published.snapshot.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.taken = true;
        Arc::clone(&slot.snapshot)
    }

    /// The newest positions of the race's lanes, when a race is on.
    pub fn latest_race(&self) -> Option<Arc<RaceSnapshot>> {
        match self.published.race.lock() {
            Ok(slot) => slot.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The last rejected command's message (e.g. an invalid
    /// hyperparameter), or why the trainer stopped; each told once.
    pub fn take_error(&self) -> Option<String> {
        if let Some(message) = self.published.errors.lock().ok().and_then(|mut e| e.take()) {
            return Some(message);
        }
        let failure = self.service.failure()?;
        (!self
            .failure_told
            .swap(true, std::sync::atomic::Ordering::Relaxed))
        .then(|| format!("the trainer stopped: {failure}; press Reset to start it again"))
    }

    /// Whether the trainer still runs (false after a panic).
    pub fn is_alive(&self) -> bool {
        self.service.is_alive()
    }
}

/// The latest-value slot, and whether its snapshot has been read.
struct Slot {
    snapshot: Arc<Snapshot>,
    taken: bool,
}

/// The trainer's own state, advanced by an executor.
struct TrainerService {
    run: Run,
    race: Option<Race>,
    published: Arc<Published>,
    wake: Box<dyn Fn() + Send>,
    running: bool,
    pending_steps: u64,
    speed: Speed,
    /// Throttle bookkeeping: steps taken since `paced_since`.
    paced_since: Instant,
    paced_steps: u64,
    last_publish: Instant,
    dirty: bool,
    rate: RateMeter,
}

impl TrainerService {
    fn new(
        problem: Arc<dyn Problem>,
        config: TrainConfig,
        wake: Box<dyn Fn() + Send>,
    ) -> Result<(Self, Arc<Published>), OptimError> {
        let mut run = Run::new(problem, config)?;
        let published = Arc::new(Published {
            snapshot: Mutex::new(Slot {
                snapshot: Arc::new(run.snapshot(RunState::Paused, 0.0)),
                taken: false,
            }),
            race: Mutex::new(None),
            errors: Mutex::new(None),
        });
        let now = Instant::now();
        let service = Self {
            run,
            race: None,
            published: Arc::clone(&published),
            wake,
            running: false,
            pending_steps: 0,
            speed: Speed::Max,
            paced_since: now,
            paced_steps: 0,
            last_publish: now,
            dirty: false,
            rate: RateMeter::new(now),
        };
        Ok((service, published))
    }

    /// Whether any run (the main one or a lane) can still take a step.
    fn any_alive(&self) -> bool {
        self.run.divergence().is_none() || self.race.as_ref().is_some_and(|race| !race.is_over())
    }

    fn busy(&self) -> bool {
        (self.running || self.pending_steps > 0) && self.any_alive()
    }

    fn stop(&mut self) {
        self.running = false;
        self.pending_steps = 0;
    }

    fn report(&self, message: String) {
        if let Ok(mut slot) = self.published.errors.lock() {
            *slot = Some(message);
        }
    }

    fn restart_pacing(&mut self) {
        self.paced_since = Instant::now();
        self.paced_steps = 0;
    }

    /// Sends the race's lanes back to where the main run starts.
    fn restart_race(&mut self) {
        let start = self.run.initial_params().to_vec();
        if let Some(race) = &mut self.race {
            race.start_at(&start);
        }
    }

    /// How long until the throttle allows the next step (zero at full speed).
    fn time_to_next_step(&self) -> Duration {
        match self.speed {
            Speed::Max => Duration::ZERO,
            Speed::StepsPerSecond(rate) => {
                let rate = rate.max(1e-3);
                let due_at =
                    self.paced_since + Duration::from_secs_f64(self.paced_steps as f64 / rate);
                due_at.saturating_duration_since(Instant::now())
            }
        }
    }

    /// Steps for up to `budget`, or as many as the throttle allows.
    fn train_slice(&mut self, budget: Duration) {
        let started = Instant::now();
        let mut taken = 0u64;
        while self.busy() && self.time_to_next_step().is_zero() {
            if self.run.divergence().is_none()
                && let StepOutcome::Diverged { .. } = self.run.step()
                && self.race.is_none()
            {
                self.stop();
            }
            if let Some(race) = &mut self.race {
                race.step();
            }
            self.dirty = true;
            taken += 1;
            self.paced_steps += 1;
            if self.pending_steps > 0 {
                self.pending_steps -= 1;
            }
            // Reading the clock costs more than a tiny step; look every 16.
            if taken.is_multiple_of(16) && started.elapsed() >= budget {
                break;
            }
        }
        if !self.any_alive() {
            self.stop();
        }
        self.rate.add(taken);
    }

    /// Whether the consumer has read the last snapshot.
    fn was_taken(&self) -> bool {
        match self.published.snapshot.lock() {
            Ok(slot) => slot.taken,
            Err(poisoned) => poisoned.into_inner().taken,
        }
    }

    fn publish(&mut self) {
        let busy = self.busy();
        let state = if busy {
            RunState::Running
        } else {
            RunState::Paused
        };
        let rate = if busy { self.rate.per_second() } else { 0.0 };
        let snapshot = Arc::new(self.run.snapshot(state, rate));
        let race = self
            .race
            .as_mut()
            .map(|race| Arc::new(race.snapshot(state)));
        match self.published.snapshot.lock() {
            Ok(mut slot) => {
                *slot = Slot {
                    snapshot,
                    taken: false,
                }
            }
            Err(poisoned) => {
                *poisoned.into_inner() = Slot {
                    snapshot,
                    taken: false,
                }
            }
        }
        match self.published.race.lock() {
            Ok(mut slot) => *slot = race,
            Err(poisoned) => *poisoned.into_inner() = race,
        }
        self.last_publish = Instant::now();
        self.dirty = false;
        (self.wake)();
    }
}

impl Service for TrainerService {
    type Command = Command;

    fn handle(&mut self, command: Command) {
        match command {
            Command::Play => {
                self.running = true;
                self.restart_pacing();
            }
            Command::Pause => self.stop(),
            Command::Step(n) => {
                self.running = false;
                self.pending_steps = self.pending_steps.saturating_add(n);
                self.restart_pacing();
            }
            Command::Reset { seed } => {
                self.run.reset(seed);
                self.restart_race();
                self.stop();
            }
            Command::SetConfig(config) => {
                if let Err(e) = self.run.set_config(config) {
                    self.report(e.to_string());
                }
            }
            Command::SetSpeed(speed) => {
                self.speed = speed;
                self.restart_pacing();
            }
            Command::SetParams(params) => {
                if params.len() == self.run.problem().num_params() {
                    self.run.set_params(params);
                    self.restart_race();
                    self.pending_steps = 0;
                } else {
                    self.report(format!(
                        "cannot move to a point with {} parameters: the model has {}",
                        params.len(),
                        self.run.problem().num_params()
                    ));
                }
            }
            Command::SetProblem(problem, config) => match Run::new(problem, config) {
                Ok(run) => {
                    self.run = run;
                    self.race = None;
                    self.stop();
                }
                Err(e) => self.report(e.to_string()),
            },
            Command::SetLanes(lanes) if lanes.is_empty() => self.race = None,
            Command::SetLanes(lanes) => match Race::new(self.run.problem(), &lanes) {
                Ok(race) => {
                    self.race = Some(race);
                    self.restart_race();
                }
                Err(e) => self.report(e.to_string()),
            },
            Command::Save(reply) => {
                // The asker may have gone away; then nobody needs the answer.
                let _ = reply.send((self.run.save(), *self.run.config()));
            }
            Command::Restore(saved) => {
                if let Err(e) = self.run.restore(*saved) {
                    self.report(e.to_string());
                }
                self.restart_race();
                self.stop();
            }
        }
        self.dirty = true;
    }

    fn advance(&mut self, budget: Duration) -> Next {
        if self.busy() {
            self.train_slice(budget);
        }
        let since = self.last_publish.elapsed();
        let due =
            since >= UNREAD_PUBLISH_INTERVAL || (since >= PUBLISH_INTERVAL && self.was_taken());
        if self.dirty && (due || !self.busy()) {
            self.publish();
        }
        if self.busy() {
            match self.time_to_next_step() {
                wait if wait.is_zero() => Next::Now,
                wait => Next::After(wait),
            }
        } else if self.dirty {
            Next::After(PUBLISH_INTERVAL.saturating_sub(self.last_publish.elapsed()))
        } else {
            Next::Idle
        }
    }
}

/// Steps per second over roughly the last half second.
struct RateMeter {
    window_start: Instant,
    steps: u64,
    rate: f64,
}

impl RateMeter {
    fn new(now: Instant) -> Self {
        Self {
            window_start: now,
            steps: 0,
            rate: 0.0,
        }
    }

    fn add(&mut self, steps: u64) {
        self.steps += steps;
        let elapsed = self.window_start.elapsed().as_secs_f64();
        if elapsed >= 0.5 {
            self.rate = self.steps as f64 / elapsed;
            self.steps = 0;
            self.window_start = Instant::now();
        }
    }

    fn per_second(&self) -> f64 {
        self.rate
    }
}
