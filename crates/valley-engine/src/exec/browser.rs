//! The browser's executor: there are no threads, so every job and service
//! started through [`super::spawn`] and its siblings joins one [`Sliced`]
//! executor that the page advances between frames ([`run_for`]).

use std::cell::RefCell;
use std::time::Duration;

use super::Sliced;

thread_local! {
    /// Jobs and services being advanced.
    static RUNNING: RefCell<Sliced> = RefCell::new(Sliced::new());
    /// Jobs and services started since the last turn, possibly from inside
    /// one (a task that starts another must not borrow `RUNNING` again).
    static STARTED: RefCell<Sliced> = RefCell::new(Sliced::new());
}

/// Takes on whatever `start` puts into the executor; it runs from the next turn.
pub(super) fn start<T>(start: impl FnOnce(&mut Sliced) -> T) -> T {
    STARTED.with(|started| start(&mut started.borrow_mut()))
}

/// Advances every job and service for at most about `budget`; says when the
/// page should come back (at once while there is work, later for a service
/// that asked to wait, never when all are idle).
pub fn run_for(budget: Duration) -> Option<Duration> {
    let started = STARTED.with(|s| std::mem::take(&mut *s.borrow_mut()));
    RUNNING.with(|running| {
        let Ok(mut running) = running.try_borrow_mut() else {
            // Called from inside a turn: the outer turn goes on.
            STARTED.with(|s| s.borrow_mut().absorb(started));
            return Some(Duration::ZERO);
        };
        running.absorb(started);
        running.run_for(budget)
    })
}

/// Jobs and services not yet ended.
pub fn pending() -> usize {
    RUNNING.with(|r| r.try_borrow().map_or(0, |r| r.pending()))
        + STARTED.with(|s| s.try_borrow().map_or(0, |s| s.pending()))
}

/// The longest turn each kind of job or service took (see
/// [`Sliced::longest_turns`]): what cost the page its frames.
pub fn longest_turns() -> Vec<(&'static str, Duration, Duration)> {
    RUNNING.with(|r| {
        r.try_borrow()
            .map(|r| r.longest_turns())
            .unwrap_or_default()
    })
}
