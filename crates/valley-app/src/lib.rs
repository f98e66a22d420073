//! The desktop app: a view over the engine. It draws and sends commands;
//! training and landscape grids run on their own threads, and each frame
//! only reads their latest results.

// In a browser the desktop's measuring, disk autosave and native dialogs
// are compiled but never called.
#![cfg_attr(target_arch = "wasm32", allow(dead_code))]

mod axes;
mod boundary_view;
mod charts_view;
mod command;
mod computed_plane;
mod contours_and_colorbar;
mod controls;
mod curvature_view;
mod dimensions_view;
mod export;
mod files;
mod film_strip_job;
mod header;
mod import;
mod jobs;
mod lab_settings;
pub mod lab_view;
mod landscape_view;
mod language_view;
mod launch;
pub mod lesson;
mod link;
mod measure;
mod minima_view;
mod notices;
mod one_weight_view;
mod presets;
mod race;
mod runtime;
mod scene;
mod script;
mod sessions;
mod settings;
mod settings_check;
mod side_by_side_view;
mod surface_labels;
mod surface_scene;
mod surface_view;
mod wake;
mod widgets;

use std::path::PathBuf;
use valley_engine::exec::Instant;

use egui::Key;
use valley_figure::plain_number;

pub use command::AppCommand;
pub use export::ExportKind;
pub use files::{Opened, read_file};
pub use lab_settings::{LabExperiment, LabSettings};
#[cfg(not(target_arch = "wasm32"))]
pub use launch::run;
pub use launch::{LaunchOptions, Prepared, prepare};
pub use link::Link;
pub use measure::{Yardstick, yardstick};
pub use minima_view::{Along, Compared, MinimaState};
pub use notices::{Level, Notice, Notices, Source};
pub use presets::preset;
pub use runtime::Runtime;
pub use scene::Scene;
pub use script::{Condition, Probe, Script, ScriptOutcome};
pub use settings::{
    Camera, CentralView, CurveChoice, DirectionChoice, ImportSpec, LowerChart, ProblemChoice,
    Settings, SliceMode,
};
pub use settings_check::Checked;
pub use valley_engine::landscape::WormholePoint;
pub use wake::Wake;

use valley_engine::train::{Command, RunState};

/// Key under which eframe persists the settings.
const SETTINGS_KEY: &str = "valley-settings";
/// Key that remembers the welcome card was seen.
const WELCOMED_KEY: &str = "valley-welcomed";

/// The app: persisted settings, plus the runtime that serves them.
pub struct ValleyApp {
    /// What the user chose (persisted).
    pub settings: Settings,
    /// Threads and results.
    pub runtime: Runtime,
    /// The settings the engine currently runs with; any difference from
    /// `settings` (from a control, a key, a test) is applied once per frame.
    applied: Settings,
    heatmap: landscape_view::HeatmapCache,
    /// The frozen map beside the following one.
    twin_heatmap: landscape_view::HeatmapCache,
    surface: surface_scene::SurfaceCache,
    boundary: boundary_view::BoundaryCache,
    language: language_view::LanguagePanel,
    one_weight: one_weight_view::OneWeightPanel,
    /// A scripted run (a screenshot, a measurement) and its commands.
    script: Option<Script>,
    measure: Option<measure::MeasurePlan>,
    frame_ms: f32,
    /// Where exported figures and CSV files go (the working directory by default).
    pub export_dir: PathBuf,
    /// The import form's paths and outcome.
    import: import::ImportForm,
    /// Autosaving (the real app only; not tests or scripted runs).
    autosave: Option<sessions::Autosave>,
    /// The browser's autosave, in its storage.
    pub kept: Option<sessions::KeptSession>,
    /// Exports, saves, replays and analyses in flight.
    pub jobs: jobs::Jobs,
    /// Close the window after this frame.
    quit_requested: bool,
    /// The lesson being played, if any.
    pub lesson: Option<lesson::LessonPlayer>,
    /// The first-launch card ("Start the first lesson" / "Explore freely").
    pub welcome: bool,
    /// A lesson being exported step by step (`valley lesson export`).
    lesson_export: Option<lesson::LessonExport>,
    /// The lesson being written in the app, if the window was opened.
    pub recorder: Option<lesson::Recorder>,
    /// The generalisation lab's experiments and results.
    pub lab: lab_view::Lab,
}

