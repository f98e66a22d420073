//! A background service that evaluates the newest landscape request.
//!
//! A live view asks for a new grid whenever the parameters move; only the
//! newest request matters. Each request gets a generation number; the worker
//! skips requests that are already stale, abandons a grid as soon as a newer
//! request arrives, and first delivers a coarse grid so the view has
//! something to draw at once: coarse enough to take about half a second
//! whatever the model costs, then finer passes, each a few times the last,
//! up to the full resolution (a million-parameter model's 41 × 41 slice
//! takes most of a minute; its first picture comes within a second, on an
//! evenly spaced sample of the data where one point on all of it takes
//! longer than that, followed by the same picture on all of it).
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

/// Most points per axis of the quick first pass.
const COARSE_POINTS: usize = 21;
/// Fewest points per axis of any pass.
const MIN_POINTS: usize = 3;
/// Seconds the first pass should take.
const PREVIEW_SECONDS: f64 = 0.5;
/// A finer pass may take this many times the one before it (or a second).
const PASS_GROWTH: f64 = 6.0;
/// Where the rest of the grid is expected within this, it comes next.
const FULL_WITHIN_SECONDS: f64 = 1.5;
/// Fewest training examples a preview estimates the loss on.
const MIN_SAMPLE: usize = 256;
/// Parameters × examples a grid point evaluates per second, as a first
/// guess before the first pass measures it (this machine's 2 cores do
/// about 3·10¹⁰; a guess off by a few times still gives a quick preview).
const GUESSED_RATE: f64 = 3e10;

/// Parameters × training examples: what a grid point's cost grows with
/// (in 64 bits: the browser's `usize` is 32).
fn model_size(problem: &dyn Problem) -> u64 {
    (problem.num_params() as u64).saturating_mul(problem.num_train_examples().max(1) as u64)
}

/// The first pass: as many points per axis as fit in [`PREVIEW_SECONDS`].
fn first_pass(spec: &GridSpec, seconds_per_point: f64) -> GridSpec {
    let budget = PREVIEW_SECONDS / seconds_per_point.max(1e-12);
    let per_axis = if spec.dims() == 2 {
        budget.sqrt()
    } else {
        budget
    };
    spec.coarsened((per_axis as usize).clamp(MIN_POINTS, COARSE_POINTS))
}

/// A pass of the ladder: its coefficients, whether it is the full grid,
/// and the sample of the data it estimates the loss on, if it is a preview.
#[derive(Clone)]
struct Pass {
    spec: GridSpec,
    is_final: bool,
    sample: Option<Sample>,
}

/// A preview's problem on a sample of the training examples.
#[derive(Clone)]
struct Sample {
    problem: Arc<dyn Problem>,
    examples: usize,
    of: usize,
}

/// Where even the coarsest first pass would take well over
/// [`PREVIEW_SECONDS`] (one point of a big model on much data takes longer
/// than that), the problem on an evenly spaced sample of its training
/// examples small enough for the pass to fit. The loss on a sample is an
/// estimate, so only the first picture uses it.
fn preview_sample(
    problem: &dyn Problem,
    first: &GridSpec,
    seconds_per_point: f64,
) -> Option<Sample> {
    let cost = first.len() as f64 * seconds_per_point;
    if cost <= 2.0 * PREVIEW_SECONDS {
        return None;
    }
    let of = problem.num_train_examples();
    let examples = ((of as f64 * PREVIEW_SECONDS / cost) as usize).max(MIN_SAMPLE);
    let problem = problem.on_sample(examples)?;
    Some(Sample {
        problem,
        examples,
        of,
    })
}

