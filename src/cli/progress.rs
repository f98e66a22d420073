//! Progress bars that appear only when a job runs longer than a second and
//! stderr is a terminal, so scripts and `--json` output stay clean.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar that stays hidden for the first second.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl Progress {
    /// A bar for `total` units of `what` ("steps", "points").
    pub fn new(total: u64, what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        let template = format!("{{bar:40}} {{pos}}/{{len}} {what} · {{per_sec}} · eta {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Self {
            bar,
            started: Instant::now(),
            shown: false,
        }
    }

    /// Moves the bar to `position`.
    pub fn set(&mut self, position: u64) {
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(position);
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Runs `work` on a thread of its own while a bar follows the counter it
/// advances (out of `total` units of `what`); a panic in `work` goes on
/// unwinding here, where it is a bug to surface, not an error to report.
pub fn with_progress<T: Send>(
    total: u64,
    what: &str,
    work: impl FnOnce(&AtomicU64) -> T + Send,
) -> T {
    let done = AtomicU64::new(0);
    let outcome = std::thread::scope(|scope| {
        let worker = scope.spawn(|| work(&done));
        let mut bar = Progress::new(total, what);
        while !worker.is_finished() {
            bar.set(done.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(50));
        }
        bar.finish();
        worker.join()
    });
    match outcome {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
