//! Analyses as background jobs, on either executor. On the desktop an
//! analysis runs in one call on a thread of its own. A web page has no
//! threads, so there the same analysis is sliced by replay: each slice runs
//! it again from the start against a problem that remembers every
//! Hessian-vector product it has already given, computes new products until
//! the slice's time is up, then stops. Products are the analyses' whole cost
//! and everything between them is deterministic, so each replay reaches the
//! point the last one stopped at in a moment and goes on from there; the
//! result is the one a single call gives, bit for bit.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lanczos::Control;
use crate::exec::{self, Instant, Job, Outcome, Step, Task};
use crate::nn::ParamLayout;
use crate::problem::{Batch, Evaluation, Predictor, Problem, Workspace};
use crate::surface::SurfaceKind;

/// An analysis: it reads the problem it is given (never another), honours
/// the control, and says why it failed.
pub type Analysis<T> = dyn FnMut(&Arc<dyn Problem>, &Control<'_>) -> Result<T, String> + Send;

/// Starts `work` on `problem` as a job: on a thread of its own where there
/// are threads, sliced by replay in a browser. `wake` asks for a repaint.
pub fn spawn_analysis<T: Send + 'static>(
    name: &str,
    problem: Arc<dyn Problem>,
    work: Box<Analysis<T>>,
    wake: impl Fn() + Send + Sync + 'static,
) -> Result<Job<T>, String> {
    if cfg!(target_arch = "wasm32") {
        return exec::spawn(name, Replayed::new(problem, work), wake);
    }
    let mut work = work;
    exec::spawn_blocking(
        name,
        move |control| {
            let inner = Control {
                cancelled: control.cancelled,
                progress: control.progress,
            };
            match work(&problem, &inner) {
                Ok(result) => Outcome::Done(result),
                Err(_) if (control.cancelled)() => Outcome::Cancelled,
                Err(message) => Outcome::Failed(message),
            }
        },
        wake,
    )
}

/// The products given so far, and this slice's allowance.
#[derive(Default)]
struct Memo {
    /// Each product's fingerprint (of its point and vector) and value, in the order asked.
    products: Vec<(u64, Vec<f64>)>,
    /// The next product this replay will ask for.
    next: usize,
    /// Products computed in this slice.
    fresh: usize,
    /// When this slice began, and its budget.
    slice: Option<(Instant, Duration)>,
    /// When this slice stops computing products.
    deadline: Option<Instant>,
    /// Set when a product was refused because the slice is over.
    out_of_time: bool,
}

/// An analysis sliced by replay (see the module's doc).
pub struct Replayed<T> {
    /// The problem, its products remembered.
    remembering: Arc<dyn Problem>,
    work: Box<Analysis<T>>,
    memo: Arc<Mutex<Memo>>,
    /// Progress as f32 bits: the highest any replay reported.
    progress: AtomicU32,
}

impl<T> Replayed<T> {
    /// `work` on `problem`, to be advanced slice by slice.
    pub fn new(problem: Arc<dyn Problem>, work: Box<Analysis<T>>) -> Self {
        let memo = Arc::new(Mutex::new(Memo::default()));
        Self {
            remembering: Arc::new(Remembering {
                inner: problem,
                memo: Arc::clone(&memo),
            }),
            work,
            memo,
            progress: AtomicU32::new(0),
        }
    }

    /// Products computed so far (each exactly once).
    pub fn products(&self) -> usize {
        self.memo.lock().map_or(0, |m| m.products.len())
    }
}