/// The pass after `done`: the full grid when it is near, else the finest
/// grid a few times the cost of `done` (at least twice as fine per axis).
fn next_pass(spec: &GridSpec, done: &GridSpec, seconds_per_point: f64) -> GridSpec {
    let cost = |g: &GridSpec| g.len() as f64 * seconds_per_point;
    if cost(spec) <= FULL_WITHIN_SECONDS {
        return *spec;
    }
    let budget = (cost(done) * PASS_GROWTH).max(1.0);
    let finest = spec.alpha.points.max(spec.beta.map_or(0, |b| b.points));
    let mut per_axis = (2 * done.alpha.points).saturating_sub(1).max(MIN_POINTS);
    while per_axis < finest && cost(&spec.coarsened(per_axis + 1)) <= budget {
        per_axis += 1;
    }
    let next = spec.coarsened(per_axis);
    // Within reach of the full grid, a pass in between only delays it.
    if 2 * next.len() >= spec.len() {
        *spec
    } else {
        next
    }
}

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
    /// `Some((examples, of))` for a preview that estimated the loss on an
    /// evenly spaced sample of `examples` of the `of` training examples (a
    /// model too expensive for even a coarse grid on all of them within a
    /// second); the next pass is on all of them.
    pub sample: Option<(usize, usize)>,
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
            next: None,
            cost: None,
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

/// The service: the newest request, the next pass (coarse to full) to
/// compute for it, and the pass in hand as a sliced [`GridTask`], so a newer
/// request takes over between any two slices.
struct GridService {
    newest: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<LandscapeResult>>>,
    error: Arc<Mutex<Option<String>>>,
    on_result: Box<dyn Fn() + Send>,
    queued: Option<(u64, LandscapeRequest)>,
    /// The next pass for the request in hand.
    next: Option<Pass>,
    /// Parameters × examples of the last problem, and what one of its
    /// points took: the next request of that size starts from it.
    cost: Option<(u64, f64)>,
    /// The pass being computed: its task, the pass, and when it began.
    current: Option<(GridTask, Pass, Instant)>,
}

