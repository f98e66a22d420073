//! Datasets: seeded built-in generators for teaching, and CSV import.

mod csv;
mod synthetic;

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;

pub use csv::{MAX_COLUMNS, MAX_ROWS, load_csv, parse_csv};
pub use synthetic::{DatasetKind, DatasetSpec, generate};

/// A dataset that cannot be made or read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// The operating system's reason.
        reason: String,
    },
    /// No header, or a header that doesn't end in `label` or `y`.
    #[error(
        "{file}: the header must be `x1,...,xd,label` (classes) or `x1,...,xd,y` (regression); found `{found}`"
    )]
    BadHeader {
        /// The file.
        file: String,
        /// The header line as read.
        found: String,
    },
    /// A row with a different number of fields than the header.
    #[error("{file}: row {row} has {found} column(s) but the header has {expected}")]
    ColumnCount {
        /// The file.
        file: String,
        /// 1-based line number.
        row: usize,
        /// Fields in that row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A field that isn't a finite number.
    #[error("{file}: row {row}, column `{column}`: `{text}` is not a finite number")]
    NotANumber {
        /// The file.
        file: String,
        /// 1-based line number.
        row: usize,
        /// Column name from the header.
        column: String,
        /// The offending text.
        text: String,
    },
    /// A class label that isn't a small non-negative integer.
    #[error("{file}: row {row}: label `{text}` must be a whole number from 0 to {max}")]
    BadLabel {
        /// The file.
        file: String,
        /// 1-based line number.
        row: usize,
        /// The offending text.
        text: String,
        /// Largest label accepted.
        max: usize,
    },
    /// A header without data.
    #[error("{file}: the file has a header but no data rows")]
    Empty {
        /// The file.
        file: String,
    },
    /// Past a size cap.
    #[error("{file}: {what}; Valley reads at most {limit}")]
    TooLarge {
        /// The file.
        file: String,
        /// What was too large.
        what: String,
        /// The cap, in words.
        limit: String,
    },
    /// Generator settings out of range.
    #[error("invalid dataset settings: {0}")]
    InvalidSpec(String),
}

/// What each example is labelled with.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Class indices 0..num_classes, one per example.
    Classes {
        /// One label per example.
        labels: Vec<usize>,
        /// Number of classes (largest label + 1, or the generator's count).
        num_classes: usize,
    },
    /// Real-valued targets `[n, outputs]` for regression.
    Values(Array2<f32>),
}

/// Inputs and targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Inputs `[n, features]`.
    pub x: Array2<f32>,
    /// One target per row of `x`.
    pub targets: Targets,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Input features per example.
    pub fn num_features(&self) -> usize {
        self.x.ncols()
    }

    /// Model outputs this data needs: classes, or target columns.
    pub fn num_outputs(&self) -> usize {
        match &self.targets {
            Targets::Classes { num_classes, .. } => *num_classes,
            Targets::Values(values) => values.ncols(),
        }
    }

    /// Whether the targets are class labels.
    pub fn is_classification(&self) -> bool {
        matches!(self.targets, Targets::Classes { .. })
    }

    /// The examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let targets = match &self.targets {
            Targets::Classes {
                labels,
                num_classes,
            } => Targets::Classes {
                labels: indices.iter().map(|&i| labels[i]).collect(),
                num_classes: *num_classes,
            },
            Targets::Values(values) => Targets::Values(values.select(Axis(0), indices)),
        };
        Dataset {
            x: self.x.select(Axis(0), indices),
            targets,
        }
    }

    /// "classification, 3 classes" or "regression, 1 target".
    pub fn describe_task(&self) -> String {
        match &self.targets {
            Targets::Classes { num_classes, .. } => {
                format!("classification, {num_classes} classes")
            }
            Targets::Values(v) => format!("regression, {} target(s)", v.ncols()),
        }
    }
}

/// Training and held-out test examples.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Examples the optimiser sees.
    pub train: Dataset,
    /// Examples kept aside to measure generalisation (may be empty).
    pub test: Dataset,
}

impl Split {
    /// All of `data` for training, no test set.
    pub fn train_only(data: Dataset) -> Self {
        let test = data.subset(&[]);
        Self { train: data, test }
    }
}

/// Shuffles with `seed`, then holds out `round(test_fraction · n)` examples.
pub fn split(data: Dataset, test_fraction: f32, seed: u64) -> Split {
    let n = data.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut crate::engine::nn::seeded_rng(seed));
    let fraction = f64::from(test_fraction.clamp(0.0, 1.0));
    let n_test = ((n as f64 * fraction).round() as usize).min(n.saturating_sub(1));
    let (test_idx, train_idx) = order.split_at(n_test);
    Split {
        train: data.subset(train_idx),
        test: data.subset(test_idx),
    }
}
