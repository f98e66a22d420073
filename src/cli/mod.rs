//! The `valley` command line: one file per subcommand.

mod choice;
mod film_strip;
mod generalisation;
mod inspect;
mod landscape;
mod lesson;
mod problem_args;
mod progress;
mod sample;
mod sharpness;
mod train;

use clap::{Parser, Subcommand};

use choice::choice;

pub use film_strip::FilmStripArgs;
pub use inspect::InspectArgs;
pub use landscape::LandscapeArgs;
pub use problem_args::{DataArgs, ModelArgs, OptimArgs, RunArgs};
pub use sharpness::SharpnessArgs;
pub use train::TrainArgs;

/// Valley: watch gradient descent roll down a loss landscape.
///
/// Without a command, opens the app on the built-in demo.
#[derive(Debug, Parser)]
#[command(name = "valley", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: open the app).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Run the app, train --steps steps, save a screenshot of the window here and exit.
    #[arg(long, value_name = "FILE.png")]
    pub screenshot: Option<std::path::PathBuf>,
    /// Open on a built-in scene: a dataset (spirals, moons, ...) or a surface (rosenbrock, ...).
    #[arg(long)]
    pub preset: Option<String>,
    /// Steps to train before the screenshot.
    #[arg(long, default_value_t = 0)]
    pub steps: u64,
    /// Measure the app for this many seconds (fps, UI time, training speed, memory), print JSON and exit.
    #[arg(long, value_name = "SECONDS")]
    pub measure: Option<f64>,
    /// Window size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1600x1000")]
    pub size: String,
    /// Open at launch: a session (valley train --save-session, Save session), a PNG saved by Valley (its settings, seeds and step) or a .json scene.
    #[arg(long, value_name = "FILE")]
    pub open: Option<std::path::PathBuf>,
    /// Open the app on your own model: PyTorch weights (safetensors, nn.Sequential of Linear layers) ...
    #[arg(long, value_name = "W.safetensors", requires = "data")]
    pub weights: Option<std::path::PathBuf>,
    /// ... and its data: CSV with header x1,...,xd,label or x1,...,xd,y.
    #[arg(long, value_name = "D.csv", requires = "weights")]
    pub data: Option<std::path::PathBuf>,
    /// ... with this activation between the Linear layers.
    #[arg(long, default_value = "tanh", value_parser = choice::<valley_engine::nn::Activation>())]
    pub activation: valley_engine::nn::Activation,
    /// Start in presentation mode: large text, a light high-contrast theme, fewer controls.
    #[arg(long)]
    pub presentation: bool,
    /// What the central panel shows: the 2D map, the 3D surface, or frozen and following maps side by side.
    #[arg(long, value_enum)]
    pub view: Option<ViewArg>,
    /// Start a guided lesson: a built-in id (valley lesson list) or a lesson file (.toml).
    #[arg(long, value_name = "NAME|FILE")]
    pub lesson: Option<String>,
    /// Open the scene a shared link names: the web app's address, or just
    /// its query (`dataset=moons&lr=0.3&step=200`).
    #[arg(long, value_name = "LINK")]
    pub link: Option<String>,
}

