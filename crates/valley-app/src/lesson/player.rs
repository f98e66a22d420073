//! Playing a lesson: which step is on, what it has asked the app to do, and
//! what the run has shown since. The player only reads what the app shows
//! and returns commands; the app executes them like any button press.

use std::sync::Arc;
use std::time::Duration;
use valley_engine::exec::Instant;

use super::facts::Seen;
use super::file::{Lesson, LessonStep};
use crate::AppCommand;
use valley_engine::train::RunState;

/// A run that stands paused this long before its steps are done was paused
/// or reset by the student: the step's run is over.
const INTERRUPTED: Duration = Duration::from_millis(1500);

/// Where a step is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// The scene is shown; waiting for the run to start again at its seed.
    Entering,
    /// Waiting for the student's guess before the run.
    Asking,
    /// The step's run is on until the run reaches `target`.
    Training {
        /// The step to reach.
        target: u64,
    },
    /// The run is done; the student explores.
    Shown,
}

/// A lesson being played.
pub struct LessonPlayer {
    /// The lesson.
    pub lesson: Arc<Lesson>,
    /// The step shown (0-based).
    pub index: usize,
    /// Where that step is.
    pub phase: Phase,
    /// The student's guess, if the step asks one.
    pub guess: Option<bool>,
    /// The run's answer, once it is done.
    pub answer: Option<bool>,
    /// Which checks the run has shown.
    pub fired: Vec<bool>,
    /// The run's step when this step's run began.
    pub since: u64,
    /// Train at full speed and skip the questions (lesson export).
    pub unattended: bool,
    /// When the run was last seen moving (to notice an interruption).
    last_move: (u64, Instant),
    /// Commands for the app at the next frame.
    queued: Vec<AppCommand>,
}

impl LessonPlayer {
    /// Starts `lesson` at step `index`.
    pub fn new(lesson: Arc<Lesson>, index: usize, unattended: bool) -> Self {
        let mut player = Self {
            lesson,
            index: 0,
            phase: Phase::Entering,
            guess: None,
            answer: None,
            fired: Vec::new(),
            since: 0,
            unattended,
            last_move: (0, Instant::now()),
            queued: Vec::new(),
        };
        player.go(index);
        player
    }

    /// The step shown.
    pub fn step(&self) -> &LessonStep {
        &self.lesson.steps[self.index]
    }

    /// Steps in the lesson.
    pub fn len(&self) -> usize {
        self.lesson.steps.len()
    }

    /// Whether the lesson has no steps (never: a lesson is checked to have one).
    pub fn is_empty(&self) -> bool {
        self.lesson.steps.is_empty()
    }

    /// Shows step `index` (clamped) from its start: its scene, a fresh
    /// run at its seed, then its actions.
    pub fn go(&mut self, index: usize) {
        self.index = index.min(self.len().saturating_sub(1));
        let step = &self.lesson.steps[self.index];
        self.phase = Phase::Entering;
        self.guess = None;
        self.answer = None;
        self.fired = vec![false; step.file.check.len()];
        let mut settings = step.settings.clone();
        if self.unattended {
            settings.steps_per_second = None;
        }
        self.queued = vec![AppCommand::ShowScene(Box::new(settings))];
        if step.file.reset {
            self.queued.push(AppCommand::Reset);
        }
    }

    /// The student's answer to the step's question: the run starts.
    pub fn answer_with(&mut self, yes: bool) {
        if self.phase == Phase::Asking {
            self.guess = Some(yes);
        }
    }

    /// Whether the step's own run is over (the student is free to explore).
    pub fn is_shown(&self) -> bool {
        self.phase == Phase::Shown
    }

    /// The commands due this frame, given what the app shows.
    pub fn advance(&mut self, seen: &Seen) -> Vec<AppCommand> {
        let mut due = std::mem::take(&mut self.queued);
        let s = seen.snapshot;
        let lesson = Arc::clone(&self.lesson);
        let file = &lesson.steps[self.index].file;
        let diverged = matches!(s.state, RunState::Diverged { .. });
        if self.phase == Phase::Entering && due.is_empty() {
            // After a reset the run shows step 0 before anything else moves.
            if !file.reset || s.step == 0 {
                self.since = if file.reset || file.drop.is_some() {
                    0
                } else {
                    s.step
                };
                self.phase = if file.predict.is_some() && !self.unattended {
                    Phase::Asking
                } else {
                    self.start_training(&mut due, s.step)
                };
            }
        } else if self.phase == Phase::Asking && self.guess.is_some() {
            self.phase = self.start_training(&mut due, s.step);
        } else if let Phase::Training { target } = self.phase {
            // During a race the lanes count the steps (the main run may have stopped).
            let progress = seen.race.map_or(s.step, |r| r.step);
            let over = match seen.race {
                Some(race) => race
                    .lanes
                    .iter()
                    .all(|l| matches!(l.state, RunState::Diverged { .. })),
                None => diverged,
            };
            if progress != self.last_move.0 {
                self.last_move = (progress, Instant::now());
            }
            let reached = (progress >= target || over) && s.state != RunState::Running;
            let interrupted = s.state != RunState::Running
                && self.last_move.1.elapsed() > INTERRUPTED
                && !self.unattended;
            if reached || interrupted {
                if let Some(plane) = file.compute {
                    due.push(AppCommand::ComputePlane(plane.recipe()));
                }
                self.phase = Phase::Shown;
            }
        }
        // A fact that reads an analysis waits for it (the answer stays open).
        if self.phase == Phase::Shown
            && self.answer.is_none()
            && let Some(predict) = &file.predict
            && predict.answer.is_decidable(seen)
        {
            self.answer = Some(predict.answer.holds(seen));
        }
        if matches!(self.phase, Phase::Training { .. } | Phase::Shown) {
            for (fired, check) in self.fired.iter_mut().zip(&file.check) {
                *fired |= check.when.is_decidable(seen) && check.when.holds(seen);
            }
        }
        due
    }

    /// Drops the ball and starts the step's training; the phase that follows.
    fn start_training(&mut self, due: &mut Vec<AppCommand>, step_now: u64) -> Phase {
        let file = &self.lesson.steps[self.index].file;
        if let Some([x, y]) = file.drop {
            due.push(AppCommand::DropBall(vec![x, y]));
        }
        self.last_move = (step_now, Instant::now());
        match file.train {
            Some(n) => {
                due.push(AppCommand::Step(n));
                Phase::Training {
                    target: self.since + n,
                }
            }
            None => {
                if let Some(plane) = file.compute {
                    due.push(AppCommand::ComputePlane(plane.recipe()));
                }
                Phase::Shown
            }
        }
    }
}
