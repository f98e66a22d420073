//! A race: several optimisers on one problem from one starting point,
//! stepped in lockstep on a thread of their own, so that "after 200 steps"
//! means the same for every lane.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::history::TrajectoryPoint;
use super::run::{Run, RunState, StepOutcome, TrainConfig};
use super::worker::Speed;
use crate::optim::{OptimError, OptimizerKind};
use crate::problem::Problem;

/// How often the race publishes while it moves.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(16);
/// Longest stretch of stepping before commands are checked.
const SLICE: Duration = Duration::from_millis(2);

/// One lane of the race.
#[derive(Clone, Debug)]
pub struct Lane {
    /// Shown in the legend, e.g. `adam`.
    pub name: String,
    /// The optimiser and its hyperparameters (the seed is shared by all lanes).
    pub config: TrainConfig,
}

/// Where one lane is now.
#[derive(Clone, Debug)]
pub struct LaneSnapshot {
    /// The lane's name.
    pub name: String,
    /// The lane's update rule.
    pub kind: OptimizerKind,
    /// Current parameters.
    pub params: Arc<[f32]>,
    /// Decimated trajectory, ending at `params`.
    pub trail: Arc<Vec<TrajectoryPoint>>,
    /// Loss at `params`.
    pub loss: f32,
    /// Running, paused, or diverged (a diverged lane stops; the others go on).
    pub state: RunState,
}

/// The whole race at one moment.
#[derive(Clone, Debug)]
pub struct RaceSnapshot {
    /// Steps every live lane has taken.
    pub step: u64,
    /// The lanes, in the order they were given.
    pub lanes: Vec<LaneSnapshot>,
}

/// The lanes themselves, without a thread: step them together.
pub struct Race {
    lanes: Vec<(String, Run)>,
    step: u64,
}

impl Race {
    /// Starts every lane at the problem's initial parameters for the lanes' seed.
    pub fn new(problem: &Arc<dyn Problem>, lanes: &[Lane]) -> Result<Self, OptimError> {
        if lanes.is_empty() {
            return Err(OptimError::Invalid("a race needs at least one lane".into()));
        }
        let runs = lanes
            .iter()
            .map(|lane| {
                Ok((
                    lane.name.clone(),
                    Run::new(Arc::clone(problem), lane.config)?,
                ))
            })
            .collect::<Result<Vec<_>, OptimError>>()?;
        let mut race = Self {
            lanes: runs,
            step: 0,
        };
        // Every lane starts from the same point, whatever its seed.
        let start = race.lanes[0].1.params().to_vec();
        race.start_at(&start);
        Ok(race)
    }

    /// One step for every lane that has not diverged.
    pub fn step(&mut self) {
        for (_, run) in &mut self.lanes {
            if run.divergence().is_none() {
                let _: StepOutcome = run.step();
            }
        }
        self.step += 1;
    }

    /// Back to step 0 at `params` for every lane (optimiser state cleared).
    /// A vector of the wrong length is ignored.
    pub fn start_at(&mut self, params: &[f32]) {
        if self
            .lanes
            .iter()
            .any(|(_, run)| run.problem().num_params() != params.len())
        {
            return;
        }
        for (_, run) in &mut self.lanes {
            run.set_params(params.to_vec());
        }
        self.step = 0;
    }

    /// Whether every lane has diverged.
    pub fn is_over(&self) -> bool {
        self.lanes.iter().all(|(_, run)| run.divergence().is_some())
    }

    /// Steps taken.
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// Where every lane is.
    pub fn snapshot(&mut self, state: RunState) -> RaceSnapshot {
        let lanes = self
            .lanes
            .iter_mut()
            .map(|(name, run)| {
                let snapshot = run.snapshot(state, 0.0);

                LaneSnapshot {
                    name: name.clone(),
                    kind: run.config().optimizer.kind,
                    params: snapshot.params,
                    trail: snapshot.trajectory,
                    loss: snapshot.evaluation.train_loss,
                    state: snapshot.state,
                }
            })
            .collect();
        RaceSnapshot {
            step: self.step,
            lanes,
        }
    }
}

