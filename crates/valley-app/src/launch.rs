//! Starting the app: the launch options from the command line, the built-in
//! presets, and opening the window (or a scripted screenshot or measurement).

use std::path::PathBuf;
use std::sync::Arc;

use super::{
    CentralView, ImportSpec, ProblemChoice, SETTINGS_KEY, Settings, Source, ValleyApp, Wake, files,
    import,
};
#[cfg(not(target_arch = "wasm32"))]
use super::{Script, measure, sessions};

/// How the app is started from the command line.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// Save a screenshot here after training, then exit.
    pub screenshot: Option<PathBuf>,
    /// A built-in scene: a dataset (`spirals`, `moons`, ...) or a surface (`rosenbrock`, ...).
    pub preset: Option<String>,
    /// Steps to train before the screenshot.
    pub steps: u64,
    /// Window size in points.
    pub size: (f32, f32),
    /// Measure the app's speed for this many seconds, print it and exit.
    pub measure: Option<f64>,
    /// Start on this central view instead of the saved one.
    pub view: Option<CentralView>,
    /// With the Generalisation view: which experiment.
    pub lab: Option<crate::lab_settings::LabExperiment>,
    /// Open this file at launch: a session, a `.json` scene or a PNG saved by Valley.
    pub open: Option<PathBuf>,
    /// Start in presentation mode.
    pub presentation: bool,
    /// Start on this imported model.
    pub import: Option<ImportSpec>,
    /// Start this lesson: a built-in id or a lesson file.
    pub lesson: Option<String>,
    /// Export every step of the lesson as a PNG (and a handout) into this folder, then exit.
    pub lesson_export: Option<PathBuf>,
    /// Told as each exported step is written.
    pub export_progress: Option<super::lesson::ExportProgress>,
    /// A scene named by a link's query (`dataset=moons&lr=0.3&step=200`).
    pub link: Option<String>,
}

impl LaunchOptions {
    /// A screenshot or a measurement: such runs must not restore or
    /// overwrite the user's window, settings or autosave.
    pub fn is_scripted(&self) -> bool {
        self.screenshot.is_some() || self.measure.is_some() || self.lesson_export.is_some()
    }
}

/// What a launch needs before any window exists: every file read and
/// checked, the preset found, the model loaded. An error here is reported
/// before a window appears.
pub struct Prepared {
    options: LaunchOptions,
    preset: Option<Settings>,
    opened: Option<files::Opened>,
    lesson: Option<Arc<super::lesson::Lesson>>,
}

/// Reads and checks everything the launch options name.
pub fn prepare(options: LaunchOptions) -> anyhow::Result<Prepared> {
    // A file is read once, through the reader Open… and drag-and-drop use.
    let opened = options
        .open
        .as_deref()
        .map(|path| files::read_file(path, &Settings::default()))
        .transpose()?;
    if let Some(spec) = &options.import {
        import::load(spec, 0)?;
    }
    let preset = options
        .preset
        .as_deref()
        .map(super::presets::preset)
        .transpose()?;
    let lesson = options
        .lesson
        .as_deref()
        .map(super::lesson::find)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    Ok(Prepared {
        options,
        preset,
        opened,
        lesson,
    })
}

impl Prepared {
    /// The app in the window (or page) eframe has just made: the settings it
    /// stored last time restored, its repaint as the wake-up.
    pub fn in_window(&mut self, cc: &eframe::CreationContext<'_>) -> Result<ValleyApp, String> {
        let ctx = cc.egui_ctx.clone();
        let wake: Wake = Arc::new(move || ctx.request_repaint());
        let stored = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY));
        let welcomed = cc
            .storage
            .and_then(|s| eframe::get_value::<bool>(s, super::WELCOMED_KEY))
            .unwrap_or(false);
        let mut app = self.app(stored, wake).map_err(|e| format!("{e:#}"))?;
        let options = &self.options;
        // A page has no folder to autosave into: its sessions are kept in its storage.
        if cfg!(target_arch = "wasm32") && !options.is_scripted() {
            let kept = cc
                .storage
                .and_then(|s| s.get_string(super::sessions::KEPT_SESSION_KEY));
            app.kept = Some(super::sessions::KeptSession::new(kept));
        }
        // The first launch of the plain app greets; a file, preset, lesson or link asked for does not.
        app.welcome = !welcomed
            && !options.is_scripted()
            && app.lesson.is_none()
            && options.open.is_none()
            && options.preset.is_none()
            && options.import.is_none()
            && options.link.is_none();
        Ok(app)
    }

    /// The app these options describe; `stored` are the settings eframe kept
    /// from the last launch (checked here like a file's).
    pub fn app(&mut self, stored: Option<Settings>, wake: Wake) -> anyhow::Result<ValleyApp> {
        let options = &self.options;
        let scripted = options.is_scripted();
        // Stored settings that fail the check (a damaged or hand-edited
        // store) give way to the defaults, and the status bar says so.
        let (stored, store_message) = match stored.map(Settings::checked) {
            Some(Ok(checked)) => (Some(checked.settings), None),
            Some(Err(e)) => (
                None,
                Some(format!(
                    "the saved settings were not used: their setting {e}"
                )),
            ),
            None => (None, None),
        };
        let mut settings = match self.preset.clone() {
            Some(p) => p,
            None if scripted => Settings::default(),
            None => stored.unwrap_or_default(),
        };
        // How to show it (`--view`, `--presentation`) applies on top of
        // whatever is shown, an opened file's settings included.
        let show = |settings: &mut Settings| {
            if let Some(view) = options.view {
                settings.view = view;
            }
            if let Some(lab) = options.lab {
                settings.lab = lab;
            }
            settings.presentation |= options.presentation;
        };
        let mut opened = self.opened.take();
        match &mut opened {
            Some(files::Opened::Scene { scene, .. }) => {
                show(&mut scene.settings);
                settings = scene.settings.clone();
            }
            Some(files::Opened::Session { settings: s, .. }) => {
                show(s);
                settings = (**s).clone();
            }
            Some(files::Opened::Lesson(_)) | None => show(&mut settings),
        }
        if let Some(spec) = options.import.clone() {
            settings.import = Some(spec);
            settings.problem = ProblemChoice::Imported;
        }
        let mut app = ValleyApp::new(settings, wake)?;
        if let Some(message) = store_message {
            app.runtime.notices.warn(Source::Settings, message);
        }
        if let (Some(opened), Some(path)) = (opened, &options.open) {
            app.show_opened(opened, path);
        }
        if let Some(lesson) = self.lesson.take() {
            app.start_lesson(lesson);
        }
        if let Some(query) = &options.link {
            app.open_link(query);
        }
        Ok(app)
    }
}

