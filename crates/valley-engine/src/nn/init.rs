//! Seeded weight initialisation schemes.

use std::fmt;
use std::str::FromStr;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// How a Linear layer's weights and biases start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// PyTorch's `nn.Linear` default: weight and bias ~ U(−1/√fan_in, 1/√fan_in).
    #[default]
    Torch,
    /// Glorot/Xavier uniform: U(±√(6 / (fan_in + fan_out))), bias 0.
    Xavier,
    /// He/Kaiming normal for ReLU nets: N(0, 2 / fan_in), bias 0.
    He,
}

impl Init {
    /// Every scheme, in menu order.
    pub const ALL: [Init; 3] = [Init::Torch, Init::Xavier, Init::He];

    /// Lower-case name for the command line and files.
    pub fn name(self) -> &'static str {
        match self {
            Init::Torch => "torch",
            Init::Xavier => "xavier",
            Init::He => "he",
        }
    }

    /// Fills a weight `[fan_out, fan_in]` and its bias `[fan_out]`.
    pub fn fill(self, weight: &mut [f32], bias: &mut [f32], fan_in: usize, rng: &mut StdRng) {
        let fan_out = bias.len();
        match self {
            Init::Torch => {
                let bound = 1.0 / (fan_in as f32).sqrt();
                weight
                    .iter_mut()
                    .for_each(|w| *w = rng.random_range(-bound..bound));
                bias.iter_mut()
                    .for_each(|b| *b = rng.random_range(-bound..bound));
            }
            Init::Xavier => {
                let bound = (6.0 / (fan_in + fan_out) as f32).sqrt();
                weight
                    .iter_mut()
                    .for_each(|w| *w = rng.random_range(-bound..bound));
                bias.fill(0.0);
            }
            Init::He => {
                let std = (2.0 / fan_in as f32).sqrt();
                // std is finite and positive for any fan_in ≥ 1.
                let normal = Normal::new(0.0, std).expect("positive standard deviation");
                weight.iter_mut().for_each(|w| *w = normal.sample(rng));
                bias.fill(0.0);
            }
        }
    }
}

/// A reproducible generator from a user's seed.
pub fn seeded_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Init {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Init::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown init '{s}': use one of torch, xavier, he"))
    }
}