/// What the race thread can be told.
pub enum RaceCommand {
    /// Step continuously.
    Play,
    /// Stop.
    Pause,
    /// Take this many steps, then pause.
    Step(u64),
    /// Back to step 0 at these parameters.
    StartAt(Vec<f32>),
    /// Change the throttle.
    SetSpeed(Speed),
    /// End the thread.
    Shutdown,
}

/// Handle to the race thread; shuts it down and joins on drop.
pub struct RaceTrainer {
    sender: Sender<RaceCommand>,
    latest: Arc<Mutex<Arc<RaceSnapshot>>>,
    thread: Option<JoinHandle<()>>,
}

impl RaceTrainer {
    /// Starts a paused race; `wake` is called after each new snapshot.
    pub fn spawn(
        problem: &Arc<dyn Problem>,
        lanes: &[Lane],
        speed: Speed,
        wake: Box<dyn Fn() + Send>,
    ) -> Result<Self, OptimError> {
        let mut race = Race::new(problem, lanes)?;
        let latest = Arc::new(Mutex::new(Arc::new(race.snapshot(RunState::Paused))));
        let (sender, receiver) = channel();
        let thread = crate::exec::spawn_service("valley-race", {
            let latest = Arc::clone(&latest);
            move || serve(race, speed, &receiver, &latest, wake.as_ref())
        })
        .map_err(|e| OptimError::Invalid(format!("could not start the race thread: {e}")))?;
        Ok(Self {
            sender,
            latest,
            thread: Some(thread),
        })
    }

