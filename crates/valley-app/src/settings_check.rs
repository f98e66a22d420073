//! One check for settings that come from outside the controls: a scene in a
//! PNG or `.json` file, a session's view, an autosave, eframe's stored
//! settings. A value a control could have set, but outside the control's
//! range, is brought into it (and the change is reported); a value no
//! control could set (NaN, a negative speed, a network past the parameter
//! cap, more race lanes than optimisers) is refused with the field, the value
//! and the limit, before it drives a loop, an allocation or a thread.

use strum::IntoEnumIterator;

use super::settings::{DirectionChoice, ProblemChoice, Settings};
use valley_engine::io::limits::MAX_PARAMS;
use valley_engine::landscape::GRID_MAX_POINTS_PER_AXIS;
use valley_engine::nn::{MAX_LAYERS, MAX_WIDTH, param_count};
use valley_engine::optim::OptimizerKind;

/// Most dataset points the app accepts: every frame draws them all over
/// the decision regions (the slider stops at 2,000; a session from
/// `valley train --size` may have more).
pub const APP_MAX_POINTS: usize = 20_000;
/// The speed slider's range, in steps per second (the slider reads it here).
pub const SPEED_RANGE: (f64, f64) = (1.0, 2000.0);
/// The resolution slider's range, in points per axis.
pub const RESOLUTION_RANGE: (usize, usize) = (21, 161);
/// The dimensions the many-dimensions slider offers: a plane to a large language model.
pub const DIMENSION_RANGE: (f64, f64) = (2.0, 1e11);
/// The learning rate a slider offers.
pub const LR_RANGE: (f32, f32) = (1e-5, 100.0);
/// The span slider's range.
pub const SPAN_RANGE: (f32, f32) = (0.05, 5.0);
/// Longest film-strip step list accepted, in characters.
pub const MAX_FILM_STEPS_CHARS: usize = 1000;

/// Settings that passed [`Settings::checked`], with what was brought into range.
#[derive(Debug)]
pub struct Checked {
    /// The settings, safe to run.
    pub settings: Settings,
    /// One line per value moved into its control's range, e.g. `resolution 500 → 161`.
    pub adjusted: Vec<String>,
}

