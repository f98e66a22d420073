//! A run frozen into plain data for a session file, and thawed again so
//! that training continues exactly as if it had never stopped: the same
//! parameters, optimiser moments, batch order and random stream.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Run, shuffle_rng};
use crate::io::bounded;
use crate::io::limits::{MAX_REPLAYED_DRAWS, MAX_STEP, SESSION_TRAJECTORY_FLOATS};
use crate::optim::Optimizer;
use crate::optim::l2_norm as norm;
use crate::train::history::{Decimated, EvalPoint, HistoryPoint, TrajectoryPoint};
use rand::seq::SliceRandom;

/// One kept point of the trajectory, as plain data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedPoint {
    /// Step.
    pub step: u64,
    /// Batch loss at that step.
    pub loss: f32,
    /// Parameters at that step.
    #[serde(deserialize_with = "bounded::parameters")]
    pub params: Vec<f32>,
}

/// Everything a run holds, as plain data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedRun {
    /// Steps taken.
    pub step: u64,
    /// Current parameters.
    #[serde(deserialize_with = "bounded::parameters")]
    pub params: Vec<f32>,
    /// Parameters at step 0.
    #[serde(deserialize_with = "bounded::parameters")]
    pub initial_params: Vec<f32>,
    /// Moments and step count of the optimiser.
    pub optimizer: Optimizer,
    /// Where the batch-order generator stands, in 32-bit words of its
    /// ChaCha12 stream (restored in constant time, whatever the run's length).
    #[serde(default)]
    pub shuffle_position: Option<u128>,
    /// Format-1 sessions only: how many shuffles to replay instead.
    #[serde(default, skip_serializing)]
    pub shuffles: u64,
    /// The current batch order and the position in it.
    #[serde(deserialize_with = "bounded::examples")]
    pub order: Vec<usize>,
    /// Position in `order`.
    pub cursor: usize,
    /// The decimated trajectory.
    pub trajectory: Decimated<SavedPoint>,
    /// The decimated per-step record.
    pub history: Decimated<HistoryPoint>,
    /// The decimated train/test evaluations (empty in older files).
    #[serde(default = "no_evaluations")]
    pub evaluations: Decimated<EvalPoint>,
    /// Where the run diverged, if it did.
    pub diverged: Option<(u64, f32)>,
    /// The run's first loss (the yardstick for a blow-up).
    pub first_loss: Option<f32>,
}

fn no_evaluations() -> Decimated<EvalPoint> {
    Decimated::new(super::EVALUATION_CAPACITY)
}

