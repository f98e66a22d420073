//! The same slice as a 3D surface: a shaded mesh whose height is the loss,
//! with the ball and its trail on it. Drag to rotate, scroll to zoom,
//! double-click to return to the default view.
//!
//! egui has no 3D renderer, so the mesh is projected on the CPU and drawn
//! back to front (the painter's algorithm); a 201 × 201 slice is 80,000
//! triangles, well within one frame.

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, Pos2, Sense, Stroke, Vec2};

use super::landscape_view::{BALL_COLOUR, Overlay};
use super::runtime::Runtime;
use super::settings::Camera;
use valley_engine::landscape::LandscapeResult;
use valley_figure::colour_scale::{ColourScale, colormap};

/// A grid node's (column, row).
type Node = (usize, usize);

/// Height of the tallest point relative to the slice's half-width.
const HEIGHT: f32 = 0.9;
/// Direction the light comes from (world coordinates, unit length).
const LIGHT: [f32; 3] = [-0.45, -0.55, 0.70];

/// Heights and colours of the current grid, rebuilt only when a new grid
/// or colour scale arrives.
#[derive(Default)]
pub struct SurfaceCache {
    key: Option<(u64, bool, bool)>,
    cols: usize,
    rows: usize,
    /// Height in [0, HEIGHT], NaN where the loss is not finite; row-major, row 0 at β = min.
    heights: Vec<f32>,
    scale: Option<ColourScale>,
}

impl Camera {
    /// (screen x, screen up, depth towards the viewer) of a world point.
    fn project(&self, p: [f32; 3]) -> [f32; 3] {
        let (sy, cy) = self.yaw.sin_cos();
        let (se, ce) = self.elevation.sin_cos();
        let across = p[0] * cy - p[1] * sy;
        let away = p[0] * sy + p[1] * cy;
        [across, p[2] * ce + away * se, p[2] * se - away * ce]
    }
}

/// Draws the 3D surface and lets the user turn it.
pub fn surface_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    cache: &mut SurfaceCache,
    overlay: Option<&Overlay>,
    camera: &mut Camera,
    log_scale: bool,
) {
    let Some(result) = runtime
        .slices
        .grid
        .as_ref()
        .filter(|_| runtime.is_consistent())
    else {
        ui.centered_and_justified(|ui| ui.label("computing the landscape…"));
        return;
    };
    cache.refresh(result, log_scale);
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    if response.dragged() {
        let delta = response.drag_delta();
        camera.yaw -= delta.x * 0.01;
        camera.elevation += delta.y * 0.01;
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            camera.zoom *= (scroll * 0.002).exp();
        }
    }
    *camera = camera.clamped();
    if response.double_clicked() {
        *camera = Camera::default();
    }
    let painter = ui.painter_at(rect);
    let text_colour = ui.visuals().text_color();
    // Fit the box around the slice into the view, whatever the angle.
    let (mut low, mut high) = ([f32::MAX; 2], [f32::MIN; 2]);
    for corner in 0..8 {
        let p = [
            if corner & 1 == 0 { -1.0 } else { 1.0 },
            if corner & 2 == 0 { -1.0 } else { 1.0 },
            if corner & 4 == 0 { 0.0 } else { HEIGHT },
        ];
        let [x, up, _] = camera.project(p);
        low = [low[0].min(x), low[1].min(up)];
        high = [high[0].max(x), high[1].max(up)];
    }
    let margin = Vec2::new(90.0, 60.0);
    let scale = ((rect.width() - 2.0 * margin.x) / (high[0] - low[0]))
        .min((rect.height() - 2.0 * margin.y) / (high[1] - low[1]))
        .max(1.0)
        * camera.zoom;
    let mid = [(low[0] + high[0]) / 2.0, (low[1] + high[1]) / 2.0];
    let centre = rect.center();
    let to_screen = |p: [f32; 3]| {
        let [x, up, _] = camera.project(p);
        Pos2::new(
            centre.x + (x - mid[0]) * scale,
            centre.y - (up - mid[1]) * scale,
        )
    };
    draw_floor(
        &painter,
        &to_screen,
        text_colour,
        runtime.problem.surface().is_some(),
    );
    // Side walls turn the sheet into a block of terrain, which reads as 3D at
    // a glance: the far walls go behind the surface, the near ones in front.
    let walls = cache.walls(camera, &to_screen);
    for (_, wall) in walls.iter().filter(|(near, _)| !near) {
        painter.add(wall.clone());
    }
    painter.add(cache.mesh(camera, &to_screen));
    for (_, wall) in walls.iter().filter(|(near, _)| *near) {
        painter.add(wall.clone());
    }
    if let Some(overlay) = overlay {
        draw_ball_and_trail(&painter, &to_screen, cache, result, overlay);
    }
    if let Some(scale) = &cache.scale {
        draw_height_ticks(&painter, &to_screen, scale, text_colour);
    }
    painter.text(
        rect.left_bottom() + Vec2::new(8.0, -8.0),
        egui::Align2::LEFT_BOTTOM,
        "drag to turn · scroll to zoom · double-click to reset",
        egui::FontId::proportional(13.0),
        text_colour.gamma_multiply(0.7),
    );
}

