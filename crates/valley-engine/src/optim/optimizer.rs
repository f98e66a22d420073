//! The update rules, written as in `torch.optim`'s documentation so a step
//! here equals a step there: SGD (with momentum and Nesterov), RMSProp,
//! Adam and AdamW.
//!
//! The trainer calls [`Optimizer::step`] tens of thousands of times a second
//! on about a thousand parameters, so each rule is one plain loop over
//! slices of equal length (which the compiler turns into vector code) and
//! such a step allocates nothing. A model of a quarter of a million
//! parameters or more runs the same loop in chunks on every core.

use serde::{Deserialize, Serialize};

use super::config::{OptimizerConfig, OptimizerKind};

/// Scales `grad` to global norm `max_norm` if it is longer (as
/// `torch.nn.utils.clip_grad_norm_`: factor max / (norm + 1e-6)); returns the norm before.
pub fn clip_grad_norm(grad: &mut [f32], max_norm: f32) -> f32 {
    let norm = l2_norm(grad);
    if norm > max_norm {
        let scale = max_norm / (norm + 1e-6);
        grad.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

/// Parameters from which an update or a norm is shared over the cores: a
/// million-parameter model's Adam step otherwise kept one core busy for a
/// millisecond while the other waited.
const PARALLEL_FROM: usize = 1 << 18;
/// Elements per share, and per partial sum of a norm: fixed, so that no
/// result depends on how many threads there are.
const CHUNK: usize = 1 << 16;

/// The Euclidean norm, summed in f64 so that a thousand squares lose no
/// digits, a chunk at a time, partial sums added in order.
pub(crate) fn l2_norm(values: &[f32]) -> f32 {
    use rayon::prelude::*;
    let total: f64 = if values.len() >= PARALLEL_FROM {
        let partial: Vec<f64> = values.par_chunks(CHUNK).map(squares).collect();
        partial.iter().sum()
    } else {
        values.chunks(CHUNK).map(squares).sum()
    };
    total.sqrt() as f32
}

/// The sum of squares in f64; eight running sums instead of one let the
/// loop vectorise.
fn squares(values: &[f32]) -> f64 {
    let mut sums = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (sum, &v) in sums.iter_mut().zip(chunk) {
            *sum += f64::from(v) * f64::from(v);
        }
    }
    let tail_sum: f64 = tail.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    sums.iter().sum::<f64>() + tail_sum
}

/// Runs an elementwise `update` over the parameters, their gradient and `S`
/// state buffers of the same length: in one piece for a small model, in
/// chunks over the cores for a large one. Elementwise, so the bits are the
/// same either way.
pub(crate) fn elementwise<const S: usize>(
    params: &mut [f32],
    grad: &[f32],
    states: [&mut [f32]; S],
    update: impl Fn(&mut [f32], &[f32], [&mut [f32]; S]) + Sync,
) {
    use rayon::prelude::*;
    let n = params.len();
    assert!(grad.len() >= n && states.iter().all(|s| s.len() >= n));
    if n < PARALLEL_FROM {
        update(params, &grad[..n], states.map(|s| &mut s[..n]));
        return;
    }
    let mut states = states.map(|s| s[..n].chunks_mut(CHUNK));
    let shares: Vec<_> = params
        .chunks_mut(CHUNK)
        .zip(grad[..n].chunks(CHUNK))
        .map(|(p, g)| {
            let s: [&mut [f32]; S] = std::array::from_fn(|i| states[i].next().unwrap_or_default());
            (p, g, s)
        })
        .collect();
    shares.into_par_iter().for_each(|(p, g, s)| update(p, g, s));
}

/// An optimiser with its state (velocity, moment estimates, step count).
///
/// The state serialises with serde, so a saved session resumes with the
/// same momentum it had.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Optimizer {
    config: OptimizerConfig,
    /// Momentum buffer, Adam's first moment.
    #[serde(deserialize_with = "crate::io::bounded::parameters")]
    first: Vec<f32>,
    /// RMSProp's and Adam's second moment.
    #[serde(deserialize_with = "crate::io::bounded::parameters")]
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

    /// How many parameters this optimiser was built for (check this before
    /// stepping an optimiser restored from a file).
    pub fn num_params(&self) -> usize {
        self.first.len()
    }

    /// Whether both moment buffers hold `n` values (an optimiser read from a
    /// file might not; stepping it would then go out of bounds).
    pub fn fits(&self, n: usize) -> bool {
        self.first.len() == n && self.second.len() == n
    }

    /// Whether every moment is a finite number (a diverged run's may not be).
    pub fn is_finite(&self) -> bool {
        self.first.iter().chain(&self.second).all(|v| v.is_finite())
    }

    /// Changes hyperparameters mid-run: the state survives unless the rule
    /// changes, because a velocity from one rule means nothing to another.
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

    /// Zeroes the velocities and moments of the parameters `mask` prunes, so
    /// a pruned weight carries no momentum back to life.
    pub fn mask_state(&mut self, mask: &crate::nn::Mask) {
        mask.apply(&mut self.first);
        mask.apply(&mut self.second);
    }

    /// Steps taken since the last reset.
    pub fn step_count(&self) -> u64 {
        self.steps
    }

    /// One update with this step's learning rate `lr` (from the schedule).
    /// If `clip_norm` is set the gradient is first clipped by its global
    /// norm, as `torch.nn.utils.clip_grad_norm_` does. Returns the gradient
    /// norm before clipping.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f32) -> f32 {
        assert_eq!(params.len(), grad.len(), "one gradient per parameter");
        assert_eq!(
            params.len(),
            self.first.len(),
            "optimiser built for another model"
        );
        let c = self.config;
        let mut scratch = std::mem::take(&mut self.scratch);
        let (grad, grad_norm) = if c.clip_norm.is_some() || c.l1 > 0.0 {
            scratch.clear();
            scratch.extend_from_slice(grad);
            if c.l1 > 0.0 {
                // The subgradient of l1·|θ|, 0 at θ = 0 (as torch's sign).
                for (g, &p) in scratch.iter_mut().zip(params.iter()) {
                    *g += c.l1 * sign(p);
                }
            }
            let norm = match c.clip_norm {
                Some(max) => clip_grad_norm(&mut scratch, max),
                None => l2_norm(&scratch),
            };
            (&scratch[..], norm)
        } else {
            (grad, l2_norm(grad))
        };
        self.steps += 1;
        let wd = c.weight_decay;
        match c.kind {
            OptimizerKind::Sgd => sgd(params, grad, lr, wd),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                // torch starts the buffer at g on the first step; the buffer
                // is zero then (new or reset), so μ = 0 does the same.
                let carry = if self.steps == 1 { 0.0 } else { c.momentum };
                let look_ahead = if c.kind == OptimizerKind::Nesterov {
                    c.momentum
                } else {
                    0.0
                };
                momentum(params, grad, &mut self.first, lr, wd, carry, look_ahead);
            }
            OptimizerKind::RmsProp => {
                rmsprop(params, grad, &mut self.second, lr, wd, c.rms_alpha, c.eps)
            }
            OptimizerKind::Adam | OptimizerKind::AdamW => {
                let l2 = if c.kind == OptimizerKind::AdamW {
                    // Decoupled decay (Loshchilov & Hutter): shrink first, then Adam without L2.
                    let keep = 1.0 - lr * wd;
                    params.iter_mut().for_each(|p| *p *= keep);
                    0.0
                } else {
                    wd
                };
                // Past 2³¹ steps βᵗ has long been 0; the cap keeps powi's exponent valid.
                let t = self.steps.min(i32::MAX as u64) as i32;
                let moments = (&mut self.first[..], &mut self.second[..]);
                adam(params, grad, moments, lr, l2, [c.beta1, c.beta2], t, c.eps);
            }
        }
        self.scratch = scratch;
        grad_norm
    }
}

