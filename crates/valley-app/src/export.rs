//! Exports for lesson material: the 2D slice as a PNG figure at twice the
//! usual size, and the grid and the trajectory as CSV. Rendering a figure
//! takes longer than a frame, so it runs on its own short-lived thread and
//! reports back through a message.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::runtime::Runtime;
use super::scene::SCENE_KEY;
use super::settings::ImportSpec;
use super::wake::Wake;
use valley_engine::exec;
use valley_engine::io::{read_safetensors, sequential_from_file, write_sequential};
use valley_engine::landscape::{Grid, Plane, project};
use valley_engine::nn::write_layout;
use valley_engine::train::TrajectoryPoint;
use valley_figure::{HeatmapFigure, Marker, MarkerStyle, render_heatmap, save_png_with_text};

/// Figure size: twice a typical on-screen slice.
const FIGURE_SIZE: (u32, u32) = (1600, 1400);

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The slice as a PNG figure.
    Png,
    /// The whole window as a PNG, at the screen's resolution.
    Window,
    /// The grid and the trajectory as CSV.
    Csv,
    /// The network's current weights as safetensors for PyTorch.
    Weights,
    /// Slices at steps 0, 10, 100, ... and now, as small multiples in one PNG.
    FilmStrip,
}

/// Where the last export's outcome is reported: what was saved, or why not.
pub type ExportMessage = Arc<Mutex<Option<Result<String, String>>>>;

/// Where a window save reports: the file written, or why not.
pub type WindowSaved = Arc<Mutex<Option<Result<PathBuf, String>>>>;

/// Everything an export needs, copied out of the runtime so the UI can go on.
struct Scene {
    grid: Arc<Grid>,
    plane: Arc<Plane>,
    trajectory: Arc<Vec<TrajectoryPoint>>,
    params: Arc<[f32]>,
    step: u64,
    title: String,
    origin: [f32; 2],
    labels: [&'static str; 2],
    log_scale: bool,
    /// The scene as JSON, stored in the PNG so that opening it restores the scene.
    scene_json: String,
}

/// Starts an export into `dir`; the outcome appears in `message`.
pub fn start(
    kind: ExportKind,
    runtime: &Runtime,
    log_scale: bool,
    dir: &Path,
    scene_json: String,
    message: &ExportMessage,
) {
    let Some(result) = runtime
        .slices
        .grid
        .as_ref()
        .filter(|_| runtime.is_consistent())
    else {
        set(
            message,
            Err("nothing to export yet: the landscape is still being computed".into()),
        );
        return;
    };
    let surface = runtime.problem.surface();
    let scene = Scene {
        grid: Arc::clone(&result.grid),
        plane: Arc::clone(&result.plane),
        trajectory: Arc::clone(&runtime.snapshot.trajectory),
        params: Arc::clone(&runtime.snapshot.params),
        step: runtime.snapshot.step,
        title: format!(
            "{} · step {}",
            runtime.problem.name(),
            runtime.snapshot.step
        ),
        origin: surface.map_or([0.0, 0.0], |k| {
            let ([x, y], _) = k.view();
            [x as f32, y as f32]
        }),
        labels: if surface.is_some() {
            ["x", "y"]
        } else {
            ["α", "β"]
        },
        log_scale,
        scene_json,
    };
    let dir = dir.to_path_buf();
    let report = Arc::clone(message);
    let wake = runtime.wake();
    let spawned = exec::spawn_detached("valley-export", move || {
        let outcome = match kind {
            ExportKind::Png => write_png(&scene, &dir),
            ExportKind::Csv => write_csv(&scene, &dir),
            ExportKind::Window | ExportKind::Weights | ExportKind::FilmStrip => {
                Err(anyhow::anyhow!("saved by save_window and save_weights"))
            }
        };
        set(
            &report,
            outcome.map_err(|e| format!("export failed: {e:#}")),
        );
        // The window may be idle (paused, no mouse): ask it to show the news.
        wake();
    });
    if let Err(e) = spawned {
        set(message, Err(format!("export failed: {e}")));
    }
}

/// Saves the whole window as the next frame shows it, with the scene inside.
/// The frame is read back after it is drawn; encoding runs on a thread.
pub fn save_window(
    ctx: &egui::Context,
    target: PathBuf,
    scene_json: String,
    done: &WindowSaved,
    wake: Wake,
) {
    let report = Arc::clone(done);
    ctx.request_screenshot(move |image| {
        let spawned = exec::spawn_detached("valley-export", {
            let report = Arc::clone(&report);
            move || {
                let outcome = save_frame(&image, &target, &scene_json)
                    .map(|()| target)
                    .map_err(|e| format!("the window was not saved: {e}"));
                if let Ok(mut slot) = report.lock() {
                    *slot = Some(outcome);
                }
                wake();
            }
        });
        if let (Err(e), Ok(mut slot)) = (spawned, report.lock()) {
            *slot = Some(Err(format!("the window was not saved: {e}")));
        }
    });
}

/// Where the window goes in the export folder at this step.
pub fn window_file(dir: &Path, step: u64) -> PathBuf {
    file(dir, step, "window.png")
}

/// Saves the network's current weights as a PyTorch state dict:
/// `nn.Sequential`'s names for a stack of Linear layers (or the names the
/// imported file gave them), a language model's own module names
/// (`embedding.weight`, `mlp.0.weight`, …) otherwise.
pub fn save_weights(
    runtime: &Runtime,
    import: Option<ImportSpec>,
    dir: &Path,
    message: &ExportMessage,
) {
    if runtime.problem.surface().is_some() || !runtime.is_consistent() {
        set(
            message,
            Err(
                "only a network has weights to save: a formula surface's point is its x and y"
                    .into(),
            ),
        );
        return;
    }
    let layers = runtime.problem.linear_layers().map(<[usize]>::to_vec);
    let layout = runtime.problem.layout().clone();
    let params = Arc::clone(&runtime.snapshot.params);
    let target = file(dir, runtime.snapshot.step, "weights.safetensors");
    let report = Arc::clone(message);
    let wake = runtime.wake();
    let spawned = exec::spawn_detached("valley-export", move || {
        let written = match &layers {
            Some(layers) => {
                // The imported file's own names, so the state dict loads into the user's module.
                let names = import.and_then(|spec| {
                    let file = read_safetensors(&spec.weights).ok()?;
                    let weights = sequential_from_file(&file, "").ok()?;
                    (&weights.layer_sizes == layers).then_some(weights.tensor_names)
                });
                write_sequential(&target, layers, names.as_deref(), &params)
            }
            None => write_layout(&target, &layout, &params),
        };
        let outcome = written
            .map(|()| format!("saved {}", target.display()))
            .map_err(|e| format!("export failed: {e}"));
        set(&report, outcome);
        wake();
    });
    if let Err(e) = spawned {
        set(message, Err(format!("export failed: {e}")));
    }
}

/// Writes a frame read back from the window as a PNG with the scene inside.
pub fn save_frame(image: &egui::ColorImage, path: &Path, scene_json: &str) -> Result<(), String> {
    let [w, h] = image.size;
    let rgb: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| [c.r(), c.g(), c.b()])
        .collect();
    let frame = image::RgbImage::from_raw(w as u32, h as u32, rgb)
        .ok_or_else(|| "the screenshot had an unexpected size".to_string())?;
    save_png_with_text(&frame, path, &[(SCENE_KEY, scene_json)]).map_err(|e| e.to_string())
}