impl GridService {
    /// Drops the request in hand (done, superseded or failed).
    fn idle(&mut self) -> Next {
        self.queued = None;
        self.next = None;
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
        let size = model_size(request.1.problem.as_ref());
        let seconds_per_point = match self.cost {
            Some((known, seconds)) if known == size => seconds,
            _ => size as f64 / GUESSED_RATE,
        };
        let first = first_pass(&request.1.spec, seconds_per_point);
        let sample = preview_sample(request.1.problem.as_ref(), &first, seconds_per_point);
        self.next = Some(Pass {
            spec: first,
            is_final: first == request.1.spec && sample.is_none(),
            sample,
        });
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
        let full = request.spec;
        let size = model_size(problem.as_ref());
        if self.current.is_none() {
            let Some(pass) = self.next.take() else {
                return self.idle();
            };
            let on = pass
                .sample
                .as_ref()
                .map_or(problem, |s| Arc::clone(&s.problem));
            let task = GridTask::new(on, Arc::clone(&plane), pass.spec);
            self.current = Some((task, pass, Instant::now()));
        }
        let Some((task, pass, started)) = &mut self.current else {
            return self.idle();
        };
        let (pass, started) = (pass.clone(), *started);
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
                // What a point costs here, for the next pass and request
                // (a sample's cost scaled up to all the examples).
                let mut seconds_per_point =
                    started.elapsed().as_secs_f64() / grid.spec.len() as f64;
                if let Some(sample) = &pass.sample {
                    seconds_per_point *= sample.of as f64 / sample.examples.max(1) as f64;
                }
                self.cost = Some((size, seconds_per_point));
                if !pass.is_final {
                    // After a preview on a sample, the same grid on all the
                    // data: the estimate is replaced by the loss itself first.
                    let next = match pass.sample {
                        Some(_) => grid.spec,
                        None => next_pass(&full, &grid.spec, seconds_per_point),
                    };
                    self.next = Some(Pass {
                        spec: next,
                        is_final: next == full,
                        sample: None,
                    });
                }
                let result = LandscapeResult {
                    generation,
                    plane,
                    grid: Arc::new(grid),
                    is_final: pass.is_final,
                    sample: pass.sample.as_ref().map(|s| (s.examples, s.of)),
                    elapsed: started.elapsed(),
                };
                if let Ok(mut slot) = self.latest.lock() {
                    *slot = Some(result);
                }
                (self.on_result)();
                self.current = None;
                if self.next.is_none() {
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

#[cfg(test)]
mod pass_tests {
    use super::*;

    /// The passes a grid goes through when each point costs `seconds`.
    fn ladder(spec: &GridSpec, seconds: f64) -> Vec<GridSpec> {
        let mut passes = vec![first_pass(spec, seconds)];
        while passes.last() != Some(spec) {
            let done = passes.last().expect("one pass at least");
            passes.push(next_pass(spec, done, seconds));
            assert!(passes.len() < 10, "the passes reach the full grid");
        }
        passes
    }

    #[test]
    fn a_cheap_grid_shows_21_by_21_then_the_full_grid() {
        let spec = GridSpec::square(1.0, 61);
        let passes = ladder(&spec, 40e-6);
        assert_eq!(passes, vec![spec.coarsened(21), spec]);
    }

    #[test]
    fn a_million_parameter_slice_shows_a_picture_within_a_second() {
        // 41 × 41 at 33 ms a point (10⁶ parameters on 1,000 examples here):
        // 55 s for the full grid.
        let spec = GridSpec::square(1.0, 41);
        let seconds = 0.033;
        let passes = ladder(&spec, seconds);
        let cost = |g: &GridSpec| g.len() as f64 * seconds;
        assert!(
            cost(&passes[0]) <= 1.0,
            "first picture after {} s",
            cost(&passes[0])
        );
        assert!(passes.len() >= 3, "finer pictures on the way: {passes:?}");
        for pair in passes.windows(2) {
            assert!(
                pair[1].alpha.points > pair[0].alpha.points,
                "each pass is finer"
            );
        }
        // The passes before the full grid add less than half of its cost.
        let extra: f64 = passes[..passes.len() - 1].iter().map(cost).sum();
        assert!(extra < 0.5 * cost(&spec), "{extra} s before the full grid");
        // The size-based guess alone gives the same quick first pass.
        let guess = (999_993.0 * 1000.0) / GUESSED_RATE;
        assert!(cost(&first_pass(&spec, guess)) <= 1.0);
    }

    #[test]
    fn an_expensive_first_pass_previews_on_an_evenly_spaced_sample() {
        use crate::data::{DatasetKind, DatasetSpec, generate};
        use crate::nn::{Activation, Init, Mlp};
        use crate::problem::{MlpProblem, Workspace};
        let data = generate(&DatasetSpec {
            size: 12_000,
            ..DatasetSpec::new(DatasetKind::Moons)
        })
        .expect("data");
        let mlp = Mlp::new(&[2, 16, 2], Activation::Tanh).expect("mlp");
        let problem = MlpProblem::new(mlp, Arc::new(data), Init::Torch, "moons").expect("fits");
        let all = problem.num_train_examples();
        let spec = GridSpec::square(1.0, 41);
        // A point as costly as a 10⁶-parameter model's on 10,000 examples.
        let first = first_pass(&spec, 0.3);
        assert_eq!(first.alpha.points, MIN_POINTS);
        let sample = preview_sample(&problem, &first, 0.3).expect("a preview on a sample");
        assert_eq!(sample.of, all);
        assert!(sample.examples >= MIN_SAMPLE && sample.examples < all / 4);
        assert_eq!(sample.problem.num_train_examples(), sample.examples);
        // At the sample's cost the pass takes the preview's half second.
        let cost = first.len() as f64 * 0.3 * sample.examples as f64 / all as f64;
        assert!(cost <= PREVIEW_SECONDS * 1.01, "{cost} s");
        // The sample's loss estimates the loss on all the examples.
        for seed in [0, 1] {
            let params = problem.init_params(seed);
            let full = problem.loss(&params, &mut Workspace::default());
            let estimate = sample.problem.loss(&params, &mut Workspace::default());
            assert!(
                (full - estimate).abs() < 0.03 * full,
                "seed {seed}: {estimate} on the sample, {full} on all"
            );
        }
        // A point that costs little needs no sample, nor does a small set.
        assert!(preview_sample(&problem, &first_pass(&spec, 1e-4), 1e-4).is_none());
        assert!(problem.on_sample(all).is_none() && problem.on_sample(0).is_none());
    }

    #[test]
    fn a_line_is_coarsened_along_its_one_axis() {
        let spec = GridSpec::line(1.0, 201);
        let first = first_pass(&spec, 0.05);
        assert_eq!(first.alpha.points, 10);
        assert_eq!(ladder(&spec, 1e-5), vec![spec.coarsened(21), spec]);
    }
}