impl<T: Send + 'static> Task for Replayed<T> {
    type Output = T;

    fn advance(&mut self, budget: Duration) -> Result<Step<T>, String> {
        if let Ok(mut memo) = self.memo.lock() {
            memo.next = 0;
            memo.fresh = 0;
            memo.slice = Some((Instant::now(), budget));
            memo.deadline = None;
            memo.out_of_time = false;
        }
        let out_of_time = || self.memo.lock().is_ok_and(|m| m.out_of_time);
        let progress = |f: f32| {
            let _ = self
                .progress
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                    (f > f32::from_bits(bits)).then_some(f.to_bits())
                });
        };
        let control = Control {
            cancelled: &out_of_time,
            progress: &progress,
        };
        match (self.work)(&self.remembering, &control) {
            Ok(result) => Ok(Step::Done(result)),
            Err(_) if out_of_time() => Ok(Step::Working(f32::from_bits(
                self.progress.load(Ordering::Relaxed),
            ))),
            Err(message) => Err(message),
        }
    }
}

/// FNV-1a over the bits of the point and the vector.
fn fingerprint(params: &[f64], v: &[f64]) -> u64 {
    params
        .iter()
        .chain(v)
        .fold(0xcbf2_9ce4_8422_2325, |hash, x| {
            (hash ^ x.to_bits()).wrapping_mul(0x100_0000_01b3)
        })
}

/// The problem an analysis sees while replayed: itself, except that
/// Hessian-vector products come from the memo when it has them.
struct Remembering {
    inner: Arc<dyn Problem>,
    memo: Arc<Mutex<Memo>>,
}

impl Problem for Remembering {
    fn hessian_vector(&self, params: &[f64], v: &[f64]) -> Option<Vec<f64>> {
        let key = fingerprint(params, v);
        {
            let mut memo = self.memo.lock().ok()?;
            let next = memo.next;
            if let Some((known, value)) = memo.products.get(next) {
                if *known == key {
                    let value = value.clone();
                    memo.next += 1;
                    return Some(value);
                }
                // Not the product asked last time: what followed is stale.
                memo.products.truncate(next);
            }
            // Replaying is overhead: each slice computes new products for at
            // least as long as it took to catch up, so the overhead stays
            // below half however short the budget.
            if memo.fresh == 0
                && let Some((began, budget)) = memo.slice
            {
                let now = Instant::now();
                memo.deadline = Some(now + budget.max(now - began));
            }
            // Each slice computes at least one product, so every slice progresses.
            if memo.fresh > 0 && memo.deadline.is_some_and(|d| Instant::now() >= d) {
                memo.out_of_time = true;
                return None;
            }
        }
        let value = self.inner.hessian_vector(params, v)?;
        let mut memo = self.memo.lock().ok()?;
        memo.products.push((key, value.clone()));
        memo.next += 1;
        memo.fresh += 1;
        Some(value)
    }

