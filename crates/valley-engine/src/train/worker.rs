//! The trainer thread: commands in, snapshots out.
//!
//! Snapshots are published to a single latest-value slot at most once per
//! `PUBLISH_INTERVAL`, however fast training runs and however rarely (or
//! never) anyone reads; the wake-up callback then tells the consumer to
//! look. Memory therefore stays bounded and throughput does not depend on
//! the consumer. While training, a new snapshot waits until the consumer
//! has taken the last one (or for `UNREAD_PUBLISH_INTERVAL`): a snapshot
//! costs a full-batch evaluation, and a window drawing 30 frames a second
//! should not make the trainer pay for 125.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::run::{Run, RunState, SavedRun, Snapshot, StepOutcome, TrainConfig};
use crate::optim::OptimError;
use crate::problem::Problem;

/// Fastest snapshot rate: one per frame of a 120 Hz display.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(8);
/// While the last snapshot is unread, the next one waits this long: a
/// consumer that looks only now and then still sees a recent state.
const UNREAD_PUBLISH_INTERVAL: Duration = Duration::from_millis(100);
/// Longest stretch of uninterrupted stepping before commands are checked.
const SLICE: Duration = Duration::from_millis(2);

/// How fast to train.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// As fast as the machine allows.
    Max,
    /// At most this many steps per second (slow motion for teaching).
    StepsPerSecond(f64),
}

/// What the trainer can be told.
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
    /// Swap in another problem (architecture or dataset changed), with a fresh run.
    SetProblem(Arc<dyn Problem>, TrainConfig),
    /// Send the run, frozen for a session file, and its config back on this channel.
    Save(Sender<(SavedRun, TrainConfig)>),
    /// Replace the run's state with a saved one (same problem and config).
    Restore(Box<SavedRun>),
    /// End the thread.
    Shutdown,
}

