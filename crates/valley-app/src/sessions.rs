//! Sessions in the app: Save session writes the whole run (parameters,
//! optimiser state, batch order, trajectory, curves) with the view settings;
//! opening one (Open…, drag-and-drop, `--open`) puts everything back. The
//! app also autosaves every few minutes and on exit, and after a crash
//! offers to restore what it had.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;
use valley_engine::exec::Instant;

use super::ValleyApp;
use super::command::AppCommand;
use super::notices::Source;
use super::settings::{ProblemChoice, Settings};
use valley_engine::problem::ProblemSpec;
use valley_engine::session::{Session, save_session};
use valley_engine::train::{Command, SavedRun, TrainConfig};

/// How often the app autosaves while it runs.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(180);
/// Longest the app waits for the trainer's state when closing.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// Where sessions go and whether the last run ended cleanly.
pub struct Autosave {
    /// The autosaved session.
    pub path: PathBuf,
    /// Exists while the app runs; left behind by a crash.
    marker: PathBuf,
    last: Instant,
    /// An autosave left by a run that did not close cleanly, offered for restoring.
    pub offer: Option<PathBuf>,
}

impl Autosave {
    /// Autosaving into `dir`; notices a crash of the previous run.
    pub fn new(dir: &Path) -> Self {
        let path = dir.join("autosave.json");
        let marker = dir.join("running");
        let crashed = marker.exists() && path.exists();
        // Best effort: without the marker, a crash is simply not noticed.
        let _ = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&marker, b""));
        Self {
            offer: crashed.then(|| path.clone()),
            path,
            marker,
            last: Instant::now(),
        }
    }
}

/// A save waiting for the trainer's answer.
pub struct PendingSave {
    reply: Receiver<(SavedRun, TrainConfig)>,
    path: PathBuf,
    settings: Settings,
    quiet: bool,
}

impl Settings {
    /// The problem as a session describes it.
    pub fn problem_spec(&self) -> anyhow::Result<ProblemSpec> {
        Ok(match self.problem {
            ProblemChoice::Surface(surface) => ProblemSpec::Surface { surface },
            ProblemChoice::Dataset(kind) => ProblemSpec::Dataset {
                data: valley_engine::data::DatasetSpec {
                    size: self.dataset_size,
                    noise: self.noise,
                    seed: self.data_seed,
                    ..valley_engine::data::DatasetSpec::new(kind)
                },
                hidden: vec![self.width; self.hidden_layers],
                activation: self.activation,
            },
            ProblemChoice::Imported => {
                let spec = self.import.as_ref().ok_or_else(|| {
                    anyhow::anyhow!("no model imported yet: choose its weights and data, then Load")
                })?;
                ProblemSpec::Imported {
                    weights: spec.weights.clone(),
                    data: spec.data.clone(),
                    test_fraction: super::import::TEST_FRACTION,
                    data_seed: self.data_seed,
                    activation: spec.activation,
                }
            }
        })
    }

    /// These settings changed to show `spec` (a session from the command line).
    pub fn showing(&self, spec: &ProblemSpec, train: TrainConfig) -> anyhow::Result<Settings> {
        let mut settings = Settings {
            train,
            ..self.clone()
        };
        match spec {
            ProblemSpec::Surface { surface } => settings.problem = ProblemChoice::Surface(*surface),
            ProblemSpec::Dataset {
                data,
                hidden,
                activation,
            } => {
                let width = hidden.first().copied().unwrap_or(settings.width);
                if hidden.iter().any(|&h| h != width) || hidden.is_empty() {
                    anyhow::bail!(
                        "the app draws networks whose hidden layers are all the same width; this session's are {hidden:?}: continue it with `valley train --session`"
                    );
                }
                settings.problem = ProblemChoice::Dataset(data.kind);
                settings.dataset_size = data.size;
                settings.noise = data.noise;
                settings.data_seed = data.seed;
                settings.hidden_layers = hidden.len();
                settings.width = width;
                settings.activation = *activation;
            }
            ProblemSpec::Imported {
                weights,
                data,
                data_seed,
                activation,
                ..
            } => {
                settings.problem = ProblemChoice::Imported;
                settings.data_seed = *data_seed;
                settings.import = Some(super::ImportSpec {
                    weights: weights.clone(),
                    data: data.clone(),
                    activation: *activation,
                });
            }
            ProblemSpec::Csv { .. } => anyhow::bail!(
                "this session trains on a CSV file without a saved model: continue it with `valley train --session`"
            ),
        }
        Ok(settings)
    }
}

impl ValleyApp {
    /// Asks the trainer for its state and saves a session to `path` when it
    /// arrives (a few frames later); `quiet` saves say nothing when they work.
    pub fn save_session_to(&mut self, path: PathBuf, quiet: bool) {
        let (tx, rx) = channel();
        self.runtime.send(Command::Save(tx));
        self.jobs.pending_save = Some(PendingSave {
            reply: rx,
            path,
            settings: self.settings.clone(),
            quiet,
        });
    }

    /// Save session: into the export folder, named by the step.
    pub fn save_session(&mut self) {
        let path = self.export_dir.join(format!(
            "valley-step{}-session.json",
            self.runtime.snapshot.step
        ));
        self.save_session_to(path, false);
    }

