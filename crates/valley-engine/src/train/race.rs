//! A race: several optimisers on one problem from one starting point,
//! stepped in lockstep (by the trainer, beside the main run), so that
//! "after 200 steps" means the same for every lane.

use std::sync::Arc;

use super::history::TrajectoryPoint;
use super::run::{Run, RunState, StepOutcome, TrainConfig};
use crate::optim::{OptimError, OptimizerKind};
use crate::problem::Problem;

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
    fn the_trainer_steps_its_lanes_with_the_main_run_and_restarts_them() {
        use crate::exec::Instant;
        use crate::train::{Command, Trainer};
        use std::time::Duration;
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
        let trainer = Trainer::spawn(
            Arc::clone(&problem),
            TrainConfig::default(),
            Box::new(|| {}),
        )
        .expect("spawn");
        assert!(
            trainer.latest_race().is_none(),
            "no race until lanes are set"
        );
        trainer.send(Command::SetParams(vec![0.5, -0.5]));
        trainer.send(Command::SetLanes(lanes(0.01)));
        trainer.send(Command::Step(25));
        let deadline = Instant::now() + Duration::from_secs(10);
        while trainer.latest().step < 25 || trainer.latest_race().is_none_or(|r| r.step < 25) {
            assert!(Instant::now() < deadline, "the race never reached 25 steps");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(40));
        let race = trainer.latest_race().expect("race");
        assert_eq!(race.step, 25, "Step(25) takes exactly 25 steps");
        assert_eq!(
            trainer.latest().step,
            25,
            "the main run steps with the lanes"
        );
        // Each lane is where a lone run of its rule from the same start would be.
        for (lane, config) in race.lanes.iter().zip(lanes(0.01)) {
            let mut alone = Run::new(Arc::clone(&problem), config.config).expect("run");
            alone.set_params(vec![0.5, -0.5]);
            for _ in 0..25 {
                alone.step();
            }
            assert_eq!(&*lane.params, alone.params(), "{}", lane.name);
        }
        trainer.send(Command::SetParams(vec![1.0, 1.0]));
        while trainer.latest_race().is_none_or(|r| r.step != 0) {
            assert!(Instant::now() < deadline, "the race never restarted");
            std::thread::sleep(Duration::from_millis(2));
        }
        let race = trainer.latest_race().expect("race");
        assert!(race.lanes.iter().all(|l| *l.params == [1.0, 1.0]));
        trainer.send(Command::SetLanes(Vec::new()));
        while trainer.latest_race().is_some() {
            assert!(Instant::now() < deadline, "the race never ended");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn a_diverged_main_run_leaves_the_lanes_racing() {
        use crate::exec::Instant;
        use crate::train::{Command, Trainer};
        use std::time::Duration;
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Rosenbrock));
        // The main run is plain SGD at a rate that blows up; Adam's lane does not.
        let main = lanes(0.05)[0].config;
        let trainer = Trainer::spawn(Arc::clone(&problem), main, Box::new(|| {})).expect("spawn");
        trainer.send(Command::SetLanes(lanes(0.05)[2..].to_vec()));
        trainer.send(Command::Step(500));
        let deadline = Instant::now() + Duration::from_secs(10);
        while trainer.latest_race().is_none_or(|r| r.step < 500) {
            assert!(
                Instant::now() < deadline,
                "the race stopped at the main run's divergence"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(matches!(trainer.latest().state, RunState::Diverged { .. }));
        let race = trainer.latest_race().expect("race");
        assert!(race.lanes[0].loss.is_finite(), "{:?}", race.lanes[0].state);
    }
}
