//! Loss values over a line or a plane through parameter space, in parallel.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::sync::Arc;
use std::time::Duration;

use super::directions::{DirectionError, check_direction};
use crate::exec::{Instant, Step, Task};
use crate::problem::{Problem, Workspace};

/// Most points along one grid axis (a 2001 × 2001 grid is 4 M evaluations).
pub const GRID_MAX_POINTS_PER_AXIS: usize = 2001;

/// Evenly spaced coefficients `linspace(min, max, points)`, as numpy spaces them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridAxis {
    /// First coefficient.
    pub min: f32,
    /// Last coefficient.
    pub max: f32,
    /// Number of coefficients (≥ 1).
    pub points: usize,
}

impl GridAxis {
    /// `linspace(−span, span, points)`.
    pub fn symmetric(span: f32, points: usize) -> Self {
        Self {
            min: -span,
            max: span,
            points,
        }
    }

    /// The i-th coefficient.
    pub fn value(&self, i: usize) -> f32 {
        if self.points <= 1 {
            return self.min;
        }
        let t = i as f64 / (self.points - 1) as f64;
        (f64::from(self.min) + (f64::from(self.max) - f64::from(self.min)) * t) as f32
    }

    /// Every coefficient.
    pub fn values(&self) -> Vec<f32> {
        (0..self.points).map(|i| self.value(i)).collect()
    }

    /// The same range with another number of points.
    pub fn with_points(&self, points: usize) -> Self {
        Self { points, ..*self }
    }
}

/// Which coefficients to evaluate: a line (alpha only) or a plane (alpha × beta).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridSpec {
    /// Coefficients of the first direction.
    pub alpha: GridAxis,
    /// Coefficients of the second direction, for a 2D grid.
    pub beta: Option<GridAxis>,
}

impl GridSpec {
    /// A 1D grid of `points` over [−span, span].
    pub fn line(span: f32, points: usize) -> Self {
        Self {
            alpha: GridAxis::symmetric(span, points),
            beta: None,
        }
    }

    /// A 2D `points × points` grid over [−span, span]².
    pub fn square(span: f32, points: usize) -> Self {
        Self {
            alpha: GridAxis::symmetric(span, points),
            beta: Some(GridAxis::symmetric(span, points)),
        }
    }

    /// Number of grid points.
    pub fn len(&self) -> usize {
        self.alpha.points * self.beta.map_or(1, |b| b.points)
    }

    /// Whether the grid has no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of directions the grid needs.
    pub fn dims(&self) -> usize {
        if self.beta.is_some() { 2 } else { 1 }
    }

    /// The same ranges with at most `points` per axis (for a quick first pass).
    pub fn coarsened(&self, points: usize) -> Self {
        Self {
            alpha: self.alpha.with_points(self.alpha.points.min(points)),
            beta: self.beta.map(|b| b.with_points(b.points.min(points))),
        }
    }

    /// Checks the sizes before anything is allocated for them.
    pub fn validate(&self) -> Result<(), String> {
        for axis in std::iter::once(&self.alpha).chain(self.beta.as_ref()) {
            if axis.points == 0 || axis.points > GRID_MAX_POINTS_PER_AXIS {
                return Err(format!(
                    "grid resolution {} is out of range: use 1 to {GRID_MAX_POINTS_PER_AXIS} points per axis",
                    axis.points
                ));
            }
            if !axis.min.is_finite() || !axis.max.is_finite() {
                return Err("grid span must be a finite number".into());
            }
        }
        Ok(())
    }
}

/// A line or plane through `center` spanned by one or two directions.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    /// The parameters at coefficients (0, 0).
    pub center: Vec<f32>,
    /// One direction (a line) or two (a plane), each as long as `center`.
    pub directions: Vec<Vec<f32>>,
}

impl Plane {
    /// A slice through `center`; directions must match its length, be finite and nonzero.
    pub fn new(center: Vec<f32>, directions: Vec<Vec<f32>>) -> Result<Self, DirectionError> {
        assert!(
            (1..=2).contains(&directions.len()),
            "a slice has one or two directions"
        );
        for d in &directions {
            assert_eq!(d.len(), center.len(), "direction length");
            check_direction(d)?;
        }
        Ok(Self { center, directions })
    }

    /// Writes `center + Σ coords[k] · directions[k]` into `out`.
    pub fn point(&self, coords: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.center);
        for (d, &c) in self.directions.iter().zip(coords) {
            for (o, &v) in out.iter_mut().zip(d) {
                *o += c * v;
            }
        }
    }
}

/// Loss values on a grid; row j holds beta_j, column i holds alpha_i.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The coefficients evaluated.
    pub spec: GridSpec,
    /// `values[j * alpha.points + i]` = loss at (alpha_i, beta_j); NaN or ∞ where the loss is.
    pub values: Vec<f32>,
}

