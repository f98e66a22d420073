//! Analytic 2D surfaces for teaching: every height, slope and curvature is
//! known exactly, so a student can see an idea (a ravine, a saddle, a false
//! minimum) in isolation, and every landscape can be checked against them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The formula surfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SurfaceKind {
    /// x² + y²: the easiest valley. Not halved, so the gradient is 2(x, y)
    /// and plain gradient descent converges exactly when η < 1.
    Bowl,
    /// ½(x² + 20y²): steep walls, a gentle floor. Curvatures 1 and 20, so
    /// plain gradient descent needs η < 0.1 and then crawls along x.
    Ravine,
    /// x² − y²: a minimum one way, a maximum the other.
    Saddle,
    /// x³ − 3xy²: a flat point with three ways down.
    MonkeySaddle,
    /// (1 − x)² + 100(y − x²)²: a curved, nearly flat canyon.
    Rosenbrock,
    /// (x² + y − 11)² + (x + y² − 7)²: four equal minima.
    Himmelblau,
    /// 20 + Σ (v² − 10 cos 2πv): an egg crate of local minima.
    Rastrigin,
    /// Beale's function: flat plateaus and sharp ridges.
    Beale,
    /// (x² − 1)² + 0.3x + y²/2: a shallow local and a deeper global minimum,
    /// at x = [`DOUBLE_WELL_ROOTS`] (global, then saddle, then local) on y = 0.
    DoubleWell,
}

/// What kind of point has zero gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CriticalKind {
    /// The lowest point of the surface.
    GlobalMin,
    /// A minimum that is not the lowest.
    LocalMin,
    /// Down in some directions, up in others (or flat).
    Saddle,
    /// A peak.
    Max,
}

/// A point where the gradient vanishes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalPoint {
    /// x coordinate.
    pub x: f64,
    /// y coordinate.
    pub y: f64,
    /// The height f(x, y) there.
    pub value: f64,
    /// Its kind.
    pub kind: CriticalKind,
}

/// The double well's critical points, all on y = 0: the roots of
/// ∂f/∂x = 4x³ − 4x + 0.3, to 15 digits (the tests recompute them by
/// Newton's method and check them to 1e-12).
pub const DOUBLE_WELL_ROOTS: [f64; 3] = [
    -1.035_578_714_088_854, // global minimum, f = −0.305 428 483 743 916
    0.075_429_158_569_748,  // saddle, f = 1.011 282 002 715 653
    0.960_149_555_519_106,  // local minimum, f = 0.294 146 481 028 263
];

/// The critical point of `kind` nearest `guess`, by Newton's method on the
/// closed-form gradient and Hessian: literature values are known to a few
/// digits, and this makes them exact to rounding.
fn refined(kind: SurfaceKind, guess: [f64; 2], critical: CriticalKind) -> CriticalPoint {
    let [mut x, mut y] = guess;
    for _ in 0..50 {
        let [gx, gy] = kind.gradient(x, y);
        let [[a, b], [_, d]] = kind.hessian(x, y);
        let det = a * d - b * b;
        // A zero gradient is done; a singular Hessian (the monkey saddle's) cannot be solved.
        if (gx == 0.0 && gy == 0.0) || det == 0.0 {
            break;
        }
        x -= (d * gx - b * gy) / det;
        y -= (a * gy - b * gx) / det;
    }
    CriticalPoint {
        x,
        y,
        value: kind.value(x, y),
        kind: critical,
    }
}

impl SurfaceKind {
    /// Every surface, in menu order.
    pub const ALL: [SurfaceKind; 9] = [
        SurfaceKind::Bowl,
        SurfaceKind::Ravine,
        SurfaceKind::Saddle,
        SurfaceKind::MonkeySaddle,
        SurfaceKind::Rosenbrock,
        SurfaceKind::Himmelblau,
        SurfaceKind::Rastrigin,
        SurfaceKind::Beale,
        SurfaceKind::DoubleWell,
    ];

