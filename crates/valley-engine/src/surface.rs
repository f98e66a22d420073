//! Analytic 2D surfaces for teaching: each is a small, famous function whose
//! shape shows one behaviour of gradient descent (zigzagging in a ravine,
//! stalling at a saddle, getting trapped in a local minimum).
//!
//! Everything a lesson needs comes with the formula: the closed-form gradient
//! and Hessian (so steps and curvature are exact, not finite differences),
//! the known critical points to mark on a plot, a starting point that shows
//! the idea, and a window that frames it.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::optim::OptimizerKind;

/// One racing optimiser's own hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneTuning {
    /// The update rule.
    pub kind: OptimizerKind,
    /// Its learning rate.
    pub lr: f32,
    /// Its momentum (momentum and Nesterov only).
    pub momentum: f32,
}
use strum::{EnumIter, IntoStaticStr, VariantNames};

/// One of the built-in formula surfaces f(x, y); `iter()` lists them in
/// menu order.
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
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SurfaceKind {
    /// A round bowl: every direction curves the same, so descent goes straight down.
    Bowl,
    /// A long, narrow valley: curvature 20× steeper across than along.
    Ravine,
    /// A horse saddle: a minimum along x, a maximum along y.
    Saddle,
    /// A saddle with three downhill valleys and a flat (zero-Hessian) centre.
    MonkeySaddle,
    /// Rosenbrock's banana valley: easy to enter, slow to follow.
    Rosenbrock,
    /// Himmelblau's function: four equally deep minima.
    Himmelblau,
    /// Rastrigin's function: a bowl covered in a grid of local minima.
    Rastrigin,
    /// Beale's function: steep walls around a very flat valley floor.
    Beale,
    /// Two wells of different depths joined by a saddle.
    DoubleWell,
}

/// What a point with zero gradient is, read off the Hessian's eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CriticalKind {
    /// The lowest value of the surface.
    GlobalMin,
    /// A minimum that is not the lowest: where descent can get stuck.
    LocalMin,
    /// Up in some directions, down in others.
    Saddle,
    /// A local maximum.
    Max,
}

/// A point where the gradient vanishes, with what kind of point it is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CriticalPoint {
    /// Horizontal coordinate.
    pub x: f64,
    /// Vertical coordinate.
    pub y: f64,
    /// Minimum, saddle or maximum.
    pub kind: CriticalKind,
}

/// The two wells' tilt: large enough that one well is clearly lower, small
/// enough that both survive as minima.
const DOUBLE_WELL_TILT: f64 = 0.3;

/// Beale's three constants, the targets of its three squared residuals.
const BEALE_TARGETS: [f64; 3] = [1.5, 2.25, 2.625];

