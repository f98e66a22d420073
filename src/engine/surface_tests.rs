//! Tests for the analytic surfaces: closed forms against finite
//! differences, and every listed critical point checked.

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
            .map(|p| p.value)
            .fold(f64::INFINITY, f64::min);
        for (i, p) in points.iter().enumerate() {
            assert_eq!(p.value, kind.value(p.x, p.y), "{kind} {p:?}");
            let [gx, gy] = kind.gradient(p.x, p.y);
            assert!(gx.hypot(gy) < 1e-9, "{kind} {p:?}: gradient ({gx}, {gy})");
            // Signature of the Hessian: the signs of its eigenvalues.
            let [[a, b], [_, d]] = kind.hessian(p.x, p.y);
            let (trace, det) = (a + d, a * d - b * b);
            match p.kind {
                CriticalKind::GlobalMin | CriticalKind::LocalMin => {
                    assert!(det > 0.0 && trace > 0.0, "{kind} {p:?} is not a minimum")
                }
                CriticalKind::Max => {
                    assert!(det > 0.0 && trace < 0.0, "{kind} {p:?} is not a maximum")
                }
                // The monkey saddle's Hessian is zero at the origin (degenerate):
                // the cubic term decides, rising along +x and falling along −x.
                CriticalKind::Saddle if kind == SurfaceKind::MonkeySaddle => {
                    assert_eq!([a, b, d], [0.0; 3]);
                    assert!(kind.value(-0.1, 0.0) < 0.0 && kind.value(0.1, 0.0) > 0.0);
                }
                CriticalKind::Saddle => assert!(det < 0.0, "{kind} {p:?} is not a saddle"),
            }
            match p.kind {
                CriticalKind::GlobalMin => assert!((p.value - global).abs() < 1e-9),
                // Surfaces unbounded below (the saddles) list no global minimum.
                _ if global.is_finite() => {
                    assert!(p.value > global + 1e-9, "{kind} {p:?} as low as the global")
                }
                _ => {}
            }
            // Each listed once: Newton did not slide two guesses onto one point.
            for q in &points[..i] {
                assert!((p.x - q.x).hypot(p.y - q.y) > 1e-3, "{kind}: {p:?} twice");
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
fn no_point_in_the_view_is_below_the_global_minimum() {
    for kind in SurfaceKind::ALL {
        let Some(global) = kind
            .critical_points()
            .iter()
            .find(|p| p.kind == CriticalKind::GlobalMin)
            .map(|p| p.value)
        else {
            continue; // the saddles are unbounded below
        };
        let ([cx, cy], half) = kind.view();
        let n = 200;
        for i in 0..=n {
            for j in 0..=n {
                let x = cx - half + 2.0 * half * f64::from(i) / f64::from(n);
                let y = cy - half + 2.0 * half * f64::from(j) / f64::from(n);
                assert!(
                    kind.value(x, y) >= global - 1e-12,
                    "{kind}: f({x}, {y}) = {} below {global}",
                    kind.value(x, y)
                );
            }
        }
    }
}

#[test]
fn known_minima_values() {
    let values = |kind: SurfaceKind, wanted: CriticalKind| -> Vec<f64> {
        kind.critical_points()
            .iter()
            .filter(|p| p.kind == wanted)
            .map(|p| p.value)
            .collect()
    };
    assert_eq!(SurfaceKind::Bowl.value(0.0, 0.0), 0.0);
    assert_eq!(SurfaceKind::Rosenbrock.value(1.0, 1.0), 0.0);
    assert_eq!(SurfaceKind::Beale.value(3.0, 0.5), 0.0);
    assert_eq!(SurfaceKind::Rastrigin.value(0.0, 0.0), 0.0);
    // Himmelblau's four equal minima are all zero; its peak is 181.617.
    let minima = values(SurfaceKind::Himmelblau, CriticalKind::GlobalMin);
    assert_eq!(minima.len(), 4);
    assert!(minima.iter().all(|v| v.abs() < 1e-20), "{minima:?}");
    let peak = values(SurfaceKind::Himmelblau, CriticalKind::Max);
    assert!((peak[0] - 181.616_522_060_5).abs() < 1e-6, "{peak:?}");
    // Rastrigin's minimum near (1, 0) sits at x = 0.994959, f = 0.994959.
    let rastrigin = SurfaceKind::Rastrigin.critical_points();
    assert!(
        (rastrigin[1].x - 0.994_959).abs() < 1e-6,
        "{:?}",
        rastrigin[1]
    );
    assert!((rastrigin[1].value - 0.994_959).abs() < 1e-6);
    // Beale's saddle at (0, 1): f = 1.5² + 2.25² + 2.625² = 14.203125.
    assert_eq!(
        values(SurfaceKind::Beale, CriticalKind::Saddle),
        [14.203_125]
    );
}

#[test]
fn double_well_roots_are_as_documented() {
    // Newton on f′(x) = 4x³ − 4x + 0.3 from either side and the middle.
    let newton = |mut x: f64| {
        for _ in 0..100 {
            x -= (4.0 * x * x * x - 4.0 * x + 0.3) / (12.0 * x * x - 4.0);
        }
        x
    };
    for (start, documented) in [-1.5, 0.0, 1.5].into_iter().zip(DOUBLE_WELL_ROOTS) {
        let root = newton(start);
        assert!((root - documented).abs() < 1e-12, "{root} vs {documented}");
    }
    let well = SurfaceKind::DoubleWell;
    let [global, saddle, local] = DOUBLE_WELL_ROOTS.map(|x| well.value(x, 0.0));
    assert!((global - -0.305_428_483_743_916).abs() < 1e-12);
    assert!((saddle - 1.011_282_002_715_653).abs() < 1e-12);
    assert!((local - 0.294_146_481_028_263).abs() < 1e-12);
    // Gradient descent from the default start must meet the local minimum first.
    assert!(well.start()[0] > DOUBLE_WELL_ROOTS[1]);
}

#[test]
fn names_round_trip_and_texts_exist() {
    for kind in SurfaceKind::ALL {
        assert_eq!(kind.to_string().parse(), Ok(kind));
        assert_eq!(kind.to_string().to_uppercase().parse(), Ok(kind));
        let json = serde_json::to_string(&kind).expect("serialisable");
        assert_eq!(json, format!("\"{kind}\""));
        assert!(!kind.formula().is_empty());
        assert!(kind.description().ends_with('.'), "{kind}");
    }
    assert_eq!("Monkey_Saddle".parse(), Ok(SurfaceKind::MonkeySaddle));
    assert_eq!("double-well".parse(), Ok(SurfaceKind::DoubleWell));
    assert!(
        "volcano"
            .parse::<SurfaceKind>()
            .unwrap_err()
            .contains("rosenbrock")
    );
}
