//! Bounded records of a run: the trajectory (for trails and PCA) and the
//! scalar history (for loss curves).
//!
//! A run can last millions of steps; its records must not grow with it. A
//! [`Decimated`] series keeps every `stride`-th item; when it fills up it
//! drops every other item and doubles the stride, so it always spans the
//! whole run at an even density, in bounded memory.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::io::limits::MAX_STEP;

/// A series that keeps at most `capacity` items, evenly spread over the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Decimated<T> {
    #[serde(deserialize_with = "crate::io::bounded::series")]
    items: Vec<T>,
    capacity: usize,
    stride: u64,
    offered: u64,
}

impl<T> Decimated<T> {
    /// An empty series holding at most `capacity` (≥ 2) items.
    pub fn new(capacity: usize) -> Self {
        Self {
            items: Vec::with_capacity(capacity.max(2)),
            capacity: capacity.max(2),
            stride: 1,
            offered: 0,
        }
    }

    /// Offers the next item; keeps it if it falls on the current stride.
    pub fn push(&mut self, item: T) {
        let keep = self.offered.is_multiple_of(self.stride);
        self.offered += 1;
        if !keep {
            return;
        }
        if self.items.len() == self.capacity {
            self.halve();
            if !(self.offered - 1).is_multiple_of(self.stride) {
                return;
            }
        }
        self.items.push(item);
    }

    /// Takes `other`'s items (converted) and its decimation state, so a
    /// restored series goes on keeping exactly the items the original would.
    /// This series keeps its own capacity: a file cannot make it unbounded.
    pub fn restore_from<U>(&mut self, other: &Decimated<U>, convert: impl Fn(&U) -> T) {
        self.items = other
            .items
            .iter()
            .take(self.capacity)
            .map(convert)
            .collect();
        self.stride = other.stride.max(1);
        self.offered = other.offered;
    }

    /// Whether a series read from a file is one a run could have made: a
    /// stride that is a power of two, a count within [`MAX_STEP`] and no
    /// more items than were offered (so later pushes cannot overflow).
    pub fn check(&self) -> Result<(), String> {
        if !self.stride.is_power_of_two() || self.stride > MAX_STEP {
            return Err(format!(
                "a stride of {} (a power of two up to {MAX_STEP})",
                self.stride
            ));
        }
        if self.offered > MAX_STEP {
            return Err(format!(
                "{} points offered (the limit is {MAX_STEP})",
                self.offered
            ));
        }
        if self.items.len() as u64 > self.offered {
            return Err(format!(
                "{} points kept of {} offered",
                self.items.len(),
                self.offered
            ));
        }
        Ok(())
    }

    /// Drops every other item (doubling the stride, as a full series does)
    /// until at most `max_items` remain: a big model's trajectory shrinks to
    /// fit a session file and still spans the run evenly.
    pub fn thin_to(&mut self, max_items: usize) {
        while self.items.len() > max_items.max(2) && self.stride <= MAX_STEP / 2 {
            self.halve();
        }
    }

    /// Keeps items 0, 2, 4, ...: they are the multiples of the doubled stride.
    fn halve(&mut self) {
        let mut index = 0;
        self.items.retain(|_| {
            index += 1;
            index % 2 == 1
        });
        self.stride *= 2;
    }

    /// Whether the next offered item will be kept (so the caller can skip
    /// building an expensive item that would be dropped).
    pub fn wants_next(&self) -> bool {
        self.offered.is_multiple_of(self.stride)
    }

    /// Counts an item that would not be kept, without building it.
    pub fn skip(&mut self) {
        debug_assert!(
            !self.wants_next(),
            "skip() only drops items push() would drop"
        );
        self.offered += 1;
    }

    /// The kept items, oldest first.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Items offered so far.
    pub fn offered(&self) -> u64 {
        self.offered
    }

    /// Keeps one item in every `stride` offered.
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.items.clear();
        self.stride = 1;
        self.offered = 0;
    }

    /// The most items it will hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// One point of the trajectory through parameter space.
#[derive(Clone, Debug)]
pub struct TrajectoryPoint {
    /// Optimiser steps taken before these parameters.
    pub step: u64,
    /// The parameters, shared with snapshots.
    pub params: Arc<[f32]>,
    /// The minibatch (or full-batch) loss at that step.
    pub loss: f32,
}

/// One point of the loss and learning curves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// Step index.
    pub step: u64,
    /// Loss on the batch the step used.
    pub batch_loss: f32,
    /// Norm of that batch's gradient (before clipping).
    pub grad_norm: f32,
    /// Learning rate used.
    pub lr: f32,
}

