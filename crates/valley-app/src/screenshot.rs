//! `valley --screenshot`: train N steps in the real app, wait until every
//! view shows the final state, save the window as a PNG and close.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::runtime::Runtime;
use valley_engine::train::{Command, RunState, Speed};

/// Longest the app waits for training and grids before giving up.
const TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a scripted run may spend training (its own steps, or a scene's
/// replay): past it, the run gives up as soon as its pace says so.
pub const TRAINING_BUDGET: Duration = Duration::from_secs(30);
/// How long the pace is watched before it is trusted.
const PACE_WARMUP: Duration = Duration::from_secs(1);

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
    /// `scene` is the scene as JSON, stored in the PNG; `replay_to` the step
    /// an opened scene is replaying to.
    pub fn advance(
        &mut self,
        ctx: &egui::Context,
        runtime: &Runtime,
        scene: String,
        replay_to: Option<u64>,
    ) {
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
        let target = self.steps.max(replay_to.unwrap_or(0));
        if let Some(refusal) = too_slow(self.started.elapsed(), s.step, target, s.steps_per_second)
        {
            self.finish(Err(refusal));
            return;
        }
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

/// Why a scripted run gives up on training `target` steps, when its pace
/// (after a second of it) says the rest would take past [`TRAINING_BUDGET`].
pub fn too_slow(
    elapsed: Duration,
    step: u64,
    target: u64,
    steps_per_second: f64,
) -> Option<String> {
    if elapsed < PACE_WARMUP || step >= target || steps_per_second <= 0.0 {
        return None;
    }
    let left = (target - step) as f64 / steps_per_second;
    let budget = TRAINING_BUDGET.as_secs_f64();
    (elapsed.as_secs_f64() + left > budget).then(|| {
        format!(
            "training to step {target} would take about {} more at {steps_per_second:.0} steps/s, past the {budget:.0} s a screenshot may train: open the file in the app (it shows the progress and can stop), or save a session at that step instead",
            super::files::readable_duration(left)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_cannot_finish_in_time_gives_up_once_its_pace_is_known() {
        let second = Duration::from_secs(1);
        // Too early to judge.
        assert!(too_slow(Duration::from_millis(200), 10, u64::MAX, 20_000.0).is_none());
        // A scene at step 10^15 at 20,000 steps/s: refused, with the numbers.
        let refusal = too_slow(second, 20_000, 1_000_000_000_000_000, 20_000.0).expect("refused");
        assert!(refusal.contains("step 1000000000000000"), "{refusal}");
        // 250 steps, or 500,000 at 20,000 steps/s (25 s in all): allowed.
        assert!(too_slow(second, 100, 250, 20_000.0).is_none());
        assert!(too_slow(second, 20_000, 500_000, 20_000.0).is_none());
        assert!(too_slow(second, 20_000, 700_000, 20_000.0).is_some());
    }
}