/// Opens the window (or renders a screenshot and exits).
#[cfg(not(target_arch = "wasm32"))]
pub fn run(options: LaunchOptions) -> anyhow::Result<()> {
    use_spare_cores_for_software_rendering();
    let mut prepared = prepare(options)?;
    let options = prepared.options.clone();
    // The baseline runs before the window exists, so it competes with nothing.
    // The baseline trains what the window will show: an opened file's
    // problem, else the preset's, else the default demo.
    let alone = match options.measure {
        Some(_) => {
            let shown = match &prepared.opened {
                Some(files::Opened::Scene { scene, .. }) => scene.settings.clone(),
                Some(files::Opened::Session { settings, .. }) => (**settings).clone(),
                Some(files::Opened::Lesson(_)) | None => {
                    prepared.preset.clone().unwrap_or_default()
                }
            };
            measure::baseline(&shown, 3.0)
        }
        None => 0.0,
    };
    let launched = valley_engine::exec::Instant::now();
    let (width, height) = options.size;
    let viewport = egui::ViewportBuilder::default()
        .with_title("Valley")
        .with_inner_size([width, height])
        .with_min_inner_size([640.0, 480.0]);
    // Scripted runs (screenshots, measurements) must not restore or overwrite the
    // user's window and settings: they get a storage file of their own.
    let scripted = options.is_scripted();
    let scratch_storage = scripted
        .then(|| std::env::temp_dir().join(format!("valley-scripted-{}.ron", std::process::id())));
    let native = eframe::NativeOptions {
        viewport,
        persist_window: !scripted,
        persistence_path: scratch_storage.clone(),
        ..Default::default()
    };
    let outcome = Arc::new(std::sync::Mutex::new(None));
    let plan_outcome = Arc::clone(&outcome);
    let report: measure::Report = Default::default();
    let plan_report = Arc::clone(&report);
    let result = eframe::run_native(
        "Valley",
        native,
        Box::new(move |cc| {
            let mut app = prepared.in_window(cc)?;
            if !scripted && let Some(dir) = eframe::storage_dir("Valley") {
                app.autosave = Some(sessions::Autosave::new(&dir));
            }
            if let Some(path) = options.screenshot.clone() {
                app.script = Some(Script::screenshot(path, options.steps, plan_outcome));
            } else if let Some(dir) = options.lesson_export.clone() {
                if let Some(player) = &mut app.lesson {
                    player.unattended = true;
                    let first = player.index;
                    player.go(first);
                }
                app.lesson_export = Some(super::lesson::LessonExport::new(
                    dir,
                    plan_outcome,
                    options.export_progress.clone(),
                ));
            } else if let Some(seconds) = options.measure {
                app.measure = Some(measure::MeasurePlan::new(
                    launched,
                    seconds,
                    alone,
                    plan_report,
                ));
                app.script = Some(Script::measurement(plan_outcome));
            }
            Ok(Box::new(app))
        }),
    );
    if let Some(file) = scratch_storage {
        // Best effort: it only holds this run's throwaway state.
        let _ = std::fs::remove_file(file);
    }
    result.map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))?;
    if let Some(measurement) = report.lock().ok().and_then(|mut r| r.take()) {
        println!("{}", serde_json::to_string(&measurement)?);
    }
    match outcome.lock().ok().and_then(|mut o| o.take()) {
        Some(Err(message)) => anyhow::bail!(message),
        _ => Ok(()),
    }
}

/// Mesa's software renderer (llvmpipe: no GPU, a VM, a projector laptop in
/// safe mode) starts a rasteriser thread per core, and on a two-core machine
/// those threads take turns with the trainer. Rasterising on the UI thread
/// instead costs a few frames per second and keeps the trainer at full pace.
/// A user's own `LP_NUM_THREADS` wins; with a real GPU this changes nothing.
#[cfg(not(target_arch = "wasm32"))]
fn use_spare_cores_for_software_rendering() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if std::env::var_os("LP_NUM_THREADS").is_none() {
        let spare = cores.saturating_sub(2);
        // SAFETY: called first thing in `run`, before the app starts any thread.
        unsafe { std::env::set_var("LP_NUM_THREADS", spare.to_string()) };
    }
}