/// `--view` choices.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ViewArg {
    /// The slice as a heatmap with contours.
    Map,
    /// The slice as a 3D surface.
    #[value(alias = "3d")]
    Surface,
    /// The plane through the start beside the plane through the parameters now.
    #[value(name = "side-by-side", alias = "wormhole")]
    SideBySide,
    /// The geometry of many dimensions, and the model's own Hessian.
    Dimensions,
    /// The generalisation lab on double descent.
    DoubleDescent,
    /// The generalisation lab on lottery tickets.
    Lottery,
    /// The generalisation lab on the luck of the draw.
    Seeds,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train an MLP on a built-in dataset or a CSV file, or a character language model on a
    /// text, and report the result.
    Train(TrainArgs),
    /// Text from a language-model session at a temperature, and its next-character probabilities.
    Sample(sample::SampleArgs),
    /// Load PyTorch weights (safetensors) and data (CSV): loss, accuracy, gradient.
    Inspect(InspectArgs),
    /// Evaluate the loss on a 1D or 2D slice around a model or on a formula surface.
    Landscape(LandscapeArgs),
    /// Slices at chosen steps of one training run as small multiples in one PNG, and how
    /// far the parameters leave the plane (the landscape under the ball changes).
    #[command(name = "filmstrip")]
    FilmStrip(FilmStripArgs),
    /// Train the same model with small and large batches (or learning rates) and compare
    /// the minima: sharpness, test loss, what they show, and 1D slices along each one's
    /// sharpest direction.
    Sharpness(SharpnessArgs),
    /// Guided lessons: list the built-in ones, or export one as figures and a handout.
    Lesson(lesson::LessonArgs),
    /// Test loss against model size across the interpolation threshold: the peak, and the second descent.
    DoubleDescent(generalisation::DoubleDescentArgs),
    /// Lottery tickets: prune, rewind, retrain; the ticket against fresh weights and a random mask.
    Lottery(generalisation::LotteryArgs),
    /// The luck of the draw: one model trained from many seeds, and the line between the best and the worst.
    Seeds(generalisation::SeedsArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Sample(args)) => sample::run(&args),
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Landscape(args)) => landscape::run(&args),
        Some(Command::FilmStrip(args)) => film_strip::run(&args),
        Some(Command::Sharpness(args)) => sharpness::run(&args),
        Some(Command::Lesson(args)) => lesson::run(args),
        Some(Command::DoubleDescent(args)) => generalisation::run_double_descent(&args),
        Some(Command::Lottery(args)) => generalisation::run_lottery(&args),
        Some(Command::Seeds(args)) => generalisation::run_seeds(&args),
        None => valley_app::run(launch_options(cli)?),
    }
}

/// The app's launch options from the command line (no subcommand).
pub fn launch_options(cli: Cli) -> anyhow::Result<valley_app::LaunchOptions> {
    let (width, height) = parse_size(&cli.size)?;
    Ok(valley_app::LaunchOptions {
        screenshot: cli.screenshot,
        preset: cli.preset,
        steps: cli.steps,
        size: (width, height),
        measure: cli.measure,
        open: cli.open,
        presentation: cli.presentation,
        import: cli
            .weights
            .zip(cli.data)
            .map(|(weights, data)| valley_app::ImportSpec {
                weights,
                data,
                activation: cli.activation,
            }),
        lesson: cli.lesson,
        link: cli.link.map(|l| match l.split_once('?') {
            Some((_, query)) => query.to_string(),
            None => l,
        }),
        lesson_export: None,
        export_progress: None,
        view: cli.view.map(|v| match v {
            ViewArg::Map => valley_app::CentralView::Map,
            ViewArg::Surface => valley_app::CentralView::Surface,
            ViewArg::SideBySide => valley_app::CentralView::SideBySide,
            ViewArg::Dimensions => valley_app::CentralView::Dimensions,
            ViewArg::DoubleDescent | ViewArg::Lottery | ViewArg::Seeds => {
                valley_app::CentralView::Generalisation
            }
        }),
        lab: cli.view.and_then(|v| match v {
            ViewArg::DoubleDescent => Some(valley_app::LabExperiment::DoubleDescent),
            ViewArg::Lottery => Some(valley_app::LabExperiment::Lottery),
            ViewArg::Seeds => Some(valley_app::LabExperiment::Seeds),
            _ => None,
        }),
    })
}

/// `1600x1000` → (1600, 1000), within what a screen can show.
pub(crate) fn parse_size(text: &str) -> anyhow::Result<(f32, f32)> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<u16>().ok()?, h.trim().parse::<u16>().ok()?)));
    match parsed {
        Some((w, h)) if (320..=8192).contains(&w) && (240..=8192).contains(&h) => {
            Ok((f32::from(w), f32::from(h)))
        }
        _ => anyhow::bail!(
            "--size '{text}' is not WIDTHxHEIGHT between 320x240 and 8192x8192, e.g. 1600x1000"
        ),
    }
}
