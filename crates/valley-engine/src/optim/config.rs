//! What a user chooses about an optimiser: the update rule and its
//! hyperparameters, checked before a run starts so that a bad value is
//! reported in words instead of showing up later as a NaN.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr, VariantNames};

/// Hyperparameters that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum OptimError {
    /// A value out of its range; the message says which and what is allowed.
    #[error("{0}")]
    Invalid(String),
}

/// Which update rule; `iter()` lists them in menu order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    IntoStaticStr,
    VariantNames,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain gradient descent: θ ← θ − η g.
    Sgd,
    /// Heavy ball: a velocity that accumulates gradients.
    Momentum,
    /// Momentum that looks ahead along the velocity.
    Nesterov,
    /// Divides by a running RMS of gradients.
    RmsProp,
    /// Momentum plus RMS scaling, bias-corrected.
    Adam,
    /// Adam with weight decay applied to the weights directly.
    AdamW,
}

impl OptimizerKind {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// One sentence for a student.
    pub fn description(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "Step straight downhill, a fixed multiple of the slope.",
            OptimizerKind::Momentum => {
                "A heavy ball: keeps rolling in the direction it was going, so it crosses flat stretches and damps zigzags."
            }
            OptimizerKind::Nesterov => {
                "Momentum that corrects itself by looking where the velocity is about to take it."
            }
            OptimizerKind::RmsProp => {
                "Scales each parameter's step by how large its gradients have recently been."
            }
            OptimizerKind::Adam => {
                "Momentum plus per-parameter step sizes: the default for neural networks."
            }
            OptimizerKind::AdamW => {
                "Adam whose weight decay shrinks the weights directly instead of through the gradient."
            }
        }
    }
}

impl FromStr for OptimizerKind {
    type Err = String;
    /// Any case, surrounding spaces ignored; the error lists the names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::choice::parse_choice(s, "optimizer")
    }
}

/// An optimiser's hyperparameters (PyTorch's defaults where it has them).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// Update rule.
    pub kind: OptimizerKind,
    /// Base learning rate η (a schedule may scale it).
    pub lr: f32,
    /// Momentum μ (momentum and Nesterov).
    pub momentum: f32,
    /// Adam's β₁.
    pub beta1: f32,
    /// Adam's β₂.
    pub beta2: f32,
    /// ε added to denominators (RMSProp, Adam, AdamW).
    pub eps: f32,
    /// RMSProp's smoothing constant α.
    pub rms_alpha: f32,
    /// Weight decay: an L2 term `wd·θ` added to the gradient, except for
    /// AdamW, which shrinks the weights by `1 − η·wd` before its step.
    pub weight_decay: f32,
    /// An L1 penalty `l1·Σ|θ|` on the loss: `l1·sign(θ)` joins the gradient
    /// (before clipping, as `loss + l1 * p.abs().sum()` does in PyTorch),
    /// pushing small weights to zero where weight decay only shrinks them.
    #[serde(default)]
    pub l1: f32,
    /// Rescale the gradient to at most this global norm before the update.
    pub clip_norm: Option<f32>,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::Adam,
            lr: 0.01,
            momentum: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            rms_alpha: 0.99,
            weight_decay: 0.0,
            l1: 0.0,
            clip_norm: None,
        }
    }
}

impl OptimizerConfig {
    /// Checks every value; the message names the value and its range.
    pub fn validate(&self) -> Result<(), OptimError> {
        let bad = |m: String| Err(OptimError::Invalid(m));
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!(
                "learning rate {} must be a positive number",
                self.lr
            ));
        }
        for (name, value) in [
            ("momentum", self.momentum),
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("rmsprop alpha", self.rms_alpha),
        ] {
            if !(0.0..1.0).contains(&value) {
                return bad(format!("{name} {value} must be in [0, 1)"));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return bad(format!("eps {} must be a positive number", self.eps));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!(
                "weight decay {} must be a number ≥ 0",
                self.weight_decay
            ));
        }
        if !(self.l1.is_finite() && self.l1 >= 0.0) {
            return bad(format!("L1 penalty {} must be a number ≥ 0", self.l1));
        }
        if let Some(clip) = self.clip_norm
            && !(clip.is_finite() && clip > 0.0)
        {
            return bad(format!(
                "gradient clip norm {clip} must be a positive number"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn validation_names_the_problem() {
        let base = OptimizerConfig::default();
        assert_eq!(base.validate(), Ok(()));
        let cases = [
            (OptimizerConfig { lr: -1.0, ..base }, "learning rate"),
            (OptimizerConfig { lr: 0.0, ..base }, "learning rate"),
            (
                OptimizerConfig {
                    lr: f32::NAN,
                    ..base
                },
                "learning rate",
            ),
            (
                OptimizerConfig {
                    momentum: 1.0,
                    ..base
                },
                "momentum",
            ),
            (
                OptimizerConfig {
                    beta1: -0.1,
                    ..base
                },
                "beta1",
            ),
            (OptimizerConfig { beta2: 1.0, ..base }, "beta2"),
            (
                OptimizerConfig {
                    rms_alpha: f32::NAN,
                    ..base
                },
                "alpha",
            ),
            (OptimizerConfig { eps: 0.0, ..base }, "eps"),
            (
                OptimizerConfig {
                    weight_decay: -0.5,
                    ..base
                },
                "weight decay",
            ),
            (
                OptimizerConfig {
                    clip_norm: Some(0.0),
                    ..base
                },
                "clip",
            ),
            (
                OptimizerConfig {
                    clip_norm: Some(f32::INFINITY),
                    ..base
                },
                "clip",
            ),
        ];
        for (config, word) in cases {
            let message = config.validate().expect_err(word).to_string();
            assert!(message.contains(word), "{message:?} should mention {word}");
        }
    }

    #[test]
    fn names_round_trip_and_errors_list_the_choices() {
        for kind in OptimizerKind::iter() {
            assert_eq!(kind.to_string().parse(), Ok(kind));
            assert!(kind.description().ends_with('.'), "{kind}");
        }
        assert_eq!(" AdamW ".parse(), Ok(OptimizerKind::AdamW));
        assert_eq!("RMSProp".parse(), Ok(OptimizerKind::RmsProp));
        let error = "lbfgs".parse::<OptimizerKind>().unwrap_err();
        assert_eq!(
            error,
            "unknown optimizer 'lbfgs': use one of sgd, momentum, nesterov, rmsprop, adam, adamw"
        );
    }

    #[test]
    fn config_survives_a_serde_round_trip() {
        let config = OptimizerConfig {
            kind: OptimizerKind::RmsProp,
            clip_norm: Some(2.5),
            ..OptimizerConfig::default()
        };
        let text = serde_json::to_string(&config).expect("serialisable");
        assert!(text.contains("\"rmsprop\""), "{text}");
        let back: OptimizerConfig = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, config);
    }
}
