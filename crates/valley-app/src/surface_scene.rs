//! The 3D surface as shapes in paint order: egui has no depth buffer, so the
//! terrain's cells, the trail's pieces and the ball are sorted far to near
//! together (the painter's algorithm), and terrain in front of the ball or
//! the trail is painted over them, as it would hide them.
//!
//! World coordinates: the slice spans [-1, 1]² on the floor and the loss
//! rises from 0 (the colour scale's low end) to `HEIGHT` (its high end).

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, Pos2, Shape, Stroke, Vec2};

use super::landscape_view::BALL_COLOUR;
use super::settings::Camera;
use valley_engine::landscape::LandscapeResult;
use valley_figure::colour_scale::{ColourScale, colormap};

/// A grid node's (column, row).
type Node = (usize, usize);

/// Height of the tallest point relative to the slice's half-width.
pub const HEIGHT: f32 = 0.9;
/// Direction the light comes from (world coordinates, unit length).
const LIGHT: [f32; 3] = [-0.45, -0.55, 0.70];
/// The ball's radius on screen, in points.
pub const BALL_RADIUS: f32 = 8.0;
/// The trail's width on screen, in points.
const TRAIL_WIDTH: f32 = 2.5;

impl Camera {
    /// (screen x, screen up, depth towards the viewer) of a world point.
    pub fn project(&self, p: [f32; 3]) -> [f32; 3] {
        let (sy, cy) = self.yaw.sin_cos();
        let (se, ce) = self.elevation.sin_cos();
        let across = p[0] * cy - p[1] * sy;
        let away = p[0] * sy + p[1] * cy;
        [across, p[2] * ce + away * se, p[2] * se - away * ce]
    }
}

/// Heights and colours of the current grid, rebuilt only when a new grid
/// or colour scale arrives.
#[derive(Default)]
pub struct SurfaceCache {
    key: Option<(u64, bool, bool)>,
    cols: usize,
    rows: usize,
    /// Height in [0, HEIGHT], NaN where the loss is not finite; row-major, row 0 at β = min.
    heights: Vec<f32>,
    /// The colour scale the heights and colours were made with.
    pub scale: Option<ColourScale>,
    /// Whether some cells are NaN or infinite (the colorbar then names their colour).
    pub has_non_finite: bool,
}

/// What rides on the surface, in world coordinates, lifted so that it rests
/// on the terrain rather than in it.
pub struct Riders {
    /// Pieces of the trail, each shorter than a cell, so that a hill can
    /// hide part of the trail and not the rest.
    pub trail: Vec<[[f32; 3]; 2]>,
    /// The ball's centre.
    pub ball: Option<[f32; 3]>,
    /// Screen points per world unit, to turn the sizes on screen into world radii.
    pub points_per_unit: f32,
}

/// One thing to paint, in the depth-sorted order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Item {
    /// The terrain cell whose lower-left node is (column, row).
    Cell(u32, u32),
    /// A piece of the trail, by index.
    Trail(u32),
    Ball,
}

impl SurfaceCache {
    /// Takes a new grid or colour scale, if there is one.
    pub fn refresh(&mut self, result: &LandscapeResult, log_scale: bool) {
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
            .map(|&v| height_from_loss(&scale, v))
            .collect();
        self.scale = Some(scale);
        self.has_non_finite = grid.values.iter().any(|v| !v.is_finite());
        self.key = Some(key);
    }

    fn has_cells(&self) -> bool {
        self.rows >= 2 && self.cols >= 2 && self.heights.len() == self.rows * self.cols
    }

    /// World position of grid node (i, j): the slice spans [-1, 1]² on the floor.
    fn node(&self, i: usize, j: usize) -> [f32; 3] {
        let x = 2.0 * i as f32 / (self.cols.max(2) - 1) as f32 - 1.0;
        let y = 2.0 * j as f32 / (self.rows.max(2) - 1) as f32 - 1.0;
        [x, y, self.heights[j * self.cols + i]]
    }

    fn cell_corners(&self, i: usize, j: usize) -> [[f32; 3]; 4] {
        [
            self.node(i, j),
            self.node(i + 1, j),
            self.node(i + 1, j + 1),
            self.node(i, j + 1),
        ]
    }

