//! The executor without threads: tasks advance in turn, between frames, for
//! as long as the caller allows (the browser build's only option).

use std::sync::Arc;
use std::time::Duration;

use super::{Instant, Job, Shared, Task};

/// A task, its output type erased, with the state its job shares.
trait Slice: Send {
    /// One slice; `true` when the job is over.
    fn run(&mut self, budget: Duration) -> bool;
}

struct Entry<K: Task> {
    task: K,
    shared: Arc<Shared<K::Output>>,
}

impl<K: Task> Slice for Entry<K> {
    fn run(&mut self, budget: Duration) -> bool {
        self.shared.run_slice(&mut self.task, budget)
    }
}

/// Tasks advanced in time slices on the caller's thread.
#[derive(Default)]
pub struct Sliced {
    tasks: Vec<Box<dyn Slice>>,
}

impl Sliced {
    /// An executor with nothing to do.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a task on; it advances in [`Sliced::run_for`].
    pub fn start<K: Task>(&mut self, task: K) -> Job<K::Output> {
        let shared = Shared::new();
        self.tasks.push(Box::new(Entry {
            task,
            shared: Arc::clone(&shared),
        }));
        Job {
            shared,
            thread: None,
        }
    }

    /// Advances the tasks in turn, one slice each, until `budget` is spent
    /// or every task has ended; finished and cancelled tasks are dropped.
    pub fn run_for(&mut self, budget: Duration) {
        let started = Instant::now();
        while !self.tasks.is_empty() {
            let share = budget / self.tasks.len() as u32;
            self.tasks.retain_mut(|task| !task.run(share));
            if started.elapsed() >= budget {
                break;
            }
        }
    }

    /// Tasks not yet ended.
    pub fn pending(&self) -> usize {
        self.tasks.len()
    }
}
