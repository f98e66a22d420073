//! The film strip from the app: slices through the kept parameters nearest
//! to steps 0, 10, 100, ... and now, computed as a background task with
//! progress and Cancel, saved as one PNG of small multiples.

use std::path::Path;
use std::sync::Arc;

use super::runtime::Runtime;
use super::settings::{DirectionChoice, Settings};
use valley_engine::exec;
use valley_engine::landscape::{
    DirectionKind, FilmSpec, FilmStripTask, GridSpec, film_steps, nearest_steps,
};
use valley_figure::{render_film_frames, save_png};

/// Frames in a strip made from the app.
const FRAMES: usize = 5;
/// Points per axis of each frame.
const FRAME_RESOLUTION: usize = 61;

/// The strip's frames, then its PNG, as one task.
struct StripThenSave {
    strip: FilmStripTask,
    name: String,
    log_scale: bool,
    path: std::path::PathBuf,
}

impl exec::Task for StripThenSave {
    type Output = String;

    fn advance(&mut self, budget: std::time::Duration) -> Result<exec::Step<String>, String> {
        match self
            .strip
            .advance(budget)
            .map_err(|e| format!("film strip: {e}"))?
        {
            exec::Step::Working(part) => Ok(exec::Step::Working(part)),
            exec::Step::Done(frames) => {
                save(&frames, &self.name, self.log_scale, &self.path).map(exec::Step::Done)
            }
        }
    }
}

/// A strip being made.
pub struct FilmStripJob {
    job: exec::Job<String>,
    total: usize,
}

impl FilmStripJob {
    /// Starts a strip of the current run into `dir`; says why not if it cannot.
    pub fn start(runtime: &Runtime, settings: &Settings, dir: &Path) -> Result<Self, String> {
        if runtime.problem.surface().is_some() {
            return Err(
                "a formula surface does not change under the ball: a film strip needs a network"
                    .into(),
            );
        }
        let snapshot = Arc::clone(&runtime.snapshot);
        let n = runtime.problem.num_params();
        let kept: Vec<_> = snapshot
            .trajectory
            .iter()
            .filter(|p| p.params.len() == n)
            .cloned()
            .collect();
        if snapshot.step == 0 || kept.is_empty() {
            return Err(
                "train a little first: a film strip shows how the landscape changes".into(),
            );
        }
        let steps: Vec<u64> = kept.iter().map(|p| p.step).collect();
        let wanted = match wanted_steps(&settings.film_steps, snapshot.step)? {
            Some(wanted) => wanted,
            None => film_steps(snapshot.step, FRAMES),
        };
        // "Now" is the snapshot itself; the other steps are the nearest kept points.
        let wants_now = wanted.contains(&snapshot.step);
        let earlier: Vec<u64> = wanted
            .iter()
            .copied()
            .filter(|&s| s != snapshot.step)
            .collect();
        let frames: Vec<(u64, Arc<[f32]>)> = nearest_steps(&earlier, &steps)
            .into_iter()
            .filter(|&i| !wants_now || kept[i].step != snapshot.step)
            .map(|i| (kept[i].step, Arc::clone(&kept[i].params)))
            .chain(wants_now.then(|| (snapshot.step, Arc::clone(&snapshot.params))))
            .collect();
        let film = FilmSpec {
            kind: match settings.directions {
                DirectionChoice::Gaussian => DirectionKind::Gaussian,
                _ => DirectionKind::Filter,
            },
            seed: settings.train.seed.wrapping_mul(2),
            grid: GridSpec::square(settings.span, FRAME_RESOLUTION),
        };
        let problem = Arc::clone(&runtime.problem);
        let path = dir.join(format!("valley-step{}-filmstrip.png", snapshot.step));
        let log_scale = settings.log_scale;
        let wake = runtime.wake();
        let total = frames.len();
        // Frame by frame in slices (a page keeps drawing), then saved.
        let path_points: Vec<(u64, Arc<[f32]>)> = kept
            .iter()
            .map(|p| (p.step, Arc::clone(&p.params)))
            .collect();
        let task = StripThenSave {
            strip: FilmStripTask::new(Arc::clone(&problem), frames, path_points, film),
            name: problem.name(),
            log_scale,
            path,
        };
        let job = exec::spawn("valley-film-strip", task, move || wake())?;
        Ok(Self { job, total })
    }

    /// The outcome for the status bar, once there is one.
    pub fn poll(&self) -> Option<Result<String, String>> {
        self.job.take().map(|outcome| match outcome {
            exec::Outcome::Done(message) => Ok(message),
            exec::Outcome::Failed(message) => Err(message),
            exec::Outcome::Cancelled => Err("film strip cancelled".into()),
        })
    }

    /// A progress bar and Cancel for the status bar.
    pub fn progress_ui(&self, ui: &mut egui::Ui) {
        let fraction = self.job.progress();
        let done = (fraction * self.total as f32).round() as usize;
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(140.0)
                .text(format!("film strip {done}/{}", self.total)),
        );
        if ui
            .button("Cancel")
            .on_hover_text("Stop making the film strip")
            .clicked()
        {
            self.job.cancel();
        }
    }
}

/// The steps typed into "film strip at" (up to `now`), or `None` when it is empty.
fn wanted_steps(text: &str, now: u64) -> Result<Option<Vec<u64>>, String> {
    let words: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    let steps = words
        .iter()
        .map(|w| match *w {
            "now" => Ok(now),
            w => w.parse::<u64>().map_err(|_| {
                format!("film strip: '{w}' is not a step; write steps like 0, 10, 100, 1000")
            }),
        })
        .collect::<Result<Vec<u64>, String>>()?;
    let reached: Vec<u64> = steps.into_iter().filter(|&s| s <= now).collect();
    if reached.is_empty() || reached.len() > 24 {
        return Err(format!(
            "film strip: give 1 to 24 steps the run has reached (it is at step {now})"
        ));
    }
    Ok(Some(reached))
}

fn save(
    strip: &[valley_engine::landscape::FilmFrame],
    name: &str,
    log_scale: bool,
    path: &Path,
) -> Result<String, String> {
    let title = format!("{name} · the slice through the parameters as training goes on");
    let image =
        render_film_frames(strip, &title, log_scale, None, None).map_err(|e| e.to_string())?;
    save_png(&image, path).map_err(|e| e.to_string())?;
    let steps: Vec<String> = strip.iter().map(|f| f.step.to_string()).collect();
    Ok(format!(
        "film strip of steps {} saved to {}",
        steps.join(", "),
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::wanted_steps;

    #[test]
    fn typed_steps_are_read_up_to_now() {
        assert_eq!(wanted_steps("", 50), Ok(None));
        assert_eq!(
            wanted_steps(" 0, 10 100,now", 500),
            Ok(Some(vec![0, 10, 100, 500]))
        );
        // Steps the run has not reached are left out; none at all is an error.
        assert_eq!(wanted_steps("0, 10, 1000", 50), Ok(Some(vec![0, 10])));
        assert!(wanted_steps("1000", 50).is_err());
        assert!(
            wanted_steps("ten", 50)
                .expect_err("not a step")
                .contains("'ten'")
        );
    }
}
