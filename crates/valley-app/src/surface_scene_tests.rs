use super::*;
use std::sync::Arc;
use valley_engine::landscape::{Grid, GridSpec, LandscapeResult, Plane};

/// Screen points per world unit in these tests.
const PER_UNIT: f32 = 200.0;

fn result_from(values: Vec<f32>, points: usize) -> LandscapeResult {
    LandscapeResult {
        generation: 1,
        plane: Arc::new(
            Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("plane"),
        ),
        grid: Arc::new(Grid {
            spec: GridSpec::square(1.0, points),
            values,
        }),
        is_final: true,
        sample: None,
        elapsed: std::time::Duration::ZERO,
    }
}

fn cache_for(values: Vec<f32>, points: usize) -> SurfaceCache {
    let mut cache = SurfaceCache::default();
    cache.refresh(&result_from(values, points), false);
    cache
}

fn screen(camera: &Camera) -> impl Fn([f32; 3]) -> Pos2 + '_ {
    move |p| {
        let [x, up, _] = camera.project(p);
        Pos2::new(x * PER_UNIT, -up * PER_UNIT)
    }
}

/// The last item painted over `point`: what a viewer sees there.
fn topmost_at(cache: &SurfaceCache, camera: &Camera, riders: &Riders, point: Pos2) -> Option<Item> {
    let to_screen = screen(camera);
    let mut seen = None;
    for item in cache.draw_order(camera, riders) {
        let covers = match item {
            Item::Cell(i, j) => {
                let q = cache.cell_corners(i as usize, j as usize).map(&to_screen);
                triangle_covers([q[0], q[1], q[2]], point)
                    || triangle_covers([q[0], q[2], q[3]], point)
            }
            Item::Trail(k) => {
                let [a, b] = riders.trail[k as usize];
                let (a, b) = (to_screen(a), to_screen(b));
                let t = ((point - a).dot(b - a) / (b - a).length_sq()).clamp(0.0, 1.0);
                (a + t * (b - a)).distance(point) <= TRAIL_WIDTH / 2.0
            }
            Item::Ball => riders
                .ball
                .is_some_and(|c| to_screen(c).distance(point) <= BALL_RADIUS),
        };
        if covers {
            seen = Some(item);
        }
    }
    seen
}

/// A flat floor with one tall ridge across it along y = 0, 41 × 41 nodes.
fn ridge() -> SurfaceCache {
    let n = 41;
    let values = (0..n * n)
        .map(|k| {
            let y = 2.0 * (k / n) as f32 / (n - 1) as f32 - 1.0;
            if y.abs() < 0.12 { 10.0 } else { 0.0 }
        })
        .collect();
    cache_for(values, n)
}

/// Looking along +y from low down: the eye is on the y < 0 side.
fn low_camera() -> Camera {
    Camera {
        yaw: 0.0,
        elevation: 0.5,
        zoom: 1.0,
    }
}

