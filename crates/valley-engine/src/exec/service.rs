//! Long-lived work that takes commands: the trainer and the landscape
//! worker. A [`Service`] is a task that never finishes by itself; it is
//! advanced in bounded slices like any task, between which its commands are
//! applied, and it says when it next needs time so an idle one costs nothing.
//!
//! On the desktop [`spawn_service`] gives it a thread that sleeps until the
//! next command or the time it asked for; [`super::Sliced`] advances the
//! same service between frames. Dropping the [`ServiceHandle`] ends it.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// When a service next needs a slice, if no command comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// At once: it has work in hand.
    Now,
    /// After this long (a throttle, or a publish that is due later).
    After(Duration),
    /// Only when a command arrives.
    Idle,
}

/// Commands in, bounded slices of work, results through the service's own
/// latest-value slots.
pub trait Service: Send + 'static {
    /// What its owner can tell it.
    type Command: Send + 'static;
    /// Applies one command (all queued commands are applied before a slice).
    fn handle(&mut self, command: Self::Command);
    /// Works for about `budget` and says when it next needs to.
    fn advance(&mut self, budget: Duration) -> Next;
}

/// The owner's side of a service: a command channel, and why it stopped if
/// it panicked. Dropping it ends the service (and joins its thread).
pub struct ServiceHandle<C> {
    sender: Option<Sender<C>>,
    failure: Arc<Mutex<Option<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<C> ServiceHandle<C> {
    /// Sends a command; ignored if the service has ended.
    pub fn send(&self, command: C) {
        if let Some(sender) = &self.sender {
            // A closed channel means the service is gone: nothing to tell.
            let _ = sender.send(command);
        }
    }

    /// Why the service stopped, if a panic ended it.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|slot| slot.clone())
    }

    /// Whether the service still runs (false after a panic).
    pub fn is_alive(&self) -> bool {
        self.failure().is_none() && self.thread.as_ref().is_none_or(|t| !t.is_finished())
    }
}

impl<C> Drop for ServiceHandle<C> {
    fn drop(&mut self) {
        // Closing the channel wakes the service and ends its loop.
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            // Slices are bounded, so this waits at most one of them.
            let _ = thread.join();
        }
    }
}

/// How long one slice of a threaded service runs before it looks for commands.
const SERVICE_SLICE: Duration = Duration::from_millis(2);

/// Runs `service` on a thread named `name` until its handle is dropped; a
/// panic inside it ends the service only, and [`ServiceHandle::failure`]
/// says why. `setup` runs first on the new thread (e.g. to lower its priority).
pub fn spawn_service<S: Service>(
    name: &str,
    service: S,
    setup: impl FnOnce() + Send + 'static,
) -> Result<ServiceHandle<S::Command>, String> {
    #[cfg(target_arch = "wasm32")]
    {
        // The page advances it between frames.
        let _ = name;
        setup();
        return Ok(super::browser::start(|executor| {
            executor.start_service(service)
        }));
    }
    #[allow(unreachable_code)]
    let (sender, receiver) = channel();
    let failure = Arc::new(Mutex::new(None));
    let report = Arc::clone(&failure);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            setup();
            let mut service = service;
            let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                serve(&mut service, &receiver)
            }));
            if let Err(payload) = served
                && let Ok(mut slot) = report.lock()
            {
                *slot = Some(panic_message(payload.as_ref()));
            }
        })
        .map_err(|e| format!("cannot start the {name} thread: {e}"))?;
    Ok(ServiceHandle {
        sender: Some(sender),
        failure,
        thread: Some(thread),
    })
}

/// The thread's loop: wait as the service asked, apply commands, advance.
fn serve<S: Service>(service: &mut S, receiver: &Receiver<S::Command>) {
    let mut next = Next::Idle;
    loop {
        let first = match next {
            Next::Now => match receiver.try_recv() {
                Ok(command) => Some(command),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            },
            Next::After(wait) => match receiver.recv_timeout(wait) {
                Ok(command) => Some(command),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            },
            Next::Idle => match receiver.recv() {
                Ok(command) => Some(command),
                Err(_) => return,
            },
        };
        if let Some(command) = first {
            service.handle(command);
            if !drain(service, receiver) {
                return;
            }
        }
        next = service.advance(SERVICE_SLICE);
    }
}

/// Applies every queued command; `false` once the owner has gone.
pub(super) fn drain<S: Service>(service: &mut S, receiver: &Receiver<S::Command>) -> bool {
    loop {
        match receiver.try_recv() {
            Ok(command) => service.handle(command),
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Disconnected) => return false,
        }
    }
}

/// A service and its channel, for [`super::Sliced`].
pub(super) struct SlicedService<S: Service> {
    pub(super) service: S,
    pub(super) receiver: Receiver<S::Command>,
    pub(super) failure: Arc<Mutex<Option<String>>>,
    pub(super) next: Next,
}

/// A handle whose service the caller advances itself.
pub(super) fn sliced_service<S: Service>(
    service: S,
) -> (SlicedService<S>, ServiceHandle<S::Command>) {
    let (sender, receiver) = channel();
    let failure = Arc::new(Mutex::new(None));
    (
        SlicedService {
            service,
            receiver,
            failure: Arc::clone(&failure),
            next: Next::Now,
        },
        ServiceHandle {
            sender: Some(sender),
            failure,
            thread: None,
        },
    )
}

/// The text of a panic, whatever its payload type.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an unknown error".into())
}