impl SurfaceKind {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// f(x, y).
    pub fn value(self, x: f64, y: f64) -> f64 {
        use std::f64::consts::TAU;
        match self {
            SurfaceKind::Bowl => x * x + y * y,
            SurfaceKind::Ravine => 0.5 * (x * x + 20.0 * y * y),
            SurfaceKind::Saddle => x * x - y * y,
            SurfaceKind::MonkeySaddle => x * x * x - 3.0 * x * y * y,
            SurfaceKind::Rosenbrock => (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
            SurfaceKind::Himmelblau => (x * x + y - 11.0).powi(2) + (x + y * y - 7.0).powi(2),
            SurfaceKind::Rastrigin => {
                20.0 + x * x - 10.0 * (TAU * x).cos() + y * y - 10.0 * (TAU * y).cos()
            }
            SurfaceKind::Beale => beale_residuals(x, y).iter().map(|r| r.value.powi(2)).sum(),
            SurfaceKind::DoubleWell => (x * x - 1.0).powi(2) + DOUBLE_WELL_TILT * x + 0.5 * y * y,
        }
    }

    /// ∇f(x, y) = [∂f/∂x, ∂f/∂y], in closed form.
    pub fn gradient(self, x: f64, y: f64) -> [f64; 2] {
        use std::f64::consts::{PI, TAU};
        match self {
            SurfaceKind::Bowl => [2.0 * x, 2.0 * y],
            SurfaceKind::Ravine => [x, 20.0 * y],
            SurfaceKind::Saddle => [2.0 * x, -2.0 * y],
            SurfaceKind::MonkeySaddle => [3.0 * (x * x - y * y), -6.0 * x * y],
            SurfaceKind::Rosenbrock => {
                let bend = y - x * x;
                [-2.0 * (1.0 - x) - 400.0 * x * bend, 200.0 * bend]
            }
            SurfaceKind::Himmelblau => {
                let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
                [4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b]
            }
            SurfaceKind::Rastrigin => [
                2.0 * x + 20.0 * PI * (TAU * x).sin(),
                2.0 * y + 20.0 * PI * (TAU * y).sin(),
            ],
            SurfaceKind::Beale => beale_residuals(x, y).iter().fold([0.0; 2], |g, r| {
                [g[0] + 2.0 * r.value * r.dx, g[1] + 2.0 * r.value * r.dy]
            }),
            SurfaceKind::DoubleWell => [4.0 * x * (x * x - 1.0) + DOUBLE_WELL_TILT, y],
        }
    }

    /// The Hessian [[∂²f/∂x², ∂²f/∂x∂y], [∂²f/∂y∂x, ∂²f/∂y²]], in closed form.
    pub fn hessian(self, x: f64, y: f64) -> [[f64; 2]; 2] {
        use std::f64::consts::TAU;
        let [[xx, xy], [_, yy]] = match self {
            SurfaceKind::Bowl => [[2.0, 0.0], [0.0, 2.0]],
            SurfaceKind::Ravine => [[1.0, 0.0], [0.0, 20.0]],
            SurfaceKind::Saddle => [[2.0, 0.0], [0.0, -2.0]],
            SurfaceKind::MonkeySaddle => [[6.0 * x, -6.0 * y], [0.0, -6.0 * x]],
            SurfaceKind::Rosenbrock => {
                [[2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x], [0.0, 200.0]]
            }
            SurfaceKind::Himmelblau => {
                let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
                [
                    [4.0 * a + 8.0 * x * x + 2.0, 4.0 * (x + y)],
                    [0.0, 2.0 + 4.0 * b + 8.0 * y * y],
                ]
            }
            SurfaceKind::Rastrigin => {
                let curvature = |t: f64| 2.0 + 10.0 * TAU * TAU * (TAU * t).cos();
                [[curvature(x), 0.0], [0.0, curvature(y)]]
            }
            // Gauss–Newton part (products of first derivatives) plus each
            // residual times its own second derivative.
            SurfaceKind::Beale => beale_residuals(x, y).iter().fold([[0.0; 2]; 2], |h, r| {
                [
                    [
                        h[0][0] + 2.0 * r.dx * r.dx,
                        h[0][1] + 2.0 * (r.dx * r.dy + r.value * r.dxy),
                    ],
                    [0.0, h[1][1] + 2.0 * (r.dy * r.dy + r.value * r.dyy)],
                ]
            }),
            SurfaceKind::DoubleWell => [[12.0 * x * x - 4.0, 0.0], [0.0, 1.0]],
        };
        // Each arm fills the upper triangle; symmetry gives the rest.
        [[xx, xy], [xy, yy]]
    }

    /// The formula in Unicode, short enough for a slide or a plot title.
    pub fn formula(self) -> &'static str {
        match self {
            SurfaceKind::Bowl => "x² + y²",
            SurfaceKind::Ravine => "½(x² + 20y²)",
            SurfaceKind::Saddle => "x² − y²",
            SurfaceKind::MonkeySaddle => "x³ − 3xy²",
            SurfaceKind::Rosenbrock => "(1 − x)² + 100(y − x²)²",
            SurfaceKind::Himmelblau => "(x² + y − 11)² + (x + y² − 7)²",
            SurfaceKind::Rastrigin => "20 + x² − 10 cos 2πx + y² − 10 cos 2πy",
            SurfaceKind::Beale => "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            SurfaceKind::DoubleWell => "(x² − 1)² + 0.3x + ½y²",
        }
    }

    /// Each racing optimiser's own learning rate and momentum on this surface,
    /// tuned so the lesson shows (a rule left out uses the user's values).
    /// The ravine's sentence above is a claim about exactly these lanes, and
    /// a test runs them to check it.
    pub fn tuned_lanes(self) -> Vec<LaneTuning> {
        let lane = |kind, lr, momentum| LaneTuning { kind, lr, momentum };
        match self {
            // SGD just inside its stability limit across (2/20); heavy-ball
            // momentum near its best for a condition number of 20.
            SurfaceKind::Ravine => vec![
                lane(OptimizerKind::Sgd, 0.09, 0.0),
                lane(OptimizerKind::Momentum, 0.1, 0.6),
            ],
            SurfaceKind::Rosenbrock => vec![
                lane(OptimizerKind::Sgd, 0.002, 0.0),
                lane(OptimizerKind::Momentum, 0.002, 0.9),
                lane(OptimizerKind::RmsProp, 0.01, 0.0),
                lane(OptimizerKind::Adam, 0.05, 0.0),
            ],
            _ => Vec::new(),
        }
    }

