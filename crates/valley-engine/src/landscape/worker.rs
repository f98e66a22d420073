//! A background thread that evaluates the newest landscape request.
//!
//! A live view asks for a new grid whenever the parameters move; only the
//! newest request matters. Each request gets a generation number; the worker
//! skips requests that are already stale, abandons a grid as soon as a newer
//! request arrives, and first delivers a coarse grid so the view has
//! something to draw at once.
//!
//! Grids are computed on a pool of their own at a lower scheduling priority:
//! a slice is the backdrop, the training run is the show, so on a small
//! machine the grid takes what the trainer and the window leave over.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::grid::{Grid, GridSpec, Plane, evaluate_grid};
use crate::problem::Problem;

/// Points per axis of the quick first pass.
const COARSE_POINTS: usize = 21;

/// What to evaluate.
#[derive(Clone)]
pub struct LandscapeRequest {
    /// The problem whose loss is drawn.
    pub problem: Arc<dyn Problem>,
    /// The slice.
    pub plane: Arc<Plane>,
    /// The coefficients.
    pub spec: GridSpec,
}

/// A finished (coarse or final) grid.
#[derive(Clone, Debug)]
pub struct LandscapeResult {
    /// The generation of the request this answers.
    pub generation: u64,
    /// The slice it was computed on.
    pub plane: Arc<Plane>,
    /// The values.
    pub grid: Arc<Grid>,
    /// False for the quick coarse pass, true for the full resolution.
    pub is_final: bool,
    /// Time spent on this pass.
    pub elapsed: Duration,
}

enum Message {
    Evaluate(u64, LandscapeRequest),
    Shutdown,
}

/// Handle to the landscape thread; shuts it down and joins on drop.
pub struct LandscapeWorker {
    sender: Sender<Message>,
    newest: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<LandscapeResult>>>,
    error: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl LandscapeWorker {
    /// Starts the thread; `on_result` is called after each published grid
    /// (a UI passes its repaint request here).
    pub fn spawn(on_result: Box<dyn Fn() + Send>) -> std::io::Result<Self> {
        let (sender, receiver) = channel();
        let newest = Arc::new(AtomicU64::new(0));
        let latest = Arc::new(Mutex::new(None));
        let error = Arc::new(Mutex::new(None));
        let thread = crate::exec::spawn_service("valley-landscape", {
            let newest = Arc::clone(&newest);
            let latest = Arc::clone(&latest);
            let error = Arc::clone(&error);
            move || {
                lower_priority();
                run(&receiver, &newest, &latest, &error, on_result.as_ref())
            }
        })?;
        Ok(Self {
            sender,
            newest,
            latest,
            error,
            thread: Some(thread),
        })
    }

    /// Queues a request, superseding any earlier one; returns its generation.
    pub fn request(&self, request: LandscapeRequest) -> u64 {
        let generation = self.newest.fetch_add(1, Ordering::SeqCst) + 1;
        // A closed channel means the thread is gone; there is nothing to do.
        let _ = self.sender.send(Message::Evaluate(generation, request));
        generation
    }

    /// The generation of the newest request.
    pub fn newest_generation(&self) -> u64 {
        self.newest.load(Ordering::SeqCst)
    }

    /// Why the last grid failed (a panic in the problem), taken once.
    pub fn take_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// The most recently published grid (never one older than a grid already returned).
    pub fn latest(&self) -> Option<LandscapeResult> {
        self.latest.lock().ok().and_then(|slot| slot.clone())
    }
}

impl Drop for LandscapeWorker {
    fn drop(&mut self) {
        // Cancel whatever is running, then stop.
        self.newest.fetch_add(1, Ordering::SeqCst);
        let _ = self.sender.send(Message::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    receiver: &Receiver<Message>,
    newest: &AtomicU64,
    latest: &Mutex<Option<LandscapeResult>>,
    error: &Mutex<Option<String>>,
    on_result: &(dyn Fn() + Send),
) {
    while let Ok(mut message) = receiver.recv() {
        // Skip straight to the newest queued message.
        while let Ok(next) = receiver.try_recv() {
            message = next;
        }
        let (generation, request) = match message {
            Message::Shutdown => return,
            Message::Evaluate(generation, request) => (generation, request),
        };
        let stale = || newest.load(Ordering::SeqCst) != generation;
        let coarse = request.spec.coarsened(COARSE_POINTS);
        let passes = if coarse == request.spec {
            vec![request.spec]
        } else {
            vec![coarse, request.spec]
        };
        let last = passes.len() - 1;
        for (k, spec) in passes.into_iter().enumerate() {
            let started = Instant::now();
            let evaluate =
                || evaluate_grid(request.problem.as_ref(), &request.plane, &spec, &stale);
            // A problem that panics while evaluating costs this grid, not the thread.
            let grid = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                match background_pool() {
                    Some(pool) => pool.install(evaluate),
                    None => evaluate(),
                }
            }));
            let grid = match grid {
                Ok(grid) => grid,
                Err(payload) => {
                    if let Ok(mut slot) = error.lock() {
                        *slot = Some(format!(
                            "the landscape could not be computed: {}",
                            crate::train::panic_message(payload.as_ref())
                        ));
                    }
                    on_result();
                    None
                }
            };
            let Some(grid) = grid else {
                break;
            };
            let result = LandscapeResult {
                generation,
                plane: Arc::clone(&request.plane),
                grid: Arc::new(grid),
                is_final: k == last,
                elapsed: started.elapsed(),
            };
            if let Ok(mut slot) = latest.lock() {
                *slot = Some(result);
            }
            on_result();
        }
    }
}

/// The shared pool grids are computed on, one low-priority thread per core
/// (`None` if the threads could not be started: grids then use the global pool).
fn background_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("valley-grid-{i}"))
            .start_handler(|_| lower_priority())
            .build()
            .ok()
    })
    .as_ref()
}

/// Lowers the calling thread's scheduling priority (nice +10). On Linux the
/// nice value belongs to the thread, so the trainer and the UI keep theirs.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory-safety preconditions; `who = 0` names
    // the calling thread. Failure only leaves the priority as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}