/// −1, 0 or 1, like `torch.sign`.
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// θ ← θ − η (g + wd θ).
fn sgd(params: &mut [f32], grad: &[f32], lr: f32, wd: f32) {
    elementwise(params, grad, [], |params, grad, []| {
        for (p, &g) in params.iter_mut().zip(grad) {
            *p -= lr * (g + wd * *p);
        }
    });
}

/// torch SGD with dampening 0: g ← g + wd θ; b ← `carry`·b + g;
/// θ ← θ − η (g + `look_ahead`·b) for Nesterov (`look_ahead` = μ), or θ ← θ − η b
/// for heavy-ball momentum (`look_ahead` = 0, where the update is b itself).
fn momentum(
    params: &mut [f32],
    grad: &[f32],
    buf: &mut [f32],
    lr: f32,
    wd: f32,
    carry: f32,
    look_ahead: f32,
) {
    let nesterov = look_ahead != 0.0;
    elementwise(params, grad, [buf], |params, grad, [buf]| {
        let n = params.len();
        let (grad, buf) = (&grad[..n], &mut buf[..n]);
        for i in 0..n {
            let g = grad[i] + wd * params[i];
            buf[i] = carry * buf[i] + g;
            let update = if nesterov {
                g + look_ahead * buf[i]
            } else {
                buf[i]
            };
            params[i] -= lr * update;
        }
    });
}

/// torch RMSprop (not centred, no momentum): g ← g + wd θ;
/// v ← α v + (1 − α) g²; θ ← θ − η g / (√v + ε).
fn rmsprop(
    params: &mut [f32],
    grad: &[f32],
    square_avg: &mut [f32],
    lr: f32,
    wd: f32,
    alpha: f32,
    eps: f32,
) {
    elementwise(params, grad, [square_avg], |params, grad, [square_avg]| {
        let n = params.len();
        let (grad, square_avg) = (&grad[..n], &mut square_avg[..n]);
        for i in 0..n {
            let g = grad[i] + wd * params[i];
            square_avg[i] = alpha * square_avg[i] + (1.0 - alpha) * g * g;
            params[i] -= lr * g / (square_avg[i].sqrt() + eps);
        }
    });
}

/// torch Adam at step `t` (1-based): g ← g + wd θ; m ← β₁m + (1−β₁)g;
/// v ← β₂v + (1−β₂)g²; θ ← θ − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
#[allow(clippy::too_many_arguments)] // one line per quantity in the formula reads best
fn adam(
    params: &mut [f32],
    grad: &[f32],
    (m, v): (&mut [f32], &mut [f32]),
    lr: f32,
    wd: f32,
    [beta1, beta2]: [f32; 2],
    t: i32,
    eps: f32,
) {
    let step_size = lr / (1.0 - beta1.powi(t));
    let bias2_sqrt = (1.0 - beta2.powi(t)).sqrt();
    elementwise(params, grad, [m, v], |params, grad, [m, v]| {
        let n = params.len();
        let (grad, m, v) = (&grad[..n], &mut m[..n], &mut v[..n]);
        for i in 0..n {
            let g = grad[i] + wd * params[i];
            m[i] = beta1 * m[i] + (1.0 - beta1) * g;
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
            params[i] -= step_size * m[i] / (v[i].sqrt() / bias2_sqrt + eps);
        }
    });
}

#[cfg(test)]
#[path = "optimizer_tests.rs"]
mod tests;
