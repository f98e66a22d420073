//! The built-in scenes a name opens (`--preset`, the problem list, a
//! lesson's `surface = ...`): a dataset, a formula surface with the rule its
//! sentence describes, or the Rosenbrock race.

use super::{ProblemChoice, Settings};
use valley_engine::data::DatasetKind;
use valley_engine::language::Corpus;
use valley_engine::nn::Activation;
use valley_engine::optim::OptimizerKind;
use valley_engine::surface::SurfaceKind;

/// The settings for a preset name.
pub fn preset(name: &str) -> anyhow::Result<Settings> {
    let defaults = Settings::default();
    if let Ok(kind) = name.parse::<DatasetKind>() {
        return Ok(Settings {
            problem: ProblemChoice::Dataset(kind),
            noise: kind.default_noise(),
            ..defaults
        });
    }
    if name == "race" {
        // Four optimisers on Rosenbrock's banana valley from the same start,
        // each at its own tuned rate.
        let mut settings = preset("rosenbrock")?;
        settings.train.optimizer.lr = 0.002;
        settings.lane_tuning = SurfaceKind::Rosenbrock.tuned_lanes();
        settings.race = settings.lane_tuning.iter().map(|t| t.kind).collect();
        return Ok(settings);
    }
    if let Ok(kind) = name.parse::<SurfaceKind>() {
        let mut settings = Settings {
            problem: ProblemChoice::Surface(kind),
            ..defaults
        };
        // The rule its sentence describes: plain gradient descent.
        let (rule, rate) = kind.preset_optimizer();
        settings.train.optimizer.kind = rule;
        settings.train.optimizer.lr = rate;
        // A surface with a story to race (the ravine) opens racing it.
        settings.lane_tuning = kind.tuned_lanes();
        if kind == SurfaceKind::Ravine {
            settings.race = settings.lane_tuning.iter().map(|t| t.kind).collect();
        }
        return Ok(settings);
    }
    if let Ok(corpus) = name.parse::<Corpus>() {
        let mut settings = Settings {
            problem: ProblemChoice::Language(corpus),
            ..defaults
        };
        language_defaults(&mut settings);
        return Ok(settings);
    }
    anyhow::bail!(
        "unknown preset '{name}': use a dataset (spirals, moons, circles, xor, blobs, sine), a surface (bowl, ravine, saddle, rosenbrock, ...), race, or a text for next-character prediction (names, prose)"
    )
}

/// A language model's own starting point: the standard small model
/// (Bengio et al. 2003, as makemore builds it, with 64 hidden units) and
/// Adam at 0.01 on minibatches of 32; the last tenth of the text is held
/// out. Each map point reads all 30,000-odd examples, so the map is 41 × 41
/// (a few seconds a refresh on two cores) rather than 61 × 61.
pub fn language_defaults(settings: &mut Settings) {
    settings.context = 3;
    settings.embed = 10;
    settings.hidden_layers = 1;
    settings.width = 64;
    settings.activation = Activation::Tanh;
    settings.test_fraction = 0.1;
    settings.train.optimizer.kind = OptimizerKind::Adam;
    settings.train.optimizer.lr = 0.01;
    settings.train.batch_size = Some(32);
    settings.lane_tuning.clear();
    settings.race.clear();
    settings.resolution = 41;
}
