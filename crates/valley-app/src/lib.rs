//! The desktop app: a view over the engine. It draws and sends commands;
//! training and landscape grids run on their own threads, and each frame
//! only reads their latest results.

mod boundary_view;
mod charts_view;
mod computed_plane;
mod contours_and_colorbar;
mod controls;
mod curvature_view;
mod export;
mod files;
mod film_strip_job;
mod header;
mod import;
mod landscape_view;
mod launch;
mod measure;
mod minima_view;
mod race;
mod runtime;
mod scene;
mod screenshot;
mod sessions;
mod settings;
mod settings_check;
mod side_by_side_view;
mod surface_view;
mod wake;

use std::path::PathBuf;
use std::time::Instant;

use egui::Key;

pub use controls::Action;
pub use export::ExportKind;
pub use files::{Opened, read_file};
pub use launch::{LaunchOptions, Prepared, prepare, preset, run};
pub use minima_view::{Compared, MinimaState};
pub use runtime::Runtime;
pub use scene::Scene;
pub use screenshot::ScreenshotPlan;
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
    surface: surface_view::SurfaceCache,
    boundary: boundary_view::BoundaryCache,
    screenshot: Option<ScreenshotPlan>,
    measure: Option<measure::MeasurePlan>,
    frame_ms: f32,
    /// Where exported figures and CSV files go (the working directory by default).
    pub export_dir: PathBuf,
    export_message: export::ExportMessage,
    /// A file picked in the dialog, waiting to be opened.
    picked: files::Picked,
    /// A scene's run replaying to its saved step.
    replaying: Option<files::Replay>,
    /// Save the window once this frame is drawn.
    window_save_requested: bool,
    /// The import form's paths and outcome.
    import: import::ImportForm,
    /// The curvature analysis at the ball.
    curvature: curvature_view::CurvatureState,
    /// A session save waiting for the trainer's state.
    pending_save: Option<sessions::PendingSave>,
    /// Autosaving (the real app only; not tests or scripted runs).
    autosave: Option<sessions::Autosave>,
    /// A film strip being made.
    film_strip: Option<film_strip_job::FilmStripJob>,
    /// Flat vs sharp minima.
    pub minima: MinimaState,
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
            screenshot: None,
            measure: None,
            frame_ms: 0.0,
            export_dir: std::env::current_dir().unwrap_or_default(),
            export_message: Default::default(),
            picked: Default::default(),
            replaying: None,
            window_save_requested: false,
            import: Default::default(),
            curvature: Default::default(),
            pending_save: None,
            autosave: None,
            film_strip: None,
            minima: Default::default(),
        })
    }

    /// Whether training is running.
    pub fn is_running(&self) -> bool {
        self.runtime.snapshot.state == RunState::Running
    }

    /// Applies a button press or key.
    pub fn act(&mut self, action: Action) {
        match action {
            Action::TogglePlay => {
                let command = if self.is_running() {
                    Command::Pause
                } else {
                    Command::Play
                };
                if !self.runtime.trainer.is_alive() {
                    self.runtime.restart_trainer(&self.settings);
                }
                self.runtime.send(command);
            }
            Action::Step => self.runtime.send(Command::Step(1)),
            Action::Reset => {
                if self.runtime.trainer.is_alive() {
                    self.runtime.send(Command::Reset {
                        seed: Some(self.settings.train.seed),
                    });
                } else {
                    self.runtime.restart_trainer(&self.settings);
                }
                self.runtime.message = None;
            }
            Action::RecomputeDirections => {
                self.runtime.computed.again();
                self.runtime.forget_slices();
            }
        }
    }

    /// Writes the slice as a PNG figure, the window as a PNG, or the grid and
    /// trajectory as CSV, into `export_dir`. PNGs carry the scene.
    pub fn export(&mut self, kind: ExportKind) {
        if kind == ExportKind::Window {
            self.window_save_requested = true;
            return;
        }
        if kind == ExportKind::FilmStrip {
            if self.film_strip.is_some() {
                return;
            }
            match film_strip_job::FilmStripJob::start(
                &self.runtime,
                &self.settings,
                &self.export_dir,
            ) {
                Ok(job) => self.film_strip = Some(job),
                Err(message) => self.runtime.message = Some(message),
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
                &self.export_message,
            );
            return;
        }
        export::start(
            kind,
            &self.runtime,
            self.settings.log_scale,
            &self.export_dir,
            self.scene_json(),
            &self.export_message,
        );
    }

    /// The current scene as JSON, for the metadata of saved PNGs.
    pub fn scene_json(&self) -> String {
        scene::Scene::new(&self.settings, self.runtime.snapshot.step).to_json()
    }

    /// Tells the engine what changed since the settings were last applied.
    fn apply(&mut self) {
        let before = std::mem::replace(&mut self.applied, self.settings.clone());
        let now = &self.settings;
        if now.needs_new_problem(&before) {
            if let ProblemChoice::Dataset(kind) = now.problem
                && now.problem != before.problem
            {
                self.settings.noise = kind.default_noise();
            }
            self.applied = self.settings.clone();
            self.runtime.rebuild(&self.settings);
            return;
        }
        if now.train != before.train {
            self.runtime.send(Command::SetConfig(now.train));
        }
        if now.steps_per_second != before.steps_per_second {
            self.runtime.send(Command::SetSpeed(runtime::speed_of(now)));
        }
    }

    /// One frame: keys, ingest results, draw. Used by eframe and by tests.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        install_fonts(ui.ctx());
        self.keyboard(ui);
        self.runtime.logic(&self.settings);
        if let Some(text) = self.export_message.lock().ok().and_then(|mut m| m.take()) {
            self.runtime.message = Some(text);
        }
        if self.screenshot.is_some() {
            let scene = self.scene_json();
            let replay_to = self.replaying.as_ref().map(|r| r.target);
            if let Some(plan) = &mut self.screenshot {
                plan.advance(ui.ctx(), &self.runtime, scene, replay_to);
            }
        }
        if let Some(plan) = &mut self.measure {
            plan.advance(ui.ctx(), &self.runtime, self.frame_ms);
        }
        if let Some(outcome) = self.film_strip.as_ref().and_then(|job| job.poll()) {
            self.film_strip = None;
            self.runtime.message = Some(match outcome {
                Ok(text) | Err(text) => text,
            });
        }
        self.poll_files(ui);
        self.poll_sessions();
        if std::mem::take(&mut self.window_save_requested) {
            export::save_window(
                ui.ctx(),
                &self.export_dir,
                self.runtime.snapshot.step,
                self.scene_json(),
                &self.export_message,
            );
        }
        self.style(ui.ctx());
        let running = self.is_running();
        let mut action = None;
        // Panels leave their fill to the clear colour: under a software
        // renderer every full-window layer costs frames per second.
        let style = ui.style().clone();
        let side = egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT);
        let central = egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT);
        egui::Panel::bottom("status")
            .frame(side)
            .show(ui, |ui| self.status_ui(ui));
        if !self.settings.presentation {
            egui::Panel::left("controls")
                .frame(side)
                .default_size(270.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        action = controls::controls_ui(
                            ui,
                            &mut self.settings,
                            &mut self.import,
                            (self.applied.problem == ProblemChoice::Imported)
                                .then_some(self.runtime.mlp_problem.as_deref())
                                .flatten(),
                            running,
                        );
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
        charts.show(ui, |ui| {
            let height = (ui.available_height() / 3.0 - 28.0).max(80.0);
            ui.strong("1D slice along direction 1");
            charts_view::line_slice_ui(ui, &self.runtime, height);
            charts_view::curve_choice_ui(ui, &mut self.settings.curve);
            charts_view::curves_ui(ui, &self.runtime, height, self.settings.curve);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.settings.lower, LowerChart::Predictions, "Predictions")
                    .on_hover_text("What the model predicts: decision regions over the data, or the fitted curve");
                ui.selectable_value(&mut self.settings.lower, LowerChart::Curvature, "Curvature")
                    .on_hover_text("The Hessian at the ball: sharpness, the most negative curvature, and the spectrum");
                if self.runtime.mlp_problem.is_some() {
                    ui.selectable_value(&mut self.settings.lower, LowerChart::Minima, "Flat vs sharp")
                        .on_hover_text("Train this model with small batches and with the full batch, and compare the minima: sharpness, shape and test loss");
                }
            });
            match self.settings.lower {
                LowerChart::Predictions => {
                    boundary_view::boundary_ui(ui, &self.runtime, &mut self.boundary, height)
                }
                LowerChart::Curvature => {
                    curvature_view::curvature_ui(ui, &self.runtime, &mut self.curvature, height)
                }
                LowerChart::Minima => minima_view::minima_ui(
                    ui,
                    &self.runtime,
                    &self.settings,
                    &mut self.minima,
                    height,
                ),
            }
        });
        let mut clicked = None;
        let mut export_request = None;
        let mut open_requested = false;
        let mut session_requested = false;
        egui::CentralPanel::default().frame(central).show(ui, |ui| {
            self.restore_offer_ui(ui);
            ui.heading(self.runtime.problem.name());
            match header::header_ui(
                ui,
                &mut self.settings.view,
                self.runtime.mlp_problem.is_some(),
            ) {
                Some(header::FileAction::Open) => open_requested = true,
                Some(header::FileAction::SaveSession) => session_requested = true,
                Some(header::FileAction::Export(kind)) => export_request = Some(kind),
                None => {}
            }
            // No hover read-out in screenshots: the pointer is wherever the display left it.
            let show_hover = self.screenshot.is_none();
            match self.settings.view {
                CentralView::SideBySide if self.runtime.is_side_by_side() => {
                    clicked = side_by_side_view::side_by_side_ui(
                        ui,
                        &self.runtime,
                        &mut self.twin_heatmap,
                        &mut self.heatmap,
                        self.settings.log_scale,
                        show_hover,
                    );
                }
                CentralView::Map | CentralView::SideBySide => {
                    clicked = landscape_view::landscape_ui(
                        ui,
                        &self.runtime,
                        &mut self.heatmap,
                        self.settings.log_scale,
                        show_hover,
                    );
                }
                CentralView::Surface => {
                    let overlay = self
                        .runtime
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
                }
            }
        });
        if let Some(kind) = export_request {
            self.export(kind);
        }
        if open_requested {
            self.ask_for_file();
        }
        if session_requested {
            self.save_session();
        }
        if let Some(params) = clicked {
            self.runtime.send(Command::SetParams(params));
        }
        if let Some(action) = action {
            self.act(action);
        }
        if self.settings != self.applied {
            self.apply();
        }
        // The UI's own cost per frame (it sleeps between frames when idle).
        let ms = started.elapsed().as_secs_f32() * 1000.0;
        self.frame_ms = if self.frame_ms == 0.0 {
            ms
        } else {
            0.9 * self.frame_ms + 0.1 * ms
        };
    }

    fn keyboard(&mut self, ui: &egui::Ui) {
        let save = ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, Key::S));
        if save {
            self.export(ExportKind::Png);
        }
        let open = ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, Key::O));
        if open {
            self.ask_for_file();
        }
        let (space, right, reset, present) = ui.input(|i| {
            (
                i.key_pressed(Key::Space),
                i.key_pressed(Key::ArrowRight),
                i.key_pressed(Key::R) && !i.modifiers.any(),
                i.key_pressed(Key::P) && !i.modifiers.any(),
            )
        });
        // Keys must not fire while the user types into a field.
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        if space {
            self.act(Action::TogglePlay);
        }
        if right {
            self.act(Action::Step);
        }
        if reset {
            self.act(Action::Reset);
        }
        if present {
            self.settings.presentation = !self.settings.presentation;
        }
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

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            self.replay_ui(ui);
            let s = &self.runtime.snapshot;
            if let Some(job) = &self.film_strip {
                job.progress_ui(ui);
                ui.separator();
            }
            match s.state {
                RunState::Diverged { .. } => {
                    ui.colored_label(egui::Color32::from_rgb(230, 60, 60), s.state.describe());
                }
                RunState::Paused if s.step == 0 => {
                    ui.strong("Space to train");
                }
                state => {
                    ui.label(state.describe());
                }
            }
            ui.separator();
            ui.label(format!("step {}", s.step));
            ui.separator();
            ui.label(format!("train loss {:.4}", s.evaluation.train_loss));
            if let Some(test) = s.evaluation.test_loss {
                ui.label(format!("test loss {test:.4}"));
            }
            if let Some(acc) = s.evaluation.train_accuracy {
                ui.label(format!("accuracy {:.1} %", 100.0 * acc));
            }
            ui.separator();
            ui.label(format!("lr {:.2e}", s.lr));
            ui.label(format!("|∇| {:.2e}", s.grad_norm));
            ui.separator();
            ui.label(format!("{:.0} steps/s", s.steps_per_second));
            // The interval between frames (what the eye sees) and the UI's own share of it.
            let interval = ui.input(|i| i.stable_dt).max(1e-4) * 1000.0;
            ui.label(format!(
                "frame {interval:.0} ms · UI {:.1} ms",
                self.frame_ms
            ))
            .on_hover_text("Time between frames, and the part of it the UI spends on layout; training and slices run on their own threads");
            if let Some(message) = &self.runtime.message {
                ui.separator();
                ui.colored_label(egui::Color32::from_rgb(230, 150, 40), message);
            }
        });
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
        if self.screenshot.is_none() {
            eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        }
    }
}