/// Why a saved run does not fit the problem it is restored into.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestoreError {
    /// A vector of the wrong length.
    #[error("the session's {what} has {actual} values but the model has {expected} parameters")]
    Length {
        /// Which vector.
        what: &'static str,
        /// Parameters of the problem.
        expected: usize,
        /// Values in the file.
        actual: usize,
    },
    /// The batch order is not a permutation of the training examples.
    #[error(
        "the session's batch order does not list the {examples} training examples once each: the data has changed since it was saved"
    )]
    Order {
        /// Training examples of the problem.
        examples: usize,
    },
    /// A parameter is NaN or infinite where a run could not have left one
    /// (a number past the f32 range, such as 1e39, reads as infinite).
    #[error("the session's parameters contain NaN or infinite values (or numbers past ±3.4e38)")]
    NotFinite,
    /// A count past what any run reaches (it would overflow or never end).
    #[error("the session's {field} is {value}, past the limit of {limit}")]
    PastLimit {
        /// The field, as named in the file.
        field: &'static str,
        /// Its value.
        value: u128,
        /// The most accepted.
        limit: u128,
    },
    /// A decimated series no run could have made.
    #[error("the session's {field} is damaged: {reason}")]
    Series {
        /// The field, as named in the file.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// A record's number as JSON can hold it: JSON has no NaN or infinity
/// (serde_json writes `null`, which no `f32` reads back), so a loss that
/// overflowed is kept as the largest float of its sign, and NaN as the
/// largest. Parameters and moments are never changed: a run whose
/// parameters are not finite is refused by `save_session` instead.
fn writable(value: f32) -> f32 {
    if value.is_finite() {
        value
    } else if value == f32::NEG_INFINITY {
        f32::MIN
    } else {
        f32::MAX
    }
}

impl SavedRun {
    /// Checks every count that drives a loop or could overflow against
    /// [`MAX_STEP`], before the run is rebuilt from it.
    pub fn check_counts(&self) -> Result<(), RestoreError> {
        let past = |field, value: u64| RestoreError::PastLimit {
            field,
            value: u128::from(value),
            limit: u128::from(MAX_STEP),
        };
        let steps = [
            ("run.step", self.step),
            ("run.optimizer.steps", self.optimizer.step_count()),
            (
                "run.diverged step",
                self.diverged.map_or(0, |(step, _)| step),
            ),
        ];
        let points = self
            .trajectory
            .items()
            .iter()
            .map(|p| ("run.trajectory step", p.step));
        let history = self
            .history
            .items()
            .iter()
            .map(|h| ("run.history step", h.step));
        let evaluations = self
            .evaluations
            .items()
            .iter()
            .map(|e| ("run.evaluations step", e.step));
        if let Some((field, value)) = steps
            .into_iter()
            .chain(points)
            .chain(history)
            .chain(evaluations)
            .find(|&(_, value)| value > MAX_STEP)
        {
            return Err(past(field, value));
        }
        self.trajectory
            .check()
            .map_err(|reason| RestoreError::Series {
                field: "run.trajectory",
                reason,
            })?;
        self.history
            .check()
            .map_err(|reason| RestoreError::Series {
                field: "run.history",
                reason,
            })?;
        self.evaluations
            .check()
            .map_err(|reason| RestoreError::Series {
                field: "run.evaluations",
                reason,
            })
    }
}

impl Run {
    /// The run as plain data. A big model's trajectory is thinned to at most
    /// [`SESSION_TRAJECTORY_FLOATS`] numbers, so its session stays readable.
    pub fn save(&self) -> SavedRun {
        let mut kept = self.trajectory.clone();
        kept.thin_to(SESSION_TRAJECTORY_FLOATS / self.params.len().max(1));
        let mut trajectory = Decimated::new(kept.capacity());
        trajectory.restore_from(&kept, |p: &TrajectoryPoint| SavedPoint {
            step: p.step,
            loss: writable(p.loss),
            params: p.params.to_vec(),
        });
        let mut history = Decimated::new(self.history.capacity());
        history.restore_from(&self.history, |h| HistoryPoint {
            batch_loss: writable(h.batch_loss),
            grad_norm: writable(h.grad_norm),
            lr: writable(h.lr),
            ..*h
        });
        let mut evaluations = Decimated::new(self.evaluations.capacity());
        evaluations.restore_from(&self.evaluations, |e| EvalPoint {
            train_loss: writable(e.train_loss),
            test_loss: e.test_loss.map(writable),
            ..*e
        });
        SavedRun {
            step: self.step,
            params: self.params.clone(),
            initial_params: self.initial.to_vec(),
            optimizer: self.optimizer.clone(),
            shuffle_position: Some(self.rng.get_word_pos()),
            shuffles: 0,
            order: self.order.clone(),
            cursor: self.cursor,
            trajectory,
            history,
            evaluations,
            diverged: self.diverged.map(|(step, loss)| (step, writable(loss))),
            first_loss: self.first_loss.map(writable),
        }
    }

    /// Puts a saved run back in place of this one (same problem and config),
    /// checking every length, index and count against the problem and the
    /// limits first; a refused run leaves this one as it was.
    pub fn restore(&mut self, saved: SavedRun) -> Result<(), RestoreError> {
        saved.check_counts()?;
        let n = self.problem.num_params();
        for (what, actual) in [
            ("parameter vector", saved.params.len()),
            ("starting point", saved.initial_params.len()),
        ] {
            if actual != n {
                return Err(RestoreError::Length {
                    what,
                    expected: n,
                    actual,
                });
            }
        }
        if !saved.optimizer.fits(n) {
            return Err(RestoreError::Length {
                what: "optimiser state",
                expected: n,
                actual: saved.optimizer.num_params(),
            });
        }
        if let Some(point) = saved
            .trajectory
            .items()
            .iter()
            .find(|p| p.params.len() != n)
        {
            return Err(RestoreError::Length {
                what: "trajectory",
                expected: n,
                actual: point.params.len(),
            });
        }
        let examples = self.problem.num_train_examples();
        let mut seen = vec![false; examples];
        let permutation = saved.order.len() == examples
            && saved
                .order
                .iter()
                .all(|&i| i < examples && !std::mem::replace(&mut seen[i], true));
        if !permutation || saved.cursor > examples {
            return Err(RestoreError::Order { examples });
        }
        let finite = |v: &[f32]| v.iter().all(|p| p.is_finite());
        // The start and every kept point were finite when they were kept;
        // only a diverged run's present may not be.
        if (saved.diverged.is_none() && !finite(&saved.params))
            || !finite(&saved.initial_params)
            || !saved.trajectory.items().iter().all(|p| finite(&p.params))
        {
            return Err(RestoreError::NotFinite);
        }
        let mut rng = shuffle_rng(self.config.seed);
        match saved.shuffle_position {
            Some(position) => rng.set_word_pos(position),
            None => {
                // A format-1 session: replay its shuffles, within a bounded budget.
                let draws = u128::from(saved.shuffles) * examples as u128;
                if draws > u128::from(MAX_REPLAYED_DRAWS) {
                    return Err(RestoreError::PastLimit {
                        field: "run.shuffles × training examples",
                        value: draws,
                        limit: u128::from(MAX_REPLAYED_DRAWS),
                    });
                }
                let mut scratch: Vec<usize> = (0..examples).collect();
                for _ in 0..saved.shuffles {
                    scratch.shuffle(&mut rng);
                }
            }
        }
        let mut optimizer = saved.optimizer;
        optimizer.set_config(self.config.optimizer);
        let mut trajectory = Decimated::new(self.trajectory.capacity());
        trajectory.restore_from(&saved.trajectory, |p: &SavedPoint| TrajectoryPoint {
            step: p.step,
            params: Arc::from(p.params.as_slice()),
            loss: p.loss,
        });
        self.initial = Arc::from(saved.initial_params.as_slice());
        self.start_norm = norm(&saved.initial_params);
        self.params = saved.params;
        self.optimizer = optimizer;
        self.step = saved.step;
        self.rng = rng;
        self.order = saved.order;
        self.cursor = saved.cursor;
        self.trajectory = trajectory;
        let mut history = Decimated::new(self.history.capacity());
        history.restore_from(&saved.history, |h| *h);
        self.history = history;
        let mut evaluations = Decimated::new(self.evaluations.capacity());
        evaluations.restore_from(&saved.evaluations, |e| *e);
        self.evaluations = evaluations;
        self.diverged = saved.diverged;
        self.first_loss = saved.first_loss;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetKind, DatasetSpec, generate};
    use crate::nn::{Activation, Init, Mlp};
    use crate::optim::{OptimizerConfig, OptimizerKind};
    use crate::problem::{MlpProblem, Problem, ProblemSpec};
    use crate::session::{Session, SessionError, load_session, save_session};
    use crate::train::TrainConfig;

    fn moons() -> (ProblemSpec, Arc<dyn Problem>) {
        let spec = ProblemSpec::Dataset {
            data: DatasetSpec {
                size: 300,
                ..DatasetSpec::new(DatasetKind::Moons)
            },
            hidden: vec![8, 8],
            activation: Activation::Tanh,
        };
        let data = generate(&DatasetSpec {
            size: 300,
            ..DatasetSpec::new(DatasetKind::Moons)
        })
        .expect("data");
        let mlp = Mlp::new(&[2, 8, 8, 2], Activation::Tanh).expect("mlp");
        let problem = MlpProblem::new(mlp, Arc::new(data), Init::Torch, "moons").expect("fits");
        (spec, Arc::new(problem))
    }

    fn config() -> TrainConfig {
        TrainConfig {
            optimizer: OptimizerConfig {
                kind: OptimizerKind::Adam,
                lr: 0.01,
                ..OptimizerConfig::default()
            },
            batch_size: Some(32),
            seed: 7,
            ..TrainConfig::default()
        }
    }

    /// A run of `config()` on `problem` after `steps` steps.
    fn trained(problem: &Arc<dyn Problem>, steps: usize) -> Run {
        let mut run = Run::new(Arc::clone(problem), config()).expect("run");
        for _ in 0..steps {
            run.step();
        }
        run
    }

    #[test]
    fn a_run_saved_to_a_file_and_reopened_continues_bit_for_bit() {
        let (spec, problem) = moons();
        let straight = trained(&problem, 437);
        let first = trained(&problem, 137);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lesson.json");
        let session = Session::new(
            spec.clone(),
            config(),
            first.save(),
            serde_json::json!({"view": 1}),
        );
        save_session(&session, &path).expect("save");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("lesson.json")],
            "no temporary file left"
        );

        let loaded = load_session(&path).expect("load");
        assert_eq!(loaded.problem, spec);
        assert_eq!(loaded.view, serde_json::json!({"view": 1}));
        let rebuilt = loaded.problem.build().expect("problem");
        let mut resumed = Run::new(rebuilt, loaded.train).expect("run");
        resumed.restore(loaded.run).expect("restore");
        assert_eq!(resumed.step_index(), 137);
        for _ in 0..300 {
            resumed.step();
        }
        assert_eq!(
            resumed.params(),
            straight.params(),
            "parameters after 437 steps"
        );
        assert_eq!(resumed.history(), straight.history(), "the loss curve");
        assert_eq!(
            resumed.evaluations(),
            straight.evaluations(),
            "train/test curve"
        );
        assert_eq!(
            resumed.trajectory_points().len(),
            straight.trajectory_points().len()
        );
    }

    #[test]
    fn the_batch_order_generator_is_the_stream_std_rng_gave() {
        use rand::{Rng as _, SeedableRng as _};
        for seed in [0u64, 7, u64::MAX] {
            let mut std = rand::rngs::StdRng::seed_from_u64(seed);
            let mut chacha = chacha20::ChaCha12Rng::seed_from_u64(seed);
            for _ in 0..100 {
                assert_eq!(std.next_u64(), chacha.next_u64(), "seed {seed}");
            }
        }
    }

    #[test]
    fn a_format_1_session_replays_its_shuffles_and_continues_bit_for_bit() {
        let (_, problem) = moons();
        let straight = trained(&problem, 437);
        let first = trained(&problem, 137);
        // What Valley wrote before it stored the generator's position: the
        // count of shuffles (one at the start of every epoch).
        let mut old = first.save();
        let examples = problem.num_train_examples() as u64;
        let batches_per_epoch = examples.div_ceil(32);
        old.shuffle_position = None;
        old.shuffles = 137u64.div_ceil(batches_per_epoch);
        let mut resumed = Run::new(Arc::clone(&problem), config()).expect("run");
        resumed.restore(old.clone()).expect("restore");
        for _ in 0..300 {
            resumed.step();
        }
        assert_eq!(resumed.params(), straight.params());
        // A count that would take too long to replay is refused, and the run
        // is left as it was.
        old.shuffles = 1_000_000_000_000;
        let error = resumed.restore(old).expect_err("too many shuffles");
        assert!(
            error.to_string().contains("past the limit of 20000000"),
            "{error}"
        );
        assert_eq!(resumed.step_index(), 437);
    }

    #[test]
    fn a_big_model_saves_a_thinned_trajectory_that_still_restores() {
        let data = generate(&DatasetSpec {
            size: 100,
            ..DatasetSpec::new(DatasetKind::Moons)
        })
        .expect("data");
        let mlp = Mlp::new(&[2, 700, 700, 2], Activation::Tanh).expect("mlp");
        let problem: Arc<dyn Problem> =
            Arc::new(MlpProblem::new(mlp, Arc::new(data), Init::Torch, "moons").expect("fits"));
        let n = problem.num_params();
        let mut run = Run::new(Arc::clone(&problem), config()).expect("run");
        for _ in 0..40 {
            run.step();
        }
        assert_eq!(
            run.trajectory_points().len(),
            41,
            "every step kept in memory"
        );
        let saved = run.save();
        let floats = saved.trajectory.items().len() * n;
        assert!(floats <= SESSION_TRAJECTORY_FLOATS, "{floats} floats");
        assert!(saved.trajectory.items().len() >= 5, "still a path");
        let mut resumed = Run::new(problem, config()).expect("run");
        resumed.restore(saved).expect("restores");
        assert_eq!(resumed.params(), run.params());
    }

    #[test]
    fn a_session_that_does_not_fit_is_refused_with_its_reason() {
        let (_, problem) = moons();
        let mut run = Run::new(Arc::clone(&problem), config()).expect("run");
        for _ in 0..20 {
            run.step();
        }
        let mut short = run.save();
        short.params.pop();
        assert_eq!(
            run.restore(short),
            Err(RestoreError::Length {
                what: "parameter vector",
                expected: problem.num_params(),
                actual: problem.num_params() - 1
            })
        );
        let mut shuffled = run.save();
        shuffled.order[0] = shuffled.order[1];
        assert!(matches!(
            run.restore(shuffled),
            Err(RestoreError::Order { .. })
        ));
        let mut moments = run.save();
        moments.optimizer = crate::optim::Optimizer::new(config().optimizer, 3);
        assert!(matches!(
            run.restore(moments),
            Err(RestoreError::Length {
                what: "optimiser state",
                ..
            })
        ));
        // A refused session leaves the run as it was.
        assert_eq!(run.step_index(), 20);

        let dir = tempfile::tempdir().expect("temp dir");
        let newer = dir.path().join("newer.json");
        std::fs::write(&newer, r#"{"format_version": 9}"#).expect("write");
        let error = load_session(&newer).expect_err("newer");
        assert!(
            matches!(error, SessionError::NewerFormat { found: 9, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("update Valley"), "{error}");
        let missing = dir.path().join("missing.json");
        std::fs::write(&missing, r#"{"format_version": 1, "written_by": "x"}"#).expect("write");
        let error = load_session(&missing).expect_err("missing").to_string();
        assert!(error.contains("missing field `problem`"), "{error}");
        let huge = dir.path().join("huge.json");
        std::fs::File::create(&huge)
            .and_then(|f| f.set_len(crate::io::limits::MAX_FILE_BYTES + 1))
            .expect("sparse file");
        assert!(matches!(
            load_session(&huge),
            Err(SessionError::TooLarge { .. })
        ));
    }
}
