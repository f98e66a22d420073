//! Learning-rate schedules: how the step size changes over training, as the
//! closed forms of torch's StepLR, CosineAnnealingLR and LinearLR, so a
//! lesson's schedule can be reproduced in PyTorch.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::config::OptimError;

/// The shape of the learning rate over steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The same rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` steps (torch StepLR:
    /// η·γ^⌊step/every⌋).
    Step {
        /// Steps between decays (at least 1).
        every: u64,
        /// Factor per decay (positive; below 1 to decay).
        gamma: f32,
    },
    /// Half a cosine from the base rate down to `min_factor` × base over
    /// `total_steps` (torch CosineAnnealingLR with η_min = `min_factor`·η),
    /// then flat at the minimum. torch's formula would climb again after
    /// `total_steps`; a lesson's run that goes on longer wants to stay low.
    Cosine {
        /// Steps to reach the minimum (at least 1).
        total_steps: u64,
        /// Final rate as a fraction of the base, in [0, 1].
        min_factor: f32,
    },
}

/// A schedule with an optional linear warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// The decay.
    pub schedule: Schedule,
    /// Steps of linear warm-up from base/warmup to base: torch
    /// `LinearLR(start_factor = 1/warmup, total_iters = warmup)`.
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
    /// The learning rate for the update numbered `step` (0 for the first).
    ///
    /// The warm-up factor multiplies the schedule's, both counted from step
    /// 0, as torch's `ChainedScheduler` composes them (exactly so for StepLR;
    /// torch's recursive cosine drifts from its closed form by under 2 %
    /// while the two overlap). So a cosine over N steps ends at step N with
    /// or without warm-up.
    pub fn lr_at(&self, base_lr: f32, step: u64) -> f32 {
        let warm = if step < self.warmup_steps {
            // LinearLR: start + (1 − start)·step/total with start = 1/total.
            let total = self.warmup_steps as f64;
            let start = 1.0 / total;
            start + (1.0 - start) * step as f64 / total
        } else {
            1.0
        };
        let decayed = match self.schedule {
            Schedule::Constant => 1.0,
            Schedule::Step { every, gamma } => {
                let decays = (step / every.max(1)).min(i32::MAX as u64) as i32;
                f64::from(gamma).powi(decays)
            }
            Schedule::Cosine {
                total_steps,
                min_factor,
            } => {
                let progress = step.min(total_steps) as f64 / total_steps.max(1) as f64;
                let min = f64::from(min_factor);
                min + (1.0 - min) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        };
        (f64::from(base_lr) * warm * decayed) as f32
    }

    /// Checks the schedule's numbers; the message names the bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        let bad = |m: String| Err(OptimError::Invalid(m));
        match self.schedule {
            Schedule::Constant => Ok(()),
            Schedule::Step { every: 0, .. } => {
                bad("step schedule: decay every 0 steps; use at least 1".into())
            }
            Schedule::Step { gamma, .. } if !(gamma.is_finite() && gamma > 0.0) => bad(format!(
                "step schedule: gamma {gamma} must be a positive number (0.5 halves the rate)"
            )),
            Schedule::Cosine { total_steps: 0, .. } => {
                bad("cosine schedule: it needs at least 1 step".into())
            }
            Schedule::Cosine { min_factor, .. } if !(0.0..=1.0).contains(&min_factor) => bad(
                format!("cosine schedule: minimum factor {min_factor} must be in [0, 1]"),
            ),
            Schedule::Step { .. } | Schedule::Cosine { .. } => Ok(()),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant => f.write_str("constant"),
            Schedule::Step { every, gamma } => write!(f, "step (×{gamma} every {every})"),
            Schedule::Cosine {
                total_steps,
                min_factor,
            } => write!(f, "cosine over {total_steps} steps (to ×{min_factor})"),
        }
    }
}

