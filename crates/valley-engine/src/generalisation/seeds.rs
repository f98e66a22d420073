//! The luck of the draw: the same network and data trained from many seeds
//! (initialisation and batch order), and how far apart they end.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::stats::Spread;
use super::sweep::{Experiment, Queue};
use super::trained::{TrainedSetting, train_from};
use crate::analysis::interpolate;
use crate::data::{DatasetKind, DatasetSpec};
use crate::problem::{MlpProblem, Problem};
use crate::train::TrainConfig;

/// Most seeds in one experiment.
pub const MAX_SEEDS: usize = 500;

/// Everything that sets a seeds experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedsSettings {
    /// The network, data and training; its seed is the first of the run.
    pub base: TrainedSetting,
    /// How many seeds, counting up from the base seed.
    pub seeds: usize,
}

impl Default for SeedsSettings {
    fn default() -> Self {
        let mut data = DatasetSpec::new(DatasetKind::Moons);
        data.size = 200;
        data.noise = 0.25;
        Self {
            base: TrainedSetting::adam(data, vec![16, 16], 32, 1000),
            seeds: 20,
        }
    }
}

/// One seed's run.
#[derive(Clone, Debug, Serialize)]
pub struct SeedRow {
    /// The seed.
    pub seed: u64,
    /// Loss on the training set at the end.
    pub train_loss: f64,
    /// Loss on the test set at the end.
    pub test_loss: f64,
    /// Test accuracy at the end (classification).
    pub test_accuracy: Option<f64>,
    /// The trained parameters.
    #[serde(skip)]
    pub weights: Arc<[f32]>,
}

/// The experiment.
pub struct Seeds {
    settings: SeedsSettings,
    problem: Arc<MlpProblem>,
    queue: Queue<u64>,
}

impl Seeds {
    /// Checks the settings and builds the problem.
    pub fn new(settings: SeedsSettings) -> Result<Self, String> {
        if !(2..=MAX_SEEDS).contains(&settings.seeds) {
            return Err(format!(
                "seeds {} must be between 2 and {MAX_SEEDS}",
                settings.seeds
            ));
        }
        let problem = settings.base.build()?;
        let first = settings.base.train.seed;
        let queue = Queue::new(
            (0..settings.seeds as u64)
                .map(|i| first.wrapping_add(i))
                .collect(),
        );
        Ok(Self {
            settings,
            problem,
            queue,
        })
    }

    /// The problem every seed trains on.
    pub fn problem(&self) -> &Arc<MlpProblem> {
        &self.problem
    }
}

impl Experiment for Seeds {
    type Item = u64;
    type Row = SeedRow;

    fn ready(&mut self, _: &[SeedRow], room: usize) -> Vec<u64> {
        self.queue.take(room)
    }

    fn run(&self, seed: u64) -> Result<SeedRow, String> {
        let config = TrainConfig {
            seed,
            ..self.settings.base.train
        };
        let start = self.problem.init_params(seed);
        let trained = train_from(
            &self.problem,
            config,
            start,
            None,
            self.settings.base.steps,
            None,
            None,
        )?;
        let e = trained.evaluation;
        Ok(SeedRow {
            seed,
            train_loss: f64::from(e.train_loss),
            test_loss: f64::from(e.test_loss.unwrap_or(f32::NAN)),
            test_accuracy: e.test_accuracy.map(f64::from),
            weights: Arc::from(trained.weights),
        })
    }

    fn total(&self) -> usize {
        self.queue.len()
    }
}

/// The spread of the ends, and the line between the best and the worst.
#[derive(Clone, Debug, Serialize)]
pub struct SeedsSummary {
    /// Final training loss over seeds.
    pub train_loss: Spread,
    /// Final test loss over seeds.
    pub test_loss: Spread,
    /// The seed with the lowest test loss.
    pub best_seed: u64,
    /// The seed with the highest test loss.
    pub worst_seed: u64,
    /// Training loss along the straight line from the best run's end to
    /// the worst's (41 points).
    pub line_train_loss: Vec<f64>,
    /// How far the line rises above the higher of its two ends.
    pub barrier: f64,
}

/// Summarises finished rows (`None` with fewer than two).
pub fn summarise(problem: &dyn Problem, rows: &[SeedRow]) -> Option<SeedsSummary> {
    if rows.len() < 2 {
        return None;
    }
    let by_test = |a: &&SeedRow, b: &&SeedRow| a.test_loss.total_cmp(&b.test_loss);
    let best = rows.iter().min_by(by_test)?;
    let worst = rows.iter().max_by(by_test)?;
    let line = interpolate(problem, &best.weights, &worst.weights, 41);
    Some(SeedsSummary {
        train_loss: Spread::of(rows.iter().map(|r| r.train_loss)),
        test_loss: Spread::of(rows.iter().map(|r| r.test_loss)),
        best_seed: best.seed,
        worst_seed: worst.seed,
        line_train_loss: line.loss.iter().map(|&l| f64::from(l)).collect(),
        barrier: f64::from(line.barrier),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{Outcome, run_here};
    use crate::generalisation::Sweep;

    #[test]
    fn seeds_differ_and_the_line_between_best_and_worst_is_measured() {
        let settings = SeedsSettings {
            seeds: 6,
            ..SeedsSettings::default()
        };
        let experiment = Seeds::new(settings).unwrap();
        let problem = Arc::clone(experiment.problem());
        let Outcome::Done(rows) = run_here(Sweep::new(experiment), |_| true) else {
            panic!("did not finish")
        };
        assert_eq!(rows.len(), 6);
        let summary = summarise(problem.as_ref(), &rows).unwrap();
        assert!(
            summary.test_loss.high > summary.test_loss.low,
            "every seed ended alike"
        );
        let best = rows.iter().find(|r| r.seed == summary.best_seed).unwrap();
        let worst = rows.iter().find(|r| r.seed == summary.worst_seed).unwrap();
        assert!(best.test_loss <= worst.test_loss);
        // The line starts and ends at the two runs' training losses.
        let line = &summary.line_train_loss;
        assert!((line[0] - best.train_loss).abs() < 1e-5);
        assert!((line[line.len() - 1] - worst.train_loss).abs() < 1e-5);
        let top = line.iter().copied().fold(f64::MIN, f64::max);
        assert!(
            (summary.barrier - (top - line[0].max(line[line.len() - 1])).max(0.0)).abs() < 1e-5
        );
    }

    #[test]
    fn the_default_seeds_end_close_in_training_loss_and_apart_in_test_loss() {
        // What the luck-of-the-draw lesson says of its setting.
        let experiment = Seeds::new(SeedsSettings::default()).unwrap();
        let problem = Arc::clone(experiment.problem());
        let Outcome::Done(rows) = run_here(Sweep::new(experiment), |_| true) else {
            panic!("did not finish")
        };
        let summary = summarise(problem.as_ref(), &rows).unwrap();
        let spread = |s: &Spread| s.high - s.low;
        assert!(
            spread(&summary.test_loss) > 2.0 * spread(&summary.train_loss),
            "test {:?}, train {:?}",
            summary.test_loss,
            summary.train_loss
        );
        assert!(summary.barrier > 0.1, "barrier {}", summary.barrier);
    }

    #[test]
    fn too_few_seeds_are_refused() {
        let settings = SeedsSettings {
            seeds: 1,
            ..SeedsSettings::default()
        };
        assert!(Seeds::new(settings).is_err());
    }
}