impl SurfaceCache {
    fn refresh(&mut self, result: &LandscapeResult, log_scale: bool) {
        let key = (result.generation, result.is_final, log_scale);
        if self.key == Some(key) {
            return;
        }
        let grid = &result.grid;
        self.cols = grid.spec.alpha.points;
        self.rows = grid.spec.beta.map_or(1, |b| b.points);
        let scale = ColourScale::from_values(&grid.values, log_scale);
        self.heights = grid
            .values
            .iter()
            .map(|&v| {
                scale
                    .unit_from_loss(v)
                    .map_or(f32::NAN, |t| t as f32 * HEIGHT)
            })
            .collect();
        self.scale = Some(scale);
        self.key = Some(key);
    }

    /// World position of grid node (i, j): the slice spans [-1, 1]² on the floor.
    fn node(&self, i: usize, j: usize) -> [f32; 3] {
        let x = 2.0 * i as f32 / (self.cols.max(2) - 1) as f32 - 1.0;
        let y = 2.0 * j as f32 / (self.rows.max(2) - 1) as f32 - 1.0;
        [x, y, self.heights[j * self.cols + i]]
    }

    /// The shaded mesh, its cells sorted far to near.
    fn mesh(&self, camera: &Camera, to_screen: &impl Fn([f32; 3]) -> Pos2) -> Mesh {
        let mut mesh = Mesh::default();
        if self.rows < 2 || self.cols < 2 {
            return mesh;
        }
        let mut cells: Vec<(f32, usize, usize)> = Vec::with_capacity(self.cols * self.rows);
        for j in 0..self.rows - 1 {
            for i in 0..self.cols - 1 {
                let corners = [
                    self.node(i, j),
                    self.node(i + 1, j),
                    self.node(i + 1, j + 1),
                    self.node(i, j + 1),
                ];
                // A cell touching a non-finite loss is left out: a hole, not a spike.
                if corners.iter().any(|c| !c[2].is_finite()) {
                    continue;
                }
                let mid = [
                    (corners[0][0] + corners[2][0]) / 2.0,
                    (corners[0][1] + corners[2][1]) / 2.0,
                    corners.iter().map(|c| c[2]).sum::<f32>() / 4.0,
                ];
                cells.push((camera.project(mid)[2], i, j));
            }
        }
        cells.sort_by(|a, b| a.0.total_cmp(&b.0));
        let dx = 2.0 / (self.cols - 1) as f32;
        let dy = 2.0 / (self.rows - 1) as f32;
        for (_, i, j) in cells {
            let corners = [
                self.node(i, j),
                self.node(i + 1, j),
                self.node(i + 1, j + 1),
                self.node(i, j + 1),
            ];
            let slope_x =
                (corners[1][2] + corners[2][2] - corners[0][2] - corners[3][2]) / (2.0 * dx);
            let slope_y =
                (corners[3][2] + corners[2][2] - corners[0][2] - corners[1][2]) / (2.0 * dy);
            let norm = (slope_x * slope_x + slope_y * slope_y + 1.0).sqrt();
            let lit = (-slope_x * LIGHT[0] - slope_y * LIGHT[1] + LIGHT[2]) / norm;
            let shade = 0.45 + 0.55 * lit.max(0.0);
            let height = corners.iter().map(|c| c[2]).sum::<f32>() / (4.0 * HEIGHT);
            push_quad(&mut mesh, corners, shaded(height, shade), to_screen);
        }
        mesh
    }

