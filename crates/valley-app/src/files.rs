//! Files in and out of the window: opening a scene (the Open… button and its
//! native dialog, drag-and-drop, `--open`), and replaying a scene's steps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use valley_engine::exec::Instant;

use anyhow::Context as _;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::ValleyApp;
use super::command::AppCommand;
use super::notices::Source;
use super::runtime;
use super::scene::Scene;
use super::settings::Settings;
use valley_engine::io::limits::{MAX_SCENE_BYTES, MAX_SESSION_BYTES};
use valley_engine::io::{ReadError, read_at_most};
use valley_engine::session::{Session, parse_session};
use valley_engine::train::{Command, Run, RunState, Speed};

/// A file Valley can open, read and checked but not yet applied: every door
/// (`--open`, Open…, drag-and-drop, the autosave offer) reads through
/// [`read_file`], so each accepts the same files with the same limits.
#[derive(Debug)]
pub enum Opened {
    /// A saved run, with the settings that show it.
    Session {
        /// The run, its problem and hyperparameters.
        session: Box<Session>,
        /// The app's settings for it (its own view, or the current ones adapted).
        settings: Box<Settings>,
        /// Values brought into a control's range.
        adjusted: Vec<String>,
    },
    /// A lesson file (`.toml`), checked.
    Lesson(std::sync::Arc<super::lesson::Lesson>),
    /// A scene (from a PNG saved by Valley or a `.json` scene): settings and a step to replay to.
    Scene {
        /// The scene, its settings checked.
        scene: Box<Scene>,
        /// Values brought into a control's range.
        adjusted: Vec<String>,
    },
}

/// The PNG signature: a figure is recognised by its bytes, not its name.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// Reads a session, a `.json` scene or a PNG saved by Valley, whatever its
/// name, and checks every number in it against its limit; `current` are the
/// settings a session without a usable view is shown with. The error names
/// the file and what is wrong.
pub fn read_file(path: &Path, current: &Settings) -> anyhow::Result<Opened> {
    let is_png = {
        use std::io::Read as _;
        let mut head = [0u8; 8];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == PNG_SIGNATURE)
    };
    if is_png {
        let scene = Scene::read_png(path)?;
        return checked_scene(scene, path);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        let lesson = super::lesson::Lesson::read(path).map_err(anyhow::Error::msg)?;
        return Ok(Opened::Lesson(std::sync::Arc::new(lesson)));
    }
    let bytes = read_at_most(path, MAX_SESSION_BYTES).map_err(|e| match e {
        ReadError::Io(source) => anyhow::anyhow!("could not read {}: {source}", path.display()),
        ReadError::TooLarge(bytes) => anyhow::anyhow!(
            "{} is {bytes} bytes, more than any Valley session ({MAX_SESSION_BYTES} bytes) or scene: it is not a Valley file",
            path.display()
        ),
    })?;
    read_json(path, bytes, current)
}

/// [`read_file`] on bytes already in memory (a file dropped on a web page
/// or picked in the browser's dialog); `path` is its name, for errors and
/// to tell a lesson (`.toml`) by.
pub fn read_bytes(path: &Path, bytes: &[u8], current: &Settings) -> anyhow::Result<Opened> {
    if bytes.starts_with(&PNG_SIGNATURE) {
        if bytes.len() as u64 > valley_figure::MAX_PNG_BYTES {
            anyhow::bail!(
                "{} is {} bytes, more than the {} bytes Valley reads as a figure",
                path.display(),
                bytes.len(),
                valley_figure::MAX_PNG_BYTES
            );
        }
        let scene = Scene::from_png_bytes(bytes, path)?;
        return checked_scene(scene, path);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        let lesson = super::lesson::Lesson::from_bytes(bytes, &path.display().to_string())
            .map_err(anyhow::Error::msg)?;
        return Ok(Opened::Lesson(std::sync::Arc::new(lesson)));
    }
    if bytes.len() as u64 > MAX_SESSION_BYTES {
        anyhow::bail!(
            "{} is {} bytes, more than any Valley session ({MAX_SESSION_BYTES} bytes) or scene: it is not a Valley file",
            path.display(),
            bytes.len()
        );
    }
    read_json(path, bytes.to_vec(), current)
}

