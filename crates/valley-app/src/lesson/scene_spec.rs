//! A lesson step's scene in a teacher's words: only what differs from the
//! app's defaults (or the lesson's own scene), each setting by the name the
//! controls show. Unknown names are refused, so a typo never goes unnoticed.

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Settings;
use crate::lab_settings::LabExperiment;
use crate::settings::{
    CentralView, CurveChoice, DirectionChoice, LowerChart, ProblemChoice, SliceMode,
};
use valley_engine::data::DatasetKind;
use valley_engine::language::Corpus;
use valley_engine::nn::Activation;
use valley_engine::optim::{OptimizerKind, Schedule};
use valley_engine::surface::SurfaceKind;

/// An engine choice written by its name (`"adam"`, `"rosenbrock"`), read
/// with the engine's own parser, so a wrong name lists the right ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Named<T>(pub T);

impl<'de, T: FromStr<Err = String>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map(Named).map_err(serde::de::Error::custom)
    }
}

impl<T: Display> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

/// Examples per step: a number, or `"full"` for the whole training set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BatchSpec {
    /// This many examples.
    Size(usize),
    /// The keyword `"full"`.
    Word(FullBatch),
}

/// The one word a batch may be.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullBatch {
    /// The whole training set.
    Full,
}

/// Training pace: steps per second, or `"max"`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SpeedSpec {
    /// At most this many steps per second.
    Rate(f64),
    /// The keyword `"max"`.
    Word(MaxSpeed),
}

/// The one word a speed may be.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxSpeed {
    /// As fast as the machine goes.
    Max,
}

/// How the learning rate changes over steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleSpec {
    /// The same rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` steps.
    Step {
        /// Steps between decays.
        every: u64,
        /// Factor per decay.
        gamma: f32,
    },
    /// Half a cosine from the rate down to `min` times it over `steps`.
    Cosine {
        /// Length of the decay.
        steps: u64,
        /// Final factor.
        #[serde(default)]
        min: f32,
    },
}

/// Which directions span the slice, by the names the menu shows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlaneSpec {
    /// Two parameters by number, `[i, j]`.
    Parameters([usize; 2]),
    /// A named recipe.
    Named(PlaneName),
}

/// A plane recipe's name.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlaneName {
    /// Random, filter-normalised (Li et al. 2018).
    Filter,
    /// Random Gaussian.
    Gaussian,
    /// The Hessian's sharpest and most negative directions.
    Hessian,
    /// The path's principal components.
    Pca,
    /// The gradient and a direction across it.
    Gradient,
    /// The line from the start to now.
    StartToNow,
    /// The line to a run from another seed.
    Seeds,
}

impl PlaneSpec {
    /// The app's recipe.
    pub fn recipe(self) -> DirectionChoice {
        match self {
            PlaneSpec::Parameters([i, j]) => DirectionChoice::Parameters(i, j),
            PlaneSpec::Named(name) => match name {
                PlaneName::Filter => DirectionChoice::Filter,
                PlaneName::Gaussian => DirectionChoice::Gaussian,
                PlaneName::Hessian => DirectionChoice::Hessian,
                PlaneName::Pca => DirectionChoice::Pca,
                PlaneName::Gradient => DirectionChoice::Gradient,
                PlaneName::StartToNow => DirectionChoice::StartToNow,
                PlaneName::Seeds => DirectionChoice::Seeds,
            },
        }
    }

    /// The spec for a recipe (to record a scene).
    pub fn of(recipe: DirectionChoice) -> Self {
        let name = match recipe {
            DirectionChoice::Parameters(i, j) => return PlaneSpec::Parameters([i, j]),
            DirectionChoice::Filter => PlaneName::Filter,
            DirectionChoice::Gaussian => PlaneName::Gaussian,
            DirectionChoice::Hessian => PlaneName::Hessian,
            DirectionChoice::Pca => PlaneName::Pca,
            DirectionChoice::Gradient => PlaneName::Gradient,
            DirectionChoice::StartToNow => PlaneName::StartToNow,
            DirectionChoice::Seeds => PlaneName::Seeds,
        };
        PlaneSpec::Named(name)
    }
}

/// The central view.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewSpec {
    /// The heatmap.
    Map,
    /// The 3D surface.
    Surface,
    /// Frozen and following maps side by side.
    SideBySide,
    /// The geometry of many dimensions.
    Dimensions,
    /// The generalisation lab on double descent.
    DoubleDescent,
    /// The generalisation lab on lottery tickets.
    Lottery,
    /// The generalisation lab on the luck of the draw.
    Seeds,
}

