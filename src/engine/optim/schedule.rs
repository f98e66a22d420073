//! Learning-rate schedules: how the step size changes over training.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The shape of the learning rate over steps, after any warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The same rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` steps (torch StepLR).
    Step {
        /// Steps between decays.
        every: u64,
        /// Factor per decay.
        gamma: f32,
    },
    /// Half a cosine from the base rate down to `min_factor` × base over
    /// `total_steps` (torch CosineAnnealingLR), then flat.
    Cosine {
        /// Steps to reach the minimum.
        total_steps: u64,
        /// Final rate as a fraction of the base.
        min_factor: f32,
    },
}

/// A schedule with an optional linear warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// The decay.
    pub schedule: Schedule,
    /// Steps of linear warm-up from base/warmup to base (torch LinearLR).
    pub warmup_steps: u64,
}

impl Default for LrSchedule {
    fn default() -> Self {
        Self {
            schedule: Schedule::Constant,
            warmup_steps: 0,
        }
    }
}

impl LrSchedule {
    /// The learning rate for step `step` (0-based).
    pub fn lr_at(&self, base_lr: f32, step: u64) -> f32 {
        let warm = if step < self.warmup_steps {
            (step + 1) as f32 / self.warmup_steps as f32
        } else {
            1.0
        };
        let decayed = match self.schedule {
            Schedule::Constant => 1.0,
            Schedule::Step { every, gamma } => {
                gamma.powi((step / every.max(1)).min(i32::MAX as u64) as i32)
            }
            Schedule::Cosine {
                total_steps,
                min_factor,
            } => {
                let t = (step.min(total_steps) as f64 / total_steps.max(1) as f64) as f32;
                min_factor + (1.0 - min_factor) * 0.5 * (1.0 + (std::f32::consts::PI * t).cos())
            }
        };
        base_lr * warm * decayed
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant => f.write_str("constant"),
            Schedule::Step { every, gamma } => write!(f, "step (×{gamma} every {every})"),
            Schedule::Cosine { total_steps, .. } => write!(f, "cosine over {total_steps} steps"),
        }
    }
}

impl FromStr for Schedule {
    type Err = String;
    /// `constant`, `step` (×0.5 every 500), `cosine` (to 0 over 2000), or
    /// with parameters: `step:500:0.5`, `cosine:2000:0.01`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let num = |i: usize, default: f64| -> Result<f64, String> {
            parts.get(i).map_or(Ok(default), |p| {
                p.parse()
                    .map_err(|_| format!("'{p}' in schedule '{s}' is not a number"))
            })
        };
        match parts[0].to_ascii_lowercase().as_str() {
            "constant" | "none" => Ok(Schedule::Constant),
            "step" => Ok(Schedule::Step {
                every: num(1, 500.0)? as u64,
                gamma: num(2, 0.5)? as f32,
            }),
            "cosine" => Ok(Schedule::Cosine {
                total_steps: num(1, 2000.0)? as u64,
                min_factor: num(2, 0.0)? as f32,
            }),
            _ => Err(format!(
                "unknown schedule '{s}': use constant, step[:EVERY:GAMMA] or cosine[:STEPS:MIN_FACTOR]"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_at_chosen_steps() {
        let constant = LrSchedule::default();
        assert_eq!(constant.lr_at(0.1, 12345), 0.1);
        let step = LrSchedule {
            schedule: Schedule::Step {
                every: 10,
                gamma: 0.5,
            },
            warmup_steps: 0,
        };
        assert_eq!(step.lr_at(1.0, 9), 1.0);
        assert_eq!(step.lr_at(1.0, 10), 0.5);
        assert_eq!(step.lr_at(1.0, 25), 0.25);
        // Cosine: η_t = η_min + (η − η_min)(1 + cos(π t/T))/2; T = 100, η = 1, η_min = 0.1.
        let cosine = LrSchedule {
            schedule: Schedule::Cosine {
                total_steps: 100,
                min_factor: 0.1,
            },
            warmup_steps: 0,
        };
        assert!((cosine.lr_at(1.0, 0) - 1.0).abs() < 1e-6);
        assert!((cosine.lr_at(1.0, 50) - 0.55).abs() < 1e-6);
        assert!(
            (cosine.lr_at(1.0, 25) - (0.1 + 0.9 * 0.5 * (1.0 + std::f32::consts::FRAC_1_SQRT_2)))
                .abs()
                < 1e-6
        );
        assert!((cosine.lr_at(1.0, 100) - 0.1).abs() < 1e-6);
        assert!((cosine.lr_at(1.0, 1000) - 0.1).abs() < 1e-6);
        // Warm-up over 4 steps: 1/4, 2/4, 3/4, 1.
        let warm = LrSchedule {
            schedule: Schedule::Constant,
            warmup_steps: 4,
        };
        let lrs: Vec<f32> = (0..5).map(|s| warm.lr_at(2.0, s)).collect();
        assert_eq!(lrs, [0.5, 1.0, 1.5, 2.0, 2.0]);
    }

    #[test]
    fn parses_names_and_parameters() {
        assert_eq!(
            "cosine:300:0.5".parse(),
            Ok(Schedule::Cosine {
                total_steps: 300,
                min_factor: 0.5
            })
        );
        assert_eq!(
            "step".parse(),
            Ok(Schedule::Step {
                every: 500,
                gamma: 0.5
            })
        );
        assert!("exp".parse::<Schedule>().is_err());
        assert!("step:x".parse::<Schedule>().is_err());
    }
}