/// A session or a `.json` scene, told apart by their version fields.
fn read_json(path: &Path, bytes: Vec<u8>, current: &Settings) -> anyhow::Result<Opened> {
    /// Which of the two JSON formats a file is, without reading its values.
    #[derive(Deserialize)]
    struct Probe {
        format_version: Option<IgnoredAny>,
        version: Option<IgnoredAny>,
    }
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a Valley session, scene or figure (not a JSON object: {e})",
            path.display()
        )
    })?;
    if probe.format_version.is_some() {
        let session = parse_session(&bytes, path)?;
        let (settings, adjusted) = settings_for_session(&session, current)
            .with_context(|| format!("could not open {}", path.display()))?;
        // The problem must build, and the run restore into it, before
        // anything the user has open changes.
        let context = || format!("could not open {}", path.display());
        let problem = session.problem.build().with_context(context)?;
        Run::new(problem, session.train)
            .map_err(anyhow::Error::from)
            .and_then(|mut trial| Ok(trial.restore(session.run.clone())?))
            .with_context(context)?;
        return Ok(Opened::Session {
            session: Box::new(session),
            settings: Box::new(settings),
            adjusted,
        });
    }
    if probe.version.is_some() {
        if bytes.len() > MAX_SCENE_BYTES {
            anyhow::bail!(
                "{} is {} bytes, more than the {MAX_SCENE_BYTES} bytes a scene may have",
                path.display(),
                bytes.len()
            );
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
        let scene = Scene::from_json(&text)
            .with_context(|| format!("could not open {}", path.display()))?;
        return checked_scene(scene, path);
    }
    anyhow::bail!(
        "{} is not a Valley session or scene: it has neither a \"format_version\" (a session) nor a \"version\" (a scene)",
        path.display()
    )
}

fn checked_scene(scene: Scene, path: &Path) -> anyhow::Result<Opened> {
    let checked = scene
        .settings
        .clone()
        .checked()
        .map_err(|e| anyhow::anyhow!("could not open {}: its setting {e}", path.display()))?;
    Ok(Opened::Scene {
        scene: Box::new(Scene {
            settings: checked.settings,
            ..scene
        }),
        adjusted: checked.adjusted,
    })
}

/// The settings that show a session: its own saved view when that view
/// passes the check and describes the same problem, else `current` adapted.
fn settings_for_session(
    session: &Session,
    current: &Settings,
) -> anyhow::Result<(Settings, Vec<String>)> {
    let saved = serde_json::from_value::<Settings>(session.view.clone())
        .ok()
        .and_then(|saved| saved.checked().ok())
        .filter(|checked| checked.settings.problem_spec().ok().as_ref() == Some(&session.problem));
    let checked = match saved {
        Some(checked) => checked,
        None => current
            .showing(&session.problem, session.train)?
            .checked()
            .map_err(|e| anyhow::anyhow!("its setting {e}"))?,
    };
    let mut settings = checked.settings;
    settings.train = session.train;
    Ok((settings, checked.adjusted))
}

/// A scene's run heading for its saved step at full speed.
pub struct Replay {
    /// The step the scene was saved at.
    pub target: u64,
    started: Instant,
    from: u64,
}

/// A file chosen in the dialog, handed from its thread to the UI.
/// `Err` says the dialog never appeared (no desktop file portal).
pub type Picked = Arc<Mutex<Option<Result<PickedFile, String>>>>;

/// What a file dialog gives: a path on the desktop, the bytes in a browser.
pub enum PickedFile {
    /// A file on disk.
    Path(PathBuf),
    /// A file's name and contents.
    Bytes(String, Arc<[u8]>),
}

/// A dialog that closes sooner than this with nothing chosen never showed:
/// a person takes longer to cancel one.
const DIALOG_NEVER_SHOWN: std::time::Duration = std::time::Duration::from_millis(400);

impl ValleyApp {
    /// Opens a session, a scene or a figure (see [`read_file`]). A file that
    /// cannot be opened leaves everything as it was and says why.
    pub fn open(&mut self, path: &Path) {
        match read_file(path, &self.settings) {
            Ok(opened) => self.show_opened(opened, path),
            Err(e) => self.runtime.notices.error(Source::Files, format!("{e:#}")),
        }
    }