    /// The update rule and rate a surface opens with: plain gradient descent,
    /// which is what every surface's sentence describes (Adam's normalised
    /// steps neither slow on a saddle nor walk the bowl's straight line), at
    /// a rate inside the surface's stability limit. Tested against the
    /// sentence in `tests/surface_sentences_hold_in_their_runs.rs`.
    pub fn preset_optimizer(self) -> (OptimizerKind, f32) {
        let rate = match self {
            SurfaceKind::Bowl => 0.1,
            SurfaceKind::Ravine => 0.09,
            SurfaceKind::Saddle | SurfaceKind::MonkeySaddle => 0.05,
            // Curvature reaches about 1000 at the minimum: 2/1000 is the limit.
            SurfaceKind::Rosenbrock => 0.0015,
            SurfaceKind::Himmelblau | SurfaceKind::Beale => 0.01,
            SurfaceKind::Rastrigin => 0.002,
            SurfaceKind::DoubleWell => 0.05,
        };
        (OptimizerKind::Sgd, rate)
    }

    /// One sentence for a student: what to watch for on this surface.
    pub fn description(self) -> &'static str {
        match self {
            SurfaceKind::Bowl => {
                "The easy case: the gradient points straight at the minimum, so descent walks a straight line and only the step size matters."
            }
            SurfaceKind::Ravine => {
                "The valley is 20 times steeper across than along, so a step size that is safe across is tiny along it: in the race, plain descent zigzags across the floor at every step, while momentum, at its own rate, reaches the bottom in a fraction of the steps."
            }
            SurfaceKind::Saddle => {
                "Started just off the line that leads into the centre, descent slows to a crawl near the flat middle before the slope along y carries it away."
            }
            SurfaceKind::MonkeySaddle => {
                "Here even the curvature vanishes at the centre, so descent creeps across a plateau before sliding off into one of the three valleys."
            }
            SurfaceKind::Rosenbrock => {
                "Descent drops into the curved valley quickly, then crawls along its nearly flat floor towards the minimum at (1, 1)."
            }
            SurfaceKind::Himmelblau => {
                "Four minima are equally deep, so which one descent finds depends only on where it starts."
            }
            SurfaceKind::Rastrigin => {
                "A gentle bowl under a grid of bumps: descent stops in the nearest dimple, far from the global minimum at the origin."
            }
            SurfaceKind::Beale => {
                "Steep walls surround a very flat valley floor, so the gradient is huge on the way in and nearly zero on the way to the minimum at (3, 0.5)."
            }
            SurfaceKind::DoubleWell => {
                "Descent settles in whichever well it starts above, even when the other well is deeper."
            }
        }
    }

    /// The known critical points in or near `view()`: every minimum (global
    /// and local), and the saddles and maxima a plot should mark.
    ///
    /// Points not known in closed form are polished by Newton's method on
    /// the exact gradient, so their gradient is zero to rounding.
    pub fn critical_points(self) -> Vec<CriticalPoint> {
        use CriticalKind::{GlobalMin, LocalMin, Max, Saddle};
        let approximate: Vec<([f64; 2], CriticalKind)> = match self {
            SurfaceKind::Bowl | SurfaceKind::Ravine => vec![([0.0, 0.0], GlobalMin)],
            SurfaceKind::Saddle | SurfaceKind::MonkeySaddle => vec![([0.0, 0.0], Saddle)],
            SurfaceKind::Rosenbrock => vec![([1.0, 1.0], GlobalMin)],
            SurfaceKind::Himmelblau => vec![
                ([3.0, 2.0], GlobalMin),
                ([-2.805118086953, 3.131312518251], GlobalMin),
                ([-3.779310253378, -3.283185991286], GlobalMin),
                ([3.584428340330, -1.848126526964], GlobalMin),
                ([-0.270844590667, -0.923038556480], Max),
                ([0.086677504555, 2.884254701175], Saddle),
                ([3.385154183607, 0.073851879838], Saddle),
                ([-3.073025750764, -0.081353044288], Saddle),
                ([-0.127961346731, -1.953714980245], Saddle),
            ],
            // Each dimple sits slightly inside its integer point, where the
            // bowl's pull 2x balances the ripple's: Newton finds it exactly.
            SurfaceKind::Rastrigin => (0..3)
                .flat_map(|i| (0..3).map(move |j| (i, j)))
                .map(|(i, j)| {
                    let kind = if (i, j) == (0, 0) {
                        GlobalMin
                    } else {
                        LocalMin
                    };
                    ([f64::from(i), f64::from(j)], kind)
                })
                .collect(),
            SurfaceKind::Beale => vec![([3.0, 0.5], GlobalMin), ([0.0, 1.0], Saddle)],
            // Roots of 4x³ − 4x + 0.3 = 0 on y = 0; the tilt makes the left well deeper.
            SurfaceKind::DoubleWell => vec![
                ([-1.035578714088854, 0.0], GlobalMin),
                ([0.075429158569748, 0.0], Saddle),
                ([0.960149555519106, 0.0], LocalMin),
            ],
        };
        approximate
            .into_iter()
            .map(|(guess, kind)| {
                let [x, y] = self.newton_polish(guess);
                CriticalPoint { x, y, kind }
            })
            .collect()
    }

    /// A default start from which plain gradient descent shows the lesson.
    pub fn start(self) -> [f64; 2] {
        match self {
            SurfaceKind::Bowl => [-1.5, 1.0],
            SurfaceKind::Ravine => [-4.0, 1.0],
            SurfaceKind::Saddle => [-1.5, 0.05],
            SurfaceKind::MonkeySaddle => [1.0, 0.05],
            SurfaceKind::Rosenbrock => [-1.2, 1.0],
            SurfaceKind::Himmelblau => [0.0, 0.0],
            SurfaceKind::Rastrigin => [2.3, 1.6],
            SurfaceKind::Beale => [1.0, 1.5],
            SurfaceKind::DoubleWell => [1.6, 1.2],
        }
    }

    /// Centre and half-width of a square window that holds the start, the
    /// minima and the interesting shape.
    pub fn view(self) -> ([f64; 2], f64) {
        match self {
            SurfaceKind::Bowl | SurfaceKind::Saddle | SurfaceKind::DoubleWell => ([0.0, 0.0], 2.0),
            SurfaceKind::Ravine => ([0.0, 0.0], 5.0),
            SurfaceKind::MonkeySaddle => ([0.0, 0.0], 1.5),
            SurfaceKind::Rosenbrock => ([0.0, 1.0], 2.0),
            SurfaceKind::Himmelblau => ([0.0, 0.0], 5.0),
            SurfaceKind::Rastrigin => ([1.0, 1.0], 1.75),
            SurfaceKind::Beale => ([1.5, 0.75], 2.0),
        }
    }

    /// Newton's method on the gradient from a nearby guess; a degenerate
    /// Hessian (the monkey saddle's centre) leaves the guess as it is.
    fn newton_polish(self, [mut x, mut y]: [f64; 2]) -> [f64; 2] {
        for _ in 0..50 {
            let [gx, gy] = self.gradient(x, y);
            let [[a, b], [_, d]] = self.hessian(x, y);
            let det = a * d - b * b;
            if (gx == 0.0 && gy == 0.0) || det == 0.0 {
                break;
            }
            let (dx, dy) = ((d * gx - b * gy) / det, (a * gy - b * gx) / det);
            x -= dx;
            y -= dy;
            if dx.abs() + dy.abs() <= 1e-15 * (1.0 + x.abs() + y.abs()) {
                break;
            }
        }
        [x, y]
    }
}

