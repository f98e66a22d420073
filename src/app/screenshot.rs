//! `valley --screenshot`: train N steps in the real app, wait until every
//! view shows the final state, save the window as a PNG and close.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::runtime::Runtime;
use crate::engine::train::{Command, RunState, Speed};

/// Longest the app waits for training and grids before giving up.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Where a screenshot run ended: `Ok` once the PNG is written.
pub type Outcome = Arc<Mutex<Option<Result<(), String>>>>;

/// The steps of a screenshot run.
pub struct ScreenshotPlan {
    path: PathBuf,
    steps: u64,
    started: Instant,
    sent: bool,
    settled_frames: u32,
    requested: bool,
    outcome: Outcome,
}

impl ScreenshotPlan {
    /// A plan to train `steps` steps and save the window to `path`.
    pub fn new(path: PathBuf, steps: u64, outcome: Outcome) -> Self {
        Self {
            path,
            steps,
            started: Instant::now(),
            sent: false,
            settled_frames: 0,
            requested: false,
            outcome,
        }
    }

    /// Moves the plan on by one frame.
    /// `scene` is the scene as JSON, stored in the PNG.
    pub fn advance(&mut self, ctx: &egui::Context, runtime: &Runtime, scene: String) {
        ctx.request_repaint();
        if !self.sent {
            runtime.send(Command::SetSpeed(Speed::Max));
            if self.steps > 0 {
                runtime.send(Command::Step(self.steps));
            }
            self.sent = true;
            return;
        }
        if let Ok(slot) = self.outcome.lock()
            && slot.is_some()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        if self.started.elapsed() > TIMEOUT {
            self.finish(Err(format!(
                "the scene was not ready after {} s",
                TIMEOUT.as_secs()
            )));
            return;
        }
        let s = &runtime.snapshot;
        let trained = s.step >= self.steps || matches!(s.state, RunState::Diverged { .. });
        if !(trained && s.state != RunState::Running && runtime.is_settled()) {
            self.settled_frames = 0;
            return;
        }
        // A few frames so textures and layout have caught up with the data.
        self.settled_frames += 1;
        if self.settled_frames < 4 || self.requested {
            return;
        }
        self.requested = true;
        let path = self.path.clone();
        let outcome = Arc::clone(&self.outcome);
        ctx.request_screenshot(move |image| {
            let result = super::export::save_frame(&image, &path, &scene);
            if let Ok(mut slot) = outcome.lock() {
                *slot = Some(result);
            }
        });
    }

    fn finish(&self, result: Result<(), String>) {
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(result);
        }
    }
}
