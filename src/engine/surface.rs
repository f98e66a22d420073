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
    /// x² + y²: the easiest valley.
    Bowl,
    /// ½(x² + 20y²): steep walls, a gentle floor.
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
    /// (x² − 1)² + 0.3x + y²/2: a shallow local and a deeper global minimum.
    DoubleWell,
}

/// What kind of point has zero gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CriticalPoint {
    /// x coordinate.
    pub x: f64,
    /// y coordinate.
    pub y: f64,
    /// Its kind.
    pub kind: CriticalKind,
}

const fn point(x: f64, y: f64, kind: CriticalKind) -> CriticalPoint {
    CriticalPoint { x, y, kind }
}

/// Roots of the double well's 4x³ − 4x + 0.3 = 0, by Newton from fixed starts.
fn double_well_roots() -> [f64; 3] {
    let newton = |mut x: f64| {
        for _ in 0..60 {
            x -= (4.0 * x * x * x - 4.0 * x + 0.3) / (12.0 * x * x - 4.0);
        }
        x
    };
    [newton(-1.1), newton(0.1), newton(1.1)]
}

/// A Rastrigin local minimum near an integer point (found by Newton on each axis).
fn rastrigin_min(n: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    let mut v = n;
    for _ in 0..60 {
        let g = 2.0 * v + 10.0 * tau * (tau * v).sin();
        let h = 2.0 + 10.0 * tau * tau * (tau * v).cos();
        v -= g / h;
    }
    v
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

    /// Known critical points in and near the view.
    pub fn critical_points(self) -> Vec<CriticalPoint> {
        use CriticalKind::*;
        match self {
            SurfaceKind::Bowl | SurfaceKind::Ravine => vec![point(0.0, 0.0, GlobalMin)],
            SurfaceKind::Saddle | SurfaceKind::MonkeySaddle => vec![point(0.0, 0.0, Saddle)],
            SurfaceKind::Rosenbrock => vec![point(1.0, 1.0, GlobalMin)],
            SurfaceKind::Himmelblau => vec![
                point(3.0, 2.0, GlobalMin),
                point(-2.805_118_086_952_745, 3.131_312_518_250_573, GlobalMin),
                point(-3.779_310_253_377_747, -3.283_185_991_286_17, GlobalMin),
                point(3.584_428_340_330_492, -1.848_126_526_964_404, GlobalMin),
                point(-0.270_844_590_667_308, -0.923_038_556_480_247, Max),
            ],
            SurfaceKind::Rastrigin => {
                let mut points = vec![point(0.0, 0.0, GlobalMin)];
                let (m1, m2) = (rastrigin_min(1.0), rastrigin_min(2.0));
                for (x, y) in [(m1, 0.0), (0.0, m1), (m1, m1), (m2, m1), (m1, m2), (m2, m2)] {
                    points.push(point(x, y, LocalMin));
                }
                points
            }
            SurfaceKind::Beale => vec![point(3.0, 0.5, GlobalMin)],
            SurfaceKind::DoubleWell => {
                let [left, middle, right] = double_well_roots();
                vec![
                    point(left, 0.0, GlobalMin),
                    point(middle, 0.0, Saddle),
                    point(right, 0.0, LocalMin),
                ]
            }
        }
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
mod tests {
    use super::*;

    fn sample_points(kind: SurfaceKind) -> Vec<[f64; 2]> {
        let ([cx, cy], half) = kind.view();
        let mut points = Vec::new();
        for i in 0..7 {
            for j in 0..7 {
                let u = -0.9 + 1.8 * f64::from(i) / 6.0 + 0.013;
                let v = -0.9 + 1.8 * f64::from(j) / 6.0 - 0.017;
                points.push([cx + half * u, cy + half * v]);
            }
        }
        points
    }

    #[test]
    fn gradients_and_hessians_match_finite_differences() {
        for kind in SurfaceKind::ALL {
            for [x, y] in sample_points(kind) {
                let h = 1e-6;
                let g = kind.gradient(x, y);
                let scale = |v: f64| 1e-5 * (1.0 + v.abs());
                let gx = (kind.value(x + h, y) - kind.value(x - h, y)) / (2.0 * h);
                let gy = (kind.value(x, y + h) - kind.value(x, y - h)) / (2.0 * h);
                assert!(
                    (g[0] - gx).abs() < scale(gx) * 10.0,
                    "{kind} ∂x at ({x}, {y}): {} vs {gx}",
                    g[0]
                );
                assert!(
                    (g[1] - gy).abs() < scale(gy) * 10.0,
                    "{kind} ∂y at ({x}, {y}): {} vs {gy}",
                    g[1]
                );
                let hess = kind.hessian(x, y);
                let dgx = kind.gradient(x + h, y);
                let mgx = kind.gradient(x - h, y);
                let dgy = kind.gradient(x, y + h);
                let mgy = kind.gradient(x, y - h);
                for r in 0..2 {
                    let numeric_x = (dgx[r] - mgx[r]) / (2.0 * h);
                    let numeric_y = (dgy[r] - mgy[r]) / (2.0 * h);
                    assert!(
                        (hess[r][0] - numeric_x).abs() < scale(numeric_x) * 10.0,
                        "{kind} H[{r}][0] at ({x}, {y})"
                    );
                    assert!(
                        (hess[r][1] - numeric_y).abs() < scale(numeric_y) * 10.0,
                        "{kind} H[{r}][1] at ({x}, {y})"
                    );
                }
            }
        }
    }

    #[test]
    fn critical_points_have_zero_gradient_and_the_right_curvature() {
        for kind in SurfaceKind::ALL {
            let points = kind.critical_points();
            assert!(!points.is_empty(), "{kind}");
            let global = points
                .iter()
                .filter(|p| p.kind == CriticalKind::GlobalMin)
                .map(|p| kind.value(p.x, p.y))
                .fold(f64::INFINITY, f64::min);
            for p in &points {
                let [gx, gy] = kind.gradient(p.x, p.y);
                assert!(gx.hypot(gy) < 1e-8, "{kind} {p:?}: gradient ({gx}, {gy})");
                let [[a, b], [_, d]] = kind.hessian(p.x, p.y);
                let (trace, det) = (a + d, a * d - b * b);
                match p.kind {
                    CriticalKind::GlobalMin | CriticalKind::LocalMin => {
                        assert!(det > 0.0 && trace > 0.0, "{kind} {p:?} is not a minimum")
                    }
                    CriticalKind::Max => {
                        assert!(det > 0.0 && trace < 0.0, "{kind} {p:?} is not a maximum")
                    }
                    // The monkey saddle's Hessian is zero at the origin (degenerate).
                    CriticalKind::Saddle if kind == SurfaceKind::MonkeySaddle => {
                        assert_eq!(det, 0.0)
                    }
                    CriticalKind::Saddle => assert!(det < 0.0, "{kind} {p:?} is not a saddle"),
                }
                if p.kind == CriticalKind::LocalMin {
                    assert!(
                        kind.value(p.x, p.y) > global + 1e-9,
                        "{kind}: a local minimum as low as the global"
                    );
                }
                let ([cx, cy], half) = kind.view();
                assert!(
                    (p.x - cx).abs() <= half && (p.y - cy).abs() <= half,
                    "{kind} {p:?} outside the view"
                );
            }
            let [sx, sy] = kind.start();
            let ([cx, cy], half) = kind.view();
            assert!(
                (sx - cx).abs() < half && (sy - cy).abs() < half,
                "{kind} starts outside the view"
            );
        }
    }

    #[test]
    fn known_minima_values() {
        assert_eq!(SurfaceKind::Rosenbrock.value(1.0, 1.0), 0.0);
        assert_eq!(SurfaceKind::Himmelblau.value(3.0, 2.0), 0.0);
        assert_eq!(SurfaceKind::Beale.value(3.0, 0.5), 0.0);
        assert_eq!(SurfaceKind::Rastrigin.value(0.0, 0.0), 0.0);
        let [left, _, right] = double_well_roots();
        assert!(left < -0.9 && right > 0.9);
        assert!(
            SurfaceKind::DoubleWell.value(left, 0.0)
                < SurfaceKind::DoubleWell.value(right, 0.0) - 0.5
        );
    }

    #[test]
    fn names_round_trip() {
        for kind in SurfaceKind::ALL {
            assert_eq!(kind.to_string().parse(), Ok(kind));
        }
        assert_eq!("Monkey_Saddle".parse(), Ok(SurfaceKind::MonkeySaddle));
        assert!(
            "volcano"
                .parse::<SurfaceKind>()
                .unwrap_err()
                .contains("rosenbrock")
        );
    }
}
