//! One mechanism for every experiment made of many trainings or solves: an
//! [`Experiment`] says which pieces of work can start now, a [`Sweep`] runs
//! them in parallel on the background pool, publishes each row as it comes,
//! and stops between two batches when its job is cancelled.
//!
//! Most experiments vary one quantity of a base setting (a width, a seed, a
//! label-noise level) and every piece is independent; a lottery's rounds
//! depend on the round before, so the experiment, not the sweep, decides
//! what is ready.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rayon::prelude::*;

use crate::exec::{Instant, Step, Task};

/// An experiment as pieces of work and the rows they give.
pub trait Experiment: Send + Sync + 'static {
    /// One piece of work (a configuration to train or solve).
    type Item: Send;
    /// What a piece gives.
    type Row: Clone + Send + Sync + 'static;

    /// Up to `room` pieces that can run now, given the rows so far (in the
    /// order they finished). Empty when there is nothing left to start:
    /// the sweep then ends.
    fn ready(&mut self, rows: &[Self::Row], room: usize) -> Vec<Self::Item>;

    /// Runs one piece. Pieces run in parallel, so this takes `&self`.
    fn run(&self, item: Self::Item) -> Result<Self::Row, String>;

    /// How many rows the whole experiment gives (for progress).
    fn total(&self) -> usize;
}

/// Rows published as they finish: the app reads them while the sweep runs
/// and draws its plots growing.
pub struct Rows<R> {
    rows: Arc<Mutex<Vec<R>>>,
}

impl<R> Clone for Rows<R> {
    fn clone(&self) -> Self {
        Self {
            rows: Arc::clone(&self.rows),
        }
    }
}

impl<R: Clone> Rows<R> {
    fn new() -> Self {
        Self {
            rows: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Every row so far, in the order they finished.
    pub fn snapshot(&self) -> Vec<R> {
        self.rows
            .lock()
            .map(|rows| rows.clone())
            .unwrap_or_default()
    }

    /// How many rows there are so far.
    pub fn len(&self) -> usize {
        self.rows.lock().map(|rows| rows.len()).unwrap_or(0)
    }

    /// Whether no row has finished yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn extend(&self, more: impl IntoIterator<Item = R>) {
        if let Ok(mut rows) = self.rows.lock() {
            rows.extend(more);
        }
    }
}

/// An experiment run as a [`Task`]: its output is every row.
pub struct Sweep<E: Experiment> {
    experiment: E,
    done: Vec<E::Row>,
    published: Rows<E::Row>,
}

impl<E: Experiment> Sweep<E> {
    /// A sweep of `experiment`, not yet started.
    pub fn new(experiment: E) -> Self {
        Self {
            experiment,
            done: Vec::new(),
            published: Rows::new(),
        }
    }

    /// The rows as they finish, for a reader on another thread.
    pub fn rows(&self) -> Rows<E::Row> {
        self.published.clone()
    }

    /// Runs one batch: as many pieces as there are threads to run them.
    /// `false` when nothing was ready (the sweep is over).
    fn batch(&mut self) -> Result<bool, String> {
        let width = crate::exec::background_pool()
            .map(|pool| pool.current_num_threads())
            .unwrap_or_else(rayon::current_num_threads)
            .max(1);
        let items = self.experiment.ready(&self.done, width);
        if items.is_empty() {
            return Ok(false);
        }
        let experiment = &self.experiment;
        let run = || -> Result<Vec<E::Row>, String> {
            items
                .into_par_iter()
                .map(|item| experiment.run(item))
                .collect()
        };
        let rows = match crate::exec::background_pool() {
            Some(pool) => pool.install(run),
            None => run(),
        }?;
        self.published.extend(rows.iter().cloned());
        self.done.extend(rows);
        Ok(true)
    }
}

impl<E: Experiment> Task for Sweep<E> {
    type Output = Vec<E::Row>;

    fn advance(&mut self, budget: Duration) -> Result<Step<Self::Output>, String> {
        let start = Instant::now();
        loop {
            if !self.batch()? {
                return Ok(Step::Done(std::mem::take(&mut self.done)));
            }
            if start.elapsed() >= budget {
                let total = self.experiment.total().max(1);
                return Ok(Step::Working(self.done.len() as f32 / total as f32));
            }
        }
    }
}

/// Pieces handed out in order from a fixed list: the experiments whose
/// pieces are all independent.
#[derive(Clone, Debug)]
pub struct Queue<T> {
    items: Vec<T>,
    next: usize,
}

impl<T: Clone> Queue<T> {
    /// All of `items`, first to last.
    pub fn new(items: Vec<T>) -> Self {
        Self { items, next: 0 }
    }

    /// The next `room` items (fewer at the end).
    pub fn take(&mut self, room: usize) -> Vec<T> {
        let end = (self.next + room).min(self.items.len());
        let taken = self.items[self.next..end].to_vec();
        self.next = end;
        taken
    }

    /// How many items in all.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{Outcome, run_here};

    /// Squares 0..n; the piece `fail_at` fails.
    struct Squares {
        queue: Queue<u64>,
        fail_at: Option<u64>,
    }

    impl Experiment for Squares {
        type Item = u64;
        type Row = (u64, u64);
        fn ready(&mut self, _: &[(u64, u64)], room: usize) -> Vec<u64> {
            self.queue.take(room)
        }
        fn run(&self, item: u64) -> Result<(u64, u64), String> {
            if Some(item) == self.fail_at {
                return Err(format!("piece {item} failed"));
            }
            std::thread::sleep(Duration::from_millis(1));
            Ok((item, item * item))
        }
        fn total(&self) -> usize {
            self.queue.len()
        }
    }

    fn squares(n: u64, fail_at: Option<u64>) -> Sweep<Squares> {
        Sweep::new(Squares {
            queue: Queue::new((0..n).collect()),
            fail_at,
        })
    }

    #[test]
    fn a_sweep_gives_every_row_and_publishes_them_as_they_finish() {
        let sweep = squares(40, None);
        let rows = sweep.rows();
        let mut seen = Vec::new();
        let outcome = run_here(sweep, |_| {
            seen.push(rows.len());
            true
        });
        let Outcome::Done(mut done) = outcome else {
            panic!("the sweep did not finish: {outcome:?}")
        };
        done.sort();
        assert_eq!(done, (0..40).map(|i| (i, i * i)).collect::<Vec<_>>());
        assert_eq!(rows.len(), 40);
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "rows only grow");
    }

    #[test]
    fn a_cancelled_sweep_stops_between_batches() {
        let sweep = squares(100_000, None);
        let rows = sweep.rows();
        let mut slices = 0;
        let outcome = run_here(sweep, |_| {
            slices += 1;
            slices < 3
        });
        assert_eq!(outcome, Outcome::Cancelled);
        let left = rows.len();
        assert!(left > 0 && left < 100_000, "{left} rows");
    }

    #[test]
    fn a_failing_piece_ends_the_sweep_with_its_message() {
        let outcome = run_here(squares(20, Some(7)), |_| true);
        assert_eq!(outcome, Outcome::Failed("piece 7 failed".into()));
    }

    #[test]
    fn a_job_cancels_a_running_sweep() {
        let job = crate::exec::spawn("sweep-test", squares(1_000_000, None), || {}).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        job.cancel();
        let start = Instant::now();
        while !job.is_finished() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the sweep did not stop"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(matches!(job.take(), Some(Outcome::Cancelled)));
    }
}