/// The training curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CurveSpec {
    /// Train and test loss.
    Loss,
    /// The gradient's norm.
    Gradient,
    /// The learning rate per step.
    LearningRate,
    /// The distance off the plane through the start.
    OffPlane,
}

/// The lowest chart on the right.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PanelSpec {
    /// Decision regions or the fitted curve.
    Predictions,
    /// The Hessian at the ball.
    Curvature,
    /// Flat against sharp minima.
    Minima,
    /// One weight of a language model, dragged by hand.
    OneWeight,
}

/// Follow the parameters or keep the plane through the start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SliceSpec {
    /// Re-centred on the parameters now.
    Follow,
    /// Through the start.
    Frozen,
}

/// A scene: every field optional, applied over a base.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneSpec {
    /// A formula surface (`bowl`, `ravine`, `rosenbrock`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surface: Option<Named<SurfaceKind>>,
    /// A built-in dataset for an MLP (`spirals`, `moons`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Named<DatasetKind>>,
    /// A built-in text for a character language model (`names`, `prose`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus: Option<Named<Corpus>>,
    /// A language model's context, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<usize>,
    /// A language model's embedding width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<usize>,
    /// Points in the dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<usize>,
    /// Dataset noise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f32>,
    /// Dataset seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_seed: Option<u64>,
    /// Hidden layers of the MLP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_layers: Option<usize>,
    /// Units per hidden layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    /// Hidden activation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation: Option<Named<Activation>>,
    /// The optimiser (`sgd`, `momentum`, `adam`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimizer: Option<Named<OptimizerKind>>,
    /// Learning rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr: Option<f32>,
    /// Momentum (momentum and Nesterov).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum: Option<f32>,
    /// Weight decay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f32>,
    /// The L1 penalty on the loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1: Option<f32>,
    /// Examples per step, or `"full"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchSpec>,
    /// The run's seed (initial parameters, batch order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Learning-rate schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleSpec>,
    /// Steps of linear warm-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup: Option<u64>,
    /// Steps per second, or `"max"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<SpeedSpec>,
    /// `follow` or `frozen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slice: Option<SliceSpec>,
    /// The slice's directions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plane: Option<PlaneSpec>,
    /// Half-width of the slice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<f32>,
    /// Points per axis of the slice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<usize>,
    /// Log colour scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_scale: Option<bool>,
    /// `map`, `surface` or `side-by-side`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewSpec>,
    /// The training curve: `loss`, `gradient`, `learning-rate`, `off-plane`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<CurveSpec>,
    /// The lowest chart: `predictions`, `curvature`, `minima`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panel: Option<PanelSpec>,
    /// Optimisers racing on the surface, each at its tuned rate (empty: no race).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub race: Option<Vec<Named<OptimizerKind>>>,
    /// The film strip's steps, e.g. "0, 10, 100".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub film_steps: Option<String>,
    /// The dimension the many-dimensions view shows (2 to 10¹¹).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<f64>,
    /// The inner ball's relative radius in that view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_radius: Option<f64>,
    /// Double descent's ridge (0: the interpolator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ridge: Option<f64>,
    /// Double descent's share of training labels flipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_noise: Option<f32>,
    /// How double descent fits each width: `random_features` or `trained_mlp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<valley_engine::generalisation::FitMode>,
    /// The lottery's pruning rounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<usize>,
}