#[test]
fn the_camera_projects_as_a_textbook_view_would() {
    let above = Camera {
        yaw: 0.0,
        elevation: std::f32::consts::FRAC_PI_2,
        zoom: 1.0,
    };
    let close = |a: [f32; 3], b: [f32; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
    // From straight above, x goes right, y goes up the screen, height comes towards the eye.
    assert!(close(above.project([1.0, 0.0, 0.0]), [1.0, 0.0, 0.0]));
    assert!(close(above.project([0.0, 1.0, 0.0]), [0.0, 1.0, 0.0]));
    assert!(close(above.project([0.0, 0.0, 1.0]), [0.0, 0.0, 1.0]));
    // From the side (elevation 0), height goes up the screen and +y recedes.
    let side = Camera {
        elevation: 0.0,
        ..above
    };
    assert!(close(side.project([0.0, 0.0, 1.0]), [0.0, 1.0, 0.0]));
    assert!(close(side.project([0.0, 1.0, 0.0]), [0.0, 0.0, -1.0]));
    // A quarter turn of yaw swaps the floor axes.
    let turned = Camera {
        yaw: std::f32::consts::FRAC_PI_2,
        ..above
    };
    assert!(close(turned.project([0.0, 1.0, 0.0]), [-1.0, 0.0, 0.0]));
}

#[test]
fn heights_follow_the_colour_scale_and_holes_stay_holes() {
    let mut values = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    values[8] = f32::NAN;
    let cache = cache_for(values, 3);
    assert_eq!((cache.cols, cache.rows), (3, 3));
    assert!(
        cache.heights[0].abs() < 1e-6,
        "the lowest loss sits on the floor"
    );
    assert!(
        (cache.heights[7] - HEIGHT).abs() < 1e-6,
        "the highest finite loss at the top"
    );
    assert!(cache.heights[8].is_nan());
    assert!(cache.has_non_finite);
    // The cell touching the hole is left out: 3 of 4 cells.
    let riders = Riders {
        trail: Vec::new(),
        ball: None,
        points_per_unit: PER_UNIT,
    };
    let order = cache.draw_order(&Camera::default(), &riders);
    assert_eq!(order.len(), 3);
    // Bilinear height halfway between nodes 0 and 1 of the bottom row.
    let half = cache.height_at(-0.5, -1.0);
    assert!((half - 0.5 * (cache.heights[0] + cache.heights[1])).abs() < 1e-6);
}

#[test]
fn the_ball_rests_on_the_surface_at_its_loss_on_the_meshs_scale() {
    // A bowl on a log scale, so a height is not simply proportional to the loss.
    let n = 21;
    let values: Vec<f32> = (0..n * n)
        .map(|k| {
            let (i, j) = ((k % n) as f32 - 10.0, (k / n) as f32 - 10.0);
            0.01 + i * i + j * j
        })
        .collect();
    let mut cache = SurfaceCache::default();
    cache.refresh(&result_from(values.clone(), n), true);
    let scale = cache.scale.clone().expect("a scale");
    assert!(scale.is_log());
    let radius = BALL_RADIUS / PER_UNIT;
    // On a node (column 15, row 6), the ball's foot is that node's loss on the scale.
    let at = [2.0 * 15.0 / 20.0 - 1.0, 2.0 * 6.0 / 20.0 - 1.0];
    let centre = cache.ball_centre(at, PER_UNIT);
    let expected = scale.unit_from_loss(values[6 * n + 15]).expect("finite") as f32 * HEIGHT;
    assert!((centre[2] - radius - expected).abs() < 1e-5);
    assert!((expected - height_from_loss(&scale, values[6 * n + 15])).abs() < 1e-6);
    // And it is above the floor and inside the box, not on a wall.
    assert!(centre[2] > radius && centre[2] <= HEIGHT + radius);
    // Over a hole it floats at the top of the box instead of sinking to the floor.
    let mut holed = values;
    holed[6 * n + 15] = f32::NAN;
    let cache = cache_for(holed, n);
    assert!((cache.ball_centre(at, PER_UNIT)[2] - HEIGHT - radius).abs() < 1e-6);
}

#[test]
fn a_ridge_hides_the_ball_behind_it_and_not_in_front_of_it() {
    let cache = ridge();
    let camera = low_camera();
    let to_screen = screen(&camera);
    let mut shape_counts = Vec::new();
    for (y, visible) in [(0.6, false), (-0.6, true), (0.35, false), (-0.35, true)] {
        let ball = cache.ball_centre([0.2, y], PER_UNIT);
        let riders = Riders {
            trail: Vec::new(),
            ball: Some(ball),
            points_per_unit: PER_UNIT,
        };
        let seen = topmost_at(&cache, &camera, &riders, to_screen(ball));
        assert_eq!(
            seen == Some(Item::Ball),
            visible,
            "ball at y = {y}: {seen:?} is on top"
        );
        shape_counts.push(cache.shapes(&camera, &riders, &to_screen).len());
    }
    // Only a hidden ball gets its dashed outline drawn over the terrain.
    assert!(shape_counts[0] > shape_counts[1] && shape_counts[2] > shape_counts[3]);
    assert_eq!(shape_counts[1], shape_counts[3]);
    // From straight above nothing hides the ball, on either side.
    let above = Camera {
        elevation: 1.55,
        ..camera
    };
    let to_screen = screen(&above);
    for y in [0.6, -0.6] {
        let ball = cache.ball_centre([0.2, y], PER_UNIT);
        let riders = Riders {
            trail: Vec::new(),
            ball: Some(ball),
            points_per_unit: PER_UNIT,
        };
        let seen = topmost_at(&cache, &above, &riders, to_screen(ball));
        assert_eq!(seen, Some(Item::Ball));
    }
}

#[test]
fn a_trail_over_a_ridge_is_hidden_only_behind_it() {
    let cache = ridge();
    let camera = low_camera();
    let to_screen = screen(&camera);
    let trail = cache.trail_pieces(&[[-0.6, -0.8], [0.6, 0.8]], PER_UNIT);
    // Cut into cell-sized pieces that follow the ridge up and over.
    assert!(trail.len() >= 30);
    assert!(trail.iter().any(|[a, _]| a[2] > 0.8 * HEIGHT));
    let riders = Riders {
        trail,
        ball: None,
        points_per_unit: PER_UNIT,
    };
    let mut under_terrain = 0;
    for (k, [a, b]) in riders.trail.iter().enumerate() {
        let middle = to_screen([
            (a[0] + b[0]) / 2.0,
            (a[1] + b[1]) / 2.0,
            (a[2] + b[2]) / 2.0,
        ]);
        let y = a[1].min(b[1]);
        let seen = topmost_at(&cache, &camera, &riders, middle);
        if y < -0.2 || (a[2] > 0.5 && b[2] > 0.5) {
            assert_eq!(seen, Some(Item::Trail(k as u32)), "piece at y = {y}");
        } else if y > 0.45 {
            // Hidden: the ridge (or the trail climbing its near face) is on top.
            assert_ne!(
                seen,
                Some(Item::Trail(k as u32)),
                "piece at y = {y} shows through the ridge"
            );
            under_terrain += usize::from(matches!(seen, Some(Item::Cell(..))));
        }
    }
    assert!(
        under_terrain >= 5,
        "the terrain itself hides the far pieces"
    );
}

#[test]
fn a_trail_across_open_ground_shows_whole() {
    // A gentle bowl seen from the default angle: nothing stands in front of
    // the trail, so no cell may be painted over any piece of it (a cell's
    // middle can be nearer the eye than a point on its far half).
    // Coarse cells: half a cell is then far more than the trail's lift.
    let n = 11;
    let values: Vec<f32> = (0..n * n)
        .map(|k| {
            let (x, y) = ((k % n) as f32 / 5.0 - 1.0, (k / n) as f32 / 5.0 - 1.0);
            x * x + y * y
        })
        .collect();
    let cache = cache_for(values, n);
    let camera = Camera::default();
    let to_screen = screen(&camera);
    let riders = Riders {
        // Across the line of sight, so both ends of a piece are at one depth.
        trail: cache.trail_pieces(&[[-0.6, -0.5], [0.6, 0.5]], PER_UNIT),
        ball: None,
        points_per_unit: PER_UNIT,
    };
    assert!(riders.trail.len() > 5);
    for (k, [a, b]) in riders.trail.iter().enumerate() {
        let middle = to_screen([
            (a[0] + b[0]) / 2.0,
            (a[1] + b[1]) / 2.0,
            (a[2] + b[2]) / 2.0,
        ]);
        let seen = topmost_at(&cache, &camera, &riders, middle);
        assert_eq!(
            seen,
            Some(Item::Trail(k as u32)),
            "piece {k} is painted over"
        );
    }
}
