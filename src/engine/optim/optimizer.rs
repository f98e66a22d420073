//! The update rules, written as in `torch.optim`'s documentation so a step
//! here equals a step there: SGD (with momentum and Nesterov), RMSProp,
//! Adam and AdamW.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Hyperparameters that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum OptimError {
    /// A value out of its range; the message says which and what is allowed.
    #[error("{0}")]
    Invalid(String),
}

/// Which update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// Every rule, in menu order.
    pub const ALL: [OptimizerKind; 6] = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Nesterov,
        OptimizerKind::RmsProp,
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
    ];

    /// Lower-case name for the command line and files.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Nesterov => "nesterov",
            OptimizerKind::RmsProp => "rmsprop",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
        }
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

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        OptimizerKind::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| format!("unknown optimizer '{s}': use one of sgd, momentum, nesterov, rmsprop, adam, adamw"))
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
    /// ε added to denominators.
    pub eps: f32,
    /// RMSProp's smoothing constant α.
    pub rms_alpha: f32,
    /// L2 penalty (added to the gradient; decoupled for AdamW).
    pub weight_decay: f32,
    /// Rescale the gradient to at most this global norm.
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

/// Scales `grad` to global norm `max_norm` if it is longer (as
/// `torch.nn.utils.clip_grad_norm_`: factor max / (norm + 1e-6)); returns the norm before.
pub fn clip_grad_norm(grad: &mut [f32], max_norm: f32) -> f32 {
    let norm = norm(grad);
    if norm > max_norm {
        let scale = max_norm / (norm + 1e-6);
        grad.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

fn norm(values: &[f32]) -> f32 {
    values
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt() as f32
}

/// An optimiser with its state (velocity, moment estimates, step count).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Optimizer {
    config: OptimizerConfig,
    /// Momentum buffer, Adam's first moment.
    first: Vec<f32>,
    /// RMSProp's and Adam's second moment.
    second: Vec<f32>,
    steps: u64,
    /// The clipped gradient, kept to avoid an allocation per step.
    #[serde(skip)]
    scratch: Vec<f32>,
}

impl Optimizer {
    /// A fresh optimiser for `num_params` parameters.
    pub fn new(config: OptimizerConfig, num_params: usize) -> Self {
        Self {
            config,
            first: vec![0.0; num_params],
            second: vec![0.0; num_params],
            steps: 0,
            scratch: Vec::new(),
        }
    }

    /// The hyperparameters.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Changes hyperparameters mid-run: the state survives unless the rule changes.
    pub fn set_config(&mut self, config: OptimizerConfig) {
        let kind_changed = config.kind != self.config.kind;
        self.config = config;
        if kind_changed {
            self.reset();
        }
    }

    /// Forgets velocities and moments.
    pub fn reset(&mut self) {
        self.first.fill(0.0);
        self.second.fill(0.0);
        self.steps = 0;
    }

    /// Steps taken since the last reset.
    pub fn step_count(&self) -> u64 {
        self.steps
    }

    /// One update with this step's learning rate; returns the gradient norm before clipping.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f32) -> f32 {
        assert_eq!(params.len(), grad.len(), "one gradient per parameter");
        assert_eq!(
            params.len(),
            self.first.len(),
            "optimiser built for another model"
        );
        let c = self.config;
        let mut scratch = std::mem::take(&mut self.scratch);
        let (grad, grad_norm) = match c.clip_norm {
            Some(max) => {
                scratch.clear();
                scratch.extend_from_slice(grad);
                let n = clip_grad_norm(&mut scratch, max);
                (&scratch[..], n)
            }
            None => (grad, norm(grad)),
        };
        self.steps += 1;
        let wd = c.weight_decay;
        match c.kind {
            OptimizerKind::Sgd => {
                for (p, &g) in params.iter_mut().zip(grad) {
                    *p -= lr * (g + wd * *p);
                }
            }
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                // torch: b ← g on the first step, then b ← μ b + g (dampening 0).
                let nesterov = c.kind == OptimizerKind::Nesterov;
                let first_step = self.steps == 1;
                for ((p, &g), b) in params.iter_mut().zip(grad).zip(self.first.iter_mut()) {
                    let g = g + wd * *p;
                    *b = if first_step { g } else { c.momentum * *b + g };
                    let update = if nesterov { g + c.momentum * *b } else { *b };
                    *p -= lr * update;
                }
            }
            OptimizerKind::RmsProp => {
                // v ← α v + (1 − α) g²; θ ← θ − η g / (√v + ε).
                for ((p, &g), v) in params.iter_mut().zip(grad).zip(self.second.iter_mut()) {
                    let g = g + wd * *p;
                    *v = c.rms_alpha * *v + (1.0 - c.rms_alpha) * g * g;
                    *p -= lr * g / (v.sqrt() + c.eps);
                }
            }
            OptimizerKind::Adam | OptimizerKind::AdamW => {
                // m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
                // θ ← θ − η (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
                let decoupled = c.kind == OptimizerKind::AdamW;
                let t = self.steps as i32;
                let bias1 = 1.0 - c.beta1.powi(t);
                let bias2_sqrt = (1.0 - c.beta2.powi(t)).sqrt();
                let step_size = lr / bias1;
                let iter = params
                    .iter_mut()
                    .zip(grad)
                    .zip(self.first.iter_mut().zip(self.second.iter_mut()));
                for ((p, &g), (m, v)) in iter {
                    let g = if decoupled {
                        *p *= 1.0 - lr * wd;
                        g
                    } else {
                        g + wd * *p
                    };
                    *m = c.beta1 * *m + (1.0 - c.beta1) * g;
                    *v = c.beta2 * *v + (1.0 - c.beta2) * g * g;
                    *p -= step_size * *m / (v.sqrt() / bias2_sqrt + c.eps);
                }
            }
        }
        self.scratch = scratch;
        grad_norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: OptimizerKind) -> OptimizerConfig {
        OptimizerConfig {
            kind,
            ..OptimizerConfig::default()
        }
    }

    fn close(a: &[f32], b: &[f32]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn sgd_with_weight_decay_by_hand() {
        // p = 1, g = 0.5, wd = 0.1, lr = 0.1: p ← 1 − 0.1·(0.5 + 0.1) = 0.94.
        let mut opt = Optimizer::new(
            OptimizerConfig {
                weight_decay: 0.1,
                ..config(OptimizerKind::Sgd)
            },
            1,
        );
        let mut p = [1.0];
        opt.step(&mut p, &[0.5], 0.1);
        close(&p, &[0.94]);
    }

    #[test]
    fn momentum_and_nesterov_by_hand() {
        // μ = 0.9, lr = 0.1, g = 1 then 1.
        // Momentum: b = 1, p = −0.1; b = 1.9, p = −0.29.
        let mut opt = Optimizer::new(config(OptimizerKind::Momentum), 1);
        let mut p = [0.0];
        opt.step(&mut p, &[1.0], 0.1);
        close(&p, &[-0.1]);
        opt.step(&mut p, &[1.0], 0.1);
        close(&p, &[-0.29]);
        // Nesterov: b = 1, update = 1 + 0.9 = 1.9, p = −0.19;
        // b = 1.9, update = 1 + 1.71 = 2.71, p = −0.19 − 0.271 = −0.461.
        let mut opt = Optimizer::new(config(OptimizerKind::Nesterov), 1);
        let mut p = [0.0];
        opt.step(&mut p, &[1.0], 0.1);
        close(&p, &[-0.19]);
        opt.step(&mut p, &[1.0], 0.1);
        close(&p, &[-0.461]);
    }

    #[test]
    fn rmsprop_by_hand() {
        // α = 0.99, g = 2: v = 0.01·4 = 0.04, √v = 0.2, p = 1 − 0.01·2/0.2 = 0.9.
        // g = 2 again: v = 0.0396 + 0.04 = 0.0796, p = 0.9 − 0.02/√0.0796 = 0.829_111_6.
        let mut opt = Optimizer::new(
            OptimizerConfig {
                eps: 1e-30,
                ..config(OptimizerKind::RmsProp)
            },
            1,
        );
        let mut p = [1.0];
        opt.step(&mut p, &[2.0], 0.01);
        close(&p, &[0.9]);
        opt.step(&mut p, &[2.0], 0.01);
        close(&p, &[0.9 - 0.02 / 0.0796f32.sqrt()]);
    }

    #[test]
    fn adam_and_adamw_by_hand() {
        // Adam's first step is lr·sign(g) (up to ε): m̂ = g, v̂ = g².
        let mut opt = Optimizer::new(config(OptimizerKind::Adam), 2);
        let mut p = [1.0, 1.0];
        opt.step(&mut p, &[0.3, -4.0], 0.1);
        close(&p, &[0.9, 1.1]);
        // Second step, g = 0.1 on the first parameter:
        // m = 0.9·0.03 + 0.1·0.1 = 0.037, v = 0.999·0.00009 + 0.001·0.01 = 0.00009991,
        // m̂ = 0.037/0.19 = 0.194737, v̂ = 0.00009991/0.001999 = 0.0499800, √ = 0.223562,
        // p = 0.9 − 0.1·0.194737/0.223562 = 0.812_894.
        opt.step(&mut p, &[0.1, 0.0], 0.1);
        assert!((p[0] - 0.812_894).abs() < 2e-6, "{}", p[0]);
        // AdamW: p ← p(1 − lr·wd) first: 1·(1 − 0.1·0.5) = 0.95, then −0.1·sign(g).
        let mut opt = Optimizer::new(
            OptimizerConfig {
                weight_decay: 0.5,
                ..config(OptimizerKind::AdamW)
            },
            1,
        );
        let mut p = [1.0];
        opt.step(&mut p, &[2.0], 0.1);
        close(&p, &[0.85]);
        // Adam with L2: g' = 2 + 0.5 = 2.5, still a sign step: 0.9.
        let mut opt = Optimizer::new(
            OptimizerConfig {
                weight_decay: 0.5,
                ..config(OptimizerKind::Adam)
            },
            1,
        );
        let mut p = [1.0];
        opt.step(&mut p, &[2.0], 0.1);
        close(&p, &[0.9]);
    }

    #[test]
    fn clipping_rescales_to_the_max_norm() {
        let mut g = [3.0, 4.0];
        assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
        close(&g, &[0.6, 0.8]);
        let mut g = [0.3, 0.4];
        clip_grad_norm(&mut g, 1.0);
        close(&g, &[0.3, 0.4]);
        // Through the optimiser: SGD step with clipped gradient.
        let mut opt = Optimizer::new(
            OptimizerConfig {
                clip_norm: Some(1.0),
                ..config(OptimizerKind::Sgd)
            },
            2,
        );
        let mut p = [0.0, 0.0];
        assert_eq!(opt.step(&mut p, &[3.0, 4.0], 1.0), 5.0);
        close(&p, &[-0.6, -0.8]);
    }

    #[test]
    fn live_changes_keep_state_unless_the_rule_changes() {
        let mut opt = Optimizer::new(config(OptimizerKind::Momentum), 1);
        let mut p = [0.0];
        opt.step(&mut p, &[1.0], 0.1);
        opt.set_config(OptimizerConfig {
            lr: 0.5,
            ..config(OptimizerKind::Momentum)
        });
        assert_eq!(opt.step_count(), 1);
        opt.step(&mut p, &[1.0], 0.1);
        close(&p, &[-0.29]);
        opt.set_config(config(OptimizerKind::Adam));
        assert_eq!(opt.step_count(), 0);
    }

    #[test]
    fn validation_names_the_problem() {
        let bad = OptimizerConfig {
            lr: -1.0,
            ..OptimizerConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("learning rate")
        );
        let bad = OptimizerConfig {
            beta2: 1.0,
            ..OptimizerConfig::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("beta2"));
        assert!(OptimizerConfig::default().validate().is_ok());
        assert_eq!("AdamW".parse(), Ok(OptimizerKind::AdamW));
    }
}
