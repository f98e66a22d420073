//! Built-in datasets, each showing a different difficulty for a model.
//!
//! All are seeded. The 2D ones are balanced, with coordinates roughly in
//! [−2, 2] so one plot scale suits all of them; the hidden plane lives in
//! [`TEACHER_DIMS`] dimensions, where double descent shows (in 2D a model
//! that interpolates noisy labels never generalises again).

use std::f32::consts::PI;
use std::str::FromStr;

use ndarray::Array2;
use rand::RngExt;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr, VariantNames};

use super::{DataError, Dataset, Split, Targets, split};
use crate::nn::seeded_rng;

/// Most points a generator makes.
pub const MAX_GENERATED: usize = 1_000_000;

/// The built-in datasets; `iter()` lists them in menu order.
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
pub enum DatasetKind {
    /// Two interleaving half circles.
    Moons,
    /// A small circle inside a larger one.
    Circles,
    /// Two interleaved spiral arms.
    Spirals,
    /// Four quadrants, opposite ones sharing a class.
    Xor,
    /// Gaussian clusters, one per class.
    Blobs,
    /// y = sin x plus noise (regression).
    Sine,
    /// ±1 by the side of a hidden plane in 20 dimensions, some training
    /// labels flipped (regression on ±1, scored by its sign).
    Teacher,
}

/// Input dimensions of the hidden-plane dataset.
pub const TEACHER_DIMS: usize = 20;
/// Most of the hidden plane's training labels that may be flipped.
pub const MAX_LABEL_NOISE: f32 = 0.5;

impl DatasetKind {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// A title for figures.
    pub fn title(self) -> &'static str {
        match self {
            DatasetKind::Moons => "two moons",
            DatasetKind::Circles => "circles",
            DatasetKind::Spirals => "two spirals",
            DatasetKind::Xor => "XOR",
            DatasetKind::Blobs => "Gaussian blobs",
            DatasetKind::Sine => "sine regression",
            DatasetKind::Teacher => "hidden plane (20-D)",
        }
    }

    /// One sentence for a teacher.
    pub fn description(self) -> &'static str {
        match self {
            DatasetKind::Moons => {
                "Two interleaving half circles: no straight line separates them, a small MLP bends one that does."
            }
            DatasetKind::Circles => {
                "One class inside a ring of the other: the boundary must close on itself."
            }
            DatasetKind::Spirals => {
                "Two arms winding around each other: hard, needs depth and patience, shows long plateaus."
            }
            DatasetKind::Xor => {
                "Opposite quadrants share a class: the classic problem a single neuron cannot solve."
            }
            DatasetKind::Blobs => {
                "Gaussian clusters, one per class: nearly linearly separable, an easy warm-up."
            }
            DatasetKind::Sine => {
                "Noisy samples of sin x: regression with mean squared error, watch the curve fit."
            }
            DatasetKind::Teacher => {
                "Points in 20 dimensions marked +1 or −1 by the side of a hidden plane, with some training labels flipped: where double descent shows."
            }
        }
    }

    /// Noise that keeps the structure visible.
    pub fn default_noise(self) -> f32 {
        match self {
            DatasetKind::Moons => 0.1,
            DatasetKind::Circles => 0.05,
            DatasetKind::Spirals => 0.05,
            DatasetKind::Xor => 0.05,
            DatasetKind::Blobs => 0.4,
            DatasetKind::Sine => 0.1,
            // For the hidden plane the noise is the share of training labels flipped.
            DatasetKind::Teacher => 0.1,
        }
    }

    /// Whether the targets are classes.
    pub fn is_classification(self) -> bool {
        !matches!(self, DatasetKind::Sine | DatasetKind::Teacher)
    }
}

impl FromStr for DatasetKind {
    type Err = String;
    /// Any case, surrounding spaces ignored; the error lists the names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // "spiral" is what people type for the spirals.
        if s.trim().eq_ignore_ascii_case("spiral") {
            return Ok(DatasetKind::Spirals);
        }
        crate::choice::parse_choice(s, "dataset")
    }
}

/// How to generate a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetSpec {
    /// Which dataset.
    pub kind: DatasetKind,
    /// Total points (train + test).
    pub size: usize,
    /// Standard deviation of the Gaussian noise: added to both coordinates
    /// for the classification sets (the blobs' spread), to y for sine; for
    /// the hidden plane, the share of training labels flipped.
    pub noise: f32,
    /// Fraction held out as the test set.
    pub test_fraction: f32,
    /// Seeds the points and the split.
    pub seed: u64,
    /// Number of classes (blobs only).
    pub classes: usize,
}