/// One of Beale's residuals rᵢ = cᵢ − x + x·yⁱ with its partial derivatives
/// (∂²r/∂x² is zero, so it is not stored).
struct BealeResidual {
    value: f64,
    dx: f64,
    dy: f64,
    dxy: f64,
    dyy: f64,
}

fn beale_residuals(x: f64, y: f64) -> [BealeResidual; 3] {
    std::array::from_fn(|k| {
        let i = k as i32 + 1;
        let power = f64::from(i);
        BealeResidual {
            value: BEALE_TARGETS[k] - x + x * y.powi(i),
            dx: y.powi(i) - 1.0,
            dy: power * x * y.powi(i - 1),
            dxy: power * y.powi(i - 1),
            dyy: if i > 1 {
                power * (power - 1.0) * x * y.powi(i - 2)
            } else {
                0.0
            },
        }
    })
}

impl FromStr for SurfaceKind {
    type Err = String;
    /// Any case, surrounding spaces ignored; the error lists the names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::choice::parse_choice(s, "surface")
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    /// Points on a 9×9 grid over the surface's own window, edges included.
    fn grid(kind: SurfaceKind) -> impl Iterator<Item = (f64, f64)> {
        let ([cx, cy], half) = kind.view();
        let at = move |i: i32| -1.0 + f64::from(i) / 4.0;
        (0..9).flat_map(move |i| (0..9).map(move |j| (cx + half * at(i), cy + half * at(j))))
    }

