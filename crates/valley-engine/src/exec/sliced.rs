//! The executor without threads: tasks advance in turn, between frames, for
//! as long as the caller allows (the browser build's only option).

use std::sync::Arc;
use std::time::Duration;

use super::service::{
    Next, Service, ServiceHandle, SlicedService, drain, panic_message, sliced_service,
};
use super::{Instant, Job, Shared, Task};

/// What one turn of a task or service came to.
#[derive(PartialEq)]
enum Turn {
    /// It worked and has more to do.
    Worked,
    /// It had nothing to do this turn: an idle service (`None`), or one
    /// throttled until the given time.
    Waiting(Option<Instant>),
    /// It has ended: drop it.
    Over,
}

/// A task or service, its types erased.
trait Slice: Send {
    /// One turn of at most about `budget`.
    fn run(&mut self, budget: Duration) -> Turn;
    /// What it is (its type), for [`Sliced::longest_turns`].
    fn name(&self) -> &'static str;
}

struct Entry<K: Task> {
    task: K,
    shared: Arc<Shared<K::Output>>,
}

impl<K: Task> Slice for Entry<K> {
    fn name(&self) -> &'static str {
        std::any::type_name::<K>()
    }

    fn run(&mut self, budget: Duration) -> Turn {
        if self.shared.run_slice(&mut self.task, budget) {
            Turn::Over
        } else {
            Turn::Worked
        }
    }
}

/// A service and when it asked to run next.
struct ServiceEntry<S: Service> {
    inner: SlicedService<S>,
    due: Option<Instant>,
}

impl<S: Service> Slice for ServiceEntry<S> {
    fn name(&self) -> &'static str {
        std::any::type_name::<S>()
    }

    fn run(&mut self, budget: Duration) -> Turn {
        let inner = &mut self.inner;
        let queued = match inner.receiver.try_recv() {
            Ok(command) => Some(command),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return Turn::Over,
        };
        let due = match inner.next {
            Next::Now => true,
            Next::After(_) => self.due.is_none_or(|at| Instant::now() >= at),
            Next::Idle => false,
        };
        if queued.is_none() && !due {
            return Turn::Waiting(self.due.filter(|_| matches!(inner.next, Next::After(_))));
        }
        let worked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let Some(command) = queued {
                inner.service.handle(command);
                if !drain(&mut inner.service, &inner.receiver) {
                    return None;
                }
            }
            Some(inner.service.advance(budget))
        }));
        match worked {
            Ok(Some(next)) => {
                inner.next = next;
                self.due = match next {
                    Next::After(wait) => Some(Instant::now() + wait),
                    _ => None,
                };
                Turn::Worked
            }
            Ok(None) => Turn::Over,
            Err(payload) => {
                if let Ok(mut slot) = inner.failure.lock() {
                    *slot = Some(panic_message(payload.as_ref()));
                }
                Turn::Over
            }
        }
    }
}

/// Tasks advanced in time slices on the caller's thread.
#[derive(Default)]
pub struct Sliced {
    tasks: Vec<Box<dyn Slice>>,
    /// The longest turn each kind of task or service has taken, and the
    /// budget it was given then: a turn far past its budget is a frame lost.
    longest: Vec<(&'static str, Duration, Duration)>,
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

    /// Takes a service on; it advances in [`Sliced::run_for`] until its
    /// handle is dropped.
    pub fn start_service<S: Service>(&mut self, service: S) -> ServiceHandle<S::Command> {
        let (inner, handle) = sliced_service(service);
        self.tasks.push(Box::new(ServiceEntry { inner, due: None }));
        handle
    }

    /// Advances the tasks and services in turn, one slice each, until
    /// `budget` is spent or none has work left this turn; ended tasks and
    /// services are dropped. Says when to call again: at once while there is
    /// work, after a wait a throttled service asked for, or never (`None`)
    /// when every service is idle until a command comes.
    pub fn run_for(&mut self, budget: Duration) -> Option<Duration> {
        let started = Instant::now();
        loop {
            if self.tasks.is_empty() {
                return None;
            }
            let share = budget / self.tasks.len() as u32;
            let mut worked = false;
            let mut due: Option<Instant> = None;
            let longest = &mut self.longest;
            self.tasks
                .retain_mut(|task| match timed(task.as_mut(), share, longest) {
                    Turn::Worked => {
                        worked = true;
                        true
                    }
                    Turn::Waiting(at) => {
                        due = match (due, at) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        true
                    }
                    Turn::Over => {
                        // Its owner has an outcome to collect.
                        worked = true;
                        false
                    }
                });
            if worked && started.elapsed() < budget {
                continue;
            }
            if worked {
                return Some(Duration::ZERO);
            }
            return due.map(|at| at.saturating_duration_since(Instant::now()));
        }
    }

    /// The longest turn each kind of task or service took so far (its type
    /// name), with the budget it had then, longest first.
    pub fn longest_turns(&self) -> Vec<(&'static str, Duration, Duration)> {
        let mut turns = self.longest.clone();
        turns.sort_by_key(|t| std::cmp::Reverse(t.1));
        turns
    }

    /// Takes on every task and service of `other`.
    pub fn absorb(&mut self, other: Sliced) {
        self.tasks.extend(other.tasks);
        for (name, took, share) in other.longest {
            record(&mut self.longest, name, took, share);
        }
    }

    /// Tasks and services not yet ended.
    pub fn pending(&self) -> usize {
        self.tasks.len()
    }
}

/// One turn of `task`, its time recorded against its kind.
fn timed(
    task: &mut dyn Slice,
    share: Duration,
    longest: &mut Vec<(&'static str, Duration, Duration)>,
) -> Turn {
    let started = Instant::now();
    let turn = task.run(share);
    record(longest, task.name(), started.elapsed(), share);
    turn
}

fn record(
    longest: &mut Vec<(&'static str, Duration, Duration)>,
    name: &'static str,
    took: Duration,
    share: Duration,
) {
    match longest.iter_mut().find(|(n, ..)| *n == name) {
        Some(entry) if entry.1 < took => *entry = (name, took, share),
        Some(_) => {}
        None => longest.push((name, took, share)),
    }
}
