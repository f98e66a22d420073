//! `valley lesson export`: every step of a lesson played in the window,
//! unattended, saved as a PNG (its scene inside, so it reopens in Valley),
//! and a Markdown handout with the narration, the figures and the numbers.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use valley_engine::exec::Instant;

use super::facts::Seen;
use super::player::LessonPlayer;
use crate::AppCommand;
use valley_figure::plain_number;

/// Frames the views must stay settled before a step's picture is taken.
const SETTLED_FRAMES: u32 = 4;
/// Longest one step may take to be ready for its picture.
const STEP_TIMEOUT: Duration = Duration::from_secs(180);
/// Longest a figure waits for an analysis its words quote (λmax).
const ANALYSIS_WAIT: Duration = Duration::from_secs(30);

/// How the export ended: `Ok` when every step was written (the same slot
/// a scripted screenshot reports to).
pub type ExportOutcome = Arc<std::sync::Mutex<Option<Result<(), String>>>>;

/// A progress report: (steps done, steps in all, the step's title).
pub type ReportProgress = dyn Fn(usize, usize, &str) + Send + Sync;

/// Told as each step is written.
#[derive(Clone)]
pub struct ExportProgress(pub Arc<ReportProgress>);

impl std::fmt::Debug for ExportProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExportProgress")
    }
}

/// One step's page of the handout.
struct Page {
    text: String,
}

/// The export in progress.
pub struct LessonExport {
    dir: PathBuf,
    pages: Vec<Page>,
    saving: bool,
    settled: u32,
    step_started: Instant,
    /// When the step's own run was first seen over (the analysis wait starts then).
    shown_at: Option<Instant>,
    outcome: ExportOutcome,
    progress: Option<ExportProgress>,
}

/// What the export needs to see of the app in a frame.
pub struct ExportProbe<'a> {
    /// What the lesson sees.
    pub seen: Seen<'a>,
    /// Whether the views show the newest slices.
    pub settled: bool,
    /// Whether training is running.
    pub running: bool,
    /// The last window save's outcome.
    pub window_saved: Option<Result<(), String>>,
    /// Whether the curvature panel, if shown, has analysed the ball where it is.
    pub analysed: bool,
}

impl LessonExport {
    /// An export into `dir` (created if missing).
    pub fn new(dir: PathBuf, outcome: ExportOutcome, progress: Option<ExportProgress>) -> Self {
        Self {
            dir,
            pages: Vec::new(),
            saving: false,
            settled: 0,
            step_started: Instant::now(),
            shown_at: None,
            outcome,
            progress,
        }
    }

    fn file_name(index: usize) -> String {
        format!("step-{:02}.png", index + 1)
    }

    /// The commands due this frame.
    pub fn advance(&mut self, player: &LessonPlayer, probe: &ExportProbe) -> Vec<AppCommand> {
        let index = player.index;
        if self.saving {
            return match &probe.window_saved {
                None => Vec::new(),
                Some(Err(e)) => self.fail(format!("could not save step {}: {e}", index + 1)),
                Some(Ok(())) => {
                    self.saving = false;
                    self.settled = 0;
                    self.step_started = Instant::now();
                    self.shown_at = None;
                    if let Some(progress) = &self.progress {
                        (progress.0)(index + 1, player.len(), &player.step().file.title);
                    }
                    if index + 1 < player.len() {
                        vec![AppCommand::LessonGo(index + 1)]
                    } else {
                        match self.write_handout(player) {
                            Ok(()) => {
                                self.finish(Ok(()));
                                vec![AppCommand::Quit]
                            }
                            Err(e) => self.fail(e),
                        }
                    }
                }
            };
        }
        if self.step_started.elapsed() > STEP_TIMEOUT {
            return self.fail(format!(
                "step {} (\"{}\") was not ready after {} s",
                index + 1,
                player.step().file.title,
                STEP_TIMEOUT.as_secs()
            ));
        }
        let shown_at = match player.is_shown() {
            true => *self.shown_at.get_or_insert_with(Instant::now),
            false => Instant::now(),
        };
        let analysis_ready = probe.analysed || shown_at.elapsed() > ANALYSIS_WAIT;
        let answered = player.step().file.predict.is_none() || player.answer.is_some();
        let ready =
            player.is_shown() && probe.settled && !probe.running && analysis_ready && answered;
        self.settled = if ready { self.settled + 1 } else { 0 };
        if self.settled < SETTLED_FRAMES {
            return Vec::new();
        }
        self.pages.push(Page {
            text: page(player, &probe.seen, &Self::file_name(index)),
        });
        self.saving = true;
        vec![AppCommand::SaveWindowAs(
            self.dir.join(Self::file_name(index)),
        )]
    }