impl Settings {
    /// These settings, checked and brought into range; the error names the
    /// field, its value and the limit.
    pub fn checked(mut self) -> Result<Checked, String> {
        let refuse =
            |field: &str, value: String, limit: String| Err(format!("{field} is {value}; {limit}"));
        let mut adjusted = Vec::new();
        if let Err(e) = self.lab_settings.validate() {
            adjusted.push(format!(
                "the generalisation lab's settings ({e}) went back to the defaults"
            ));
            self.lab_settings = Default::default();
        }
        if let ProblemChoice::Dataset(_) = self.problem {
            if !(2..=APP_MAX_POINTS).contains(&self.dataset_size) {
                return refuse(
                    "dataset_size",
                    self.dataset_size.to_string(),
                    format!("the app shows 2 to {APP_MAX_POINTS} points"),
                );
            }
            if !(self.noise.is_finite() && self.noise >= 0.0) {
                return refuse("noise", self.noise.to_string(), "it must be ≥ 0".into());
            }
            if !(0.0..=0.95).contains(&self.test_fraction) {
                return refuse(
                    "test_fraction",
                    self.test_fraction.to_string(),
                    "it must be between 0 and 0.95".into(),
                );
            }
            // MAX_LAYERS counts Linear layers: one more than the hidden ones.
            if !(1..MAX_LAYERS).contains(&self.hidden_layers) {
                return refuse(
                    "hidden_layers",
                    self.hidden_layers.to_string(),
                    format!("a network has 1 to {} hidden layers", MAX_LAYERS - 1),
                );
            }
            if !(1..=MAX_WIDTH).contains(&self.width) {
                return refuse(
                    "width",
                    self.width.to_string(),
                    format!("a layer has 1 to {MAX_WIDTH} neurons"),
                );
            }
            // Counted with the widest input and output a built-in dataset has,
            // before `vec![width; hidden_layers]` is ever built.
            let mut widths = vec![2];
            widths.extend(std::iter::repeat_n(self.width, self.hidden_layers));
            widths.push(16);
            let count = param_count(&widths);
            if count > MAX_PARAMS {
                return refuse(
                    "hidden_layers × width",
                    format!(
                        "{} × {} ({count} parameters)",
                        self.hidden_layers, self.width
                    ),
                    format!("a model has at most {MAX_PARAMS} parameters"),
                );
            }
        }
        self.train.validate().map_err(|e| format!("train: {e}"))?;
        if let Some(speed) = self.steps_per_second {
            if !(speed.is_finite() && speed > 0.0) {
                return refuse(
                    "steps_per_second",
                    speed.to_string(),
                    "it must be a positive number (or null for full speed)".into(),
                );
            }
            let clamped = speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
            if clamped != speed {
                adjusted.push(format!("steps per second {speed} → {clamped}"));
                self.steps_per_second = Some(clamped);
            }
        }
        if !(1..=GRID_MAX_POINTS_PER_AXIS).contains(&self.resolution) {
            return refuse(
                "resolution",
                self.resolution.to_string(),
                format!("a slice has 1 to {GRID_MAX_POINTS_PER_AXIS} points per axis"),
            );
        }
        let resolution = self
            .resolution
            .clamp(RESOLUTION_RANGE.0, RESOLUTION_RANGE.1);
        if resolution != self.resolution {
            adjusted.push(format!("resolution {} → {resolution}", self.resolution));
            self.resolution = resolution;
        }
        if !(self.span.is_finite() && self.span > 0.0) {
            return refuse(
                "span",
                self.span.to_string(),
                "it must be a positive number".into(),
            );
        }
        let span = self.span.clamp(SPAN_RANGE.0, SPAN_RANGE.1);
        if span != self.span {
            adjusted.push(format!("span {} → {span}", self.span));
            self.span = span;
        }
        if let DirectionChoice::Parameters(i, j) = self.directions
            && (i >= MAX_PARAMS || j >= MAX_PARAMS)
        {
            return refuse(
                "directions",
                format!("parameters {i} and {j}"),
                format!("a model has at most {MAX_PARAMS} parameters"),
            );
        }
        let lanes = OptimizerKind::iter().len();
        let distinct = OptimizerKind::iter()
            .filter(|kind| self.race.contains(kind))
            .count();
        if self.race.len() > lanes || distinct != self.race.len() {
            return refuse(
                "race",
                format!("{} lanes", self.race.len()),
                format!("a race has at most {lanes} lanes, each optimiser once"),
            );
        }
        let tuned = OptimizerKind::iter()
            .filter(|kind| self.lane_tuning.iter().any(|t| t.kind == *kind))
            .count();
        if self.lane_tuning.len() > lanes || tuned != self.lane_tuning.len() {
            return refuse(
                "lane_tuning",
                format!("{} entries", self.lane_tuning.len()),
                format!("at most {lanes}, each optimiser once"),
            );
        }
        for lane in &self.lane_tuning {
            // Each lane's rate and momentum pass the checks the run's own do.
            let mut config = self.train;
            config.optimizer.kind = lane.kind;
            config.optimizer.lr = lane.lr;
            config.optimizer.momentum = lane.momentum;
            config
                .validate()
                .map_err(|e| format!("lane_tuning ({}): {e}", lane.kind.name()))?;
        }
        let camera = self.camera;
        if ![camera.yaw, camera.elevation, camera.zoom]
            .iter()
            .all(|v| v.is_finite())
        {
            return refuse(
                "camera",
                format!("{:?}", (camera.yaw, camera.elevation, camera.zoom)),
                "its angles and zoom must be numbers".into(),
            );
        }
        self.camera = camera.clamped();
        if self.film_steps.chars().count() > MAX_FILM_STEPS_CHARS {
            return refuse(
                "film_steps",
                format!("{} characters long", self.film_steps.chars().count()),
                format!("the list holds at most {MAX_FILM_STEPS_CHARS}"),
            );
        }
        let (low, high) = DIMENSION_RANGE;
        if !(low..=high).contains(&self.dimensions) {
            return refuse(
                "dimensions",
                self.dimensions.to_string(),
                format!("the view shows {low} to 10¹¹ dimensions"),
            );
        }
        if !(self.inner_radius > 0.0 && self.inner_radius < 1.0) {
            return refuse(
                "inner_radius",
                self.inner_radius.to_string(),
                "it is a share of the radius, between 0 and 1".into(),
            );
        }
        Ok(Checked {
            settings: self,
            adjusted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(settings: Settings) -> String {
        settings.checked().expect_err("refused")
    }

    #[test]
    fn the_defaults_and_every_preset_pass_unchanged() {
        for name in ["spirals", "moons", "race", "rosenbrock", "saddle", "sine"] {
            let settings = super::super::preset(name).expect("preset");
            let checked = settings.clone().checked().expect("passes");
            assert_eq!(checked.settings, settings, "{name}");
            assert!(
                checked.adjusted.is_empty(),
                "{name}: {:?}",
                checked.adjusted
            );
        }
    }

    #[test]
    fn values_no_control_could_set_are_refused_with_field_value_and_limit() {
        let base = Settings::default();
        let error = refused(Settings {
            hidden_layers: 63,
            width: 4096,
            ..base.clone()
        });
        assert!(error.contains("hidden_layers × width"), "{error}");
        assert!(error.contains("5000000"), "{error}");
        let error = refused(Settings {
            hidden_layers: usize::MAX,
            ..base.clone()
        });
        assert!(
            error.contains("hidden_layers is 18446744073709551615"),
            "{error}"
        );
        let error = refused(Settings {
            steps_per_second: Some(-5.0),
            ..base.clone()
        });
        assert!(error.contains("steps_per_second is -5"), "{error}");
        let error = refused(Settings {
            race: vec![OptimizerKind::Adam; 1000],
            ..base.clone()
        });
        assert!(error.contains("race is 1000 lanes"), "{error}");
        let error = refused(Settings {
            span: f32::NAN,
            ..base.clone()
        });
        assert!(error.contains("span is NaN"), "{error}");
        let error = refused(Settings {
            resolution: 1_000_000,
            ..base.clone()
        });
        assert!(error.contains("2001"), "{error}");
        let error = refused(Settings {
            dataset_size: 10_000_000,
            ..base.clone()
        });
        assert!(error.contains("20000"), "{error}");
        let mut bad_lr = base.clone();
        bad_lr.train.optimizer.lr = f32::INFINITY;
        assert!(refused(bad_lr).contains("learning rate"));
        // A racing lane's own rate is held to the run's checks, once per optimiser.
        let lane = |lr: f32| valley_engine::surface::LaneTuning {
            kind: OptimizerKind::Sgd,
            lr,
            momentum: 0.0,
        };
        let error = refused(Settings {
            lane_tuning: vec![lane(f32::NAN)],
            ..base.clone()
        });
        assert!(error.contains("lane_tuning (sgd)"), "{error}");
        let error = refused(Settings {
            lane_tuning: vec![lane(0.1), lane(0.2)],
            ..base.clone()
        });
        assert!(error.contains("each optimiser once"), "{error}");
    }

    #[test]
    fn values_a_control_could_set_are_brought_into_its_range_and_reported() {
        let checked = Settings {
            steps_per_second: Some(1e9),
            resolution: 500,
            span: 50.0,
            ..Settings::default()
        }
        .checked()
        .expect("clamped, not refused");
        assert_eq!(checked.settings.steps_per_second, Some(2000.0));
        assert_eq!(checked.settings.resolution, 161);
        assert_eq!(checked.settings.span, 5.0);
        assert_eq!(checked.adjusted.len(), 3, "{:?}", checked.adjusted);
        assert!(checked.adjusted[1].contains("resolution 500 → 161"));
    }
}