impl ValleyApp {
    /// Starts the engine threads for these settings; `wake` asks for a repaint.
    pub fn new(settings: Settings, wake: Wake) -> anyhow::Result<Self> {
        let runtime = Runtime::new(&settings, wake)?;
        Ok(Self {
            applied: settings.clone(),
            settings,
            runtime,
            heatmap: Default::default(),
            twin_heatmap: Default::default(),
            surface: Default::default(),
            boundary: Default::default(),
            language: Default::default(),
            one_weight: Default::default(),
            script: None,
            measure: None,
            frame_ms: 0.0,
            export_dir: std::env::current_dir().unwrap_or_default(),
            import: Default::default(),
            autosave: None,
            kept: None,
            jobs: Default::default(),
            quit_requested: false,
            lesson: None,
            welcome: false,
            lesson_export: None,
            recorder: None,
            lab: Default::default(),
        })
    }

    /// Whether training is running.
    pub fn is_running(&self) -> bool {
        self.runtime.snapshot.state == RunState::Running
    }

    /// Does what a button, a key, a click, a script or a lesson asks: the
    /// one place where the app acts.
    pub fn execute(&mut self, command: AppCommand) {
        match command {
            AppCommand::TogglePlay => {
                let next = if self.is_running() {
                    AppCommand::Pause
                } else {
                    AppCommand::Play
                };
                self.execute(next);
            }
            AppCommand::Play => {
                if !self.runtime.trainer.is_alive() {
                    self.runtime.restart_trainer(&self.settings);
                }
                self.runtime.send(Command::Play);
            }
            AppCommand::Pause => self.runtime.send(Command::Pause),
            AppCommand::Step(steps) => {
                if !self.runtime.trainer.is_alive() {
                    self.runtime.restart_trainer(&self.settings);
                }
                self.runtime.send(Command::Step(steps));
            }
            AppCommand::Reset => {
                if self.runtime.trainer.is_alive() {
                    self.runtime.send(Command::Reset {
                        seed: Some(self.settings.train.seed),
                    });
                } else {
                    self.runtime.restart_trainer(&self.settings);
                }
                self.runtime.notices.clear(Source::Trainer);
            }
            AppCommand::ResetWithLearningRate(lr) => {
                self.settings.train.optimizer.lr = lr;
                self.apply();
                self.execute(AppCommand::Reset);
            }
            AppCommand::DropBall(params) => self.runtime.send(Command::SetParams(params)),
            AppCommand::Pace(speed) => self.runtime.send(Command::SetSpeed(
                speed.unwrap_or_else(|| runtime::speed_of(&self.settings)),
            )),
            AppCommand::RecomputeDirections => {
                self.runtime.slices.computed.again();
                self.runtime.forget_slices();
            }
            AppCommand::AskForFile => self.ask_for_file(),
            AppCommand::Open(path) => self.open(&path),
            AppCommand::OpenBytes { name, bytes } => self.open_bytes(&name, &bytes),
            AppCommand::SaveSession => self.save_session(),
            AppCommand::Export(kind) => self.export(kind),
            AppCommand::SaveWindowAs(path) => {
                self.jobs.last_window_save = None;
                self.jobs.window_save = Some(path);
            }
            AppCommand::CancelReplay => self.cancel_replay(),
            AppCommand::TogglePresentation => {
                self.settings.presentation = !self.settings.presentation;
            }
            AppCommand::Dismiss(source) => self.runtime.notices.clear(source),
            AppCommand::ShowScene(settings) => {
                let keep = (self.settings.presentation, self.settings.camera);
                self.settings = *settings;
                (self.settings.presentation, self.settings.camera) = keep;
                self.jobs.replaying = None;
                self.apply();
            }
            AppCommand::ComputePlane(recipe) => {
                self.settings.directions = recipe;
                self.apply();
                self.execute(AppCommand::RecomputeDirections);
            }
            AppCommand::OpenLesson(name) => match lesson::find(&name) {
                Ok(lesson) => self.start_lesson(lesson),
                Err(message) => self.runtime.notices.error(Source::Lesson, message),
            },
            AppCommand::LessonGo(index) => {
                if let Some(player) = &mut self.lesson {
                    player.go(index);
                }
            }
            AppCommand::LessonGuess(yes) => {
                if let Some(player) = &mut self.lesson {
                    player.answer_with(yes);
                }
            }
            AppCommand::LeaveLesson => self.lesson = None,
            AppCommand::RecordLesson => {
                self.recorder.get_or_insert_with(Default::default).open = true;
            }
            AppCommand::SaveLesson { name, text } => self.save_lesson(name, text),
            AppCommand::Quit => self.quit_requested = true,
        }
    }