    fn write_handout(&self, player: &LessonPlayer) -> Result<(), String> {
        let lesson = &player.lesson;
        let mut text = format!("# {}\n\n", lesson.title());
        if !lesson.file.summary.is_empty() {
            let _ = writeln!(text, "{}\n", lesson.file.summary);
        }
        let _ = writeln!(
            text,
            "A lesson from Valley (`valley --lesson {}`). Each figure carries its scene: open it in Valley (Open…, or drop it on the window) to continue from there.\n",
            lesson.id()
        );
        for page in &self.pages {
            text.push_str(&page.text);
        }
        let path = self.dir.join("handout.md");
        valley_engine::io::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("could not write {}: {e}", path.display()))
    }

    fn fail(&mut self, message: String) -> Vec<AppCommand> {
        self.finish(Err(message));
        vec![AppCommand::Quit]
    }

    fn finish(&self, result: Result<(), String>) {
        if let Ok(mut slot) = self.outcome.lock()
            && slot.is_none()
        {
            *slot = Some(result);
        }
    }
}

/// One step of the handout: its title, figure, narration as shown, the
/// question and the run's answer, the checks the run showed, and the numbers.
fn page(player: &LessonPlayer, seen: &Seen, figure: &str) -> String {
    let step = player.step();
    let file = &step.file;
    let mut text = format!("## {}. {}\n\n", player.index + 1, file.title);
    let _ = writeln!(text, "![{}]({figure})\n", file.title);
    let _ = writeln!(text, "{}\n", step.narration.render(seen));
    if let Some(predict) = &file.predict {
        let _ = writeln!(text, "**Predict:** {}\n", predict.question);
        if let (Some(answer), Some((yes, no))) = (player.answer, &step.reveal) {
            let (word, reveal) = if answer { ("yes", yes) } else { ("no", no) };
            let _ = writeln!(
                text,
                "**The run answers {word}:** {}\n",
                reveal.render(seen)
            );
        }
    }
    if let Some(try_this) = &file.try_this {
        let _ = writeln!(text, "**Try this:** {}\n", try_this.say);
    }
    for (say, fired) in step.check_says.iter().zip(&player.fired) {
        if *fired {
            let _ = writeln!(text, "- ✔ {}", say.render(seen));
        }
    }
    let s = seen.snapshot;
    let mut numbers = vec![
        format!("step {}", s.step),
        format!("loss {}", plain_number(f64::from(seen.loss()))),
        format!("learning rate {}", plain_number(f64::from(seen.lr))),
    ];
    if let Some(test) = s.evaluation.test_loss {
        numbers.push(format!("test loss {}", plain_number(f64::from(test))));
    }
    if let Some(l) = seen.lambda_max {
        numbers.push(format!("λmax {}", plain_number(f64::from(l))));
    }
    if let Some(d) = seen.off_plane {
        numbers.push(format!("off the plane {}", plain_number(f64::from(d))));
    }
    let _ = writeln!(
        text,
        "\n*Numbers in this figure: {}.*\n",
        numbers.join(" · ")
    );
    text
}
