//! The trainer thread: commands take effect, divergence pauses, memory and
//! publication rate stay bounded whatever the consumer does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use valley::engine::data::{DatasetKind, DatasetSpec, generate};
use valley::engine::nn::{Activation, Init, Mlp};
use valley::engine::optim::{OptimizerConfig, OptimizerKind};
use valley::engine::problem::{MlpProblem, Problem, SurfaceProblem};
use valley::engine::surface::SurfaceKind;
use valley::engine::train::{Command, RunState, Snapshot, Speed, TrainConfig, Trainer};

fn moons() -> Arc<dyn Problem> {
    let data = generate(&DatasetSpec {
        size: 200,
        ..DatasetSpec::new(DatasetKind::Moons)
    })
    .expect("valid");
    let mlp = Mlp::new(&[2, 8, 2], Activation::Tanh).expect("valid");
    Arc::new(MlpProblem::new(mlp, Arc::new(data), Init::Torch, "moons").expect("fits"))
}

fn wait_for(trainer: &Trainer, what: &str, done: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let snapshot = trainer.latest();
        if done(&snapshot) {
            return snapshot;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last state {:?} at step {}",
            snapshot.state,
            snapshot.step
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn step_play_pause_reset_and_live_changes_take_effect() {
    let trainer = Trainer::spawn(moons(), TrainConfig::default(), Box::new(|| {})).expect("starts");
    let first = trainer.latest();
    assert_eq!((first.step, first.state), (0, RunState::Paused));

    trainer.send(Command::Step(10));
    let s = wait_for(&trainer, "10 steps", |s| {
        s.step == 10 && s.state == RunState::Paused
    });
    assert_eq!(s.history.len(), 10);
    assert!(s.evaluation.train_accuracy.is_some());
    assert_eq!(s.gradient.len(), s.params.len());
    assert!(
        s.next_step.iter().any(|&d| d != 0.0),
        "the next step is shown"
    );

    trainer.send(Command::Play);
    wait_for(&trainer, "running past 200", |s| {
        s.step > 200 && s.state == RunState::Running
    });
    trainer.send(Command::Pause);
    let paused = wait_for(&trainer, "pause", |s| s.state == RunState::Paused);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(trainer.latest().step, paused.step, "no steps after pause");

    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Momentum,
            lr: 0.123,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    };
    trainer.send(Command::SetConfig(config));
    wait_for(&trainer, "the new learning rate", |s| {
        (s.lr - 0.123).abs() < 1e-7
    });

    trainer.send(Command::Reset { seed: Some(3) });
    let reset = wait_for(&trainer, "reset", |s| s.step == 0);
    assert_eq!(&*reset.params, &*reset.initial_params);
    assert_eq!(&*reset.params, moons().init_params(3).as_slice());

    let target = vec![0.25f32; reset.params.len()];
    trainer.send(Command::SetParams(target.clone()));
    let moved = wait_for(&trainer, "start here", |s| s.params.first() == Some(&0.25));
    assert_eq!(&*moved.params, target.as_slice());

    trainer.send(Command::SetParams(vec![0.0; 3]));
    let deadline = Instant::now() + Duration::from_secs(5);
    let error = loop {
        if let Some(e) = trainer.take_error() {
            break e;
        }
        assert!(
            Instant::now() < deadline,
            "a wrong-length point was not refused"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(error.contains("3 parameters"), "{error}");
    assert!(trainer.is_alive());
}

#[test]
fn a_diverging_run_pauses_and_says_where() {
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            // Big enough that the loss overflows f32 on the first step.
            lr: 1e20,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    };
    let trainer = Trainer::spawn(problem, config, Box::new(|| {})).expect("starts");
    trainer.send(Command::Play);
    let s = wait_for(&trainer, "divergence", |s| {
        matches!(s.state, RunState::Diverged { .. })
    });
    let RunState::Diverged { step, loss } = s.state else {
        unreachable!()
    };
    assert!(!loss.is_finite());
    assert_eq!(s.step, step);
    assert!(
        s.state
            .describe()
            .starts_with(&format!("diverged at step {step} (loss = inf)")),
        "{}",
        s.state.describe()
    );
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(trainer.latest().step, step, "a diverged run stays put");
    trainer.send(Command::Reset { seed: None });
    wait_for(&trainer, "reset after divergence", |s| {
        s.step == 0 && s.state == RunState::Paused
    });
}

/// A minibatch trainer on moons whose wake-ups (publications) are counted.
fn counting_trainer() -> (Trainer, Arc<AtomicU64>) {
    let wakes = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&wakes);
    let trainer = Trainer::spawn(
        moons(),
        TrainConfig {
            batch_size: Some(16),
            ..TrainConfig::default()
        },
        Box::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .expect("starts");
    (trainer, wakes)
}

#[test]
fn the_records_stay_bounded_however_long_the_run() {
    // Publication rates and resident memory are measured by
    // `cargo run --release --example soak`; here, what holds at any speed.
    let (trainer, _) = counting_trainer();
    trainer.send(Command::SetSpeed(Speed::Max));
    trainer.send(Command::Play);
    let deadline = Instant::now() + Duration::from_secs(30);
    let s = loop {
        let s = trainer.latest();
        // Past the first decimation of every record (4,096 history points).
        if s.step > 20_000 {
            break s;
        }
        assert!(Instant::now() < deadline, "only {} steps", s.step);
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        s.trajectory.len() <= 1025 && s.history.len() <= 4096 && s.evaluations.len() <= 257,
        "{} / {} / {}",
        s.trajectory.len(),
        s.history.len(),
        s.evaluations.len()
    );
    // Decimated, not truncated: the records still reach back to the start.
    assert_eq!(s.history.first().map(|h| h.step), Some(0));
    assert_eq!(s.trajectory.first().map(|p| p.step), Some(0));
    assert!(s.history.last().is_some_and(|h| h.step > s.step / 2));
}

#[test]
fn a_reader_that_keeps_reading_sees_the_run_move_on() {
    let (trainer, wakes) = counting_trainer();
    trainer.send(Command::Play);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = trainer.latest().step;
    for _ in 0..5 {
        // Each read is followed, sooner or later, by a newer snapshot.
        loop {
            let step = trainer.latest().step;
            if step > last {
                last = step;
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no fresh snapshot after step {last}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    assert!(
        wakes.load(Ordering::Relaxed) >= 5,
        "each publication wakes the reader"
    );
}

/// A problem whose loss panics from step `fuse` on (a stand-in for a bug).
struct Fused {
    inner: Arc<dyn Problem>,
    calls: std::sync::atomic::AtomicU64,
    fuse: u64,
}

impl Problem for Fused {
    fn name(&self) -> String {
        "fused".into()
    }
    fn layout(&self) -> &valley::engine::nn::ParamLayout {
        self.inner.layout()
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
        batch: valley::engine::problem::Batch<'_>,
        grad: &mut [f32],
        workspace: &mut valley::engine::problem::Workspace,
    ) -> f32 {
        let calls = self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(calls < self.fuse, "the fuse blew at call {calls}");
        self.inner.loss_and_grad(params, batch, grad, workspace)
    }
    fn loss(&self, params: &[f32], workspace: &mut valley::engine::problem::Workspace) -> f32 {
        let calls = self.calls.load(Ordering::SeqCst);
        assert!(calls < self.fuse, "the fuse blew while evaluating");
        self.inner.loss(params, workspace)
    }
    fn evaluate(
        &self,
        params: &[f32],
        workspace: &mut valley::engine::problem::Workspace,
    ) -> valley::engine::problem::Evaluation {
        self.inner.evaluate(params, workspace)
    }
}

#[test]
fn a_panicking_problem_stops_the_trainer_with_its_message_and_a_new_one_starts() {
    let problem: Arc<dyn Problem> = Arc::new(Fused {
        inner: Arc::new(SurfaceProblem::new(SurfaceKind::Bowl)),
        calls: Default::default(),
        fuse: 10,
    });
    let trainer = Trainer::spawn(
        Arc::clone(&problem),
        TrainConfig::default(),
        Box::new(|| {}),
    )
    .expect("starts");
    trainer.send(Command::Play);
    let deadline = Instant::now() + Duration::from_secs(10);
    while trainer.is_alive() {
        assert!(Instant::now() < deadline, "the trainer never hit the fuse");
        std::thread::sleep(Duration::from_millis(5));
    }
    let message = trainer.take_error().expect("a message");
    assert!(
        message.starts_with("the trainer stopped: the fuse blew"),
        "{message}"
    );
    assert!(message.contains("press Reset"), "{message}");
    // The last snapshot stays readable, and a fresh trainer on a healthy problem runs.
    let _ = trainer.latest();
    let healthy = Trainer::spawn(moons(), TrainConfig::default(), Box::new(|| {})).expect("starts");
    healthy.send(Command::Step(3));
    wait_for(&healthy, "three steps", |s| s.step == 3);
}

#[test]
fn a_panicking_problem_costs_one_grid_and_the_landscape_worker_goes_on() {
    use valley::engine::landscape::{GridSpec, LandscapeRequest, LandscapeWorker, Plane};
    let worker = LandscapeWorker::spawn(Box::new(|| {})).expect("starts");
    let plane =
        Arc::new(Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("plane"));
    let broken: Arc<dyn Problem> = Arc::new(Fused {
        inner: Arc::new(SurfaceProblem::new(SurfaceKind::Bowl)),
        calls: Default::default(),
        fuse: 0,
    });
    worker.request(LandscapeRequest {
        problem: broken,
        plane: Arc::clone(&plane),
        spec: GridSpec::square(1.0, 5),
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let error = loop {
        if let Some(e) = worker.take_error() {
            break e;
        }
        assert!(Instant::now() < deadline, "no error reported");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(error.contains("the fuse blew"), "{error}");
    let generation = worker.request(LandscapeRequest {
        problem: Arc::new(SurfaceProblem::new(SurfaceKind::Bowl)),
        plane,
        spec: GridSpec::square(1.0, 5),
    });
    while !worker
        .latest()
        .is_some_and(|r| r.generation == generation && r.is_final)
    {
        assert!(Instant::now() < deadline, "the worker stopped serving");
        std::thread::sleep(Duration::from_millis(5));
    }
}