    /// The four side walls, each flagged with whether it faces the viewer.
    fn walls(&self, camera: &Camera, to_screen: &impl Fn([f32; 3]) -> Pos2) -> Vec<(bool, Mesh)> {
        if self.rows < 2 || self.cols < 2 {
            return Vec::new();
        }
        let edges: [(Vec<Node>, [f32; 2]); 4] = [
            ((0..self.cols).map(|i| (i, 0)).collect(), [0.0, -1.0]),
            (
                (0..self.cols).map(|i| (i, self.rows - 1)).collect(),
                [0.0, 1.0],
            ),
            ((0..self.rows).map(|j| (0, j)).collect(), [-1.0, 0.0]),
            (
                (0..self.rows).map(|j| (self.cols - 1, j)).collect(),
                [1.0, 0.0],
            ),
        ];
        edges
            .into_iter()
            .map(|(nodes, outward)| {
                // A wall faces the viewer when its outward normal points towards the eye.
                let near = camera.project([outward[0], outward[1], 0.0])[2]
                    > camera.project([0.0, 0.0, 0.0])[2];
                let shade = if near { 0.55 } else { 0.35 };
                let mut mesh = Mesh::default();
                for pair in nodes.windows(2) {
                    let (top0, top1) = (
                        self.node(pair[0].0, pair[0].1),
                        self.node(pair[1].0, pair[1].1),
                    );
                    if !top0[2].is_finite() || !top1[2].is_finite() {
                        continue;
                    }
                    let height = (top0[2] + top1[2]) / (2.0 * HEIGHT);
                    let floor = |p: [f32; 3]| [p[0], p[1], 0.0];
                    let quad = [top0, top1, floor(top1), floor(top0)];
                    push_quad(&mut mesh, quad, shaded(height, shade), to_screen);
                }
                (near, mesh)
            })
            .collect()
    }

    /// Height of the surface at slice coordinates in [-1, 1]², bilinearly.
    fn height_at(&self, x: f32, y: f32) -> f32 {
        let fi = ((x + 1.0) / 2.0 * (self.cols - 1) as f32).clamp(0.0, (self.cols - 1) as f32);
        let fj = ((y + 1.0) / 2.0 * (self.rows - 1) as f32).clamp(0.0, (self.rows - 1) as f32);
        let (i, j) = (fi.floor() as usize, fj.floor() as usize);
        let (i1, j1) = ((i + 1).min(self.cols - 1), (j + 1).min(self.rows - 1));
        let (tx, ty) = (fi - i as f32, fj - j as f32);
        let h = |i: usize, j: usize| self.heights[j * self.cols + i];
        (1.0 - ty) * ((1.0 - tx) * h(i, j) + tx * h(i1, j))
            + ty * ((1.0 - tx) * h(i, j1) + tx * h(i1, j1))
    }
}

/// The colormap's colour for a height in [0, 1], darkened by `shade`.
fn shaded(height: f32, shade: f32) -> Color32 {
    let [r, g, b] = colormap(f64::from(height));
    let dim = |c: u8| (f32::from(c) * shade) as u8;
    Color32::from_rgb(dim(r), dim(g), dim(b))
}

/// Appends a flat-coloured quad (two triangles) with corners in order.
fn push_quad(
    mesh: &mut Mesh,
    corners: [[f32; 3]; 4],
    colour: Color32,
    to_screen: &impl Fn([f32; 3]) -> Pos2,
) {
    let base = mesh.vertices.len() as u32;
    for corner in corners {
        mesh.vertices.push(Vertex {
            pos: to_screen(corner),
            uv: WHITE_UV,
            color: colour,
        });
    }
    mesh.indices
        .extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
}

/// The floor's outline and axis names, drawn first so the surface covers them.
fn draw_floor(
    painter: &egui::Painter,
    to_screen: &impl Fn([f32; 3]) -> Pos2,
    colour: Color32,
    surface: bool,
) {
    let corners = [
        [-1.0, -1.0, 0.0],
        [1.0, -1.0, 0.0],
        [1.0, 1.0, 0.0],
        [-1.0, 1.0, 0.0],
    ];
    let stroke = Stroke::new(1.0, colour.gamma_multiply(0.5));
    for k in 0..4 {
        painter.line_segment(
            [to_screen(corners[k]), to_screen(corners[(k + 1) % 4])],
            stroke,
        );
    }
    painter.line_segment(
        [
            to_screen([-1.0, -1.0, 0.0]),
            to_screen([-1.0, -1.0, HEIGHT]),
        ],
        stroke,
    );
    let (x_name, y_name) = if surface { ("x", "y") } else { ("α", "β") };
    let font = egui::FontId::proportional(15.0);
    painter.text(
        to_screen([0.0, -1.2, 0.0]),
        egui::Align2::CENTER_CENTER,
        x_name,
        font.clone(),
        colour,
    );
    painter.text(
        to_screen([-1.2, 0.0, 0.0]),
        egui::Align2::CENTER_CENTER,
        y_name,
        font,
        colour,
    );
}