    /// Lower-case name for the command line and files.
    pub fn name(self) -> &'static str {
        match self {
            SurfaceKind::Bowl => "bowl",
            SurfaceKind::Ravine => "ravine",
            SurfaceKind::Saddle => "saddle",
            SurfaceKind::MonkeySaddle => "monkey-saddle",
            SurfaceKind::Rosenbrock => "rosenbrock",
            SurfaceKind::Himmelblau => "himmelblau",
            SurfaceKind::Rastrigin => "rastrigin",
            SurfaceKind::Beale => "beale",
            SurfaceKind::DoubleWell => "double-well",
        }
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
            SurfaceKind::Beale => {
                (1.5 - x + x * y).powi(2)
                    + (2.25 - x + x * y * y).powi(2)
                    + (2.625 - x + x * y.powi(3)).powi(2)
            }
            SurfaceKind::DoubleWell => (x * x - 1.0).powi(2) + 0.3 * x + 0.5 * y * y,
        }
    }

    /// ∇f(x, y), in closed form.
    pub fn gradient(self, x: f64, y: f64) -> [f64; 2] {
        use std::f64::consts::TAU;
        match self {
            SurfaceKind::Bowl => [2.0 * x, 2.0 * y],
            SurfaceKind::Ravine => [x, 20.0 * y],
            SurfaceKind::Saddle => [2.0 * x, -2.0 * y],
            SurfaceKind::MonkeySaddle => [3.0 * x * x - 3.0 * y * y, -6.0 * x * y],
            SurfaceKind::Rosenbrock => [
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ],
            SurfaceKind::Himmelblau => {
                let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
                [4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b]
            }
            SurfaceKind::Rastrigin => [
                2.0 * x + 10.0 * TAU * (TAU * x).sin(),
                2.0 * y + 10.0 * TAU * (TAU * y).sin(),
            ],
            SurfaceKind::Beale => {
                let (t1, t2, t3) = beale_terms(x, y);
                [
                    2.0 * t1 * (y - 1.0) + 2.0 * t2 * (y * y - 1.0) + 2.0 * t3 * (y.powi(3) - 1.0),
                    2.0 * t1 * x + 2.0 * t2 * 2.0 * x * y + 2.0 * t3 * 3.0 * x * y * y,
                ]
            }
            SurfaceKind::DoubleWell => [4.0 * x * (x * x - 1.0) + 0.3, y],
        }
    }

    /// The Hessian ∇²f(x, y), in closed form.
    pub fn hessian(self, x: f64, y: f64) -> [[f64; 2]; 2] {
        use std::f64::consts::TAU;
        match self {
            SurfaceKind::Bowl => [[2.0, 0.0], [0.0, 2.0]],
            SurfaceKind::Ravine => [[1.0, 0.0], [0.0, 20.0]],
            SurfaceKind::Saddle => [[2.0, 0.0], [0.0, -2.0]],
            SurfaceKind::MonkeySaddle => [[6.0 * x, -6.0 * y], [-6.0 * y, -6.0 * x]],
            SurfaceKind::Rosenbrock => [
                [2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x],
                [-400.0 * x, 200.0],
            ],
            SurfaceKind::Himmelblau => {
                let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
                let xy = 4.0 * x + 4.0 * y;
                [
                    [4.0 * a + 8.0 * x * x + 2.0, xy],
                    [xy, 2.0 + 4.0 * b + 8.0 * y * y],
                ]
            }
            SurfaceKind::Rastrigin => [
                [2.0 + 10.0 * TAU * TAU * (TAU * x).cos(), 0.0],
                [0.0, 2.0 + 10.0 * TAU * TAU * (TAU * y).cos()],
            ],
            SurfaceKind::Beale => {
                let (t1, t2, t3) = beale_terms(x, y);
                let (dx1, dx2, dx3) = (y - 1.0, y * y - 1.0, y.powi(3) - 1.0);
                let (dy1, dy2, dy3) = (x, 2.0 * x * y, 3.0 * x * y * y);
                let hxx = 2.0 * (dx1 * dx1 + dx2 * dx2 + dx3 * dx3);
                let hyy = 2.0 * (dy1 * dy1 + dy2 * dy2 + dy3 * dy3)
                    + 2.0 * (t2 * 2.0 * x + t3 * 6.0 * x * y);
                let hxy = 2.0 * (dx1 * dy1 + dx2 * dy2 + dx3 * dy3)
                    + 2.0 * (t1 + t2 * 2.0 * y + t3 * 3.0 * y * y);
                [[hxx, hxy], [hxy, hyy]]
            }
            SurfaceKind::DoubleWell => [[12.0 * x * x - 4.0, 0.0], [0.0, 1.0]],
        }
    }

    /// The formula, readable on a slide.
    pub fn formula(self) -> &'static str {
        match self {
            SurfaceKind::Bowl => "x² + y²",
            SurfaceKind::Ravine => "½(x² + 20y²)",
            SurfaceKind::Saddle => "x² − y²",
            SurfaceKind::MonkeySaddle => "x³ − 3xy²",
            SurfaceKind::Rosenbrock => "(1 − x)² + 100(y − x²)²",
            SurfaceKind::Himmelblau => "(x² + y − 11)² + (x + y² − 7)²",
            SurfaceKind::Rastrigin => "20 + x² − 10cos 2πx + y² − 10cos 2πy",
            SurfaceKind::Beale => "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            SurfaceKind::DoubleWell => "(x² − 1)² + 0.3x + y²/2",
        }
    }

    /// What a student should look for.
    pub fn description(self) -> &'static str {
        match self {
            SurfaceKind::Bowl => {
                "A perfectly round valley: every learning rate below 1 reaches the bottom; above 1 the ball flies out."
            }
            SurfaceKind::Ravine => {
                "Steep across, gentle along: plain gradient descent zigzags between the walls; momentum and Adam run down the floor."
            }
            SurfaceKind::Saddle => {
                "The gradient vanishes in the middle, yet it is no minimum: a nudge along y and the ball rolls away."
            }
            SurfaceKind::MonkeySaddle => {
                "A flat point with three valleys around it: the curvature is zero, so only the third derivative says where to go."
            }
            SurfaceKind::Rosenbrock => {
                "A banana-shaped canyon: finding it is easy, following its nearly flat floor to (1, 1) is slow."
            }
            SurfaceKind::Himmelblau => {
                "Four minima of equal depth: where the ball ends depends only on where it starts."
            }
            SurfaceKind::Rastrigin => {
                "Dozens of local minima on a bowl: a small learning rate gets stuck in the nearest dent."
            }
            SurfaceKind::Beale => {
                "Flat plateaus and sharp ridges: gradients vanish far from the minimum at (3, 0.5)."
            }
            SurfaceKind::DoubleWell => {
                "Two valleys, one deeper: start on the right and gradient descent settles in the shallower, local minimum."
            }
        }
    }

    /// Known critical points inside [`view`](Self::view): minima, saddles
    /// and maxima, each with its height.
    pub fn critical_points(self) -> Vec<CriticalPoint> {
        use CriticalKind::*;
        let guesses: &[([f64; 2], CriticalKind)] = match self {
            SurfaceKind::Bowl | SurfaceKind::Ravine => &[([0.0, 0.0], GlobalMin)],
            // The monkey saddle's is degenerate: its Hessian is zero there.
            SurfaceKind::Saddle | SurfaceKind::MonkeySaddle => &[([0.0, 0.0], Saddle)],
            SurfaceKind::Rosenbrock => &[([1.0, 1.0], GlobalMin)],
            SurfaceKind::Himmelblau => &[
                ([3.0, 2.0], GlobalMin),
                ([-2.805_118, 3.131_313], GlobalMin),
                ([-3.779_310, -3.283_186], GlobalMin),
                ([3.584_428, -1.848_127], GlobalMin),
                ([-0.270_845, -0.923_039], Max),
                ([0.086_678, 2.884_255], Saddle),
                ([-3.073_026, -0.081_353], Saddle),
                ([3.385_154, 0.073_852], Saddle),
                ([-0.127_961, -1.953_715], Saddle),
            ],
            // Near every integer point a minimum, half-way between two of them a
            // saddle, amid four a maximum: a few of each near the centre.
            SurfaceKind::Rastrigin => &[
                ([0.0, 0.0], GlobalMin),
                ([1.0, 0.0], LocalMin),
                ([0.0, -1.0], LocalMin),
                ([1.0, 1.0], LocalMin),
                ([-2.0, 1.0], LocalMin),
                ([2.0, 2.0], LocalMin),
                ([0.5, 0.0], Saddle),
                ([0.0, -0.5], Saddle),
                ([1.5, 1.0], Saddle),
                ([0.5, 0.5], Max),
                ([-1.5, 1.5], Max),
            ],
            SurfaceKind::Beale => &[([3.0, 0.5], GlobalMin), ([0.0, 1.0], Saddle)],
            SurfaceKind::DoubleWell => &[
                ([DOUBLE_WELL_ROOTS[0], 0.0], GlobalMin),
                ([DOUBLE_WELL_ROOTS[1], 0.0], Saddle),
                ([DOUBLE_WELL_ROOTS[2], 0.0], LocalMin),
            ],
        };
        guesses
            .iter()
            .map(|&(guess, critical)| refined(self, guess, critical))
            .collect()
    }

    /// A start that shows the idea with plain gradient descent.
    pub fn start(self) -> [f64; 2] {
        match self {
            SurfaceKind::Bowl => [1.5, 1.0],
            SurfaceKind::Ravine => [-1.8, 0.9],
            SurfaceKind::Saddle => [-1.5, 0.02],
            SurfaceKind::MonkeySaddle => [0.9, 0.3],
            SurfaceKind::Rosenbrock => [-1.2, 1.0],
            SurfaceKind::Himmelblau => [-0.5, 0.5],
            SurfaceKind::Rastrigin => [2.3, 1.7],
            SurfaceKind::Beale => [1.0, 1.5],
            SurfaceKind::DoubleWell => [1.6, 1.2],
        }
    }

    /// Centre and half-width of a square window on the interesting part.
    pub fn view(self) -> ([f64; 2], f64) {
        match self {
            SurfaceKind::Bowl | SurfaceKind::Ravine | SurfaceKind::Saddle => ([0.0, 0.0], 2.0),
            SurfaceKind::MonkeySaddle => ([0.0, 0.0], 1.2),
            SurfaceKind::Rosenbrock => ([0.0, 0.8], 1.8),
            SurfaceKind::Himmelblau => ([0.0, 0.0], 5.0),
            SurfaceKind::Rastrigin => ([0.0, 0.0], 3.0),
            SurfaceKind::Beale => ([1.5, 0.5], 2.5),
            SurfaceKind::DoubleWell => ([0.0, 0.0], 2.0),
        }
    }
}

fn beale_terms(x: f64, y: f64) -> (f64, f64, f64) {
    (
        1.5 - x + x * y,
        2.25 - x + x * y * y,
        2.625 - x + x * y.powi(3),
    )
}

impl fmt::Display for SurfaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SurfaceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        SurfaceKind::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = SurfaceKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown surface '{s}': use one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
#[path = "surface_tests.rs"]
mod tests;
