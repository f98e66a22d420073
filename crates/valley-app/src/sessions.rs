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
use valley_engine::problem::TextSource;
use valley_engine::session::{Session, save_session, session_bytes};
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

/// The browser's autosave: no folder, so the latest session is kept in the
/// browser's storage (eframe's, which is localStorage on the web) and
/// offered back when the page is opened again.
pub struct KeptSession {
    last: Instant,
    /// The newest autosave, written into the storage when eframe next saves it.
    pub waiting: Option<String>,
    /// The session the storage held at launch, offered for continuing.
    pub offer: Option<String>,
}

impl KeptSession {
    /// Autosaving into the storage; `kept` is what it already holds.
    pub fn new(kept: Option<String>) -> Self {
        Self {
            last: Instant::now(),
            waiting: None,
            offer: kept.filter(|text| !text.is_empty()),
        }
    }
}

/// The storage key of the browser's autosaved session.
pub const KEPT_SESSION_KEY: &str = "valley-autosave";

/// How often the browser's autosave runs (a tab is closed without warning).
const KEEP_EVERY: Duration = Duration::from_secs(60);

/// Where a session goes once the trainer's state arrives.
enum Destination {
    /// A file.
    File(PathBuf),
    /// The browser's storage ([`KeptSession`]).
    Kept,
}

/// A save waiting for the trainer's answer.
pub struct PendingSave {
    reply: Receiver<(SavedRun, TrainConfig)>,
    to: Destination,
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
                    test_fraction: self.test_fraction,
                    ..valley_engine::data::DatasetSpec::new(kind)
                },
                hidden: vec![self.width; self.hidden_layers],
                activation: self.activation,
            },
            ProblemChoice::Language(corpus) => ProblemSpec::Language {
                text: TextSource::Corpus(corpus),
                context: self.context,
                embed: self.embed,
                hidden: vec![self.width; self.hidden_layers],
                activation: self.activation,
                test_fraction: self.test_fraction,
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
                settings.test_fraction = data.test_fraction;
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
            ProblemSpec::Language {
                text,
                context,
                embed,
                hidden,
                activation,
                test_fraction,
            } => {
                let TextSource::Corpus(corpus) = text else {
                    anyhow::bail!(
                        "the app trains language models on its built-in texts; this session reads a file: continue it with `valley train --session`"
                    );
                };
                let width = hidden.first().copied().unwrap_or(settings.width);
                if hidden.iter().any(|&h| h != width) {
                    anyhow::bail!(
                        "the app draws language models whose hidden layers are all the same width; this session's are {hidden:?}: continue it with `valley train --session`"
                    );
                }
                settings.problem = ProblemChoice::Language(*corpus);
                settings.context = *context;
                settings.embed = *embed;
                settings.hidden_layers = hidden.len();
                settings.width = width;
                settings.activation = *activation;
                settings.test_fraction = *test_fraction;
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
        self.request_save(Destination::File(path), quiet);
    }

    /// Asks the trainer for its state; [`Self::poll_sessions`] puts it `to` its place.
    fn request_save(&mut self, to: Destination, quiet: bool) {
        let (tx, rx) = channel();
        self.runtime.send(Command::Save(tx));
        self.jobs.pending_save = Some(PendingSave {
            reply: rx,
            to,
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
            let outcome = match &pending.to {
                Destination::File(path) => write(&pending.settings, train, run, path)
                    .map(|()| format!("saved {}", path.display())),
                Destination::Kept => {
                    let kept = keep(&pending.settings, train, run);
                    match (kept, &mut self.kept) {
                        (Ok(text), Some(store)) => {
                            store.waiting = Some(text);
                            Ok("kept the session in this browser".to_string())
                        }
                        (Ok(_), None) => Ok(String::new()),
                        (Err(e), _) => Err(e),
                    }
                }
            };
            if !pending.quiet || outcome.is_err() {
                match outcome {
                    Ok(message) => self.runtime.notices.info(Source::Session, message),
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
        // The desktop autosaves into its folder, a page into its storage.
        let since = |last: Instant, every: Duration| every.saturating_sub(last.elapsed());
        let wait = match (&self.autosave, &self.kept) {
            (Some(a), _) => Some(since(a.last, AUTOSAVE_EVERY)),
            (None, Some(k)) => Some(since(k.last, KEEP_EVERY)),
            (None, None) => None,
        };
        let Some(wait) = wait else {
            return;
        };
        ctx.request_repaint_after(wait);
        if !wait.is_zero() || self.jobs.pending_save.is_some() || self.jobs.replaying.is_some() {
            return;
        }
        if let Some(autosave) = &mut self.autosave {
            autosave.last = Instant::now();
            let path = autosave.path.clone();
            self.request_save(Destination::File(path), true);
        } else if let Some(kept) = &mut self.kept {
            kept.last = Instant::now();
            self.request_save(Destination::Kept, true);
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

    /// The banner after a crash: restore the autosave, or dismiss it (in
    /// a browser: continue the session it kept, or dismiss it).
    pub(super) fn restore_offer_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        if let Some(text) = self.kept.as_ref().and_then(|k| k.offer.clone()) {
            let mut done = false;
            let mut command = None;
            ui.horizontal(|ui| {
                ui.label("This browser kept your last session.");
                if ui.button("Continue it").clicked() {
                    command = Some(AppCommand::OpenBytes {
                        name: "the kept session".into(),
                        bytes: text.into_bytes().into(),
                    });
                    done = true;
                }
                if ui.button("Dismiss").clicked() {
                    done = true;
                }
            });
            if done && let Some(kept) = &mut self.kept {
                kept.offer = None;
            }
            return command;
        }
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

/// The session as text for the browser's storage.
fn keep(settings: &Settings, train: TrainConfig, run: SavedRun) -> anyhow::Result<String> {
    let view = serde_json::to_value(settings)?;
    let session = Session::new(settings.problem_spec()?, train, run, view);
    let bytes = session_bytes(&session, Path::new("the kept session"))?;
    Ok(String::from_utf8(bytes)?)
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
    fn a_session_kept_in_a_browsers_storage_opens_where_it_stopped() {
        let settings = Settings::default();
        let problem = super::super::runtime::build_problem(&settings).expect("the demo");
        let mut run = valley_engine::train::Run::new(problem, settings.train).expect("a run");
        for _ in 0..37 {
            run.step();
        }
        let text = keep(&settings, settings.train, run.save()).expect("kept");
        // What the storage gives back opens through the same door as a dropped file.
        let kept = KeptSession::new(Some(text.clone()));
        assert_eq!(kept.offer.as_deref(), Some(text.as_str()));
        let opened = super::super::files::read_bytes(
            Path::new("the kept session"),
            text.as_bytes(),
            &settings,
        )
        .expect("it opens");
        match opened {
            super::super::Opened::Session { session, .. } => assert_eq!(session.run.step, 37),
            other => panic!("expected a session, got {other:?}"),
        }
        // An empty store offers nothing.
        assert!(KeptSession::new(Some(String::new())).offer.is_none());
        assert!(KeptSession::new(None).offer.is_none());
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
