//! Seeded weight initialisation schemes.

use std::str::FromStr;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr, VariantNames};

/// How a Linear layer's weights and biases start; `iter()` lists the
/// schemes in menu order.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumIter,
    IntoStaticStr,
    VariantNames,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
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
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.into()
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

impl FromStr for Init {
    type Err = String;
    /// Any case, surrounding spaces ignored; the error lists the names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::choice::parse_choice(s, "init")
    }
}