    /// Eigenvalues of a symmetric 2×2 matrix, smaller first.
    fn eigenvalues([[a, b], [_, d]]: [[f64; 2]; 2]) -> [f64; 2] {
        let (mean, half_gap) = ((a + d) / 2.0, ((a - d) / 2.0).hypot(b));
        [mean - half_gap, mean + half_gap]
    }

    fn close(exact: f64, approx: f64, tolerance: f64) -> bool {
        (exact - approx).abs() <= tolerance * (1.0 + exact.abs())
    }

    const H: f64 = 1e-5;

    #[test]
    fn gradients_match_central_differences() {
        for kind in SurfaceKind::iter() {
            for (x, y) in grid(kind) {
                let [gx, gy] = kind.gradient(x, y);
                let fd_x = (kind.value(x + H, y) - kind.value(x - H, y)) / (2.0 * H);
                let fd_y = (kind.value(x, y + H) - kind.value(x, y - H)) / (2.0 * H);
                assert!(
                    close(gx, fd_x, 1e-6),
                    "{kind} ∂x at ({x}, {y}): {gx} vs {fd_x}"
                );
                assert!(
                    close(gy, fd_y, 1e-6),
                    "{kind} ∂y at ({x}, {y}): {gy} vs {fd_y}"
                );
            }
        }
    }

    #[test]
    fn hessians_match_differences_of_the_gradient() {
        for kind in SurfaceKind::iter() {
            for (x, y) in grid(kind) {
                let h = kind.hessian(x, y);
                let (plus_x, minus_x) = (kind.gradient(x + H, y), kind.gradient(x - H, y));
                let (plus_y, minus_y) = (kind.gradient(x, y + H), kind.gradient(x, y - H));
                for row in 0..2 {
                    let fd_x = (plus_x[row] - minus_x[row]) / (2.0 * H);
                    let fd_y = (plus_y[row] - minus_y[row]) / (2.0 * H);
                    assert!(
                        close(h[row][0], fd_x, 1e-6),
                        "{kind} H[{row}][0] at ({x}, {y})"
                    );
                    assert!(
                        close(h[row][1], fd_y, 1e-6),
                        "{kind} H[{row}][1] at ({x}, {y})"
                    );
                }
            }
        }
    }

    #[test]
    fn critical_points_are_stationary_and_of_their_kind() {
        for kind in SurfaceKind::iter() {
            for p in kind.critical_points() {
                let [gx, gy] = kind.gradient(p.x, p.y);
                assert!(gx.hypot(gy) < 1e-8, "{kind} {p:?}: gradient ({gx}, {gy})");
                let hessian = kind.hessian(p.x, p.y);
                let [low, high] = eigenvalues(hessian);
                match p.kind {
                    CriticalKind::GlobalMin | CriticalKind::LocalMin => {
                        assert!(low > 0.0, "{kind} {p:?}: eigenvalues {low}, {high}");
                    }
                    CriticalKind::Max => {
                        assert!(high < 0.0, "{kind} {p:?}: eigenvalues {low}, {high}");
                    }
                    // The monkey saddle's Hessian is zero at its centre, so the
                    // eigenvalues cannot tell: the cubic changes sign instead.
                    CriticalKind::Saddle if kind == SurfaceKind::MonkeySaddle => {
                        assert_eq!(hessian, [[0.0; 2]; 2]);
                        assert!(kind.value(0.1, 0.0) > 0.0 && kind.value(-0.1, 0.0) < 0.0);
                    }
                    CriticalKind::Saddle => {
                        assert!(low < 0.0 && high > 0.0, "{kind} {p:?}: {low}, {high}");
                    }
                }
            }
        }
    }

