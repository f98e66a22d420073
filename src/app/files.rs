//! Files in and out of the window: opening a scene (the Open… button and its
//! native dialog, drag-and-drop, `--open`), and replaying a scene's steps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::ValleyApp;
use super::runtime;
use super::scene::Scene;
use crate::engine::train::{Command, RunState, Speed};

/// Whether a file is a session (JSON with a `format_version`), not a scene.
fn is_session(path: &Path) -> bool {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    json && std::fs::File::open(path).is_ok_and(|file| {
        use std::io::Read as _;
        let mut head = [0u8; 64];
        let read = file.take(64).read(&mut head).unwrap_or(0);
        String::from_utf8_lossy(&head[..read]).contains("\"format_version\"")
    })
}

/// A file chosen in the dialog, handed from its thread to the UI.
pub type Picked = Arc<Mutex<Option<PathBuf>>>;

impl ValleyApp {
    /// Opens a scene from a PNG saved by Valley (or a `.json` scene): the
    /// settings and seeds are restored and the run replays to the saved step.
    /// A file that is not a scene leaves everything as it was and says why.
    pub fn open(&mut self, path: &Path) {
        if is_session(path) {
            if let Err(e) = self.open_session(path) {
                self.runtime.message = Some(format!("{e:#}"));
            }
            return;
        }
        match Scene::read(path) {
            Ok(scene) => {
                let seed = scene.settings.train.seed;
                self.settings = scene.settings;
                self.apply();
                self.runtime.send(Command::Reset { seed: Some(seed) });
                if scene.step > 0 {
                    self.runtime.send(Command::SetSpeed(Speed::Max));
                    self.runtime.send(Command::Step(scene.step));
                    self.replaying = Some(scene.step);
                }
                self.runtime.message = Some(format!(
                    "opened {}: step {} of the saved run",
                    path.display(),
                    scene.step
                ));
            }
            Err(e) => self.runtime.message = Some(format!("{e:#}")),
        }
    }

    /// Opens the native file dialog on its own thread; the choice arrives later.
    pub fn ask_for_file(&mut self) {
        let picked = Arc::clone(&self.picked);
        let wake = self.runtime.wake();
        let started = std::thread::Builder::new()
            .name("valley-dialog".into())
            .spawn(move || {
                let choice = rfd::FileDialog::new()
                    .set_title("Open a Valley session or figure")
                    .add_filter("Valley session or figure", &["json", "png"])
                    .pick_file();
                if let (Some(path), Ok(mut slot)) = (choice, picked.lock()) {
                    *slot = Some(path);
                }
                wake();
            });
        if let Err(e) = started {
            self.runtime.message = Some(format!(
                "cannot open the file dialog ({e}); drop the file onto the window instead"
            ));
        }
    }

    /// Files dropped on the window or picked in the dialog; the end of a replay.
    pub(super) fn poll_files(&mut self, ui: &egui::Ui) {
        let dropped: Option<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .find(|path| !path.as_os_str().is_empty())
        });
        let picked = self.picked.lock().ok().and_then(|mut p| p.take());
        if let Some(path) = dropped.or(picked) {
            self.open(&path);
        }
        if let Some(target) = self.replaying {
            let s = &self.runtime.snapshot;
            let done = s.step >= target && s.state != RunState::Running;
            if done || matches!(s.state, RunState::Diverged { .. }) {
                self.runtime
                    .send(Command::SetSpeed(runtime::speed_of(&self.settings)));
                self.replaying = None;
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
                "Drop a PNG saved by Valley to open its scene",
                egui::FontId::proportional(28.0),
                egui::Color32::WHITE,
            );
        }
    }
}