/// Loss values along the vertical edge, from the colour scale's ticks.
fn draw_height_ticks(
    painter: &egui::Painter,
    to_screen: &impl Fn([f32; 3]) -> Pos2,
    scale: &ColourScale,
    colour: Color32,
) {
    let font = egui::FontId::proportional(12.0);
    for (unit, label) in scale.ticks() {
        let at = to_screen([-1.0, -1.0, unit as f32 * HEIGHT]);
        painter.line_segment([at, at + Vec2::new(-5.0, 0.0)], Stroke::new(1.0, colour));
        painter.text(
            at + Vec2::new(-8.0, 0.0),
            egui::Align2::RIGHT_CENTER,
            label,
            font.clone(),
            colour,
        );
    }
    painter.text(
        to_screen([-1.0, -1.0, HEIGHT]) + Vec2::new(0.0, -14.0),
        egui::Align2::CENTER_BOTTOM,
        "loss",
        egui::FontId::proportional(13.0),
        colour,
    );
}

/// The trail rides on the surface (its points are projected onto the slice),
/// and the ball sits on the surface where the parameters project.
fn draw_ball_and_trail(
    painter: &egui::Painter,
    to_screen: &impl Fn([f32; 3]) -> Pos2,
    cache: &SurfaceCache,
    result: &LandscapeResult,
    overlay: &Overlay,
) {
    if cache.rows < 2 || cache.cols < 2 {
        return;
    }
    let a = result.grid.spec.alpha;
    let Some(b) = result.grid.spec.beta else {
        return;
    };
    let to_unit = |p: [f64; 2]| {
        [
            (2.0 * (p[0] - f64::from(a.min)) / f64::from(a.max - a.min) - 1.0) as f32,
            (2.0 * (p[1] - f64::from(b.min)) / f64::from(b.max - b.min) - 1.0) as f32,
        ]
    };
    let inside = |q: [f32; 2]| q[0].abs() <= 1.0 && q[1].abs() <= 1.0;
    let lift = 0.01;
    let on_surface = |q: [f32; 2]| {
        let h = cache.height_at(q[0], q[1]);
        to_screen([q[0], q[1], if h.is_finite() { h + lift } else { lift }])
    };
    let trail: Vec<Pos2> = overlay
        .trail
        .iter()
        .map(|&p| to_unit(p))
        .filter(|&q| inside(q))
        .map(on_surface)
        .collect();
    if trail.len() > 1 {
        painter.add(egui::Shape::line(trail, Stroke::new(2.5, Color32::WHITE)));
    }
    let ball = to_unit(overlay.ball);
    if inside(ball) {
        let at = on_surface(ball);
        painter.circle(at, 8.0, BALL_COLOUR, Stroke::new(1.5, Color32::WHITE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        use valley_engine::landscape::{Grid, GridSpec, LandscapeResult, Plane};
        let spec = GridSpec::square(1.0, 3);
        let mut values = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        values[8] = f32::NAN;
        let result = LandscapeResult {
            generation: 1,
            plane: std::sync::Arc::new(
                Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("plane"),
            ),
            grid: std::sync::Arc::new(Grid { spec, values }),
            is_final: true,
            elapsed: std::time::Duration::ZERO,
        };
        let mut cache = SurfaceCache::default();
        cache.refresh(&result, false);
        assert_eq!((cache.cols, cache.rows), (3, 3));
        assert!(
            (cache.heights[0] - 0.0).abs() < 1e-6,
            "the lowest loss sits on the floor"
        );
        assert!(
            (cache.heights[7] - HEIGHT).abs() < 1e-6,
            "the highest finite loss at the top"
        );
        assert!(cache.heights[8].is_nan());
        // The cell touching the hole is left out: 3 of 4 cells, 2 triangles each.
        let mesh = cache.mesh(&Camera::default(), &|p| Pos2::new(p[0], p[1]));
        assert_eq!(mesh.indices.len(), 3 * 6);
        // Bilinear height halfway between nodes 0 and 1 of the bottom row.
        let half = cache.height_at(-0.5, -1.0);
        assert!((half - 0.5 * (cache.heights[0] + cache.heights[1])).abs() < 1e-6);
    }
}