    #[test]
    fn global_minima_are_the_lowest_listed_points() {
        for kind in SurfaceKind::iter() {
            let points = kind.critical_points();
            let value = |p: &CriticalPoint| kind.value(p.x, p.y);
            let global: Vec<f64> = points
                .iter()
                .filter(|p| p.kind == CriticalKind::GlobalMin)
                .map(value)
                .collect();
            let lowest = points.iter().map(value).fold(f64::INFINITY, f64::min);
            if kind == SurfaceKind::Saddle || kind == SurfaceKind::MonkeySaddle {
                assert!(global.is_empty(), "{kind} is unbounded below");
                continue;
            }
            assert!(!global.is_empty(), "{kind} lists no global minimum");
            for g in global {
                assert!(
                    (g - lowest).abs() < 1e-9,
                    "{kind}: global {g} vs lowest {lowest}"
                );
            }
            for p in points.iter().filter(|p| p.kind != CriticalKind::GlobalMin) {
                assert!(
                    value(p) > lowest + 1e-6,
                    "{kind} {p:?} is as low as the global"
                );
            }
        }
    }

    #[test]
    fn known_minima_have_their_textbook_values() {
        for kind in [
            SurfaceKind::Rosenbrock,
            SurfaceKind::Himmelblau,
            SurfaceKind::Beale,
        ] {
            for p in kind.critical_points() {
                if p.kind == CriticalKind::GlobalMin {
                    assert!(kind.value(p.x, p.y).abs() < 1e-20, "{kind} {p:?}");
                }
            }
        }
        assert_eq!(SurfaceKind::Rastrigin.value(0.0, 0.0), 0.0);
        let himmelblau_max = SurfaceKind::Himmelblau.critical_points()[4];
        let peak = SurfaceKind::Himmelblau.value(himmelblau_max.x, himmelblau_max.y);
        assert!((peak - 181.616522).abs() < 1e-6, "{peak}");
    }

    #[test]
    fn double_well_points_are_the_roots_of_its_cubic() {
        // From 40-digit decimal Newton on 4x³ − 4x + 0.3 = 0.
        let roots = [
            -1.035_578_714_088_854,
            0.075_429_158_569_748,
            0.960_149_555_519_106,
        ];
        let points = SurfaceKind::DoubleWell.critical_points();
        for (p, root) in points.iter().zip(roots) {
            assert!((p.x - root).abs() < 1e-14, "{} vs {root}", p.x);
            assert_eq!(p.y, 0.0);
        }
        let well = |p: &CriticalPoint| SurfaceKind::DoubleWell.value(p.x, p.y);
        assert!(
            well(&points[0]) < well(&points[2]) - 0.5,
            "the left well is clearly deeper"
        );
    }