/// One point of the train and test loss curves: the full-data loss at the
/// parameters before step `step`, evaluated on a schedule of steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Step index.
    pub step: u64,
    /// Mean loss over the training set.
    pub train_loss: f32,
    /// Mean loss over the test set, when there is one.
    pub test_loss: Option<f32>,
}

/// Where early stopping would have stopped: the evaluated step with the
/// lowest test loss, once the test loss has risen clearly past it (by 1 %
/// of that loss, so noise at the bottom of a still-falling curve does not
/// count). `None` while the test loss is still at its lowest, or with no
/// test set.
pub fn early_stopping_point(evaluations: &[EvalPoint]) -> Option<(u64, f32)> {
    let (step, lowest) = evaluations
        .iter()
        .filter_map(|p| Some((p.step, p.test_loss.filter(|l| l.is_finite())?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let last = evaluations.iter().rev().find_map(|p| p.test_loss)?;
    (last > lowest + 0.01 * lowest.abs().max(1e-6)).then_some((step, lowest))
}

#[cfg(test)]
mod tests {
    #[test]
    fn early_stopping_marks_the_lowest_test_loss_once_it_has_risen_past_it() {
        use super::{EvalPoint, early_stopping_point};
        let at = |step: u64, test: f32| EvalPoint {
            step,
            train_loss: 1.0 / (step as f32 + 1.0),
            test_loss: Some(test),
        };
        let falling = [at(0, 1.0), at(10, 0.5), at(20, 0.4)];
        assert_eq!(early_stopping_point(&falling), None);
        let flat_bottom = [at(0, 1.0), at(10, 0.4), at(20, 0.401)];
        assert_eq!(early_stopping_point(&flat_bottom), None);
        let risen = [at(0, 1.0), at(10, 0.4), at(20, 0.6), at(30, 0.9)];
        assert_eq!(early_stopping_point(&risen), Some((10, 0.4)));
        let no_test = [EvalPoint {
            step: 0,
            train_loss: 1.0,
            test_loss: None,
        }];
        assert_eq!(early_stopping_point(&no_test), None);
    }

    use super::*;

    #[test]
    fn stays_bounded_and_evenly_spaced() {
        let mut series = Decimated::new(8);
        for i in 0..1000u64 {
            series.push(i);
            assert!(series.items().len() <= 8);
        }
        let items = series.items();
        assert_eq!(items[0], 0, "the start is always kept");
        let gaps: Vec<u64> = items.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == series.stride()), "{items:?}");
        // Covers the run: the last kept item is within one stride of the end.
        assert!(999 - items[items.len() - 1] < series.stride());
        assert_eq!(series.offered(), 1000);
    }

    #[test]
    fn a_thinned_series_goes_on_as_a_full_one_would() {
        let mut thinned = Decimated::new(64);
        let mut full = Decimated::new(16);
        for i in 0..40u64 {
            thinned.push(i);
        }
        thinned.thin_to(16);
        assert!(thinned.items().len() <= 16);
        assert_eq!(thinned.stride(), 4);
        assert!(thinned.check().is_ok());
        for i in 40..1000u64 {
            thinned.push(i);
        }
        for i in 0..1000u64 {
            full.push(i);
        }
        // Both keep the multiples of their stride, spread over the whole run.
        let gaps: Vec<u64> = thinned.items().windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == thinned.stride()), "{gaps:?}");
        assert!(999 - thinned.items()[thinned.items().len() - 1] < thinned.stride());
    }

    #[test]
    fn a_series_no_run_could_make_is_refused() {
        let mut series: Decimated<u64> = Decimated::new(8);
        (0..5).for_each(|i| series.push(i));
        assert!(series.check().is_ok());
        let mut json = serde_json::to_value(&series).expect("json");
        json["stride"] = serde_json::json!(3);
        let bad: Decimated<u64> = serde_json::from_value(json.clone()).expect("parses");
        assert!(bad.check().expect_err("stride 3").contains("power of two"));
        json["stride"] = serde_json::json!(1);
        json["offered"] = serde_json::json!(u64::MAX);
        let bad: Decimated<u64> = serde_json::from_value(json.clone()).expect("parses");
        assert!(bad.check().expect_err("offered").contains("offered"));
        json["offered"] = serde_json::json!(2);
        let bad: Decimated<u64> = serde_json::from_value(json).expect("parses");
        assert!(bad.check().expect_err("kept > offered").contains("kept"));
    }

    #[test]
    fn short_runs_keep_everything() {
        let mut series = Decimated::new(16);
        (0..10).for_each(|i| series.push(i));
        assert_eq!(series.items(), &(0..10).collect::<Vec<_>>()[..]);
        series.clear();
        assert!(series.items().is_empty());
    }
}
