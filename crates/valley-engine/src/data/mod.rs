//! Datasets: the examples a model learns from. Seeded built-in generators
//! give every lesson the same points from the same seed; CSV import lets
//! students bring their own.

mod csv;
mod synthetic;

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;

pub use csv::{MAX_COLUMNS, MAX_FILE_BYTES, MAX_LABEL, MAX_ROWS, load_csv, parse_csv};
pub use synthetic::{
    DatasetKind, DatasetSpec, MAX_GENERATED, MAX_LABEL_NOISE, TEACHER_DIMS, generate,
};

/// A dataset that cannot be made or read. Each message names the file,
/// says what is wrong, and how to put it right.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// The operating system's reason, or why the bytes are not text.
        reason: String,
    },
    /// The first line holds numbers, not column names.
    #[error(
        "{file}: the first line `{found}` is data, not a header; add a first line naming the columns, such as `x1,x2,label` (classes) or `x1,y` (regression)"
    )]
    MissingHeader {
        /// The file.
        file: String,
        /// The first line as read.
        found: String,
    },
    /// A header Valley cannot use.
    #[error(
        "{file}: header `{found}`: {problem}; write it as `x1,...,xd,label` (classes) or `x1,...,xd,y` (regression)"
    )]
    BadHeader {
        /// The file.
        file: String,
        /// The header line as read.
        found: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A row with a different number of fields than the header.
    #[error(
        "{file}: row {row} has {found} column(s) but the header has {expected}; give every row one value per header column"
    )]
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
    /// A field that isn't a number at all.
    #[error(
        "{file}: row {row}, column `{column}`: `{text}` is not a finite number; write plain decimals such as 0.5 or -1.2e3"
    )]
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
    /// A number that is NaN, infinite, or too large for 32-bit floats.
    #[error(
        "{file}: row {row}, column `{column}`: `{text}` is not a finite number (it is NaN, infinite, or beyond ±3.4e38); remove the row or fill in the value"
    )]
    NotFinite {
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
    #[error(
        "{file}: row {row}: label `{text}` must be a whole number from 0 to {max}; number the classes 0, 1, 2, ..."
    )]
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
    /// No header, or a header without data.
    #[error("{file}: there are no data rows; put one example per line under a header line")]
    Empty {
        /// The file.
        file: String,
    },
    /// Past a size cap.
    #[error("{file}: {what}; Valley reads at most {limit}, so use a sample of the data")]
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

    /// The examples at `indices`, in that order (repeats allowed).
    ///
    /// Panics if an index is out of range: callers pick indices from `0..len()`.
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
    order.shuffle(&mut crate::nn::seeded_rng(seed));
    let fraction = f64::from(test_fraction.clamp(0.0, 1.0));
    let n_test = ((n as f64 * fraction).round() as usize).min(n.saturating_sub(1));
    let (test_idx, train_idx) = order.split_at(n_test);
    Split {
        train: data.subset(train_idx),
        test: data.subset(test_idx),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    fn five() -> Dataset {
        Dataset {
            x: array![[0.0, 0.5], [1.0, 1.5], [2.0, 2.5], [3.0, 3.5], [4.0, 4.5]],
            targets: Targets::Classes {
                labels: vec![0, 1, 0, 1, 2],
                num_classes: 3,
            },
        }
    }

    #[test]
    fn a_dataset_reports_its_shape() {
        let data = five();
        assert_eq!(data.len(), 5);
        assert!(!data.is_empty());
        assert_eq!(data.num_features(), 2);
        assert_eq!(data.num_outputs(), 3);
        assert!(data.is_classification());
        assert_eq!(data.describe_task(), "classification, 3 classes");
        let regression = Dataset {
            x: array![[1.0], [2.0]],
            targets: Targets::Values(array![[1.0, 2.0], [3.0, 4.0]]),
        };
        assert_eq!(regression.num_outputs(), 2);
        assert!(!regression.is_classification());
        assert_eq!(regression.describe_task(), "regression, 2 target(s)");
    }

    #[test]
    fn subset_picks_rows_and_their_targets_in_order() {
        let picked = five().subset(&[4, 1, 1]);
        assert_eq!(picked.x, array![[4.0, 4.5], [1.0, 1.5], [1.0, 1.5]]);
        assert_eq!(
            picked.targets,
            Targets::Classes {
                labels: vec![2, 1, 1],
                num_classes: 3
            }
        );
        let empty = five().subset(&[]);
        assert!(empty.is_empty());
        assert_eq!(empty.num_features(), 2);
        let regression = Dataset {
            x: array![[1.0], [2.0]],
            targets: Targets::Values(array![[10.0], [20.0]]),
        };
        assert_eq!(
            regression.subset(&[1]).targets,
            Targets::Values(array![[20.0]])
        );
    }

    #[test]
    fn split_is_a_seeded_partition() {
        let data = Dataset {
            x: Array2::from_shape_fn((100, 1), |(i, _)| i as f32),
            targets: Targets::Values(Array2::from_shape_fn((100, 1), |(i, _)| -(i as f32))),
        };
        let parts = split(data.clone(), 0.25, 7);
        assert_eq!((parts.train.len(), parts.test.len()), (75, 25));
        // Every example lands in exactly one part, with its own target.
        let mut seen: Vec<f32> = parts.train.x.iter().chain(&parts.test.x).copied().collect();
        seen.sort_by(f32::total_cmp);
        assert_eq!(seen, (0..100).map(|i| i as f32).collect::<Vec<_>>());
        for part in [&parts.train, &parts.test] {
            let Targets::Values(y) = &part.targets else {
                panic!("regression stays regression")
            };
            assert!(part.x.iter().zip(y.iter()).all(|(x, y)| *y == -x));
        }
        // Shuffled, reproducible, and seed-dependent.
        assert_ne!(
            parts.train.x.column(0).to_vec(),
            (0..75).map(|i| i as f32).collect::<Vec<_>>()
        );
        assert_eq!(split(data.clone(), 0.25, 7), parts);
        assert_ne!(split(data.clone(), 0.25, 8), parts);
        // No test set at 0; at least one training example whatever the fraction.
        assert_eq!(split(data.clone(), 0.0, 1).test.len(), 0);
        assert_eq!(split(data.clone(), 1.0, 1).train.len(), 1);
        assert_eq!(split(data, f32::NAN, 1).test.len(), 0);
        let whole = Split::train_only(five());
        assert_eq!((whole.train.len(), whole.test.len()), (5, 0));
    }
}