    #[test]
    fn rastrigin_dimples_sit_just_inside_their_integer_points() {
        // The bowl's pull 2n against the ripple's stiffness 2 + 40π² moves
        // the dimple at n towards the origin by about n/200.
        for p in SurfaceKind::Rastrigin.critical_points() {
            for coordinate in [p.x, p.y] {
                let integer = coordinate.round();
                let inward = integer.abs() - coordinate.abs();
                let expected = 2.0 * integer.abs() / (2.0 + 40.0 * std::f64::consts::PI.powi(2));
                assert!(
                    (inward - expected).abs() < 1e-4,
                    "{p:?}: {inward} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn start_and_critical_points_lie_inside_the_view() {
        for kind in SurfaceKind::iter() {
            let ([cx, cy], half) = kind.view();
            let inside = |x: f64, y: f64| (x - cx).abs() < half && (y - cy).abs() < half;
            let [sx, sy] = kind.start();
            assert!(inside(sx, sy), "{kind} start");
            for p in kind.critical_points() {
                assert!(inside(p.x, p.y), "{kind} {p:?}");
            }
        }
    }

    /// Plain gradient descent with a fixed step; returns every iterate.
    fn descend(kind: SurfaceKind, rate: f64, steps: usize) -> Vec<[f64; 2]> {
        let mut path = vec![kind.start()];
        for _ in 0..steps {
            let [x, y] = path[path.len() - 1];
            let [gx, gy] = kind.gradient(x, y);
            path.push([x - rate * gx, y - rate * gy]);
        }
        path
    }

    #[test]
    fn descent_from_the_start_shows_the_lesson() {
        // Ravine: a step near the stability limit across (2/20) makes y flip sign.
        let ravine = descend(SurfaceKind::Ravine, 0.09, 20);
        assert!(ravine.windows(2).take(10).all(|w| w[0][1] * w[1][1] < 0.0));
        // Trapped: descent ends in a listed local minimum, not the global one.
        for (kind, rate, steps) in [
            (SurfaceKind::DoubleWell, 0.05, 2000),
            (SurfaceKind::Rastrigin, 0.002, 5000),
        ] {
            let [x, y] = descend(kind, rate, steps)[steps];
            let nearest = kind
                .critical_points()
                .into_iter()
                .min_by(|a, b| {
                    (a.x - x)
                        .hypot(a.y - y)
                        .total_cmp(&(b.x - x).hypot(b.y - y))
                })
                .expect("every surface lists points");
            assert_eq!(nearest.kind, CriticalKind::LocalMin, "{kind}");
            assert!(
                (nearest.x - x).hypot(nearest.y - y) < 1e-6,
                "{kind} ended at ({x}, {y})"
            );
        }
        // Beale: the start leads into the flat valley and on to (3, 0.5).
        let [x, y] = descend(SurfaceKind::Beale, 0.01, 5000)[5000];
        assert!(
            (x - 3.0).abs() < 1e-3 && (y - 0.5).abs() < 1e-3,
            "({x}, {y})"
        );
    }

    #[test]
    fn names_round_trip_through_from_str_display_and_serde() {
        for kind in SurfaceKind::iter() {
            assert_eq!(kind.to_string().parse::<SurfaceKind>(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse::<SurfaceKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).expect("a unit variant serialises");
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<SurfaceKind>(&json).ok(), Some(kind));
        }
        assert_eq!(" Monkey-Saddle ".parse(), Ok(SurfaceKind::MonkeySaddle));
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let message = "volcano".parse::<SurfaceKind>().expect_err("not a surface");
        assert!(message.contains("volcano"), "{message}");
        for kind in SurfaceKind::iter() {
            assert!(message.contains(kind.name()), "{message} lacks {kind}");
        }
    }

    #[test]
    fn on_the_ravine_momentum_reaches_the_floor_first_while_sgd_zigzags() {
        use crate::optim::OptimizerConfig;
        use crate::problem::{Problem, SurfaceProblem};
        use crate::train::{Lane, Race, RunState, TrainConfig};
        use std::sync::Arc;
        let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Ravine));
        let lanes: Vec<Lane> = SurfaceKind::Ravine
            .tuned_lanes()
            .into_iter()
            .map(|t| Lane {
                name: t.kind.name().into(),
                config: TrainConfig {
                    optimizer: OptimizerConfig {
                        kind: t.kind,
                        lr: t.lr,
                        momentum: t.momentum,
                        ..OptimizerConfig::default()
                    },
                    ..TrainConfig::default()
                },
            })
            .collect();
        let mut race = Race::new(&problem, &lanes).expect("race");
        // Per lane: the first step on the valley floor (loss below 0.001),
        // and how often the path crossed the floor's axis (y = 0) before it.
        let mut floor = [None::<u64>; 2];
        let mut crossings = [0u32; 2];
        let mut last_y = [1.0f32; 2];
        for step in 1..=200u64 {
            race.step();
            let snapshot = race.snapshot(RunState::Paused);
            for (k, lane) in snapshot.lanes.iter().enumerate() {
                if floor[k].is_some() {
                    continue;
                }
                let y = lane.params[1];
                if (y > 0.0) != (last_y[k] > 0.0) {
                    crossings[k] += 1;
                }
                last_y[k] = y;
                if lane.loss < 1e-3 {
                    floor[k] = Some(step);
                }
            }
        }
        let (sgd, momentum) = (
            floor[0].expect("sgd reaches the floor"),
            floor[1].expect("momentum too"),
        );
        assert!(
            3 * momentum <= sgd,
            "momentum at step {momentum}, sgd at {sgd}"
        );
        // Zigzag: plain descent crosses the floor at (nearly) every step.
        assert!(
            crossings[0] as u64 * 10 >= sgd * 9,
            "{} crossings in {sgd} steps",
            crossings[0]
        );
        // Momentum crosses it a handful of times: a quarter as often, or less.
        assert!(crossings[1] * 4 <= crossings[0], "{crossings:?}");
    }
}
