use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::optim::{OptimizerConfig, OptimizerKind};
use crate::problem::{Problem, ProblemSpec};
use crate::train::{Run, TrainConfig, TrainSteps};

/// A moons network with minibatches: the batch order's generator matters.
fn run() -> Run {
    let spec = ProblemSpec::Dataset {
        data: crate::data::DatasetSpec {
            size: 200,
            ..crate::data::DatasetSpec::new(crate::data::DatasetKind::Moons)
        },
        hidden: vec![8],
        activation: crate::nn::Activation::Tanh,
    };
    let problem: Arc<dyn Problem> = spec.build().expect("builds");
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Adam,
            lr: 0.01,
            ..OptimizerConfig::default()
        },
        batch_size: Some(16),
        seed: 3,
        ..TrainConfig::default()
    };
    Run::new(problem, config).expect("run")
}

fn bits(run: &Run) -> Vec<u32> {
    run.params().iter().map(|p| p.to_bits()).collect()
}

/// Waits for a threaded job to end.
fn wait<T>(job: &Job<T>) -> Outcome<T> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(outcome) = job.take() {
            return outcome;
        }
        assert!(Instant::now() < deadline, "the job never ended");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn the_sliced_and_threaded_executors_give_the_same_bits() {
    let mut straight = run();
    for _ in 0..3000 {
        straight.step();
    }
    let threaded = spawn("test", TrainSteps::new(run(), 3000), || {}).expect("thread");
    let Outcome::Done(threaded) = wait(&threaded) else {
        panic!("the threaded job did not finish");
    };
    // Slices of a few microseconds: hundreds of them for the same work.
    let mut sliced = Sliced::new();
    let job = sliced.start(TrainSteps::new(run(), 3000));
    let mut slices = 0;
    while sliced.pending() > 0 {
        sliced.run_for(Duration::from_micros(50));
        slices += 1;
    }
    assert!(slices > 5, "{slices} slices");
    let Some(Outcome::Done(sliced)) = job.take() else {
        panic!("the sliced job did not finish");
    };
    assert_eq!(bits(&threaded), bits(&straight));
    assert_eq!(bits(&sliced), bits(&straight));
    assert_eq!(sliced.step_index(), 3000);
}

#[test]
fn progress_only_grows_and_ends_at_one() {
    let mut sliced = Sliced::new();
    let job = sliced.start(TrainSteps::new(run(), 2000));
    let mut seen = vec![job.progress()];
    while sliced.pending() > 0 {
        sliced.run_for(Duration::from_micros(50));
        seen.push(job.progress());
    }
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(
        seen.iter().any(|&p| p > 0.0 && p < 1.0),
        "progress in between"
    );
    assert_eq!(job.progress(), 1.0);
    assert!(matches!(job.take(), Some(Outcome::Done(_))));
    // A report below the mark never lowers it.
    let shared: Arc<Shared<()>> = Shared::new();
    shared.report(0.6);
    shared.report(0.2);
    shared.report(f32::NAN);
    assert_eq!(f32::from_bits(shared.progress.load(Ordering::Relaxed)), 0.6);
}

#[test]
fn a_task_cancelled_mid_run_leaves_no_partial_result() {
    // Sliced: cancelled between slices.
    let mut sliced = Sliced::new();
    let job = sliced.start(TrainSteps::new(run(), u64::MAX));
    sliced.run_for(Duration::from_millis(5));
    assert!(job.progress() < 1.0);
    job.cancel();
    sliced.run_for(Duration::from_millis(5));
    assert_eq!(sliced.pending(), 0, "the cancelled task is dropped");
    assert!(matches!(job.take(), Some(Outcome::Cancelled)));
    // Threaded: a run that would never end stops at its next slice.
    let job = spawn("test", TrainSteps::new(run(), u64::MAX), || {}).expect("thread");
    std::thread::sleep(Duration::from_millis(30));
    job.cancel();
    assert!(matches!(wait(&job), Outcome::Cancelled));
    // A cancel that lands during the last slice still wins over the result.
    let shared: Arc<Shared<u32>> = Shared::new();
    shared.cancelled.store(true, Ordering::Relaxed);
    shared.finish(Outcome::Done(7));
    assert!(matches!(
        shared.outcome.lock().expect("lock").take(),
        Some(Outcome::Cancelled)
    ));
}

#[test]
fn a_diverging_run_ends_the_task_and_dropping_a_job_stops_its_thread() {
    let mut bad = run();
    bad.set_config(TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 1e4,
            ..OptimizerConfig::default()
        },
        ..*bad.config()
    })
    .expect("config");
    let Outcome::Done(stopped) = run_here(TrainSteps::new(bad, 1000), |_| true) else {
        panic!("the task ends with the diverged run");
    };
    let (step, _) = stopped.divergence().expect("diverged");
    assert!(step < 1000 && stopped.step_index() == step);
    // Cancelled from inside: no run comes back.
    let outcome = run_here(TrainSteps::new(run(), u64::MAX), |_| false);
    assert!(matches!(outcome, Outcome::Cancelled));
    let job = spawn("test", TrainSteps::new(run(), u64::MAX), || {}).expect("thread");
    let started = Instant::now();
    drop(job);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drop joined promptly"
    );
}

