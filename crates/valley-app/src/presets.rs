//! The built-in scenes a name opens (`--preset`, the problem list, a
//! lesson's `surface = ...`): a dataset, a formula surface with the rule its
//! sentence describes, or the Rosenbrock race.

use super::{ProblemChoice, Settings};
use valley_engine::data::DatasetKind;
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
    anyhow::bail!(
        "unknown preset '{name}': use a dataset (spirals, moons, circles, xor, blobs, sine) or a surface (bowl, ravine, saddle, rosenbrock, ...), or race"
    )
}
