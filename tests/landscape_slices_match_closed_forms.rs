//! Landscapes against surfaces whose every value is known in closed form.

use std::sync::Arc;
use std::time::{Duration, Instant};

use valley::engine::landscape::{
    GridSpec, LandscapeRequest, LandscapeWorker, Plane, evaluate_grid, project,
};
use valley::engine::problem::{Problem, SurfaceProblem, Workspace};
use valley::engine::surface::SurfaceKind;

#[test]
fn the_bowl_grid_equals_its_formula_at_every_point() {
    // Centre (0.3, −0.2), skewed directions d1 = (1, 1), d2 = (0.5, −1):
    // loss(α, β) = f(0.3 + α + 0.5β, −0.2 + α − β) for the bowl f.
    let problem = SurfaceProblem::new(SurfaceKind::Bowl);
    let plane =
        Plane::new(vec![0.3, -0.2], vec![vec![1.0, 1.0], vec![0.5, -1.0]]).expect("valid plane");
    let spec = GridSpec::square(1.5, 31);
    let grid = evaluate_grid(&problem, &plane, &spec, &|| false).expect("not cancelled");
    assert_eq!(grid.values.len(), 31 * 31);
    let beta = spec.beta.expect("2D");
    for j in 0..31 {
        for i in 0..31 {
            let (a, b) = (f64::from(spec.alpha.value(i)), f64::from(beta.value(j)));
            let (x, y) = (0.3 + a + 0.5 * b, -0.2 + a - b);
            let expected = SurfaceKind::Bowl.value(x, y);
            let got = f64::from(grid.at(i, j));
            assert!(
                (got - expected).abs() <= 1e-5 * (1.0 + expected),
                "({a}, {b}): {got} vs {expected}"
            );
        }
    }
    // numpy's linspace: ends exact, evenly spaced.
    assert_eq!(spec.alpha.value(0), -1.5);
    assert_eq!(spec.alpha.value(30), 1.5);
    assert_eq!(spec.alpha.value(15), 0.0);
}

#[test]
fn a_line_through_the_saddle_is_a_parabola_either_way() {
    // Along x the saddle x² − y² opens upward, along y downward.
    let problem = SurfaceProblem::new(SurfaceKind::Saddle);
    let spec = GridSpec::line(2.0, 41);
    for (direction, sign) in [(vec![1.0, 0.0], 1.0), (vec![0.0, 1.0], -1.0)] {
        let plane = Plane::new(vec![0.0, 0.0], vec![direction]).expect("valid");
        let grid = evaluate_grid(&problem, &plane, &spec, &|| false).expect("not cancelled");
        for (i, &v) in grid.values.iter().enumerate() {
            let a = spec.alpha.value(i);
            assert!((v - sign * a * a).abs() < 1e-5, "{a}: {v}");
        }
    }
}

#[test]
fn projection_recovers_known_coefficients_and_the_distance_off_the_plane() {
    let center = vec![1.0f32, -2.0, 0.5, 3.0];
    let d1 = vec![1.0f32, 2.0, 0.0, -1.0];
    let d2 = vec![0.5f32, -1.0, 2.0, 1.0];
    let plane = Plane::new(center.clone(), vec![d1.clone(), d2.clone()]).expect("valid");
    // A point off the plane by a vector orthogonal to both directions.
    let normal = {
        // Gram–Schmidt on e3 against d1, d2 gives a vector orthogonal to both.
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let u1: Vec<f64> = d1.iter().map(|&v| f64::from(v)).collect();
        let mut u2: Vec<f64> = d2.iter().map(|&v| f64::from(v)).collect();
        let c = dot(&u2, &u1) / dot(&u1, &u1);
        u2.iter_mut().zip(&u1).for_each(|(a, b)| *a -= c * b);
        let mut n = vec![0.0, 0.0, 1.0, 0.0];
        for u in [&u1, &u2] {
            let c = dot(&n, u) / dot(u, u);
            n.iter_mut().zip(u.iter()).for_each(|(a, b)| *a -= c * b);
        }
        let len = dot(&n, &n).sqrt();
        n.iter().map(|v| v / len).collect::<Vec<f64>>()
    };
    let (alpha, beta, off) = (0.7, -1.3, 0.25);
    let point: Vec<f32> = (0..4)
        .map(|k| {
            (f64::from(center[k])
                + alpha * f64::from(d1[k])
                + beta * f64::from(d2[k])
                + off * normal[k]) as f32
        })
        .collect();
    let projection = project(&plane, &point);
    assert!(
        (f64::from(projection.coords[0]) - alpha).abs() < 1e-5,
        "{:?}",
        projection.coords
    );
    assert!(
        (f64::from(projection.coords[1]) - beta).abs() < 1e-5,
        "{:?}",
        projection.coords
    );
    assert!(
        (f64::from(projection.distance) - off).abs() < 1e-5,
        "{}",
        projection.distance
    );
    // On the plane: distance zero.
    let on_plane: Vec<f32> = (0..4).map(|k| center[k] + 2.0 * d1[k] - d2[k]).collect();
    let p = project(&plane, &on_plane);
    assert!(
        (p.coords[0] - 2.0).abs() < 1e-5 && (p.coords[1] + 1.0).abs() < 1e-5 && p.distance < 1e-5
    );
}

#[test]
fn a_newer_request_supersedes_an_older_one_and_results_carry_generations() {
    let worker = LandscapeWorker::spawn(Box::new(|| {})).expect("thread starts");
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Rastrigin));
    let plane =
        Arc::new(Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("valid"));
    // A big first request, immediately superseded by a small one.
    let first = worker.request(LandscapeRequest {
        problem: Arc::clone(&problem),
        plane: Arc::clone(&plane),
        spec: GridSpec::square(5.0, 1501),
    });
    let second = worker.request(LandscapeRequest {
        problem,
        plane,
        spec: GridSpec::square(5.0, 61),
    });
    assert!(second > first);
    let deadline = Instant::now() + Duration::from_secs(20);
    let result = loop {
        if let Some(r) = worker.latest()
            && r.generation == second
            && r.is_final
        {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the newest request never finished"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(result.grid.spec.alpha.points, 61);
    assert_eq!(worker.newest_generation(), second);
    // Rastrigin is 0 at the origin, which is the grid's centre point.
    assert!(result.grid.at(30, 30).abs() < 1e-4);
}

#[test]
fn a_cancelled_grid_returns_nothing() {
    let problem = SurfaceProblem::new(SurfaceKind::Bowl);
    let plane = Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0]]).expect("valid");
    assert!(evaluate_grid(&problem, &plane, &GridSpec::line(1.0, 100), &|| true).is_none());
    let loss = problem.loss(&[1.0, 2.0], &mut Workspace::default());
    assert_eq!(loss, SurfaceKind::Bowl.value(1.0, 2.0) as f32);
}