    /// Writes a recorded lesson into the export folder, off the UI thread;
    /// the status line reports where (or why not).
    fn save_lesson(&mut self, name: String, text: String) {
        let path = self.export_dir.join(name);
        let report = std::sync::Arc::clone(&self.jobs.export_message);
        let wake = self.runtime.wake();
        let spawned = valley_engine::exec::spawn_detached("valley-lesson-save", move || {
            let outcome = valley_engine::io::write_atomic(&path, text.as_bytes())
                .map(|()| {
                    format!(
                        "saved the lesson {} (open it with Open… or valley --lesson)",
                        path.display()
                    )
                })
                .map_err(|e| format!("could not save the lesson {}: {e}", path.display()));
            export::set(&report, outcome);
            wake();
        });
        if let Err(e) = spawned {
            self.runtime
                .notices
                .error(Source::Lesson, format!("could not save the lesson: {e}"));
        }
    }

    /// Starts a lesson at its first step (the welcome card goes).
    pub fn start_lesson(&mut self, lesson: std::sync::Arc<lesson::Lesson>) {
        self.welcome = false;
        self.runtime.notices.clear(Source::Lesson);
        self.lesson = Some(lesson::LessonPlayer::new(lesson, 0, self.script.is_some()));
    }

    /// What the lesson sees of the app this frame.
    fn seen(&self, since: u64) -> lesson::Seen<'_> {
        let snapshot = &self.runtime.snapshot;
        lesson::Seen {
            snapshot,
            race: self.runtime.race.latest.as_deref(),
            lr: self.settings.train.optimizer.lr,
            optimizer: self.settings.train.optimizer.kind,
            off_plane: self
                .runtime
                .slices
                .wormhole
                .track()
                .points()
                .last()
                .map(|p| p.off_plane),
            lambda_max: self.jobs.curvature.lambda_max(&snapshot.params),
            since,
            negative_share: self.jobs.curvature.negative_share(&snapshot.params),
            spectrum: self.jobs.curvature.history(),
            dimensions: self.settings.dimensions,
        }
    }

    /// The commands the lesson wants this frame.
    fn lesson_commands(&mut self) -> Vec<AppCommand> {
        let Some(mut player) = self.lesson.take() else {
            return Vec::new();
        };
        let mut commands = player.advance(&self.seen(player.since));
        if let Some(mut export) = self.lesson_export.take() {
            let probe = lesson::ExportProbe {
                seen: self.seen(player.since),
                settled: self.runtime.is_settled() && self.lab_settled(),
                running: self.is_running(),
                window_saved: self.jobs.last_window_save.clone(),
                analysed: self.settings.lower != LowerChart::Curvature
                    || matches!(self.runtime.snapshot.state, RunState::Diverged { .. })
                    || self
                        .jobs
                        .curvature
                        .lambda_max(&self.runtime.snapshot.params)
                        .is_some(),
            };
            commands.extend(export.advance(&player, &probe));
            self.lesson_export = Some(export);
        }
        self.lesson = Some(player);
        commands
    }

    /// Writes the slice as a PNG figure, the window as a PNG, or the grid and
    /// trajectory as CSV, into `export_dir`. PNGs carry the scene.
    fn export(&mut self, kind: ExportKind) {
        if kind == ExportKind::Window {
            let path = export::window_file(&self.export_dir, self.runtime.snapshot.step);
            self.execute(AppCommand::SaveWindowAs(path));
            return;
        }
        if kind == ExportKind::FilmStrip {
            if self.jobs.film_strip.is_some() {
                return;
            }
            match film_strip_job::FilmStripJob::start(
                &self.runtime,
                &self.settings,
                &self.export_dir,
            ) {
                Ok(job) => self.jobs.film_strip = Some(job),
                Err(message) => self.runtime.notices.error(Source::FilmStrip, message),
            }
            return;
        }
        if kind == ExportKind::Weights {
            let import = (self.settings.problem == ProblemChoice::Imported)
                .then(|| self.settings.import.clone())
                .flatten();
            export::save_weights(
                &self.runtime,
                import,
                &self.export_dir,
                &self.jobs.export_message,
            );
            return;
        }
        export::start(
            kind,
            &self.runtime,
            self.settings.log_scale,
            &self.export_dir,
            self.scene_json(),
            &self.jobs.export_message,
        );
    }

    /// The colour scales the two maps were last drawn with (the main map's,
    /// and the frozen one's beside it): what a comparison reads.
    pub fn colour_scales(&self) -> [Option<valley_figure::colour_scale::ColourScale>; 2] {
        [self.heatmap.scale.clone(), self.twin_heatmap.scale.clone()]
    }

    /// The current scene as JSON, for the metadata of saved PNGs.
    pub fn scene_json(&self) -> String {
        scene::Scene::new(&self.settings, self.runtime.snapshot.step).to_json()
    }

    /// Tells the engine what changed since the settings were last applied.
    fn apply(&mut self) {
        let before = std::mem::replace(&mut self.applied, self.settings.clone());
        let now = &self.settings;
        let now_speed_changed = now.steps_per_second != before.steps_per_second;
        if now.needs_new_problem(&before) {
            self.applied = self.settings.clone();
            self.runtime.rebuild(&self.settings);
            // The new problem's trainer keeps the pace it had: say the one asked for.
            if now_speed_changed {
                self.runtime
                    .send(Command::SetSpeed(runtime::speed_of(&self.settings)));
            }
            return;
        }
        if now.train != before.train {
            self.runtime.send(Command::SetConfig(now.train));
        }
        if now.steps_per_second != before.steps_per_second {
            self.runtime.send(Command::SetSpeed(runtime::speed_of(now)));
        }
    }

    /// One frame: keys, ingest results, draw, then the commands the views
    /// and the script returned. Used by eframe and by tests.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        install_fonts(ui.ctx());
        let mut commands = self.keyboard(ui);
        self.runtime.logic(&self.settings);
        self.collect_reports();
        commands.extend(self.script_commands(ui.ctx()));
        commands.extend(self.lesson_commands());
        if self.lesson_export.is_some() {
            ui.ctx().request_repaint();
        }
        if let Some(plan) = &mut self.measure {
            plan.advance(ui.ctx(), &self.runtime, self.frame_ms);
        }
        commands.extend(self.poll_files(ui));
        self.poll_sessions(ui.ctx());
        if let Some(path) = self.jobs.window_save.take() {
            export::save_window(
                ui.ctx(),
                path,
                self.scene_json(),
                &self.jobs.window_saved,
                self.runtime.wake(),
            );
        }
        self.style(ui.ctx());
        commands.extend(self.panels_ui(ui));
        for command in commands {
            self.execute(command);
        }
        // A command may have switched presentation mode: the next frame shows it.
        self.style(ui.ctx());
        if self.settings != self.applied {
            self.apply();
        }
        if std::mem::take(&mut self.quit_requested) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        // The UI's own cost per frame (it sleeps between frames when idle).
        let ms = started.elapsed().as_secs_f32() * 1000.0;
        self.frame_ms = if self.frame_ms == 0.0 {
            ms
        } else {
            0.9 * self.frame_ms + 0.1 * ms
        };
    }

    /// Turns what background work reported since the last frame into notices.
    fn collect_reports(&mut self) {
        let notices = &mut self.runtime.notices;
        notices.expire();
        match self
            .jobs
            .export_message
            .lock()
            .ok()
            .and_then(|mut m| m.take())
        {
            Some(Ok(text)) => notices.info(Source::Export, text),
            Some(Err(text)) => notices.error(Source::Export, text),
            None => {}
        }
        match self
            .jobs
            .window_saved
            .lock()
            .ok()
            .and_then(|mut m| m.take())
        {
            Some(Ok(path)) => {
                // An export's own figures are announced on its progress bar.
                if self.lesson_export.is_none() {
                    notices.info(Source::Export, format!("saved {}", path.display()));
                }
                self.jobs.last_window_save = Some(Ok(()));
            }
            Some(Err(text)) => {
                notices.error(Source::Export, text.clone());
                self.jobs.last_window_save = Some(Err(text));
            }
            None => {}
        }
        if let Some(outcome) = self.jobs.film_strip.as_ref().and_then(|job| job.poll()) {
            self.jobs.film_strip = None;
            match outcome {
                Ok(text) => notices.info(Source::FilmStrip, text),
                Err(text) => notices.error(Source::FilmStrip, text),
            }
        }
    }

    /// Whether the Generalisation view, if shown, has all its rows.
    fn lab_settled(&self) -> bool {
        self.settings.view != CentralView::Generalisation || self.lab.is_settled()
    }

    /// The commands a running script wants this frame.
    fn script_commands(&mut self, ctx: &egui::Context) -> Vec<AppCommand> {
        let lab_settled = self.lab_settled();
        let Some(script) = &mut self.script else {
            return Vec::new();
        };
        ctx.request_repaint();
        let probe = Probe {
            snapshot: &self.runtime.snapshot,
            settled: self.runtime.is_settled() && lab_settled,
            replay_to: self.jobs.replaying.as_ref().map(|r| r.target),
            window_saved: self.jobs.last_window_save.clone(),
            measured: self.measure.as_ref().is_some_and(|m| m.is_done()),
        };
        script.advance(&probe)
    }

    /// The panels; returns what the user asked for in them.
    fn panels_ui(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        let running = self.is_running();
        // Panels leave their fill to the clear colour: under a software
        // renderer every full-window layer costs frames per second.
        let style = ui.style().clone();
        let side = egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT);
        let central = egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT);
        egui::Panel::bottom("status")
            .frame(side)
            .show(ui, |ui| commands.extend(self.status_ui(ui)));
        if self.settings.presentation {
            egui::Panel::top("presenter").frame(side).show(ui, |ui| {
                commands.extend(controls::presenter_strip_ui(
                    ui,
                    &mut self.settings,
                    running,
                ));
            });
            if self.lesson.is_some() {
                // On a projector the card takes the controls' place.
                let width = ui.available_width() * 0.3;
                egui::Panel::left("lesson")
                    .frame(side)
                    .exact_size(width)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical().show(ui, |ui| {
                            commands.extend(self.lesson_card_ui(ui));
                        });
                    });
            }
        } else {
            let locks = self.lesson.as_ref().map(|p| controls::Locks {
                locked: p.step().file.lock.clone(),
                hidden: p.step().file.hide.clone(),
            });
            egui::Panel::left("controls")
                .frame(side)
                .default_size(if self.lesson.is_some() { 320.0 } else { 270.0 })
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if self.lesson.is_some() {
                            commands.extend(self.lesson_card_ui(ui));
                            ui.separator();
                        }
                        commands.extend(controls::controls_ui(
                            ui,
                            &mut self.settings,
                            &mut self.import,
                            (self.applied.problem == ProblemChoice::Imported)
                                .then_some(self.runtime.problem.as_ref()),
                            self.runtime.problem.as_ref(),
                            running,
                            &locks.unwrap_or_default(),
                        ));
                    });
                });
        }
        let charts_width = ui.available_width() * 0.34;
        let mut charts = egui::Panel::right("charts").frame(side);
        // On a projector the landscape gets the room; the charts keep a third.
        charts = if self.settings.presentation {
            charts.exact_size(charts_width)
        } else {
            charts.default_size(charts_width)
        };
        // A lesson on a projector showing both planes gives them the charts'
        // room: the side-by-side view carries its own drift charts.
        let maps_need_room = self.settings.presentation
            && self.lesson.is_some()
            && self.settings.view == CentralView::SideBySide;
        if !maps_need_room {
            charts.show(ui, |ui| self.charts_ui(ui));
        }
        if self.welcome {
            commands.extend(self.welcome_ui(ui.ctx()));
        }
        if let Some(recorder) = &mut self.recorder
            && recorder.open
        {
            let step = self.runtime.snapshot.step;
            commands.extend(lesson::recorder_ui(
                ui.ctx(),
                recorder,
                &self.settings,
                step,
            ));
        }
        egui::CentralPanel::default().frame(central).show(ui, |ui| {
            commands.extend(self.restore_offer_ui(ui));
            // Truncated, not wrapped or widened: a long title must not push
            // the map under the charts on a narrow projector screen.
            ui.add(
                egui::Label::new(egui::RichText::new(self.runtime.problem.name()).heading())
                    .truncate(),
            );
            commands.extend(header::header_ui(
                ui,
                &mut self.settings.view,
                self.runtime.problem.surface().is_none(),
                self.settings.presentation,
                self.lesson.is_some(),
            ));
            commands.extend(self.divergence_ui(ui));
            commands.extend(self.central_view_ui(ui));
        });
        commands
    }

    /// The first launch's card: a lesson, or the instrument itself.
    fn welcome_ui(&mut self, ctx: &egui::Context) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        egui::Window::new("Welcome to Valley")
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(
                    egui::RichText::new(
                        "Watch gradient descent roll down a loss landscape. The lessons lead you through the ideas one step at a time; or explore the instrument freely.",
                    )
                    .size(16.0),
                );
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    let first = lesson::ids().first().map(|id| id.to_string());
                    if let Some(first) = first
                        && ui
                            .button(egui::RichText::new("Start the first lesson").size(18.0).strong())
                            .clicked()
                    {
                        commands.push(AppCommand::OpenLesson(first));
                    }
                    if ui.button(egui::RichText::new("Explore freely").size(18.0)).clicked() {
                        self.welcome = false;
                    }
                });
                ui.add_space(4.0);
                ui.weak("Every lesson is in the Lessons menu above the map.");
            });
        commands
    }

    /// The lesson's card, in whichever panel holds it.
    fn lesson_card_ui(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let Some(player) = self.lesson.take() else {
            return Vec::new();
        };
        let mut settings = self.settings.clone();
        let commands = lesson::card_ui(ui, &player, &self.seen(player.since), &mut settings);
        self.settings = settings;
        self.lesson = Some(player);
        commands
    }

    /// The right-hand column: the 1D slice, the curves, and the lower chart.
    fn charts_ui(&mut self, ui: &mut egui::Ui) {
        // A language model's next-character panel needs room for its bars
        // and samples: the slice and the curves give it some.
        let language = self.runtime.problem.language().is_some();
        let share = match self.settings.lower {
            LowerChart::Predictions | LowerChart::OneWeight if language => 4.5,
            _ => 3.0,
        };
        let height = (ui.available_height() / share - 28.0).max(70.0);
        ui.strong("1D slice along direction 1");
        charts_view::line_slice_ui(ui, &self.runtime, height);
        // Dragging one weight needs the room: its own curve and readouts
        // stand in for the training curves, a tab away.
        if !(language && self.settings.lower == LowerChart::OneWeight) {
            charts_view::curve_choice_ui(ui, &mut self.settings.curve);
            charts_view::curves_ui(ui, &self.runtime, height, self.settings.curve);
        }
        ui.horizontal_wrapped(|ui| {
            if language {
                ui.selectable_value(&mut self.settings.lower, LowerChart::Predictions, "Next character")
                    .on_hover_text("What the model predicts after a prompt, and text it writes");
                ui.selectable_value(&mut self.settings.lower, LowerChart::OneWeight, "One weight")
                    .on_hover_text("Drag a single weight and watch the prediction, the loss and the loss curve along that weight move");
            } else {
                ui.selectable_value(&mut self.settings.lower, LowerChart::Predictions, "Predictions")
                    .on_hover_text("What the model predicts: decision regions over the data, or the fitted curve");
            }
            ui.selectable_value(&mut self.settings.lower, LowerChart::Curvature, "Curvature")
                .on_hover_text("The Hessian at the ball: sharpness, the most negative curvature, and the spectrum");
            if self.runtime.problem.num_train_examples() > 0 {
                ui.selectable_value(&mut self.settings.lower, LowerChart::Minima, "Flat vs sharp")
                    .on_hover_text("Train this model with small batches and with the full batch, and compare the minima: sharpness, shape and test loss");
            }
        });
        match self.settings.lower {
            LowerChart::Predictions if language => language_view::language_ui(
                ui,
                &self.runtime,
                &mut self.language,
                &mut self.settings,
                height,
            ),
            LowerChart::OneWeight if language => one_weight_view::one_weight_ui(
                ui,
                &self.runtime,
                &mut self.one_weight,
                &self.language.prompt,
                height,
            ),
            LowerChart::Predictions | LowerChart::OneWeight => {
                boundary_view::boundary_ui(ui, &self.runtime, &mut self.boundary, height)
            }
            LowerChart::Curvature => {
                curvature_view::curvature_ui(ui, &self.runtime, &mut self.jobs.curvature, height)
            }
            LowerChart::Minima => minima_view::minima_ui(
                ui,
                &self.runtime,
                &self.settings,
                &mut self.jobs.minima,
                height,
            ),
        }
    }

    /// A diverged or escaped run, announced above the map in large type,
    /// with the one-click way out.
    fn divergence_ui(&self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let RunState::Diverged { step, loss } = self.runtime.snapshot.state else {
            return None;
        };
        let lr = self.settings.train.optimizer.lr;
        let smaller = lr / 10.0;
        let mut command = None;
        egui::Frame::new()
            .fill(ui.visuals().extreme_bg_color)
            .inner_margin(10.0)
            .corner_radius(6.0)
            .show(ui, |ui| {
                let escaped = loss < 0.0;
                let headline = match escaped {
                    true => format!(
                        "The ball escaped at step {step}: this surface has no bottom that way"
                    ),
                    false => format!(
                        "The run diverged at step {step}: the loss blew up (to {})",
                        plain_number(f64::from(loss))
                    ),
                };
                ui.label(
                    egui::RichText::new(headline)
                        .size(22.0)
                        .strong()
                        .color(ui.visuals().error_fg_color),
                );
                ui.horizontal_wrapped(|ui| {
                    if !escaped {
                        ui.label(
                            egui::RichText::new(format!(
                                "Steps of learning rate {} overshoot the valley.",
                                plain_number(f64::from(lr))
                            ))
                            .size(16.0),
                        );
                        if ui
                            .button(
                                egui::RichText::new(format!(
                                    "Reset with learning rate {}",
                                    plain_number(f64::from(smaller))
                                ))
                                .size(16.0),
                            )
                            .clicked()
                        {
                            command = Some(AppCommand::ResetWithLearningRate(smaller));
                        }
                    }
                    if ui
                        .button(egui::RichText::new("Reset").size(16.0))
                        .on_hover_text("Back to step 0 with the same settings (R)")
                        .clicked()
                    {
                        command = Some(AppCommand::Reset);
                    }
                });
            });
        command
    }

    /// The map, the surface or the two maps; a click on a map drops the ball.
    fn central_view_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        // No hover read-out in scripted pictures: the pointer is wherever the display left it.
        let show_hover = self.script.is_none() && self.lesson_export.is_none();
        let clicked = match self.settings.view {
            CentralView::SideBySide if self.runtime.is_side_by_side() => {
                side_by_side_view::side_by_side_ui(
                    ui,
                    &self.runtime,
                    &mut self.twin_heatmap,
                    &mut self.heatmap,
                    self.settings.log_scale,
                    &mut self.settings.same_scale,
                    show_hover,
                )
            }
            CentralView::Map | CentralView::SideBySide => landscape_view::landscape_ui(
                ui,
                &self.runtime,
                &mut self.heatmap,
                self.settings.log_scale,
                show_hover,
            ),
            CentralView::Generalisation => {
                let wake = self.runtime.wake();
                let settings = (&mut self.settings.lab, &mut self.settings.lab_settings);
                let command = lab_view::lab_ui(ui, &mut self.lab, settings, &wake);
                if command.is_some() {
                    // The model opens in the map, where its landscape is.
                    self.settings.view = CentralView::Map;
                }
                return command;
            }
            CentralView::Dimensions => {
                dimensions_view::dimensions_ui(
                    ui,
                    &mut self.settings,
                    self.runtime.problem.num_params(),
                    self.jobs.curvature.history(),
                );
                None
            }
            CentralView::Surface => {
                let overlay = self
                    .runtime
                    .slices
                    .grid
                    .as_ref()
                    .filter(|_| self.runtime.is_consistent())
                    .map(|grid| self.heatmap.overlay_for(&self.runtime, grid));
                surface_view::surface_ui(
                    ui,
                    &self.runtime,
                    &mut self.surface,
                    overlay.as_ref(),
                    &mut self.settings.camera,
                    self.settings.log_scale,
                );
                None
            }
        };
        clicked.map(AppCommand::DropBall)
    }

    /// The keys: Space, Right, R, P, Ctrl+S and Ctrl+O, as commands.
    fn keyboard(&mut self, ui: &egui::Ui) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, Key::S)) {
            commands.push(AppCommand::Export(ExportKind::Png));
        }
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, Key::O)) {
            commands.push(AppCommand::AskForFile);
        }
        // Keys must not fire while the user types into a field.
        if ui.ctx().egui_wants_keyboard_input() {
            return commands;
        }
        if let Some(player) = &self.lesson {
            let (next, back) = ui.input(|i| {
                (
                    i.key_pressed(Key::PageDown) || i.key_pressed(Key::ArrowDown),
                    i.key_pressed(Key::PageUp) || i.key_pressed(Key::ArrowUp),
                )
            });
            if next && player.index + 1 < player.len() {
                commands.push(AppCommand::LessonGo(player.index + 1));
            }
            if back && player.index > 0 {
                commands.push(AppCommand::LessonGo(player.index - 1));
            }
        }
        ui.input(|i| {
            let plain = |key| i.key_pressed(key) && !i.modifiers.any();
            for (pressed, command) in [
                (i.key_pressed(Key::Space), AppCommand::TogglePlay),
                (i.key_pressed(Key::ArrowRight), AppCommand::Step(1)),
                (plain(Key::R), AppCommand::Reset),
                (plain(Key::P), AppCommand::TogglePresentation),
            ] {
                if pressed {
                    commands.push(command);
                }
            }
        });
        commands
    }

    fn style(&self, ctx: &egui::Context) {
        let (visuals, zoom) = if self.settings.presentation {
            (egui::Visuals::light(), 1.5)
        } else {
            (egui::Visuals::dark(), 1.0)
        };
        if ctx.zoom_factor() != zoom {
            ctx.set_zoom_factor(zoom);
        }
        if ctx.global_style().visuals.dark_mode != visuals.dark_mode {
            ctx.set_visuals(visuals);
        }
    }

    /// The run's figures on the status line; during a race the lanes' own,
    /// since the main run is hidden then.
    fn run_figures_ui(&self, ui: &mut egui::Ui) {
        if let Some(race) = &self.runtime.race.latest {
            for lane in &race.lanes {
                let loss = match lane.state {
                    // Off the bottom of a surface that falls forever: it escaped.
                    RunState::Diverged { loss, .. } if loss < 0.0 => "escaped".to_string(),
                    RunState::Diverged { .. } => "diverged".to_string(),
                    _ => format!("loss {}", plain_number(f64::from(lane.loss))),
                };
                // The lane's colour on its dot: pale colours do not read as text.
                ui.colored_label(race::lane_colour(lane.kind), "●");
                ui.label(format!("{} {loss}", lane.name));
            }
            return;
        }
        let s = &self.runtime.snapshot;
        let loss = |v: f32| plain_number(f64::from(v));
        ui.label(format!("train loss {}", loss(s.evaluation.train_loss)));
        if let Some(test) = s.evaluation.test_loss {
            ui.label(format!("test loss {}", loss(test)));
        }
        if let Some(acc) = s.evaluation.train_accuracy {
            ui.label(format!("accuracy {:.1} %", 100.0 * acc));
        }
        widgets::status_divider(ui);
        ui.label(format!("lr {}", loss(s.lr)));
        ui.label(format!("|∇| {}", loss(s.grad_norm)));
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        // On a projector one line, whatever it holds: notices are cut short
        // (their whole text on hover) rather than wrapped onto a second line.
        let presentation = self.settings.presentation;
        // The row starts one line tall and grows only by the lines it wraps
        // onto (a layout given the panel's whole height made the panel grow
        // each frame it had wrapped, until it filled the window).
        let row = |ui: &mut egui::Ui, add: &mut dyn FnMut(&mut egui::Ui)| {
            if presentation {
                ui.horizontal(|ui| add(ui));
            } else {
                ui.horizontal_wrapped(|ui| add(ui));
            }
        };
        row(ui, &mut |ui: &mut egui::Ui| {
            commands.extend(self.replay_ui(ui));
            let s = &self.runtime.snapshot;
            if let Some(job) = &self.jobs.film_strip {
                job.progress_ui(ui);
                widgets::status_divider(ui);
            }
            match s.state {
                // On a projector the banner over the map tells the story; the
                // status line only names it, so it stays on one line.
                RunState::Diverged { .. } => {
                    let text = match presentation {
                        true => s.state.brief(),
                        false => s.state.describe(),
                    };
                    ui.colored_label(egui::Color32::from_rgb(230, 60, 60), text);
                }
                RunState::Paused if s.step == 0 => {
                    ui.strong("Space to train");
                }
                state => {
                    ui.label(state.describe());
                }
            }
            widgets::status_divider(ui);
            ui.label(format!("step {}", s.step));
            widgets::status_divider(ui);
            self.run_figures_ui(ui);
            // On a projector the developer's figures make way for the run's own.
            if !self.settings.presentation {
                widgets::status_divider(ui);
                ui.label(format!("{:.0} steps/s", s.steps_per_second));
                // The interval between frames (what the eye sees) and the UI's own share of it.
                let interval = ui.input(|i| i.stable_dt).max(1e-4) * 1000.0;
                ui.label(format!(
                    "frame {interval:.0} ms · UI {:.1} ms",
                    self.frame_ms
                ))
                .on_hover_text("Time between frames, and the part of it the UI spends on layout; training and slices run on their own threads");
            }
            for notice in self.runtime.notices.iter() {
                widgets::status_divider(ui);
                let colour = match notice.level {
                    Level::Info => ui.visuals().text_color(),
                    Level::Warning => ui.visuals().warn_fg_color,
                    Level::Error => ui.visuals().error_fg_color,
                };
                let label = egui::Label::new(egui::RichText::new(&notice.text).color(colour));
                if presentation {
                    ui.add(label.truncate());
                } else {
                    ui.add(label);
                }
                if notice.level != Level::Info
                    && ui
                        .small_button("×")
                        .on_hover_text("Dismiss this message")
                        .clicked()
                {
                    commands.push(AppCommand::Dismiss(notice.source));
                }
            }
        });
        commands
    }
}

/// Adds DejaVu Sans after egui's own fonts, for the glyphs they lack (∇, ₁, ², …).
fn install_fonts(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    // add_font does nothing once the font is installed, so calling it every frame is cheap.
    ctx.add_font(FontInsert {
        name: "DejaVuSans".into(),
        data: egui::FontData::from_static(valley_figure::text::FONT_BYTES),
        families: [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
            .into_iter()
            .map(|family| InsertFontFamily {
                family,
                priority: FontPriority::Lowest,
            })
            .collect(),
    });
}

impl eframe::App for ValleyApp {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        // The panels are transparent (see `frame_ui`), so this is their colour.
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_on_exit();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.script.is_none() {
            eframe::set_value(storage, SETTINGS_KEY, &self.settings);
            eframe::set_value(storage, WELCOMED_KEY, &true);
        }
        if let Some(text) = self.kept.as_mut().and_then(|k| k.waiting.take()) {
            storage.set_string(sessions::KEPT_SESSION_KEY, text);
        }
    }
}