impl FromStr for Schedule {
    type Err = String;
    /// `constant`, `step` (×0.5 every 500), `cosine` (to 0 over 2000), or
    /// with parameters: `step:500:0.5`, `cosine:2000:0.01`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const USAGE: &str = "use constant, step[:EVERY[:GAMMA]] or cosine[:STEPS[:MIN_FACTOR]]";
        let parts: Vec<&str> = s.trim().split(':').map(str::trim).collect();
        let number = |i: usize, default: f64| -> Result<f64, String> {
            parts.get(i).map_or(Ok(default), |p| {
                p.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("'{p}' in schedule '{s}' is not a number"))
            })
        };
        let count = |i: usize, default: u64| -> Result<u64, String> {
            parts.get(i).map_or(Ok(default), |p| {
                p.parse::<u64>()
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| format!("'{p}' in schedule '{s}' must be a whole number ≥ 1"))
            })
        };
        let (schedule, arity) = match parts[0].to_ascii_lowercase().as_str() {
            "constant" | "none" => (Schedule::Constant, 1),
            "step" => (
                Schedule::Step {
                    every: count(1, 500)?,
                    gamma: number(2, 0.5)? as f32,
                },
                3,
            ),
            "cosine" => (
                Schedule::Cosine {
                    total_steps: count(1, 2000)?,
                    min_factor: number(2, 0.0)? as f32,
                },
                3,
            ),
            _ => return Err(format!("unknown schedule '{s}': {USAGE}")),
        };
        if parts.len() > arity {
            return Err(format!("schedule '{s}' has too many parts: {USAGE}"));
        }
        LrSchedule {
            schedule,
            warmup_steps: 0,
        }
        .validate()
        .map_err(|e| e.to_string())?;
        Ok(schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(schedule: Schedule) -> LrSchedule {
        LrSchedule {
            schedule,
            warmup_steps: 0,
        }
    }

    #[track_caller]
    fn close(actual: f32, expected: f64) {
        assert!(
            (f64::from(actual) - expected).abs() < 1e-6,
            "{actual} vs {expected}"
        );
    }

    #[test]
    fn constant_and_step_decay() {
        assert_eq!(LrSchedule::default().lr_at(0.1, 12345), 0.1);
        // StepLR(step_size = 10, γ = 0.5): 1 for steps 0–9, 0.5 for 10–19, 0.25 at 25.
        let step = plain(Schedule::Step {
            every: 10,
            gamma: 0.5,
        });
        assert_eq!(step.lr_at(1.0, 0), 1.0);
        assert_eq!(step.lr_at(1.0, 9), 1.0);
        assert_eq!(step.lr_at(1.0, 10), 0.5);
        assert_eq!(step.lr_at(1.0, 19), 0.5);
        assert_eq!(step.lr_at(1.0, 25), 0.25);
        close(step.lr_at(0.2, 30), 0.025);
        // Billions of decays underflow to 0 rather than wrapping the exponent.
        assert_eq!(step.lr_at(1.0, u64::MAX), 0.0);
    }

    #[test]
    fn cosine_follows_the_closed_form() {
        // η_t = η_min + (η − η_min)(1 + cos(π t/T))/2 with T = 100, η = 1, η_min = 0.1:
        // t = 25: 0.1 + 0.45(1 + √½) = 0.868198; t = 50: 0.55; t = 75: 0.1 + 0.45(1 − √½) = 0.231802.
        let cosine = plain(Schedule::Cosine {
            total_steps: 100,
            min_factor: 0.1,
        });
        close(cosine.lr_at(1.0, 0), 1.0);
        close(cosine.lr_at(1.0, 25), 0.868_198_05);
        close(cosine.lr_at(1.0, 50), 0.55);
        close(cosine.lr_at(1.0, 75), 0.231_801_95);
        close(cosine.lr_at(1.0, 100), 0.1);
        // Flat afterwards (torch's would rise again).
        close(cosine.lr_at(1.0, 1000), 0.1);
        close(cosine.lr_at(0.5, 50), 0.275);
    }

    #[test]
    fn warm_up_is_torch_linear_lr() {
        // LinearLR(start_factor = 1/4, total_iters = 4): 1/4 + (3/4)·s/4.
        let warm = LrSchedule {
            schedule: Schedule::Constant,
            warmup_steps: 4,
        };
        let lrs: Vec<f32> = (0..6).map(|s| warm.lr_at(2.0, s)).collect();
        assert_eq!(lrs, [0.5, 0.875, 1.25, 1.625, 2.0, 2.0]);
        // Chained with StepLR(2, 0.5): the factors multiply,
        // e.g. step 3: 0.8125·0.5 = 0.40625 (what torch's ChainedScheduler gives).
        let chained = LrSchedule {
            schedule: Schedule::Step {
                every: 2,
                gamma: 0.5,
            },
            warmup_steps: 4,
        };
        let lrs: Vec<f32> = (0..8).map(|s| chained.lr_at(1.0, s)).collect();
        assert_eq!(
            lrs,
            [0.25, 0.4375, 0.3125, 0.40625, 0.25, 0.25, 0.125, 0.125]
        );
        // One warm-up step is no warm-up at all: factor 1/1.
        let one = LrSchedule {
            schedule: Schedule::Constant,
            warmup_steps: 1,
        };
        assert_eq!(one.lr_at(0.3, 0), 0.3);
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
            "Step".parse(),
            Ok(Schedule::Step {
                every: 500,
                gamma: 0.5
            })
        );
        assert_eq!(
            "step:100".parse(),
            Ok(Schedule::Step {
                every: 100,
                gamma: 0.5
            })
        );
        assert_eq!("constant".parse(), Ok(Schedule::Constant));
        for bad in [
            "exp",
            "step:x",
            "step:0",
            "step:-5",
            "step:10:0",
            "step:10:nan",
            "cosine:100:2",
            "cosine:100:0.1:3",
            "constant:5",
            "",
        ] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad:?} accepted");
        }
        let message = "exp".parse::<Schedule>().unwrap_err();
        assert!(message.contains("cosine"), "{message}");
    }

    #[test]
    fn validation_names_the_problem() {
        assert_eq!(LrSchedule::default().validate(), Ok(()));
        let zero = plain(Schedule::Step {
            every: 0,
            gamma: 0.5,
        });
        assert!(zero.validate().unwrap_err().to_string().contains("every 0"));
        let negative = plain(Schedule::Step {
            every: 3,
            gamma: -1.0,
        });
        assert!(
            negative
                .validate()
                .unwrap_err()
                .to_string()
                .contains("gamma")
        );
        let low = plain(Schedule::Cosine {
            total_steps: 10,
            min_factor: -0.1,
        });
        assert!(low.validate().unwrap_err().to_string().contains("minimum"));
    }

    #[test]
    fn schedules_survive_serde_and_display() {
        let schedule = LrSchedule {
            schedule: Schedule::Cosine {
                total_steps: 300,
                min_factor: 0.5,
            },
            warmup_steps: 20,
        };
        let text = serde_json::to_string(&schedule).expect("serialisable");
        assert_eq!(
            serde_json::from_str::<LrSchedule>(&text).expect("parses"),
            schedule
        );
        assert_eq!(
            schedule.schedule.to_string(),
            "cosine over 300 steps (to ×0.5)"
        );
    }
}
