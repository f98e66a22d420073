//! Training a run for a number of steps as a task: what the plane to a
//! second seed, flat vs sharp and film strips all do before they measure.

use std::time::Duration;

use super::{Run, StepOutcome};
use crate::exec::{Instant, Step, Task};

/// Steps between looks at the clock: cheap enough for a surface (a few ns a
/// step), short enough for a big network.
const STEPS_PER_LOOK: u64 = 32;

/// Trains `run` until it has taken `target` steps or diverged; the result is
/// the run (its `divergence()` says which).
pub struct TrainSteps {
    run: Option<Run>,
    from: u64,
    target: u64,
}

impl TrainSteps {
    /// A task that trains `run` up to step `target` (from wherever it is).
    pub fn new(run: Run, target: u64) -> Self {
        Self {
            from: run.step_index(),
            run: Some(run),
            target,
        }
    }
}

impl Task for TrainSteps {
    type Output = Run;

    fn advance(&mut self, budget: Duration) -> Result<Step<Run>, String> {
        let started = Instant::now();
        let run = self.run.as_mut().ok_or("the task has already ended")?;
        let mut taken = 0u64;
        while run.step_index() < self.target {
            if let StepOutcome::Diverged { .. } = run.step() {
                break;
            }
            taken += 1;
            if taken.is_multiple_of(STEPS_PER_LOOK) && started.elapsed() >= budget {
                let span = self.target.saturating_sub(self.from).max(1);
                let done = run.step_index().saturating_sub(self.from);
                return Ok(Step::Working(done as f32 / span as f32));
            }
        }
        self.run
            .take()
            .map(Step::Done)
            .ok_or_else(|| "no run".into())
    }
}