    /// Sends a command; ignored if the thread has ended.
    pub fn send(&self, command: RaceCommand) {
        let _ = self.sender.send(command);
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Arc<RaceSnapshot> {
        match self.latest.lock() {
            Ok(slot) => Arc::clone(&slot),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

impl Drop for RaceTrainer {
    fn drop(&mut self) {
        let _ = self.sender.send(RaceCommand::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut race: Race,
    mut speed: Speed,
    receiver: &Receiver<RaceCommand>,
    latest: &Mutex<Arc<RaceSnapshot>>,
    wake: &dyn Fn(),
) {
    let mut running = false;
    let mut pending = 0u64;
    let mut paced = (Instant::now(), 0u64);
    let mut last_publish = Instant::now();
    let mut dirty = false;
    loop {
        let busy = (running || pending > 0) && !race.is_over();
        let command = if busy {
            match receiver.try_recv() {
                Ok(c) => Some(c),
                Err(std::sync::mpsc::TryRecvError::Empty) => None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            let wait = if dirty {
                PUBLISH_INTERVAL
            } else {
                Duration::from_secs(3600)
            };
            match receiver.recv_timeout(wait) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        if let Some(command) = command {
            match command {
                RaceCommand::Play => running = true,
                RaceCommand::Pause => {
                    running = false;
                    pending = 0;
                }
                RaceCommand::Step(n) => {
                    running = false;
                    pending = pending.saturating_add(n);
                }
                RaceCommand::StartAt(params) => {
                    race.start_at(&params);
                    running = false;
                    pending = 0;
                }
                RaceCommand::SetSpeed(s) => speed = s,
                RaceCommand::Shutdown => return,
            }
            paced = (Instant::now(), 0);
            dirty = true;
        }
        let busy = (running || pending > 0) && !race.is_over();
        if busy {
            let started = Instant::now();
            loop {
                let allowed = match speed {
                    Speed::Max => true,
                    Speed::StepsPerSecond(rate) => {
                        (paced.1 as f64) < paced.0.elapsed().as_secs_f64() * rate.max(1e-3)
                    }
                };
                if !allowed || started.elapsed() >= SLICE || race.is_over() {
                    break;
                }
                race.step();
                paced.1 += 1;
                dirty = true;
                if pending > 0 {
                    pending -= 1;
                    if pending == 0 && !running {
                        break;
                    }
                }
            }
            if !matches!(speed, Speed::Max) {
                // Sleep until the throttle allows another step (at most one slice).
                std::thread::sleep(SLICE);
            }
        }
        let still_busy = (running || pending > 0) && !race.is_over();
        if dirty && (!still_busy || last_publish.elapsed() >= PUBLISH_INTERVAL) {
            let state = if still_busy {
                RunState::Running
            } else {
                RunState::Paused
            };
            let snapshot = Arc::new(race.snapshot(state));
            match latest.lock() {
                Ok(mut slot) => *slot = snapshot,
                Err(poisoned) => *poisoned.into_inner() = snapshot,
            }
            last_publish = Instant::now();
            dirty = false;
            wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerConfig;
    use crate::problem::SurfaceProblem;
    use crate::surface::SurfaceKind;

    fn lanes(lr: f32) -> Vec<Lane> {
        [
            OptimizerKind::Sgd,
            OptimizerKind::Momentum,
            OptimizerKind::Adam,
        ]
        .into_iter()
        .map(|kind| Lane {
            name: kind.name().into(),
            config: TrainConfig {
                optimizer: OptimizerConfig {
                    kind,
                    lr,
                    ..OptimizerConfig::default()
                },
                ..TrainConfig::default()
            },
        })
        .collect()
    }

    #[test]
    fn lanes_start_together_and_step_in_lockstep_like_lone_runs() {
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Rosenbrock));
        let lanes = lanes(1e-3);
        let mut race = Race::new(&problem, &lanes).expect("race");
        let start = race.snapshot(RunState::Paused);
        assert!(
            start
                .lanes
                .iter()
                .all(|l| l.params == start.lanes[0].params)
        );
        for _ in 0..50 {
            race.step();
        }
        let after = race.snapshot(RunState::Paused);
        assert_eq!(after.step, 50);
        // Each lane is exactly where a lone run of its optimiser would be.
        for (lane, config) in after.lanes.iter().zip(&lanes) {
            let mut alone = Run::new(Arc::clone(&problem), config.config).expect("run");
            alone.set_params(start.lanes[0].params.to_vec());
            for _ in 0..50 {
                alone.step();
            }
            assert_eq!(&*lane.params, alone.params(), "{}", lane.name);
        }
        // Different rules go different ways.
        assert_ne!(after.lanes[0].params, after.lanes[2].params);
    }

    #[test]
    fn a_diverging_lane_stops_while_the_others_go_on() {
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Rosenbrock));
        // Plain SGD at this rate blows up on Rosenbrock; Adam's steps are bounded by lr.
        let mut race = Race::new(&problem, &lanes(0.05)).expect("race");
        for _ in 0..500 {
            race.step();
        }
        let s = race.snapshot(RunState::Paused);
        assert!(
            matches!(s.lanes[0].state, RunState::Diverged { .. }),
            "{:?}",
            s.lanes[0].state
        );
        assert!(s.lanes[2].loss.is_finite());
        assert!(!race.is_over());
    }

    #[test]
    fn the_thread_plays_steps_and_restarts() {
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
        let trainer =
            RaceTrainer::spawn(&problem, &lanes(0.01), Speed::Max, Box::new(|| {})).expect("spawn");
        trainer.send(RaceCommand::Step(25));
        let deadline = Instant::now() + Duration::from_secs(10);
        while trainer.latest().step < 25 {
            assert!(Instant::now() < deadline, "the race never reached 25 steps");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(trainer.latest().step, 25, "Step(25) takes exactly 25 steps");
        trainer.send(RaceCommand::StartAt(vec![1.0, 1.0]));
        while trainer.latest().step != 0 {
            assert!(Instant::now() < deadline, "the race never restarted");
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(
            trainer
                .latest()
                .lanes
                .iter()
                .all(|l| *l.params == [1.0, 1.0])
        );
    }
}
