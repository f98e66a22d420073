//! Scripted runs — `--screenshot`, `--measure`, and next the lessons — as a
//! list of commands, each waiting for a condition on what the app shows.
//! The script only reads a [`Probe`] and returns commands; the app executes
//! them like any button press.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::command::AppCommand;
use valley_engine::exec::Instant;
use valley_engine::train::{RunState, Snapshot, Speed};

/// Longest a script waits for its conditions before it gives up.
const TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a scripted run may spend training (its own steps, or a scene's
/// replay): past it, the run gives up as soon as its pace says so.
pub const TRAINING_BUDGET: Duration = Duration::from_secs(30);
/// How long the pace is watched before it is trusted.
const PACE_WARMUP: Duration = Duration::from_secs(1);
/// Frames the views must stay settled before a picture is taken, so
/// textures and layout have caught up with the data.
const SETTLED_FRAMES: u32 = 4;

/// When a scripted command may run.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// At once.
    Now,
    /// The run has taken this many steps (or diverged), any opened scene
    /// has replayed, and training has stopped. While waiting, a pace that
    /// cannot finish within [`TRAINING_BUDGET`] ends the script.
    Trained(u64),
    /// The run has taken a step since the script began.
    Moving,
    /// Every view shows the newest slice at full resolution (for a few frames).
    Settled,
    /// The window save asked for last has been written.
    WindowSaved,
    /// The measurement has its figures.
    Measured,
}

/// What a script can see of the app in one frame.
pub struct Probe<'a> {
    /// The run now.
    pub snapshot: &'a Snapshot,
    /// Whether the views show the newest slices at full resolution.
    pub settled: bool,
    /// The step an opened scene is replaying to.
    pub replay_to: Option<u64>,
    /// The last window save's outcome, once written.
    pub window_saved: Option<Result<(), String>>,
    /// Whether the measurement is over.
    pub measured: bool,
}

/// How a script ended: `Ok` when every step ran.
pub type ScriptOutcome = Arc<Mutex<Option<Result<(), String>>>>;

/// Commands waiting for their conditions, in order.
pub struct Script {
    steps: VecDeque<(Condition, AppCommand)>,
    started: Instant,
    first_step: Option<u64>,
    settled_frames: u32,
    outcome: ScriptOutcome,
}

impl Script {
    /// A script of `(condition, command)` steps; its end goes to `outcome`.
    pub fn new(steps: Vec<(Condition, AppCommand)>, outcome: ScriptOutcome) -> Self {
        Self {
            steps: steps.into(),
            started: Instant::now(),
            first_step: None,
            settled_frames: 0,
            outcome,
        }
    }

    /// Train `steps` at full speed (and finish replaying an opened scene),
    /// wait until every view shows the final state, save the window to
    /// `path` and close.
    pub fn screenshot(path: PathBuf, steps: u64, outcome: ScriptOutcome) -> Self {
        let mut plan = vec![(Condition::Now, AppCommand::Pace(Some(Speed::Max)))];
        if steps > 0 {
            plan.push((Condition::Now, AppCommand::Step(steps)));
        }
        plan.extend([
            (Condition::Trained(steps), AppCommand::Pace(None)),
            (Condition::Settled, AppCommand::SaveWindowAs(path)),
            (Condition::WindowSaved, AppCommand::Quit),
        ]);
        Self::new(plan, outcome)
    }

    /// Train at full speed while the measurement records, then close.
    pub fn measurement(outcome: ScriptOutcome) -> Self {
        Self::new(
            vec![
                (Condition::Now, AppCommand::Pace(Some(Speed::Max))),
                (Condition::Now, AppCommand::Play),
                (Condition::Measured, AppCommand::Pause),
                (Condition::Now, AppCommand::Quit),
            ],
            outcome,
        )
    }

    /// Whether every step has run (or the script gave up).
    pub fn is_over(&self) -> bool {
        self.steps.is_empty()
    }

    /// The commands whose conditions hold this frame, in order; a script
    /// that fails (a timeout, a pace too slow, a save that failed) says why
    /// in its outcome and closes the window.
    pub fn advance(&mut self, probe: &Probe) -> Vec<AppCommand> {
        let first = *self.first_step.get_or_insert(probe.snapshot.step);
        let mut due = Vec::new();
        while let Some((condition, _)) = self.steps.front() {
            let condition = condition.clone();
            match self.check(&condition, probe, first) {
                Ok(true) => {
                    self.settled_frames = 0;
                    if let Some((_, command)) = self.steps.pop_front() {
                        due.push(command);
                    }
                }
                Ok(false) => break,
                Err(reason) => {
                    self.steps.clear();
                    self.finish(Err(reason));
                    due.push(AppCommand::Quit);
                    return due;
                }
            }
        }
        if self.steps.is_empty() {
            self.finish(Ok(()));
        } else if self.started.elapsed() > TIMEOUT {
            self.steps.clear();
            self.finish(Err(format!(
                "the scene was not ready after {} s",
                TIMEOUT.as_secs()
            )));
            due.push(AppCommand::Quit);
        }
        due
    }

