//! One way to run background work: a [`Task`] advances in bounded slices
//! and says how far it has got; an executor decides where the slices run.
//!
//! On the desktop [`spawn`] gives a task a thread of its own (rayon may
//! still work inside a slice); [`Sliced`] advances tasks between frames on
//! the caller's thread, which is what a browser build needs (no threads,
//! and `std::time::Instant` panics there, hence [`Instant`] from
//! `web-time`). Either way the caller holds a [`Job`]: its progress, a
//! cancel switch, and the result once there is one. A task's result must not
//! depend on how its work was sliced, so both executors give the same bits.

#[cfg(target_arch = "wasm32")]
pub mod browser;
mod service;
mod sliced;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use service::{Next, Service, ServiceHandle, panic_message, spawn_service};
pub use sliced::Sliced;
pub use web_time::Instant;

/// How long one slice of a threaded task runs before it looks for a cancel.
pub const THREAD_SLICE: Duration = Duration::from_millis(20);

/// What a task says after a slice.
#[derive(Debug, PartialEq)]
pub enum Step<T> {
    /// More to do; how far it has got, in [0, 1].
    Working(f32),
    /// Finished, with its result.
    Done(T),
}

/// Background work that advances in slices of about `budget` each and can
/// be dropped between any two slices.
pub trait Task: Send + 'static {
    /// What it produces.
    type Output: Send + 'static;
    /// Does a bounded piece of work: about `budget` of it, and at least one
    /// unit, so every call makes progress. An error ends the task.
    fn advance(&mut self, budget: Duration) -> Result<Step<Self::Output>, String>;
}

/// How a job ended.
#[derive(Debug, PartialEq)]
pub enum Outcome<T> {
    /// The task's result.
    Done(T),
    /// The task's own error.
    Failed(String),
    /// Stopped by [`Job::cancel`]: no partial result.
    Cancelled,
}

/// The shared state between a job's handle and whoever advances its task.
struct Shared<T> {
    /// Progress in [0, 1] as f32 bits; only ever raised.
    progress: AtomicU32,
    cancelled: AtomicBool,
    outcome: Mutex<Option<Outcome<T>>>,
}

impl<T> Shared<T> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            progress: AtomicU32::new(0f32.to_bits()),
            cancelled: AtomicBool::new(false),
            outcome: Mutex::new(None),
        })
    }

    /// Raises the progress to `value` (clamped to [0, 1]); never lowers it.
    fn report(&self, value: f32) {
        let value = if value.is_finite() {
            value.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let _ = self
            .progress
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                (value > f32::from_bits(bits)).then_some(value.to_bits())
            });
    }

    fn finish(&self, outcome: Outcome<T>) {
        if matches!(outcome, Outcome::Done(_)) {
            self.report(1.0);
        }
        if let Ok(mut slot) = self.outcome.lock() {
            // A cancel that came in during the last slice wins: no partial result.
            *slot = Some(if self.cancelled.load(Ordering::Relaxed) {
                Outcome::Cancelled
            } else {
                outcome
            });
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// One slice of `task`; `true` when the job is over.
    fn run_slice<K: Task<Output = T>>(&self, task: &mut K, budget: Duration) -> bool {
        if self.is_cancelled() {
            self.finish(Outcome::Cancelled);
            return true;
        }
        match task.advance(budget) {
            Ok(Step::Working(progress)) => {
                self.report(progress);
                false
            }
            Ok(Step::Done(result)) => {
                self.finish(Outcome::Done(result));
                true
            }
            Err(message) => {
                self.finish(Outcome::Failed(message));
                true
            }
        }
    }
}

/// The caller's handle on a task: progress, cancel, result. Dropping it
/// cancels the task.
pub struct Job<T> {
    shared: Arc<Shared<T>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<T> Job<T> {
    /// How far the task has got, in [0, 1]; it only grows, and is 1 when done.
    pub fn progress(&self) -> f32 {
        f32::from_bits(self.shared.progress.load(Ordering::Relaxed))
    }

    /// Asks the task to stop at its next slice boundary.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether the job has ended (its outcome is waiting, or was taken).
    pub fn is_finished(&self) -> bool {
        self.shared.outcome.lock().is_ok_and(|slot| slot.is_some())
    }

    /// Cancels the job without waiting for its thread: for work the UI has
    /// superseded, which stops at its next check on its own.
    pub fn detach(mut self) {
        self.cancel();
        // Dropping the join handle lets the thread finish by itself.
        drop(self.thread.take());
    }

    /// The outcome, once, when the job has ended.
    pub fn take(&self) -> Option<Outcome<T>> {
        self.shared
            .outcome
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
    }
}

impl<T> Drop for Job<T> {
    fn drop(&mut self) {
        self.cancel();
        if let Some(thread) = self.thread.take() {
            // Slices are bounded, so this waits at most one of them.
            let _ = thread.join();
        }
    }
}

/// Runs `task` on a thread of its own named `name`, slice after slice until
/// it ends or is cancelled; `wake` is called when it ends (to ask for a
/// repaint). The only thread spawn for background work in Valley.
pub fn spawn<K: Task>(
    name: &str,
    task: K,
    wake: impl Fn() + Send + 'static,
) -> Result<Job<K::Output>, String> {
    #[cfg(target_arch = "wasm32")]
    {
        // The page advances it between frames and repaints while it runs.
        let _ = (name, wake);
        return Ok(browser::start(|executor| executor.start(task)));
    }
    #[allow(unreachable_code)]
    start_job(name, move |worker| {
        let mut task = task;
        while !worker.run_slice(&mut task, THREAD_SLICE) {}
        wake();
    })
}

/// A job whose thread runs `body` with the state it shares with the handle.
fn start_job<T: Send + 'static>(
    name: &str,
    body: impl FnOnce(&Shared<T>) + Send + 'static,
) -> Result<Job<T>, String> {
    let shared = Shared::new();
    let worker = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || body(&worker))
        .map_err(|e| format!("cannot start the {name} thread: {e}"))?;
    Ok(Job {
        shared,
        thread: Some(thread),
    })
}