#[test]
fn blocking_work_gets_the_same_handle_cancel_and_progress() {
    let job = spawn_blocking(
        "test",
        |control| {
            for k in 0..1_000_000u32 {
                if (control.cancelled)() {
                    return Outcome::Cancelled;
                }
                (control.progress)(k as f32 / 1e6);
                std::thread::sleep(Duration::from_micros(100));
            }
            Outcome::Done(1)
        },
        || {},
    )
    .expect("thread");
    let deadline = Instant::now() + Duration::from_secs(10);
    while job.progress() == 0.0 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(1));
    }
    job.cancel();
    assert!(matches!(wait(&job), Outcome::Cancelled));
    let done = spawn_blocking("test", |_| Outcome::Done(42), || {}).expect("thread");
    assert!(matches!(wait(&done), Outcome::Done(42)));
    assert_eq!(done.progress(), 1.0);
}

#[test]
fn the_trainer_gives_the_same_bits_on_a_thread_and_between_frames() {
    use crate::train::{Command, Trainer};
    let problem = Arc::clone(run().problem());
    let config = *run().config();
    let threaded = Trainer::spawn(Arc::clone(&problem), config, Box::new(|| {})).expect("thread");
    // Enough steps that the sliced trainer needs many frames (a step of
    // this small model takes microseconds).
    const STEPS: u64 = 5_000;
    threaded.send(Command::Step(STEPS));
    let deadline = Instant::now() + Duration::from_secs(30);
    while threaded.latest().step < STEPS {
        assert!(Instant::now() < deadline, "the threaded trainer stalled");
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut frames = Sliced::new();
    let sliced = Trainer::sliced(&mut frames, problem, config, Box::new(|| {})).expect("sliced");
    sliced.send(Command::Step(STEPS));
    let mut turns = 0;
    while sliced.latest().step < STEPS {
        // A frame's worth of time for the background work, as in a browser.
        frames.run_for(Duration::from_millis(1));
        turns += 1;
        assert!(turns < 100_000, "the sliced trainer stalled");
    }
    assert!(turns > 1, "{turns} turns");
    let bits = |s: &[f32]| s.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&sliced.latest().params),
        bits(&threaded.latest().params)
    );
    // An idle service costs a turn nothing: run_for returns at once.
    let idle = Instant::now();
    frames.run_for(Duration::from_millis(200));
    assert!(
        idle.elapsed() < Duration::from_millis(100),
        "{:?}",
        idle.elapsed()
    );
    // Dropping the handle ends the service.
    drop(sliced);
    frames.run_for(Duration::from_millis(1));
    assert_eq!(frames.pending(), 0);
}

#[test]
fn a_sliced_landscape_worker_delivers_the_coarse_then_the_final_grid() {
    use crate::landscape::{GridSpec, LandscapeRequest, LandscapeWorker, Plane};
    use crate::problem::SurfaceProblem;
    use crate::surface::SurfaceKind;
    let mut frames = Sliced::new();
    let worker = LandscapeWorker::sliced(&mut frames, Box::new(|| {}));
    let plane =
        Arc::new(Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("plane"));
    let generation = worker.request(LandscapeRequest {
        problem: Arc::new(SurfaceProblem::new(SurfaceKind::Bowl)),
        plane,
        spec: GridSpec::square(1.0, 61),
    });
    // Zero budgets: one row per turn, so the grids come in many turns.
    let mut turns = 0;
    while worker.latest().is_none() {
        frames.run_for(Duration::ZERO);
        turns += 1;
        assert!(turns < 10_000, "no grid");
    }
    let first = worker.latest().expect("grid");
    assert!(!first.is_final && first.generation == generation);
    assert!(turns > 5, "the coarse grid took {turns} turns");
    while !worker.latest().is_some_and(|r| r.is_final) {
        frames.run_for(Duration::ZERO);
        turns += 1;
        assert!(turns < 10_000, "no final grid");
    }
    let last = worker.latest().expect("grid");
    // The bowl x² + y² at the corner (1, 1) of the full grid.
    let corner = last.grid.values[last.grid.values.len() - 1];
    assert!((corner - 2.0).abs() < 1e-5, "{corner}");
}

#[test]
fn a_grid_task_gives_evaluate_grids_bits_however_it_is_sliced() {
    use crate::landscape::{
        DirectionKind, GridSpec, GridTask, Plane, evaluate_grid, make_direction,
    };
    let run = run();
    let problem = Arc::clone(run.problem());
    let centre = run.params().to_vec();
    let direction = |seed| {
        make_direction(DirectionKind::Filter, problem.layout(), &centre, seed).expect("direction")
    };
    let plane =
        Arc::new(Plane::new(centre.clone(), vec![direction(1), direction(2)]).expect("plane"));
    let spec = GridSpec::square(1.0, 31);
    let whole = evaluate_grid(problem.as_ref(), &plane, &spec, &|| false).expect("grid");
    let mut sliced = Sliced::new();
    let job = sliced.start(GridTask::new(
        Arc::clone(&problem),
        Arc::clone(&plane),
        spec,
    ));
    let mut turns = 0;
    while sliced.pending() > 0 {
        sliced.run_for(Duration::ZERO);
        turns += 1;
    }
    assert!(turns >= 31, "one row per turn at most: {turns}");
    let Some(Outcome::Done(grid)) = job.take() else {
        panic!("the grid task did not finish");
    };
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&grid.values), bits(&whole.values));
    // A plane from another problem is refused, not evaluated.
    let wrong =
        Arc::new(Plane::new(vec![0.0; 2], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("plane"));
    let outcome = run_here(GridTask::new(problem, wrong, spec), |_| true);
    assert!(matches!(outcome, Outcome::Failed(_)));
}