    /// Height of the surface at slice coordinates in [-1, 1]², bilinearly
    /// (NaN next to a non-finite loss).
    pub fn height_at(&self, x: f32, y: f32) -> f32 {
        if !self.has_cells() {
            return f32::NAN;
        }
        let fi = ((x + 1.0) / 2.0 * (self.cols - 1) as f32).clamp(0.0, (self.cols - 1) as f32);
        let fj = ((y + 1.0) / 2.0 * (self.rows - 1) as f32).clamp(0.0, (self.rows - 1) as f32);
        let (i, j) = (fi.floor() as usize, fj.floor() as usize);
        let (i1, j1) = ((i + 1).min(self.cols - 1), (j + 1).min(self.rows - 1));
        let (tx, ty) = (fi - i as f32, fj - j as f32);
        let h = |i: usize, j: usize| self.heights[j * self.cols + i];
        (1.0 - ty) * ((1.0 - tx) * h(i, j) + tx * h(i1, j))
            + ty * ((1.0 - tx) * h(i, j1) + tx * h(i1, j1))
    }

    /// The ball's centre: on the surface where the parameters project (the
    /// slice's loss there, on the mesh's scale), lifted by its radius so it
    /// rests on the terrain. Over a hole (a non-finite loss) it floats at the
    /// top of the box, off the scale, rather than sinking to the floor.
    pub fn ball_centre(&self, at: [f32; 2], points_per_unit: f32) -> [f32; 3] {
        let radius = BALL_RADIUS / points_per_unit.max(1e-3);
        let h = self.height_at(at[0], at[1]);
        let h = if h.is_finite() { h } else { HEIGHT };
        [at[0], at[1], h + radius]
    }