    /// Whether `condition` holds, or why the script cannot go on.
    fn check(&mut self, condition: &Condition, probe: &Probe, first: u64) -> Result<bool, String> {
        let s = probe.snapshot;
        let diverged = matches!(s.state, RunState::Diverged { .. });
        Ok(match condition {
            Condition::Now => true,
            Condition::Moving => s.step > first,
            Condition::Trained(steps) => {
                let target = (*steps).max(probe.replay_to.unwrap_or(0));
                if let Some(refusal) =
                    too_slow(self.started.elapsed(), s.step, target, s.steps_per_second)
                {
                    return Err(refusal);
                }
                (s.step >= *steps || diverged)
                    && probe.replay_to.is_none()
                    && s.state != RunState::Running
            }
            Condition::Settled => {
                self.settled_frames = if probe.settled && s.state != RunState::Running {
                    self.settled_frames + 1
                } else {
                    0
                };
                self.settled_frames >= SETTLED_FRAMES
            }
            Condition::WindowSaved => match &probe.window_saved {
                Some(Ok(())) => true,
                Some(Err(e)) => return Err(e.clone()),
                None => false,
            },
            Condition::Measured => probe.measured,
        })
    }

    fn finish(&self, result: Result<(), String>) {
        if let Ok(mut slot) = self.outcome.lock()
            && slot.is_none()
        {
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
    use std::sync::Arc;
    use valley_engine::problem::{Problem, SurfaceProblem};
    use valley_engine::surface::SurfaceKind;
    use valley_engine::train::{Run, TrainConfig};

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

    fn snapshot(steps: u64) -> Snapshot {
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Bowl));
        let mut run = Run::new(problem, TrainConfig::default()).expect("run");
        for _ in 0..steps {
            run.step();
        }
        run.snapshot(RunState::Paused, 0.0)
    }

    #[test]
    fn a_screenshot_script_waits_for_each_condition_in_turn() {
        let outcome = ScriptOutcome::default();
        let path = PathBuf::from("/tmp/shot.png");
        let mut script = Script::screenshot(path.clone(), 3, Arc::clone(&outcome));
        let (start, trained) = (snapshot(0), snapshot(3));
        let probe = |snapshot, settled, window_saved| Probe {
            snapshot,
            settled,
            replay_to: None,
            window_saved,
            measured: false,
        };
        assert_eq!(
            script.advance(&probe(&start, false, None)),
            [AppCommand::Pace(Some(Speed::Max)), AppCommand::Step(3)]
        );
        assert!(script.advance(&probe(&start, true, None)).is_empty());
        assert_eq!(
            script.advance(&probe(&trained, false, None)),
            [AppCommand::Pace(None)]
        );
        // Settled for a few frames in a row, then the picture.
        for _ in 1..SETTLED_FRAMES {
            assert!(script.advance(&probe(&trained, true, None)).is_empty());
        }
        assert_eq!(
            script.advance(&probe(&trained, true, None)),
            [AppCommand::SaveWindowAs(path)]
        );
        assert!(outcome.lock().expect("lock").is_none());
        assert_eq!(
            script.advance(&probe(&trained, true, Some(Ok(())))),
            [AppCommand::Quit]
        );
        assert!(script.is_over());
        assert_eq!(*outcome.lock().expect("lock"), Some(Ok(())));
    }

    #[test]
    fn a_failed_save_ends_the_script_with_its_reason() {
        let outcome = ScriptOutcome::default();
        let mut script = Script::new(
            vec![(Condition::WindowSaved, AppCommand::Quit)],
            Arc::clone(&outcome),
        );
        let s = snapshot(0);
        let commands = script.advance(&Probe {
            snapshot: &s,
            settled: true,
            replay_to: None,
            window_saved: Some(Err("disk full".into())),
            measured: false,
        });
        assert_eq!(commands, [AppCommand::Quit]);
        assert_eq!(
            *outcome.lock().expect("lock"),
            Some(Err("disk full".into()))
        );
    }
}
