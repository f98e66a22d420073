//! A background service that evaluates the newest landscape request.
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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::grid::{Grid, GridSpec, GridTask, Plane};
use crate::exec::{Instant, Next, Service, ServiceHandle, Sliced, Step, Task};
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

/// Handle to the landscape service; ends it on drop.
pub struct LandscapeWorker {
    service: ServiceHandle<(u64, LandscapeRequest)>,
    newest: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<LandscapeResult>>>,
    error: Arc<Mutex<Option<String>>>,
}

impl LandscapeWorker {
    /// Starts the service on a low-priority thread; `on_result` is called
    /// after each published grid (a UI passes its repaint request here).
    pub fn spawn(on_result: Box<dyn Fn() + Send>) -> std::io::Result<Self> {
        let (slots, service) = Slots::new(on_result);
        let service = crate::exec::spawn_service("valley-landscape", service, || {
            crate::exec::lower_priority(crate::exec::BACKGROUND_NICE)
        })
        .map_err(std::io::Error::other)?;
        Ok(slots.into_worker(service))
    }

    /// Starts the service in `executor`, which advances it between frames.
    pub fn sliced(executor: &mut Sliced, on_result: Box<dyn Fn() + Send>) -> Self {
        let (slots, service) = Slots::new(on_result);
        slots.into_worker(executor.start_service(service))
    }

    /// Queues a request, superseding any earlier one; returns its generation.
    pub fn request(&self, request: LandscapeRequest) -> u64 {
        let generation = self.newest.fetch_add(1, Ordering::SeqCst) + 1;
        self.service.send((generation, request));
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
        // Abandon the grid in hand; dropping the handle then ends the service.
        self.newest.fetch_add(1, Ordering::SeqCst);
    }
}

/// What the worker's handle and its service share.
struct Slots {
    newest: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<LandscapeResult>>>,
    error: Arc<Mutex<Option<String>>>,
}

impl Slots {
    fn new(on_result: Box<dyn Fn() + Send>) -> (Self, GridService) {
        let slots = Self {
            newest: Arc::new(AtomicU64::new(0)),
            latest: Arc::new(Mutex::new(None)),
            error: Arc::new(Mutex::new(None)),
        };
        let service = GridService {
            newest: Arc::clone(&slots.newest),
            latest: Arc::clone(&slots.latest),
            error: Arc::clone(&slots.error),
            on_result,
            queued: None,
            passes: Vec::new(),
            current: None,
        };
        (slots, service)
    }

    fn into_worker(self, service: ServiceHandle<(u64, LandscapeRequest)>) -> LandscapeWorker {
        LandscapeWorker {
            service,
            newest: self.newest,
            latest: self.latest,
            error: self.error,
        }
    }
}

/// The service: the newest request, the passes (coarse, then full) still to
/// compute for it, and the pass in hand as a sliced [`GridTask`], so a newer
/// request takes over between any two slices.
struct GridService {
    newest: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<LandscapeResult>>>,
    error: Arc<Mutex<Option<String>>>,
    on_result: Box<dyn Fn() + Send>,
    queued: Option<(u64, LandscapeRequest)>,
    /// Passes left for the request in hand, the next one last.
    passes: Vec<(GridSpec, bool)>,
    /// The pass being computed: its task, whether it is the full one, and when it began.
    current: Option<(GridTask, bool, Instant)>,
}

impl GridService {
    /// Drops the request in hand (done, superseded or failed).
    fn idle(&mut self) -> Next {
        self.queued = None;
        self.passes.clear();
        self.current = None;
        Next::Idle
    }

    fn fail(&mut self, message: String) -> Next {
        if let Ok(mut slot) = self.error.lock() {
            *slot = Some(format!("the landscape could not be computed: {message}"));
        }
        (self.on_result)();
        self.idle()
    }
}

impl Service for GridService {
    type Command = (u64, LandscapeRequest);

    fn handle(&mut self, request: (u64, LandscapeRequest)) {
        // Only the newest request matters; it replaces the one in hand.
        let coarse = request.1.spec.coarsened(COARSE_POINTS);
        self.passes = vec![(request.1.spec, true)];
        if coarse != request.1.spec {
            self.passes.push((coarse, false));
        }
        self.current = None;
        self.queued = Some(request);
    }

    fn advance(&mut self, budget: Duration) -> Next {
        let Some((generation, request)) = &self.queued else {
            return Next::Idle;
        };
        let generation = *generation;
        if self.newest.load(Ordering::SeqCst) != generation {
            // Stale: a newer request is on its way.
            return self.idle();
        }
        let (problem, plane) = (Arc::clone(&request.problem), Arc::clone(&request.plane));
        if self.current.is_none() {
            let Some((spec, is_final)) = self.passes.pop() else {
                return self.idle();
            };
            let task = GridTask::new(problem, Arc::clone(&plane), spec);
            self.current = Some((task, is_final, Instant::now()));
        }
        let Some((task, is_final, started)) = &mut self.current else {
            return self.idle();
        };
        let (is_final, started) = (*is_final, *started);
        // A problem that panics while evaluating costs this grid, not the service.
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match crate::exec::background_pool() {
                Some(pool) => pool.install(|| task.advance(budget)),
                None => task.advance(budget),
            }
        }));
        match step {
            Ok(Ok(Step::Working(_))) => Next::Now,
            Ok(Ok(Step::Done(grid))) => {
                let result = LandscapeResult {
                    generation,
                    plane,
                    grid: Arc::new(grid),
                    is_final,
                    elapsed: started.elapsed(),
                };
                if let Ok(mut slot) = self.latest.lock() {
                    *slot = Some(result);
                }
                (self.on_result)();
                self.current = None;
                if self.passes.is_empty() {
                    self.idle()
                } else {
                    Next::Now
                }
            }
            Ok(Err(message)) => self.fail(message),
            Err(payload) => self.fail(crate::exec::panic_message(payload.as_ref())),
        }
    }
}
