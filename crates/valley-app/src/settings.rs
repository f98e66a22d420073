//! Everything a user chooses in the app, in one serde struct that persists
//! between launches; nothing here is a runtime handle.

use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use valley_engine::data::DatasetKind;
use valley_engine::language::Corpus;
use valley_engine::nn::Activation;
use valley_engine::optim::OptimizerKind;
use valley_engine::surface::{LaneTuning, SurfaceKind};
use valley_engine::train::TrainConfig;

/// What is being trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProblemChoice {
    /// An MLP on a built-in dataset.
    Dataset(DatasetKind),
    /// A ball on a formula surface.
    Surface(SurfaceKind),
    /// The user's own model and data (see `Settings::import`).
    Imported,
    /// A character language model on a built-in text.
    Language(Corpus),
}

/// How the slice relates to the moving parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SliceMode {
    /// Re-centred on the current parameters: the landscape changes under the ball.
    Follow,
    /// Fixed through the initial parameters: the trajectory is projected onto it.
    Frozen,
}

/// Which directions span the slice: the engine's plane recipe, the one
/// the command line and lessons use too.
pub use valley_engine::analysis::PlaneRecipe as DirectionChoice;

/// What the central panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CentralView {
    /// The slice as a heatmap with contours.
    Map,
    /// The slice as a 3D surface.
    Surface,
    /// The plane through the start (frozen) beside the plane through the
    /// parameters now (following): the landscape changes under the ball.
    SideBySide,
    /// The geometry of many dimensions, and the model's own Hessian.
    Dimensions,
    /// The generalisation lab: double descent, lottery tickets, seeds.
    Generalisation,
}

/// What the lowest chart on the right shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LowerChart {
    /// Decision regions or the fitted curve.
    Predictions,
    /// The Hessian at the ball.
    Curvature,
    /// Flat vs sharp: small-batch and full-batch minima compared.
    Minima,
    /// One weight of a language model, dragged by hand.
    OneWeight,
}

/// The user's choices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Dataset or formula surface.
    pub problem: ProblemChoice,
    /// Points in the dataset.
    pub dataset_size: usize,
    /// Dataset noise.
    pub noise: f32,
    /// Dataset seed.
    pub data_seed: u64,
    /// Share of a built-in dataset held out for testing (the lab's
    /// models open with the split they were fitted on).
    pub test_fraction: f32,
    /// Hidden layers.
    pub hidden_layers: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Hidden activation.
    pub activation: Activation,
    /// A language model's context, in characters.
    pub context: usize,
    /// A language model's embedding width.
    pub embed: usize,
    /// Optimiser, schedule, batch size, seed.
    pub train: TrainConfig,
    /// Throttle; `None` trains as fast as possible.
    pub steps_per_second: Option<f64>,
    /// Follow or frozen.
    pub slice_mode: SliceMode,
    /// Slice directions.
    pub directions: DirectionChoice,
    /// Half-width of the slice in direction units.
    pub span: f32,
    /// Points per axis of the slice.
    pub resolution: usize,
    /// Log colour scale.
    pub log_scale: bool,
    /// Large fonts and thick lines for projectors.
    pub presentation: bool,
    /// Heatmap or 3D surface.
    pub view: CentralView,
    /// The experiment the Generalisation view shows.
    pub lab: crate::lab_settings::LabExperiment,
    /// The generalisation lab's settings.
    pub lab_settings: crate::lab_settings::LabSettings,
    /// The 3D view's camera.
    pub camera: Camera,
    /// Optimisers racing on a formula surface (empty: no race).
    pub race: Vec<OptimizerKind>,
    /// Side by side, one colour scale for both maps.
    pub same_scale: bool,
    /// Racing optimisers' own learning rate and momentum; a lane without
    /// one uses the optimiser settings above.
    pub lane_tuning: Vec<LaneTuning>,
    /// The training curve beside the landscape.
    pub curve: CurveChoice,
    /// The files of an imported model (used when the problem is `Imported`).
    pub import: Option<ImportSpec>,
    /// Predictions or curvature, lowest on the right.
    pub lower: LowerChart,
    /// The steps a film strip shows, e.g. "0, 10, 100, 1000"; empty for 0,
    /// powers of ten and now.
    pub film_steps: String,
    /// The dimension the many-dimensions view shows.
    pub dimensions: f64,
    /// The relative radius of the inner ball in that view.
    pub inner_radius: f64,
}

impl Default for Settings {
    /// The built-in demo: two spirals, MLP 2-16-16-2 tanh, Adam, filter-normalised slice.
    fn default() -> Self {
        Self {
            problem: ProblemChoice::Dataset(DatasetKind::Spirals),
            dataset_size: 400,
            noise: DatasetKind::Spirals.default_noise(),
            data_seed: 0,
            test_fraction: 0.2,
            hidden_layers: 2,
            width: 16,
            activation: Activation::Tanh,
            context: 3,
            embed: 10,
            train: TrainConfig::default(),
            steps_per_second: Some(60.0),
            slice_mode: SliceMode::Follow,
            directions: DirectionChoice::Filter,
            span: 1.0,
            resolution: 61,
            log_scale: true,
            presentation: false,
            view: CentralView::Map,
            lab: Default::default(),
            lab_settings: Default::default(),
            camera: Camera::default(),
            race: Vec::new(),
            lane_tuning: Vec::new(),
            same_scale: true,
            curve: CurveChoice::Loss,
            import: None,
            lower: LowerChart::Predictions,
            film_steps: String::new(),
            dimensions: 1000.0,
            inner_radius: 0.9,
        }
    }
}

impl Settings {
    /// Whether two settings need a new problem (and a fresh run) to go from one to the other.
    pub fn needs_new_problem(&self, other: &Settings) -> bool {
        self.problem != other.problem
            || self.dataset_size != other.dataset_size
            || self.noise != other.noise
            || self.data_seed != other.data_seed
            || self.hidden_layers != other.hidden_layers
            || self.width != other.width
            || self.activation != other.activation
            || self.context != other.context
            || self.embed != other.embed
            || (self.problem == ProblemChoice::Imported && self.import != other.import)
    }
}

/// Where the viewer stands, persisted with the settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Turn about the vertical axis, in radians.
    pub yaw: f32,
    /// Height of the eye above the horizon, in radians (0 = side on, π/2 = from above).
    pub elevation: f32,
    /// Magnification (1 fits the slice to the view).
    pub zoom: f32,
}

impl Camera {
    /// The camera brought within what dragging and scrolling allow (side on
    /// to straight down, 0.3× to 6×).
    pub fn clamped(self) -> Self {
        Self {
            elevation: self.elevation.clamp(0.05, 1.55),
            zoom: self.zoom.clamp(0.3, 6.0),
            ..self
        }
    }
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            yaw: -0.7,
            elevation: 1.0,
            zoom: 1.0,
        }
    }
}

/// Which training curve the chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CurveChoice {
    /// Train and test loss.
    Loss,
    /// Norm of each step's gradient.
    GradNorm,
    /// Learning rate of each step (shows schedules).
    LearningRate,
    /// How far the parameters are from the plane through the start, and how
    /// much of each step lies in it: the wormhole, measured.
    OffPlane,
}

/// Which files make the imported problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportSpec {
    /// Weights of an `nn.Sequential` of Linear layers (safetensors, f32 or f64).
    pub weights: PathBuf,
    /// Data: CSV with header `x1,...,xd,label` or `x1,...,xd,y`.
    pub data: PathBuf,
    /// The activation between the Linear layers.
    pub activation: Activation,
}