impl DatasetSpec {
    /// The defaults for one kind: 1,000 points, its usual noise, 20 % test.
    pub fn new(kind: DatasetKind) -> Self {
        Self {
            kind,
            size: 1000,
            noise: kind.default_noise(),
            test_fraction: 0.2,
            seed: 0,
            classes: 3,
        }
    }

    /// Checks the settings before any point is made; the message names the bad one.
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |m: String| Err(DataError::InvalidSpec(m));
        if !(2..=MAX_GENERATED).contains(&self.size) {
            return bad(format!(
                "size {} must be between 2 and {MAX_GENERATED}",
                self.size
            ));
        }
        if !self.noise.is_finite() || self.noise < 0.0 {
            return bad(format!("noise {} must be a number ≥ 0", self.noise));
        }
        if !(0.0..1.0).contains(&self.test_fraction) {
            return bad(format!(
                "test fraction {} must be in [0, 1)",
                self.test_fraction
            ));
        }
        if self.kind == DatasetKind::Teacher && self.noise > MAX_LABEL_NOISE {
            return bad(format!(
                "label noise {} must be at most {MAX_LABEL_NOISE} (the share of labels flipped)",
                self.noise
            ));
        }
        if self.kind == DatasetKind::Blobs && !(2..=16).contains(&self.classes) {
            return bad(format!("blobs need 2 to 16 classes, not {}", self.classes));
        }
        Ok(())
    }
}

impl Default for DatasetSpec {
    fn default() -> Self {
        Self::new(DatasetKind::Moons)
    }
}

/// Generates the dataset and splits it into train and test.
pub fn generate(spec: &DatasetSpec) -> Result<Split, DataError> {
    spec.validate()?;
    let mut rng = seeded_rng(spec.seed);
    let data = match spec.kind {
        DatasetKind::Moons => classes(spec, 2, &mut rng, moon),
        DatasetKind::Circles => classes(spec, 2, &mut rng, circle),
        DatasetKind::Spirals => classes(spec, 2, &mut rng, spiral),
        DatasetKind::Xor => classes(spec, 2, &mut rng, xor),
        DatasetKind::Blobs => classes(spec, spec.classes, &mut rng, blob),
        DatasetKind::Sine => sine(spec, &mut rng),
        DatasetKind::Teacher => return Ok(teacher(spec, &mut rng)),
    };
    Ok(split(data, spec.test_fraction, spec.seed.wrapping_add(1)))
}

/// Where a point sits along its class's shape: the `index`-th of `count`.
#[derive(Clone, Copy)]
struct Along {
    index: usize,
    count: usize,
}

impl Along {
    /// Evenly spaced in [0, 1), for closed curves (numpy `linspace(..., endpoint=False)`).
    fn open(self) -> f32 {
        self.index as f32 / self.count.max(1) as f32
    }

    /// Evenly spaced in [0, 1] with both ends, for arcs (numpy `linspace`).
    fn closed(self) -> f32 {
        self.index as f32 / self.count.saturating_sub(1).max(1) as f32
    }
}

/// A noiseless point: its class, the number of classes, its place along the class, rng.
type Shape = fn(usize, usize, Along, &mut StdRng) -> [f32; 2];

fn classes(spec: &DatasetSpec, k: usize, rng: &mut StdRng, shape: Shape) -> Dataset {
    let n = spec.size;
    let mut x = Array2::zeros((n, 2));
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        // Balanced: class i % k, spread evenly along its shape.
        let class = i % k;
        let along = Along {
            index: i / k,
            count: (n - class).div_ceil(k),
        };
        let [a, b] = shape(class, k, along, rng);
        let na: f32 = StandardNormal.sample(rng);
        let nb: f32 = StandardNormal.sample(rng);
        x[[i, 0]] = a + spec.noise * na;
        x[[i, 1]] = b + spec.noise * nb;
        labels.push(class);
    }
    Dataset {
        x,
        targets: Targets::Classes {
            labels,
            num_classes: k,
        },
    }
}