    fn name(&self) -> String {
        self.inner.name()
    }
    fn layout(&self) -> &ParamLayout {
        self.inner.layout()
    }
    fn num_params(&self) -> usize {
        self.inner.num_params()
    }
    fn init_params(&self, seed: u64) -> Vec<f32> {
        self.inner.init_params(seed)
    }
    fn num_train_examples(&self) -> usize {
        self.inner.num_train_examples()
    }
    fn loss_and_grad(
        &self,
        params: &[f32],
        batch: Batch,
        grad: &mut [f32],
        workspace: &mut Workspace,
    ) -> f32 {
        self.inner.loss_and_grad(params, batch, grad, workspace)
    }
    fn loss(&self, params: &[f32], workspace: &mut Workspace) -> f32 {
        self.inner.loss(params, workspace)
    }
    fn evaluate(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        self.inner.evaluate(params, workspace)
    }
    fn evaluate_for_curve(&self, params: &[f32], workspace: &mut Workspace) -> Evaluation {
        self.inner.evaluate_for_curve(params, workspace)
    }
    fn curve_batch(&self) -> Option<&[usize]> {
        self.inner.curve_batch()
    }
    fn surface(&self) -> Option<SurfaceKind> {
        self.inner.surface()
    }
    fn predictor(&self) -> Option<&dyn Predictor> {
        self.inner.predictor()
    }
    fn linear_layers(&self) -> Option<&[usize]> {
        self.inner.linear_layers()
    }
    fn language(&self) -> Option<&crate::problem::LanguageProblem> {
        self.inner.language()
    }
    fn loss_and_grad_f64(&self, params: &[f64]) -> Option<(f64, Vec<f64>)> {
        self.inner.loss_and_grad_f64(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse_curvature;
    use crate::data::{DatasetKind, DatasetSpec, generate};
    use crate::nn::{Activation, Init, Mlp};
    use crate::problem::MlpProblem;
    use crate::train::{Run, RunState, TrainConfig};

    #[test]
    fn a_replayed_analysis_gives_the_single_call_result_in_many_slices() {
        let spec = DatasetSpec {
            size: 120,
            ..DatasetSpec::new(DatasetKind::Moons)
        };
        let mlp = Mlp::new(&[2, 8, 8, 2], Activation::Tanh).expect("an MLP");
        let problem: Arc<dyn Problem> = Arc::new(
            MlpProblem::new(
                mlp,
                Arc::new(generate(&spec).expect("data")),
                Init::Torch,
                "moons",
            )
            .expect("a problem"),
        );
        let mut run = Run::new(Arc::clone(&problem), TrainConfig::default()).expect("run");
        for _ in 0..50 {
            run.step();
        }
        let snapshot = Arc::new(run.snapshot(RunState::Paused, 0.0));
        let whole =
            analyse_curvature(problem.as_ref(), &snapshot, &Control::none()).expect("one call");
        let analysis = |snapshot: Arc<crate::train::Snapshot>| -> Box<Analysis<_>> {
            Box::new(move |p: &Arc<dyn Problem>, c: &Control<'_>| {
                analyse_curvature(p.as_ref(), &snapshot, c).map_err(|e| e.to_string())
            })
        };
        // With time enough, one slice does it all: the products it needs.
        let mut once = Replayed::new(Arc::clone(&problem), analysis(Arc::clone(&snapshot)));
        assert!(matches!(
            once.advance(Duration::from_secs(3600)),
            Ok(Step::Done(_))
        ));
        let needed = once.products();
        let mut task = Replayed::new(Arc::clone(&problem), analysis(Arc::clone(&snapshot)));
        // Slices too short for more than a product or two each.
        let mut slices = 0;
        let mut last_progress = 0.0;
        let sliced = loop {
            slices += 1;
            match task.advance(Duration::from_micros(1)).expect("no failure") {
                Step::Working(p) => {
                    assert!(p >= last_progress, "progress only rises");
                    last_progress = p;
                }
                Step::Done(result) => break result,
            }
            assert!(slices < 10_000, "it finishes");
        };
        assert!(slices > 10, "it was really sliced: {slices} slices");
        // Every product computed once, and the same answer to the bit.
        assert_eq!(task.products(), needed);
        assert_eq!(sliced.top, whole.top);
        assert_eq!(sliced.min, whole.min);
        assert_eq!(sliced.density, whole.density);
    }

    #[test]
    fn a_failing_analysis_fails_and_the_threaded_one_runs_whole() {
        let problem: Arc<dyn Problem> =
            Arc::new(crate::problem::SurfaceProblem::new(SurfaceKind::Bowl));
        let mut task: Replayed<()> = Replayed::new(
            Arc::clone(&problem),
            Box::new(|_: &Arc<dyn Problem>, _: &Control<'_>| Err("no good".to_string())),
        );
        assert_eq!(
            task.advance(Duration::from_millis(5)),
            Err("no good".into())
        );
        let job = spawn_analysis(
            "test-analysis",
            problem,
            Box::new(|p: &Arc<dyn Problem>, _: &Control<'_>| {
                Ok(p.hessian_vector(&[0.5, 0.5], &[1.0, 0.0]))
            }),
            || {},
        )
        .expect("started");
        let outcome = loop {
            if let Some(outcome) = job.take() {
                break outcome;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        // x² + y²: H = 2I.
        assert_eq!(outcome, Outcome::Done(Some(vec![2.0, 0.0])));
    }
}