    /// The trail (slice coordinates) cut into pieces no longer than a cell,
    /// each end on the surface and lifted by half the trail's width; a step
    /// across a hill then follows the hill instead of cutting through it.
    /// Points outside the slice and pieces over holes are left out.
    pub fn trail_pieces(&self, trail: &[[f32; 2]], points_per_unit: f32) -> Vec<[[f32; 3]; 2]> {
        let lift = TRAIL_WIDTH / 2.0 / points_per_unit.max(1e-3);
        let mut pieces = Vec::new();
        if !self.has_cells() {
            return pieces;
        }
        let cell = 2.0 / (self.cols.max(self.rows) - 1) as f32;
        let inside = |q: [f32; 2]| q[0].abs() <= 1.0 && q[1].abs() <= 1.0;
        let lifted = |q: [f32; 2]| [q[0], q[1], self.height_at(q[0], q[1]) + lift];
        for pair in trail.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if !inside(a) || !inside(b) {
                continue;
            }
            let length = (b[0] - a[0]).hypot(b[1] - a[1]);
            // Bounded, so one wild step cannot cost a frame.
            let count = ((length / cell).ceil() as usize).clamp(1, 256);
            let at = |k: usize| {
                let t = k as f32 / count as f32;
                lifted([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
            };
            let mut start = at(0);
            for k in 1..=count {
                let end = at(k);
                if start[2].is_finite() && end[2].is_finite() {
                    pieces.push([start, end]);
                }
                start = end;
            }
        }
        pieces
    }

    /// The cells, trail pieces and ball sorted far to near. A rider's depth
    /// is that of its nearest point (its centre plus its radius towards the
    /// eye), but never before the cells it rests on and their neighbours:
    /// a cell's depth is taken at its middle, which can be nearer the eye
    /// than a point on the cell's far half, and that cell must not be
    /// painted over what lies on it.
    pub(crate) fn draw_order(&self, camera: &Camera, riders: &Riders) -> Vec<Item> {
        let mut items: Vec<(f32, Item)> = Vec::new();
        // Each cell's depth (NaN for a hole), to look up what a rider rests on.
        let mut cell_depths = Vec::new();
        if self.has_cells() {
            items.reserve((self.cols - 1) * (self.rows - 1) + riders.trail.len() + 1);
            cell_depths.reserve((self.cols - 1) * (self.rows - 1));
            for j in 0..self.rows - 1 {
                for i in 0..self.cols - 1 {
                    let corners = self.cell_corners(i, j);
                    // A cell touching a non-finite loss is left out: a hole, not a spike.
                    if corners.iter().any(|c| !c[2].is_finite()) {
                        cell_depths.push(f32::NAN);
                        continue;
                    }
                    let mid = [
                        (corners[0][0] + corners[2][0]) / 2.0,
                        (corners[0][1] + corners[2][1]) / 2.0,
                        corners.iter().map(|c| c[2]).sum::<f32>() / 4.0,
                    ];
                    let depth = camera.project(mid)[2];
                    cell_depths.push(depth);
                    items.push((depth, Item::Cell(i as u32, j as u32)));
                }
            }
        }
        // The deepest-drawn of the cells around the one under (x, y).
        let resting_on = |p: [f32; 3]| -> f32 {
            if cell_depths.is_empty() {
                return f32::MIN;
            }
            let (cells_x, cells_y) = (self.cols - 1, self.rows - 1);
            let i = ((p[0] + 1.0) / 2.0 * cells_x as f32).clamp(0.0, (cells_x - 1) as f32) as usize;
            let j = ((p[1] + 1.0) / 2.0 * cells_y as f32).clamp(0.0, (cells_y - 1) as f32) as usize;
            let mut deepest = f32::MIN;
            for jj in j.saturating_sub(1)..=(j + 1).min(cells_y - 1) {
                for ii in i.saturating_sub(1)..=(i + 1).min(cells_x - 1) {
                    let depth = cell_depths[jj * cells_x + ii];
                    if depth.is_finite() {
                        deepest = deepest.max(depth);
                    }
                }
            }
            deepest
        };
        let per_unit = riders.points_per_unit.max(1e-3);
        let trail_radius = TRAIL_WIDTH / 2.0 / per_unit;
        for (k, [a, b]) in riders.trail.iter().enumerate() {
            let depth = (camera.project(*a)[2].max(camera.project(*b)[2]) + trail_radius)
                .max(resting_on(*a))
                .max(resting_on(*b));
            items.push((depth, Item::Trail(k as u32)));
        }
        if let Some(ball) = riders.ball {
            let depth = (camera.project(ball)[2] + BALL_RADIUS / per_unit).max(resting_on(ball));
            items.push((depth, Item::Ball));
        }
        // Stable: on a tie, a rider (pushed last) is painted after the cell.
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        items.into_iter().map(|(_, item)| item).collect()
    }

    /// The terrain with its riders, as shapes in paint order: the far walls,
    /// the cells with the trail and ball among them, then the near walls
    /// (which hide whatever lies below the surface's front edge), and last,
    /// if the ball is hidden, its outline dashed, so it can still be found.
    pub fn shapes(
        &self,
        camera: &Camera,
        riders: &Riders,
        to_screen: &impl Fn([f32; 3]) -> Pos2,
    ) -> Vec<Shape> {
        let walls = self.walls(camera, to_screen);
        let mut shapes: Vec<Shape> = Vec::new();
        for (_, wall) in walls.iter().filter(|(near, _)| !near) {
            shapes.push(wall.clone().into());
        }
        if !self.has_cells() {
            return shapes;
        }
        let dx = 2.0 / (self.cols - 1) as f32;
        let dy = 2.0 / (self.rows - 1) as f32;
        let mut mesh = Mesh::default();
        for item in self.draw_order(camera, riders) {
            match item {
                Item::Cell(i, j) => {
                    let corners = self.cell_corners(i as usize, j as usize);
                    let slope_x = (corners[1][2] + corners[2][2] - corners[0][2] - corners[3][2])
                        / (2.0 * dx);
                    let slope_y = (corners[3][2] + corners[2][2] - corners[0][2] - corners[1][2])
                        / (2.0 * dy);
                    let norm = (slope_x * slope_x + slope_y * slope_y + 1.0).sqrt();
                    let lit = (-slope_x * LIGHT[0] - slope_y * LIGHT[1] + LIGHT[2]) / norm;
                    let shade = 0.45 + 0.55 * lit.max(0.0);
                    let height = corners.iter().map(|c| c[2]).sum::<f32>() / (4.0 * HEIGHT);
                    push_quad(&mut mesh, corners, shaded(height, shade), to_screen);
                }
                Item::Trail(k) => {
                    let k = k as usize;
                    let [a, b] = riders.trail[k];
                    // Where a piece meets its neighbour, both end on the same
                    // slanted line, so the strip has no overlaps or notches.
                    let before = k
                        .checked_sub(1)
                        .map(|p| riders.trail[p])
                        .filter(|p| p[1] == a)
                        .map(|p| to_screen(p[0]));
                    let after = riders
                        .trail
                        .get(k + 1)
                        .filter(|n| n[0] == b)
                        .map(|n| to_screen(n[1]));
                    push_trail_piece(
                        &mut mesh,
                        [before, Some(to_screen(a)), Some(to_screen(b)), after],
                    );
                }
                Item::Ball => {
                    // The ball is a circle shape (smooth edges), so the mesh
                    // is cut here: cells after it are painted over it.
                    shapes.push(std::mem::take(&mut mesh).into());
                    if let Some(centre) = riders.ball {
                        let at = to_screen(centre);
                        shapes.push(Shape::circle_filled(at, BALL_RADIUS, BALL_COLOUR));
                        shapes.push(Shape::circle_stroke(
                            at,
                            BALL_RADIUS,
                            Stroke::new(1.5, Color32::WHITE),
                        ));
                    }
                }
            }
        }
        // Whatever is painted after the ball and covers its centre hides it.
        let ball_at = riders.ball.map(to_screen);
        let mut ball_hidden = ball_at.is_some_and(|at| mesh_covers(&mesh, at));
        shapes.push(mesh.into());
        for (_, wall) in walls.iter().filter(|(near, _)| *near) {
            ball_hidden |= ball_at.is_some_and(|at| mesh_covers(wall, at));
            shapes.push(wall.clone().into());
        }
        if let Some(at) = ball_at.filter(|_| ball_hidden) {
            // A dashed ring over the terrain, as a drawing shows a hidden
            // edge: the class still sees where the ball is behind the hill.
            let ring: Vec<Pos2> = (0..=32)
                .map(|k| {
                    let angle = std::f32::consts::TAU * k as f32 / 32.0;
                    at + BALL_RADIUS * Vec2::angled(angle)
                })
                .collect();
            shapes.extend(Shape::dashed_line(
                &ring,
                Stroke::new(1.5, BALL_COLOUR),
                3.0,
                3.0,
            ));
        }
        shapes
    }

    /// The four side walls, each flagged with whether it faces the viewer.
    fn walls(&self, camera: &Camera, to_screen: &impl Fn([f32; 3]) -> Pos2) -> Vec<(bool, Mesh)> {
        if !self.has_cells() {
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
}

/// Whether a triangle of `mesh` covers `point` on screen.
pub(crate) fn mesh_covers(mesh: &Mesh, point: Pos2) -> bool {
    mesh.indices.chunks_exact(3).any(|t| {
        let [a, b, c] = [t[0], t[1], t[2]].map(|i| mesh.vertices[i as usize].pos);
        triangle_covers([a, b, c], point)
    })
}

/// Whether the triangle `abc` (either winding) covers `point`.
pub(crate) fn triangle_covers([a, b, c]: [Pos2; 3], point: Pos2) -> bool {
    let side = |u: Pos2, v: Pos2| (v - u).x * (point - u).y - (v - u).y * (point - u).x;
    let (d0, d1, d2) = (side(a, b), side(b, c), side(c, a));
    (d0 >= 0.0 && d1 >= 0.0 && d2 >= 0.0) || (d0 <= 0.0 && d1 <= 0.0 && d2 <= 0.0)
}

/// A loss's height in the box: its place on the colour scale, times
/// `HEIGHT`; NaN if the loss is not finite.
pub fn height_from_loss(scale: &ColourScale, loss: f32) -> f32 {
    scale
        .unit_from_loss(loss)
        .map_or(f32::NAN, |t| t as f32 * HEIGHT)
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

/// Appends one piece of the trail on screen, from the second point to the
/// third (the first and last are its neighbours' far ends, if it has
/// neighbours): a white core with a thin dark rim (it reads on the yellow
/// peaks and the dark valleys alike) fading out over a point, as egui
/// feathers its own lines.
fn push_trail_piece(mesh: &mut Mesh, points: [Option<Pos2>; 4]) {
    let [before, Some(a), Some(b), after] = points else {
        return;
    };
    let across = (b - a).normalized().rot90();
    if !across.is_finite() {
        return;
    }
    // The mitred direction across the joint with a neighbour piece.
    let joint = |other: Option<Vec2>| {
        let Some(other) = other
            .map(|v| v.normalized().rot90())
            .filter(|v| v.is_finite())
        else {
            return across;
        };
        let mitre = (across + other).normalized();
        if !mitre.is_finite() {
            return across;
        }
        mitre / mitre.dot(across).max(0.5)
    };
    let ends = [
        (a, joint(before.map(|p| a - p))),
        (b, joint(after.map(|p| p - b))),
    ];
    let half = TRAIL_WIDTH / 2.0;
    let rim = Color32::from_black_alpha(150);
    let rows: [(f32, Color32); 6] = [
        (-half - 1.5, Color32::TRANSPARENT),
        (-half - 0.5, rim),
        (-half + 0.5, Color32::WHITE),
        (half - 0.5, Color32::WHITE),
        (half + 0.5, rim),
        (half + 1.5, Color32::TRANSPARENT),
    ];
    let base = mesh.vertices.len() as u32;
    for (end, across) in ends {
        for (offset, color) in rows {
            mesh.vertices.push(Vertex {
                pos: end + across * offset,
                uv: WHITE_UV,
                color,
            });
        }
    }
    for r in 0..5u32 {
        let (p, q) = (base + r, base + r + 1);
        let (p2, q2) = (p + 6, q + 6);
        mesh.indices.extend_from_slice(&[p, q, q2, p, q2, p2]);
    }
}

#[cfg(test)]
#[path = "surface_scene_tests.rs"]
mod tests;