/// sklearn's make_moons (outer arc class 0, inner arc class 1), shifted by
/// (−0.5, −0.25) so the pair is centred on the origin.
fn moon(class: usize, _: usize, along: Along, _: &mut StdRng) -> [f32; 2] {
    let angle = PI * along.closed();
    if class == 0 {
        [angle.cos() - 0.5, angle.sin() - 0.25]
    } else {
        [0.5 - angle.cos(), 0.25 - angle.sin()]
    }
}

/// sklearn's make_circles with factor 0.5, radius 1.5.
fn circle(class: usize, _: usize, along: Along, _: &mut StdRng) -> [f32; 2] {
    let radius = if class == 0 { 1.5 } else { 0.75 };
    let angle = 2.0 * PI * along.open();
    [radius * angle.cos(), radius * angle.sin()]
}

/// Two arms of 1.5 turns each from near the centre out to radius 2, the
/// second rotated by half a turn (as in CS231n's and the TensorFlow
/// Playground's spirals).
fn spiral(class: usize, _: usize, along: Along, _: &mut StdRng) -> [f32; 2] {
    let t = along.open();
    let radius = 0.1 + 1.9 * t;
    let angle = 3.0 * PI * t + PI * class as f32;
    [radius * angle.cos(), radius * angle.sin()]
}

/// Gap kept clear along both axes, so every XOR label is unambiguous before noise.
const XOR_MARGIN: f32 = 0.05;

/// Uniform in [−1, 1]² outside the margin: class 0 where x·y > 0 (first and
/// third quadrants), class 1 where x·y < 0.
fn xor(class: usize, _: usize, _: Along, rng: &mut StdRng) -> [f32; 2] {
    let a: f32 = rng.random_range(XOR_MARGIN..1.0);
    let b: f32 = rng.random_range(XOR_MARGIN..1.0);
    let flip = rng.random_bool(0.5);
    match (class, flip) {
        (0, false) => [a, b],
        (0, true) => [-a, -b],
        (_, false) => [a, -b],
        (_, true) => [-a, b],
    }
}

/// Cluster centres evenly on a circle of radius 1.5.
fn blob(class: usize, k: usize, _: Along, _: &mut StdRng) -> [f32; 2] {
    let angle = 2.0 * PI * class as f32 / k as f32;
    [1.5 * angle.cos(), 1.5 * angle.sin()]
}

/// x uniform in [−π, π), y = sin x plus Gaussian noise: one input, one target.
fn sine(spec: &DatasetSpec, rng: &mut StdRng) -> Dataset {
    let n = spec.size;
    let mut x = Array2::zeros((n, 1));
    let mut y = Array2::zeros((n, 1));
    for i in 0..n {
        let v: f32 = rng.random_range(-PI..PI);
        let noise: f32 = StandardNormal.sample(rng);
        x[[i, 0]] = v;
        y[[i, 0]] = v.sin() + spec.noise * noise;
    }
    Dataset {
        x,
        targets: Targets::Values(y),
    }
}

/// Gaussian inputs in [`TEACHER_DIMS`] dimensions, targets ±1 by the side of
/// a random plane through the origin; then split, and a `noise` share of the
/// training targets flipped (the test set stays clean, so test error
/// measures the plane, not the noise).
fn teacher(spec: &DatasetSpec, rng: &mut StdRng) -> Split {
    let d = TEACHER_DIMS;
    let normal = |rng: &mut StdRng| -> f32 { StandardNormal.sample(rng) };
    let plane: Vec<f32> = (0..d).map(|_| normal(rng)).collect();
    let n = spec.size;
    let mut x = Array2::zeros((n, d));
    let mut y = Array2::zeros((n, 1));
    for i in 0..n {
        let mut side = 0.0f32;
        for (j, w) in plane.iter().enumerate() {
            let v = normal(rng);
            x[[i, j]] = v;
            side += v * w;
        }
        y[[i, 0]] = if side >= 0.0 { 1.0 } else { -1.0 };
    }
    let data = Dataset {
        x,
        targets: Targets::Values(y),
    };
    let mut parts = split(data, spec.test_fraction, spec.seed.wrapping_add(1));
    if let Targets::Values(values) = &mut parts.train.targets {
        for v in values.iter_mut() {
            if rng.random_bool(f64::from(spec.noise.clamp(0.0, MAX_LABEL_NOISE))) {
                *v = -*v;
            }
        }
    }
    parts
}

#[cfg(test)]
#[path = "synthetic_tests.rs"]
mod tests;