    /// Opens a file already in memory (see [`read_bytes`]).
    pub fn open_bytes(&mut self, name: &str, bytes: &[u8]) {
        let path = Path::new(name);
        match read_bytes(path, bytes, &self.settings) {
            Ok(opened) => self.show_opened(opened, path),
            Err(e) => self.runtime.notices.error(Source::Files, format!("{e:#}")),
        }
    }

    /// Puts a file that [`read_file`] accepted in place: a session goes on
    /// where it stopped; a scene's run replays to its step, with progress.
    pub fn show_opened(&mut self, opened: Opened, path: &Path) {
        let (message, adjusted) = match opened {
            Opened::Lesson(lesson) => {
                let message = format!("opened the lesson \"{}\"", lesson.title());
                self.start_lesson(lesson);
                (message, Vec::new())
            }
            Opened::Session {
                session,
                settings,
                adjusted,
            } => {
                let step = session.run.step;
                self.jobs.replaying = None;
                self.settings = *settings;
                self.apply();
                self.runtime.send(Command::SetConfig(session.train));
                self.runtime.send(Command::Restore(Box::new(session.run)));
                (
                    format!("opened {} at step {step}", path.display()),
                    adjusted,
                )
            }
            Opened::Scene { scene, adjusted } => {
                let seed = scene.settings.train.seed;
                self.settings = scene.settings;
                self.apply();
                self.runtime.send(Command::Reset { seed: Some(seed) });
                self.jobs.replaying = None;
                if scene.step > 0 {
                    self.runtime.send(Command::SetSpeed(Speed::Max));
                    self.runtime.send(Command::Step(scene.step));
                    self.jobs.replaying = Some(Replay {
                        target: scene.step,
                        started: Instant::now(),
                        from: 0,
                    });
                }
                (
                    format!(
                        "opened {}: step {} of the saved run",
                        path.display(),
                        scene.step
                    ),
                    adjusted,
                )
            }
        };
        if adjusted.is_empty() {
            self.runtime.notices.info(Source::Files, message);
        } else {
            self.runtime.notices.warn(
                Source::Files,
                format!("{message} (brought into range: {})", adjusted.join(", ")),
            );
        }
    }

    /// The replay's progress bar and its Cancel button (in the status bar).
    pub(super) fn replay_ui(&self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let replay = self.jobs.replaying.as_ref()?;
        let step = self.runtime.snapshot.step;
        let done = step.saturating_sub(replay.from) as f64;
        let total = replay.target.saturating_sub(replay.from).max(1) as f64;
        let elapsed = replay.started.elapsed().as_secs_f64();
        let left = (elapsed > 0.5 && done > 0.0).then(|| elapsed * (total - done) / done);
        let text = match left {
            Some(seconds) => format!(
                "replaying to step {}: {} left",
                replay.target,
                readable_duration(seconds)
            ),
            None => format!("replaying to step {}", replay.target),
        };
        ui.add(egui::ProgressBar::new((done / total) as f32).desired_width(100.0));
        ui.label(text);
        let cancel = ui
            .button("Cancel")
            .on_hover_text("Stop replaying the scene's training here")
            .clicked();
        super::widgets::status_divider(ui);
        cancel.then_some(AppCommand::CancelReplay)
    }

    /// Stops a replay where it is, at the settings' pace again.
    pub(super) fn cancel_replay(&mut self) {
        let Some(replay) = self.jobs.replaying.take() else {
            return;
        };
        self.runtime.send(Command::Pause);
        self.runtime
            .send(Command::SetSpeed(runtime::speed_of(&self.settings)));
        self.runtime.notices.info(
            Source::Replay,
            format!(
                "replay stopped at step {} of {}",
                self.runtime.snapshot.step, replay.target
            ),
        );
    }