impl SceneSpec {
    /// Writes this scene over `settings`. Choosing a problem starts from
    /// its own defaults (a surface's plain gradient descent at its stable
    /// rate, a dataset's noise) and ends any race; the fields written here
    /// go on top, and everything else (view, panel, pace) stays.
    pub fn apply(&self, settings: &mut Settings) {
        if let Some(Named(kind)) = self.surface {
            // The rule the surface's sentence describes, at its stable rate
            // (as its preset); the view, panel and pace stay as they were.
            settings.problem = ProblemChoice::Surface(kind);
            let (rule, rate) = kind.preset_optimizer();
            settings.train.optimizer.kind = rule;
            settings.train.optimizer.lr = rate;
            settings.lane_tuning = kind.tuned_lanes();
            settings.race.clear();
        }
        if let Some(Named(kind)) = self.dataset {
            settings.problem = ProblemChoice::Dataset(kind);
            settings.noise = kind.default_noise();
            settings.race.clear();
        }
        if let Some(Named(corpus)) = self.corpus {
            settings.problem = ProblemChoice::Language(corpus);
            crate::presets::language_defaults(settings);
        }
        set(&mut settings.context, self.context);
        set(&mut settings.embed, self.embed);
        set(&mut settings.dataset_size, self.points);
        set(&mut settings.noise, self.noise);
        set(&mut settings.data_seed, self.data_seed);
        set(&mut settings.hidden_layers, self.hidden_layers);
        set(&mut settings.width, self.width);
        set(&mut settings.activation, self.activation.map(|n| n.0));
        let train = &mut settings.train;
        set(&mut train.optimizer.kind, self.optimizer.map(|n| n.0));
        set(&mut train.optimizer.lr, self.lr);
        set(&mut train.optimizer.momentum, self.momentum);
        set(&mut train.optimizer.weight_decay, self.weight_decay);
        set(&mut train.optimizer.l1, self.l1);
        if let Some(batch) = self.batch {
            train.batch_size = match batch {
                BatchSpec::Size(n) => Some(n),
                BatchSpec::Word(FullBatch::Full) => None,
            };
        }
        set(&mut train.seed, self.seed);
        if let Some(schedule) = self.schedule {
            train.schedule.schedule = match schedule {
                ScheduleSpec::Constant => Schedule::Constant,
                ScheduleSpec::Step { every, gamma } => Schedule::Step { every, gamma },
                ScheduleSpec::Cosine { steps, min } => Schedule::Cosine {
                    total_steps: steps,
                    min_factor: min,
                },
            };
        }
        set(&mut train.schedule.warmup_steps, self.warmup);
        if let Some(speed) = self.speed {
            settings.steps_per_second = match speed {
                SpeedSpec::Rate(rate) => Some(rate),
                SpeedSpec::Word(MaxSpeed::Max) => None,
            };
        }
        if let Some(slice) = self.slice {
            settings.slice_mode = match slice {
                SliceSpec::Follow => SliceMode::Follow,
                SliceSpec::Frozen => SliceMode::Frozen,
            };
        }
        set(&mut settings.directions, self.plane.map(PlaneSpec::recipe));
        set(&mut settings.span, self.span);
        set(&mut settings.resolution, self.resolution);
        set(&mut settings.log_scale, self.log_scale);
        if let Some(view) = self.view {
            settings.view = match view {
                ViewSpec::Map => CentralView::Map,
                ViewSpec::Surface => CentralView::Surface,
                ViewSpec::SideBySide => CentralView::SideBySide,
                ViewSpec::Dimensions => CentralView::Dimensions,
                ViewSpec::DoubleDescent | ViewSpec::Lottery | ViewSpec::Seeds => {
                    settings.lab = match view {
                        ViewSpec::Lottery => LabExperiment::Lottery,
                        ViewSpec::Seeds => LabExperiment::Seeds,
                        _ => LabExperiment::DoubleDescent,
                    };
                    CentralView::Generalisation
                }
            };
        }
        if let Some(curve) = self.curve {
            settings.curve = match curve {
                CurveSpec::Loss => CurveChoice::Loss,
                CurveSpec::Gradient => CurveChoice::GradNorm,
                CurveSpec::LearningRate => CurveChoice::LearningRate,
                CurveSpec::OffPlane => CurveChoice::OffPlane,
            };
        }
        if let Some(panel) = self.panel {
            settings.lower = match panel {
                PanelSpec::Predictions => LowerChart::Predictions,
                PanelSpec::Curvature => LowerChart::Curvature,
                PanelSpec::Minima => LowerChart::Minima,
                PanelSpec::OneWeight => LowerChart::OneWeight,
            };
        }
        if let Some(race) = &self.race {
            settings.race = race.iter().map(|n| n.0).collect();
            if let ProblemChoice::Surface(kind) = settings.problem {
                settings.lane_tuning = kind.tuned_lanes();
            }
        }
        set(&mut settings.film_steps, self.film_steps.clone());
        set(&mut settings.dimensions, self.dimensions);
        set(&mut settings.inner_radius, self.inner_radius);
        let lab = &mut settings.lab_settings;
        set(&mut lab.double_descent.ridge, self.ridge);
        set(&mut lab.double_descent.label_noise, self.label_noise);
        set(&mut lab.double_descent.mode, self.fit);
        set(&mut lab.lottery.rounds, self.rounds);
    }