impl Grid {
    /// Loss at alpha index `i`, beta index `j`.
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.values[j * self.spec.alpha.points + i]
    }

    /// Smallest and largest finite values, if any.
    pub fn finite_range(&self) -> Option<(f32, f32)> {
        self.values
            .iter()
            .filter(|v| v.is_finite())
            .fold(None, |acc, &v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
    }

    /// CSV text: header `alpha,loss` or `alpha,beta,loss`, one row per point.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(self.values.len() * 32);
        let alphas = self.spec.alpha.values();
        match self.spec.beta {
            None => {
                out.push_str("alpha,loss\n");
                for (a, v) in alphas.iter().zip(&self.values) {
                    out.push_str(&format!("{a},{v}\n"));
                }
            }
            Some(beta) => {
                out.push_str("alpha,beta,loss\n");
                for (j, b) in beta.values().iter().enumerate() {
                    for (i, a) in alphas.iter().enumerate() {
                        out.push_str(&format!("{a},{b},{}\n", self.at(i, j)));
                    }
                }
            }
        }
        out
    }
}

/// Evaluates the problem's loss at every grid point, in parallel.
///
/// Returns `None` as soon as `cancelled()` says so (a newer request has
/// superseded this one); points are checked individually, so cancelling
/// takes effect within one forward pass per thread.
pub fn evaluate_grid(
    problem: &dyn Problem,
    plane: &Plane,
    spec: &GridSpec,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Grid> {
    assert_eq!(
        plane.directions.len(),
        spec.dims(),
        "one direction per grid axis"
    );
    assert_eq!(
        plane.center.len(),
        problem.num_params(),
        "plane lives in the problem's parameter space"
    );
    let mut values = Vec::with_capacity(spec.len());
    (0..spec.len())
        .into_par_iter()
        .map_init(
            || (Workspace::default(), vec![0.0f32; plane.center.len()]),
            |(workspace, params), index| {
                if cancelled() {
                    return f32::NAN;
                }
                point_loss(problem, plane, spec, index, workspace, params)
            },
        )
        .collect_into_vec(&mut values);
    if cancelled() {
        return None;
    }
    Some(Grid {
        spec: *spec,
        values,
    })
}

/// The loss at grid point `index` (row-major), using `params` as scratch.
fn point_loss(
    problem: &dyn Problem,
    plane: &Plane,
    spec: &GridSpec,
    index: usize,
    workspace: &mut Workspace,
    params: &mut [f32],
) -> f32 {
    let cols = spec.alpha.points;
    let (i, j) = (index % cols, index / cols);
    let coords = [spec.alpha.value(i), spec.beta.map_or(0.0, |b| b.value(j))];
    plane.point(&coords, params);
    problem.loss(params, workspace)
}

/// A grid evaluated a few rows at a time, as an executor task: the same
/// values as [`evaluate_grid`] (each point is computed on its own), however
/// the work is sliced, so a browser can draw frames between the rows and a
/// newer request can take over between any two slices.
pub struct GridTask {
    problem: Arc<dyn Problem>,
    plane: Arc<Plane>,
    spec: GridSpec,
    values: Vec<f32>,
    /// Points per piece of work, fitted to the slice budget as the task
    /// learns what a point costs (a long 1D slice's single row would
    /// otherwise overrun a browser frame's few milliseconds many times).
    chunk: usize,
}

impl GridTask {
    /// A task for `spec` on `plane` of `problem` (shapes as [`evaluate_grid`] asks).
    pub fn new(problem: Arc<dyn Problem>, plane: Arc<Plane>, spec: GridSpec) -> Self {
        Self {
            problem,
            plane,
            values: Vec::with_capacity(spec.len()),
            spec,
            chunk: FIRST_CHUNK,
        }
    }

    /// Evaluates the points `range` (row-major indices) in parallel.
    fn evaluate(&self, range: std::ops::Range<usize>, into: &mut Vec<f32>) {
        let (spec, plane) = (&self.spec, &*self.plane);
        let mut chunk = Vec::with_capacity(range.len());
        range
            .into_par_iter()
            .map_init(
                || (Workspace::default(), vec![0.0f32; plane.center.len()]),
                |(workspace, params), index| {
                    point_loss(self.problem.as_ref(), plane, spec, index, workspace, params)
                },
            )
            .collect_into_vec(&mut chunk);
        into.extend(chunk);
    }
}

/// Points in a grid task's first piece, and the bounds of later ones (enough
/// points for both cores to share, few enough to stop soon after the budget).
const FIRST_CHUNK: usize = 16;
const MIN_CHUNK: usize = 4;
const MAX_CHUNK: usize = 4096;

impl Task for GridTask {
    type Output = Grid;

    fn advance(&mut self, budget: Duration) -> Result<Step<Grid>, String> {
        if self.plane.directions.len() != self.spec.dims()
            || self.plane.center.len() != self.problem.num_params()
        {
            return Err("the plane does not fit the problem or the grid".into());
        }
        let started = Instant::now();
        let total = self.spec.len();
        while self.values.len() < total {
            let from = self.values.len();
            let to = (from + self.chunk).min(total);
            let piece = Instant::now();
            let mut values = std::mem::take(&mut self.values);
            self.evaluate(from..to, &mut values);
            self.values = values;
            // The next piece takes about a quarter of the budget.
            let per_point = piece.elapsed().as_secs_f64() / (to - from) as f64;
            if per_point > 0.0 {
                let fits = (budget.as_secs_f64() / 4.0 / per_point) as usize;
                self.chunk = fits.clamp(MIN_CHUNK, MAX_CHUNK);
            }
            if self.values.len() < total && started.elapsed() >= budget {
                return Ok(Step::Working(self.values.len() as f32 / total as f32));
            }
        }
        Ok(Step::Done(Grid {
            spec: self.spec,
            values: std::mem::take(&mut self.values),
        }))
    }
}