/// Handle to the trainer thread; shuts it down and joins on drop.
pub struct Trainer {
    sender: Sender<Command>,
    latest: Arc<Mutex<Slot>>,
    errors: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Trainer {
    /// Starts a paused run; `wake` is called after each new snapshot.
    pub fn spawn(
        problem: Arc<dyn Problem>,
        config: TrainConfig,
        wake: Box<dyn Fn() + Send>,
    ) -> Result<Self, OptimError> {
        let mut run = Run::new(problem, config)?;
        let latest = Arc::new(Mutex::new(Slot {
            snapshot: Arc::new(run.snapshot(RunState::Paused, 0.0)),
            taken: false,
        }));
        let errors = Arc::new(Mutex::new(None));
        let (sender, receiver) = channel();
        let thread = crate::exec::spawn_service("valley-trainer", {
            let latest = Arc::clone(&latest);
            let errors = Arc::clone(&errors);
            move || {
                // A panic inside a step (a bug, or a problem's own code)
                // ends this thread only; the message goes to the UI,
                // which can start a new trainer.
                let report = Arc::clone(&errors);
                let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    Worker::new(run, latest, errors, wake).serve(&receiver)
                }));
                if let Err(payload) = served
                    && let Ok(mut slot) = report.lock()
                {
                    *slot = Some(format!(
                        "the trainer stopped: {}; press Reset to start it again",
                        panic_message(payload.as_ref())
                    ));
                }
            }
        })
        .map_err(|e| OptimError::Invalid(format!("could not start the trainer thread: {e}")))?;
        Ok(Self {
            sender,
            latest,
            errors,
            thread: Some(thread),
        })
    }

    /// Sends a command; ignored if the thread has ended.
    pub fn send(&self, command: Command) {
        let _ = self.sender.send(command);
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Arc<Snapshot> {
        let mut slot = match self.latest.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.taken = true;
        Arc::clone(&slot.snapshot)
    }

    /// The last rejected command's message (e.g. an invalid hyperparameter), taken once.
    pub fn take_error(&self) -> Option<String> {
        self.errors.lock().ok().and_then(|mut e| e.take())
    }

    /// Whether the thread is still alive (false after a panic).
    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for Trainer {
    fn drop(&mut self) {
        let _ = self.sender.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The latest-value slot, and whether its snapshot has been read.
struct Slot {
    snapshot: Arc<Snapshot>,
    taken: bool,
}

struct Worker {
    run: Run,
    latest: Arc<Mutex<Slot>>,
    errors: Arc<Mutex<Option<String>>>,
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

impl Worker {
    fn new(
        run: Run,
        latest: Arc<Mutex<Slot>>,
        errors: Arc<Mutex<Option<String>>>,
        wake: Box<dyn Fn() + Send>,
    ) -> Self {
        let now = Instant::now();
        Self {
            run,
            latest,
            errors,
            wake,
            running: false,
            pending_steps: 0,
            speed: Speed::Max,
            paced_since: now,
            paced_steps: 0,
            last_publish: now,
            dirty: false,
            rate: RateMeter::new(now),
        }
    }

    fn busy(&self) -> bool {
        (self.running || self.pending_steps > 0) && self.run.divergence().is_none()
    }

    fn serve(mut self, receiver: &Receiver<Command>) {
        loop {
            let wait = if self.busy() {
                self.time_to_next_step()
            } else if self.dirty {
                Some(PUBLISH_INTERVAL.saturating_sub(self.last_publish.elapsed()))
            } else {
                None
            };
            let command = match wait {
                Some(timeout) if timeout.is_zero() => receiver.try_recv().ok(),
                Some(timeout) => match receiver.recv_timeout(timeout) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match receiver.recv() {
                    Ok(c) => Some(c),
                    Err(_) => return,
                },
            };
            if let Some(command) = command {
                if !self.handle(command) {
                    return;
                }
                // Drain whatever else is queued before stepping.
                while let Ok(c) = receiver.try_recv() {
                    if !self.handle(c) {
                        return;
                    }
                }
            }
            if self.busy() {
                self.train_slice();
            }
            let since = self.last_publish.elapsed();
            let due =
                since >= UNREAD_PUBLISH_INTERVAL || (since >= PUBLISH_INTERVAL && self.was_taken());
            if self.dirty && (due || !self.busy()) {
                self.publish();
            }
        }
    }

    /// Returns false on shutdown.
    fn handle(&mut self, command: Command) -> bool {
        match command {
            Command::Play => {
                self.running = true;
                self.restart_pacing();
            }
            Command::Pause => {
                self.running = false;
                self.pending_steps = 0;
            }
            Command::Step(n) => {
                self.running = false;
                self.pending_steps = self.pending_steps.saturating_add(n);
                self.restart_pacing();
            }
            Command::Reset { seed } => {
                self.run.reset(seed);
                self.running = false;
                self.pending_steps = 0;
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
                    self.running = false;
                    self.pending_steps = 0;
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
                self.running = false;
                self.pending_steps = 0;
            }
            Command::Shutdown => return false,
        }
        self.dirty = true;
        true
    }

    fn report(&self, message: String) {
        if let Ok(mut slot) = self.errors.lock() {
            *slot = Some(message);
        }
    }

    fn restart_pacing(&mut self) {
        self.paced_since = Instant::now();
        self.paced_steps = 0;
    }

    /// How long until the throttle allows the next step (zero at full speed).
    fn time_to_next_step(&self) -> Option<Duration> {
        match self.speed {
            Speed::Max => Some(Duration::ZERO),
            Speed::StepsPerSecond(rate) => {
                let rate = rate.max(1e-3);
                let due_at =
                    self.paced_since + Duration::from_secs_f64(self.paced_steps as f64 / rate);
                Some(due_at.saturating_duration_since(Instant::now()))
            }
        }
    }

    /// Steps for up to one time slice, or as many as the throttle allows.
    fn train_slice(&mut self) {
        let started = Instant::now();
        let mut taken = 0u64;
        while self.busy() && self.time_to_next_step().is_some_and(|t| t.is_zero()) {
            let outcome = self.run.step();
            self.dirty = true;
            if let StepOutcome::Diverged { .. } = outcome {
                self.running = false;
                self.pending_steps = 0;
                break;
            }
            taken += 1;
            self.paced_steps += 1;
            if self.pending_steps > 0 {
                self.pending_steps -= 1;
            }
            // Reading the clock costs more than a tiny step; look every 16.
            if taken.is_multiple_of(16) && started.elapsed() >= SLICE {
                break;
            }
        }
        self.rate.add(taken);
    }

    /// Whether the consumer has read the last snapshot.
    fn was_taken(&self) -> bool {
        match self.latest.lock() {
            Ok(slot) => slot.taken,
            Err(poisoned) => poisoned.into_inner().taken,
        }
    }

    fn publish(&mut self) {
        let state = if self.busy() {
            RunState::Running
        } else {
            RunState::Paused
        };
        let rate = if self.busy() {
            self.rate.per_second()
        } else {
            0.0
        };
        let snapshot = Arc::new(self.run.snapshot(state, rate));
        let mut slot = match self.latest.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Slot {
            snapshot,
            taken: false,
        };
        drop(slot);
        self.last_publish = Instant::now();
        self.dirty = false;
        (self.wake)();
    }
}

/// The text of a panic, whatever its payload type.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an unknown error".into())
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