    /// The scene that rebuilds `settings` from the app's defaults (to
    /// record a step): the problem, the network, the optimiser and the view.
    pub fn record(settings: &Settings) -> Self {
        let in_lab = settings.view == CentralView::Generalisation;
        let (surface, dataset) = match settings.problem {
            ProblemChoice::Surface(kind) => (Some(Named(kind)), None),
            ProblemChoice::Dataset(kind) => (None, Some(Named(kind))),
            ProblemChoice::Imported | ProblemChoice::Language(_) => (None, None),
        };
        let corpus = match settings.problem {
            ProblemChoice::Language(corpus) => Some(Named(corpus)),
            _ => None,
        };
        let is_language = corpus.is_some();
        let is_dataset = dataset.is_some();
        let train = &settings.train;
        let schedule = match train.schedule.schedule {
            Schedule::Constant => None,
            Schedule::Step { every, gamma } => Some(ScheduleSpec::Step { every, gamma }),
            Schedule::Cosine {
                total_steps,
                min_factor,
            } => Some(ScheduleSpec::Cosine {
                steps: total_steps,
                min: min_factor,
            }),
        };
        Self {
            surface,
            dataset,
            corpus,
            context: is_language.then_some(settings.context),
            embed: is_language.then_some(settings.embed),
            points: is_dataset.then_some(settings.dataset_size),
            noise: is_dataset.then_some(settings.noise),
            data_seed: is_dataset.then_some(settings.data_seed),
            hidden_layers: (is_dataset || is_language).then_some(settings.hidden_layers),
            width: (is_dataset || is_language).then_some(settings.width),
            activation: (is_dataset || is_language).then_some(Named(settings.activation)),
            optimizer: Some(Named(train.optimizer.kind)),
            lr: Some(train.optimizer.lr),
            momentum: Some(train.optimizer.momentum),
            weight_decay: (train.optimizer.weight_decay != 0.0)
                .then_some(train.optimizer.weight_decay),
            l1: (train.optimizer.l1 != 0.0).then_some(train.optimizer.l1),
            batch: (is_dataset || is_language).then_some(match train.batch_size {
                Some(n) => BatchSpec::Size(n),
                None => BatchSpec::Word(FullBatch::Full),
            }),
            seed: Some(train.seed),
            schedule,
            warmup: (train.schedule.warmup_steps > 0).then_some(train.schedule.warmup_steps),
            speed: Some(match settings.steps_per_second {
                Some(rate) => SpeedSpec::Rate(rate),
                None => SpeedSpec::Word(MaxSpeed::Max),
            }),
            slice: Some(match settings.slice_mode {
                SliceMode::Follow => SliceSpec::Follow,
                SliceMode::Frozen => SliceSpec::Frozen,
            }),
            plane: Some(PlaneSpec::of(settings.directions)),
            span: Some(settings.span),
            resolution: Some(settings.resolution),
            log_scale: Some(settings.log_scale),
            view: Some(match settings.view {
                CentralView::Map => ViewSpec::Map,
                CentralView::Surface => ViewSpec::Surface,
                CentralView::SideBySide => ViewSpec::SideBySide,
                CentralView::Dimensions => ViewSpec::Dimensions,
                CentralView::Generalisation => match settings.lab {
                    LabExperiment::DoubleDescent => ViewSpec::DoubleDescent,
                    LabExperiment::Lottery => ViewSpec::Lottery,
                    LabExperiment::Seeds => ViewSpec::Seeds,
                },
            }),
            curve: Some(match settings.curve {
                CurveChoice::Loss => CurveSpec::Loss,
                CurveChoice::GradNorm => CurveSpec::Gradient,
                CurveChoice::LearningRate => CurveSpec::LearningRate,
                CurveChoice::OffPlane => CurveSpec::OffPlane,
            }),
            panel: Some(match settings.lower {
                LowerChart::Predictions => PanelSpec::Predictions,
                LowerChart::Curvature => PanelSpec::Curvature,
                LowerChart::Minima => PanelSpec::Minima,
                LowerChart::OneWeight => PanelSpec::OneWeight,
            }),
            race: (!settings.race.is_empty())
                .then(|| settings.race.iter().map(|&k| Named(k)).collect()),
            film_steps: (!settings.film_steps.is_empty()).then(|| settings.film_steps.clone()),
            dimensions: (settings.view == CentralView::Dimensions).then_some(settings.dimensions),
            inner_radius: (settings.view == CentralView::Dimensions)
                .then_some(settings.inner_radius),
            ridge: in_lab.then_some(settings.lab_settings.double_descent.ridge),
            label_noise: in_lab.then_some(settings.lab_settings.double_descent.label_noise),
            fit: in_lab.then_some(settings.lab_settings.double_descent.mode),
            rounds: in_lab.then_some(settings.lab_settings.lottery.rounds),
        }
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}