    /// Opens a session file (through the same reader as every other door).
    pub fn open_session(&mut self, path: &Path) -> anyhow::Result<()> {
        let opened = super::files::read_file(path, &self.settings)?;
        self.show_opened(opened, path);
        Ok(())
    }

    /// Writes sessions whose state has arrived; autosaves when it is time.
    /// An idle window is woken for both, so a paused app still autosaves.
    pub(super) fn poll_sessions(&mut self, ctx: &egui::Context) {
        if let Some(pending) = &self.jobs.pending_save
            && let Ok((run, train)) = pending.reply.try_recv()
        {
            let outcome = write(&pending.settings, train, run, &pending.path);
            if !pending.quiet || outcome.is_err() {
                match outcome {
                    Ok(()) => self
                        .runtime
                        .notices
                        .info(Source::Session, format!("saved {}", pending.path.display())),
                    Err(e) => self
                        .runtime
                        .notices
                        .error(Source::Session, format!("the session was not saved: {e:#}")),
                }
            }
            self.jobs.pending_save = None;
        }
        if self.jobs.pending_save.is_some() {
            // The trainer's answer comes on a channel that wakes nobody.
            ctx.request_repaint_after(Duration::from_millis(20));
        }
        if let Some(autosave) = &self.autosave {
            ctx.request_repaint_after(AUTOSAVE_EVERY.saturating_sub(autosave.last.elapsed()));
        }
        let due = self
            .autosave
            .as_ref()
            .is_some_and(|a| a.last.elapsed() >= AUTOSAVE_EVERY);
        if due
            && self.jobs.pending_save.is_none()
            && self.jobs.replaying.is_none()
            && let Some(autosave) = &mut self.autosave
        {
            autosave.last = Instant::now();
            let path = autosave.path.clone();
            self.save_session_to(path, true);
        }
    }

    /// On exit: a last autosave (waiting briefly for the trainer), then the
    /// marker that says the app closed cleanly is removed.
    pub fn save_on_exit(&mut self) {
        let Some(autosave) = &self.autosave else {
            return;
        };
        let (path, marker) = (autosave.path.clone(), autosave.marker.clone());
        let (tx, rx) = channel();
        self.runtime.send(Command::Save(tx));
        if let Ok((run, train)) = rx.recv_timeout(EXIT_WAIT) {
            // Nothing to report to: the window is closing.
            let _ = write(&self.settings, train, run, &path);
        }
        let _ = std::fs::remove_file(marker);
    }

    /// The banner after a crash: restore the autosave, or dismiss it.
    pub(super) fn restore_offer_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let offer = self.autosave.as_ref().and_then(|a| a.offer.clone())?;
        let mut done = false;
        let mut command = None;
        ui.horizontal(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Valley did not close properly last time.",
            );
            if ui
                .button("Restore the autosaved session")
                .on_hover_text(offer.display().to_string())
                .clicked()
            {
                command = Some(AppCommand::Open(offer.clone()));
                done = true;
            }
            if ui.button("Dismiss").clicked() {
                done = true;
            }
        });
        if done && let Some(autosave) = &mut self.autosave {
            autosave.offer = None;
        }
        command
    }
}

fn write(
    settings: &Settings,
    train: TrainConfig,
    run: SavedRun,
    path: &Path,
) -> anyhow::Result<()> {
    let view = serde_json::to_value(settings)?;
    let session = Session::new(settings.problem_spec()?, train, run, view);
    save_session(&session, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_left_behind_means_a_crash_and_offers_the_autosave() {
        let dir = tempfile::tempdir().expect("temp dir");
        // First launch: nothing to offer; the marker now exists.
        let first = Autosave::new(dir.path());
        assert!(first.offer.is_none());
        assert!(dir.path().join("running").exists());
        std::fs::write(&first.path, b"{}").expect("an autosave");
        // The app "crashed": the marker is still there, so the next launch offers the autosave.
        let second = Autosave::new(dir.path());
        assert_eq!(
            second.offer.as_deref(),
            Some(dir.path().join("autosave.json").as_path())
        );
        // A clean exit removes the marker: no offer next time.
        std::fs::remove_file(dir.path().join("running")).expect("clean exit");
        assert!(Autosave::new(dir.path()).offer.is_none());
    }

    #[test]
    fn settings_and_problem_specs_translate_both_ways() {
        let settings = Settings::default();
        let spec = settings.problem_spec().expect("a dataset");
        let back = Settings::default()
            .showing(&spec, settings.train)
            .expect("the app can show it");
        assert_eq!(back.problem_spec().expect("spec"), spec);
        let uneven = ProblemSpec::Dataset {
            data: valley_engine::data::DatasetSpec::new(valley_engine::data::DatasetKind::Moons),
            hidden: vec![16, 8],
            activation: valley_engine::nn::Activation::Tanh,
        };
        let error = settings
            .showing(&uneven, settings.train)
            .expect_err("uneven widths");
        assert!(
            error.to_string().contains("valley train --session"),
            "{error}"
        );
    }
}