pub(crate) fn set(message: &ExportMessage, outcome: Result<String, String>) {
    if let Ok(mut slot) = message.lock() {
        *slot = Some(outcome);
    }
}

/// A file name in `dir` for `what` at `step` that nothing has taken yet:
/// `valley-step40-landscape.png`, then `valley-step40-2-landscape.png`, ...
/// so saving twice at one step keeps both.
fn file(dir: &Path, step: u64, what: &str) -> PathBuf {
    files(dir, step, &[what]).remove(0)
}

/// Names for several files saved together (a grid and its trajectory) that
/// share one free suffix.
fn files(dir: &Path, step: u64, whats: &[&str]) -> Vec<PathBuf> {
    let name = |k: u32, what: &str| match k {
        1 => dir.join(format!("valley-step{step}-{what}")),
        k => dir.join(format!("valley-step{step}-{k}-{what}")),
    };
    let free = (1..1000)
        .find(|&k| whats.iter().all(|what| !name(k, what).exists()))
        .unwrap_or(1000);
    whats.iter().map(|what| name(free, what)).collect()
}

/// The trajectory in slice coordinates (plus the offset that puts surfaces in x, y).
fn path_on_plane(scene: &Scene) -> Vec<(f32, f32, f32, u64, f32)> {
    scene
        .trajectory
        .iter()
        .filter(|p| p.params.len() == scene.plane.center.len())
        .map(|p| {
            let projection = project(&scene.plane, &p.params);
            let beta = projection.coords.get(1).copied().unwrap_or(0.0);
            (
                projection.coords[0],
                beta,
                projection.distance,
                p.step,
                p.loss,
            )
        })
        .collect()
}

fn write_png(scene: &Scene, dir: &Path) -> anyhow::Result<String> {
    let grid = &scene.grid;
    let (a, b) = (grid.spec.alpha, grid.spec.beta.unwrap_or(grid.spec.alpha));
    let [ox, oy] = scene.origin;
    let path: Vec<(f32, f32)> = path_on_plane(scene)
        .iter()
        .map(|p| (p.0 + ox, p.1 + oy))
        .collect();
    let here = project(&scene.plane, &scene.params);
    let ball = Marker::new(
        here.coords[0] + ox,
        here.coords.get(1).copied().unwrap_or(0.0) + oy,
        MarkerStyle::Dot,
        format!("step {}", scene.step),
    );
    let markers = [ball];
    let mut figure = HeatmapFigure::new(
        &grid.values,
        a.points,
        b.points,
        (a.min + ox, a.max + ox),
        (b.min + oy, b.max + oy),
    );
    figure.title = &scene.title;
    figure.x_label = scene.labels[0];
    figure.y_label = scene.labels[1];
    figure.log_scale = scene.log_scale;
    figure.markers = &markers;
    figure.path = &path;
    let image = render_heatmap(&figure, FIGURE_SIZE.0, FIGURE_SIZE.1)?;
    let target = file(dir, scene.step, "landscape.png");
    save_png_with_text(&image, &target, &[(SCENE_KEY, &scene.scene_json)])?;
    Ok(format!("saved {}", target.display()))
}

fn write_csv(scene: &Scene, dir: &Path) -> anyhow::Result<String> {
    let [grid_file, trajectory_file] =
        <[PathBuf; 2]>::try_from(files(dir, scene.step, &["grid.csv", "trajectory.csv"]))
            .map_err(|_| anyhow::anyhow!("no file names"))?;
    valley_engine::io::write_atomic(&grid_file, scene.grid.to_csv().as_bytes())?;
    let mut text = String::from("step,loss,alpha,beta,distance_off_plane\n");
    for (alpha, beta, distance, step, loss) in path_on_plane(scene) {
        writeln!(text, "{step},{loss},{alpha},{beta},{distance}")?;
    }
    valley_engine::io::write_atomic(&trajectory_file, text.as_bytes())?;
    Ok(format!(
        "saved {} and {}",
        grid_file.display(),
        trajectory_file.display()
    ))
}