/// What work that is not yet sliced into a [`Task`] sees of its job: whether
/// it should stop, and where its progress goes. It checks `cancelled` often
/// (every few milliseconds of work) and returns [`Outcome::Cancelled`] then.
pub struct Control<'a> {
    /// Whether the job was cancelled.
    pub cancelled: &'a (dyn Fn() -> bool + Sync),
    /// Reports progress in [0, 1] (it only ever rises on the handle).
    pub progress: &'a (dyn Fn(f32) + Sync),
}

/// Runs `work` on a thread of its own with the same [`Job`] handle a task
/// gets: the step between hand-built threads and tasks, for work that still
/// runs in one call (a Lanczos iteration, a film strip). `wake` is called on
/// every progress report and at the end, to ask for a repaint.
pub fn spawn_blocking<T: Send + 'static>(
    name: &str,
    work: impl FnOnce(&Control<'_>) -> Outcome<T> + Send + 'static,
    wake: impl Fn() + Send + Sync + 'static,
) -> Result<Job<T>, String> {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (name, wake);
        return Ok(browser::start(|executor| {
            executor.start(WholeTask { work: Some(work) })
        }));
    }
    #[allow(unreachable_code)]
    start_job(name, move |worker| {
        // Analyses and pictures wait for the window and the trainer.
        lower_priority(BACKGROUND_NICE);
        let cancelled = || worker.is_cancelled();
        let progress = |value: f32| {
            worker.report(value);
            wake();
        };
        let outcome = work(&Control {
            cancelled: &cancelled,
            progress: &progress,
        });
        worker.finish(outcome);
        wake();
    })
}

/// The nice value of background jobs and grids: below the trainer.
pub const BACKGROUND_NICE: i32 = 10;
/// The trainer's nice value: below the window, so a trainer running as fast
/// as it can on two cores never takes the frames' time; above the jobs.
pub const TRAINER_NICE: i32 = 5;

/// Lowers the calling thread's scheduling priority to `nice`. On Linux the
/// nice value belongs to the thread, so the UI keeps its own; elsewhere this
/// does nothing.
pub fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory-safety preconditions; `who = 0` names
    // the calling thread. Failure only leaves the priority as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// The shared pool that grids and sweeps compute on, one low-priority thread
/// per core (`None` in a browser, which has no threads, or if the threads
/// could not be started: the work then runs on the caller's thread or the
/// global pool).
pub fn background_pool() -> Option<&'static rayon::ThreadPool> {
    if cfg!(target_arch = "wasm32") {
        return None;
    }
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("valley-grid-{i}"))
            .start_handler(|_| lower_priority(BACKGROUND_NICE))
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs `work` on a thread of its own and forgets it: for a file write or a
/// native dialog that blocks its thread and reports through its own slot.
pub fn spawn_detached(name: &str, work: impl FnOnce() + Send + 'static) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        // No thread to block in a browser: it runs now.
        let _ = name;
        work();
        return Ok(());
    }
    #[allow(unreachable_code)]
    std::thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .map(drop)
        .map_err(|e| format!("cannot start the {name} thread: {e}"))
}

/// Work not yet sliced, run as one slice (the browser's stopgap: its frame
/// waits for the whole of it).
#[cfg(target_arch = "wasm32")]
struct WholeTask<F> {
    work: Option<F>,
}

#[cfg(target_arch = "wasm32")]
impl<T, F> Task for WholeTask<F>
where
    T: Send + 'static,
    F: FnOnce(&Control<'_>) -> Outcome<T> + Send + 'static,
{
    type Output = T;
    fn advance(&mut self, _budget: Duration) -> Result<Step<T>, String> {
        let work = self.work.take().ok_or("the work already ran")?;
        let never = || false;
        let ignore = |_: f32| {};
        match work(&Control {
            cancelled: &never,
            progress: &ignore,
        }) {
            Outcome::Done(result) => Ok(Step::Done(result)),
            Outcome::Failed(message) => Err(message),
            Outcome::Cancelled => Err("cancelled".into()),
        }
    }
}

/// Runs `task` on this thread (inside a job that already has one, the
/// command line, tests), calling `keep_going` with the progress after every
/// slice; `false` cancels it.
pub fn run_here<K: Task>(
    mut task: K,
    mut keep_going: impl FnMut(f32) -> bool,
) -> Outcome<K::Output> {
    loop {
        match task.advance(THREAD_SLICE) {
            Ok(Step::Working(fraction)) => {
                if !keep_going(fraction) {
                    return Outcome::Cancelled;
                }
            }
            Ok(Step::Done(result)) => {
                keep_going(1.0);
                return Outcome::Done(result);
            }
            Err(message) => return Outcome::Failed(message),
        }
    }
}

#[cfg(test)]
mod tests;