    /// Opens the browser's file picker; the file's bytes arrive later.
    #[cfg(target_arch = "wasm32")]
    pub fn ask_for_file(&mut self) {
        let picked = Arc::clone(&self.jobs.picked);
        let wake = self.runtime.wake();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(file) = rfd::AsyncFileDialog::new()
                .set_title("Open a Valley session, figure or lesson")
                .add_filter("Valley session, figure or lesson", &["json", "png", "toml"])
                .pick_file()
                .await
            else {
                return;
            };
            let bytes = file.read().await;
            if let Ok(mut slot) = picked.lock() {
                *slot = Some(Ok(PickedFile::Bytes(file.file_name(), bytes.into())));
            }
            wake();
        });
    }

    /// Opens the native file dialog on its own thread; the choice arrives later.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn ask_for_file(&mut self) {
        let picked = Arc::clone(&self.jobs.picked);
        let wake = self.runtime.wake();
        let started = valley_engine::exec::spawn_detached("valley-dialog", move || {
            let asked = Instant::now();
            let choice = rfd::FileDialog::new()
                .set_title("Open a Valley session, figure or lesson")
                .add_filter("Valley session, figure or lesson", &["json", "png", "toml"])
                .pick_file();
            let outcome = match choice {
                Some(path) => Some(Ok(PickedFile::Path(path))),
                // Where the desktop has no file portal the dialog returns at once.
                None if asked.elapsed() < DIALOG_NEVER_SHOWN => Some(Err(
                    "no file dialog could be shown on this desktop: drop the file onto the window, or start Valley with --open FILE".to_string(),
                )),
                None => None,
            };
            if let (Some(outcome), Ok(mut slot)) = (outcome, picked.lock()) {
                *slot = Some(outcome);
            }
            wake();
        });
        if let Err(e) = started {
            self.runtime.notices.error(
                Source::Files,
                format!("cannot open the file dialog ({e}); drop the file onto the window instead"),
            );
        }
    }

    /// A file dropped on the window: opened by its path.
    #[cfg(not(target_arch = "wasm32"))]
    fn take_dropped(&mut self, file: egui::DroppedFileHandle) -> Option<AppCommand> {
        let path = file.path();
        (!path.as_os_str().is_empty()).then(|| AppCommand::Open(path.to_path_buf()))
    }

    /// A file dropped on the page: a browser reads it in the background, and
    /// its bytes arrive like a picked file's.
    #[cfg(target_arch = "wasm32")]
    fn take_dropped(&mut self, file: egui::DroppedFileHandle) -> Option<AppCommand> {
        let picked = Arc::clone(&self.jobs.picked);
        let wake = self.runtime.wake();
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.path().display().to_string();
            let outcome = file
                .bytes_async()
                .await
                .map(|bytes| PickedFile::Bytes(name.clone(), bytes.into()))
                .map_err(|e| format!("could not read the dropped file {name}: {e}"));
            if let Ok(mut slot) = picked.lock() {
                *slot = Some(outcome);
            }
            wake();
        });
        None
    }

    /// Files dropped on the window or picked in the dialog (to open); the
    /// end of a replay.
    pub(super) fn poll_files(&mut self, ui: &egui::Ui) -> Option<AppCommand> {
        let dropped = ui.input(|i| i.raw.dropped_files.first().cloned());
        let dropped = dropped.and_then(|file| self.take_dropped(file));
        let picked = self.jobs.picked.lock().ok().and_then(|mut p| p.take());
        if let Some(target) = self.jobs.replaying.as_ref().map(|r| r.target) {
            let s = &self.runtime.snapshot;
            let done = s.step >= target && s.state != RunState::Running;
            if done || matches!(s.state, RunState::Diverged { .. }) {
                self.runtime
                    .send(Command::SetSpeed(runtime::speed_of(&self.settings)));
                self.jobs.replaying = None;
            }
        }
        let hovering = ui.input(|i| !i.raw.hovered_files.is_empty());
        if hovering {
            let rect = ui.ctx().content_rect();
            let painter = ui.ctx().layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop hint"),
            ));
            painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(170));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop a session or a PNG saved by Valley to open it",
                egui::FontId::proportional(28.0),
                egui::Color32::WHITE,
            );
        }
        let picked = match picked {
            Some(Ok(PickedFile::Path(path))) => Some(AppCommand::Open(path)),
            Some(Ok(PickedFile::Bytes(name, bytes))) => Some(AppCommand::OpenBytes { name, bytes }),
            Some(Err(message)) => {
                self.runtime.notices.warn(Source::Files, message);
                None
            }
            None => None,
        };
        dropped.or(picked)
    }
}

/// A duration as a student reads it: "40 s", "3 min", "2 h", "5 days".
pub(super) fn readable_duration(seconds: f64) -> String {
    match seconds {
        s if s < 90.0 => format!("{s:.0} s"),
        s if s < 5400.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.0} h", s / 3600.0),
        s => format!("{:.0} days", s / 86_400.0),
    }
}
