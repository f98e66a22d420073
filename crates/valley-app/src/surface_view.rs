//! The same slice as a 3D surface: a shaded block of terrain whose height is
//! the loss, with the ball and its trail on it, the colour scale beside it and
//! both floor axes and the loss axis labelled. Drag to rotate, scroll to zoom,
//! double-click to return to the default view.
//!
//! egui has no 3D renderer, so the mesh is projected on the CPU and painted
//! back to front (see `surface_scene`); a 201 × 201 slice is 80,000
//! triangles, well within one frame.

use egui::{Align2, Color32, Pos2, Sense, Stroke, Vec2};

use super::contours_and_colorbar::colorbar_ui;
use super::landscape_view::{Overlay, origin};
use super::runtime::Runtime;
use super::settings::Camera;
use super::surface_labels::{Label, draw_labels};
use super::surface_scene::{HEIGHT, Riders, SurfaceCache};
use valley_engine::landscape::{GridAxis, LandscapeResult};
use valley_figure::colour_scale::ColourScale;
use valley_figure::tick_label;

/// Width of the colorbar beside the view, in points.
const COLORBAR_WIDTH: f32 = 70.0;

/// The orthographic view that fits the box into a rectangle of the screen.
struct View {
    camera: Camera,
    centre: Pos2,
    /// Middle of the box in camera coordinates (screen x, screen up).
    mid: [f32; 2],
    /// Screen points per world unit.
    points_per_unit: f32,
}

impl View {
    /// Fits the box around the slice into `rect` (less room for the labels), whatever the angle.
    fn fit(rect: egui::Rect, camera: Camera) -> Self {
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
        let points_per_unit = ((rect.width() - 2.0 * margin.x) / (high[0] - low[0]))
            .min((rect.height() - 2.0 * margin.y) / (high[1] - low[1]))
            .max(1.0)
            * camera.zoom;
        Self {
            camera,
            centre: rect.center(),
            mid: [(low[0] + high[0]) / 2.0, (low[1] + high[1]) / 2.0],
            points_per_unit,
        }
    }

    fn to_screen(&self, p: [f32; 3]) -> Pos2 {
        let [x, up, _] = self.camera.project(p);
        Pos2::new(
            self.centre.x + (x - self.mid[0]) * self.points_per_unit,
            self.centre.y - (up - self.mid[1]) * self.points_per_unit,
        )
    }

    /// Whether a world point is nearer the eye than another.
    fn nearer(&self, p: [f32; 3], than: [f32; 3]) -> bool {
        self.camera.project(p)[2] > self.camera.project(than)[2]
    }
}

/// Draws the 3D surface and its colorbar and lets the user turn it.
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
    // Measured before the row: inside it the height left is one line's.
    let available = ui.available_size();
    ui.horizontal(|ui| {
        let size = Vec2::new((available.x - COLORBAR_WIDTH - 8.0).max(100.0), available.y);
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        turn_ui(ui, &response, camera);
        // The bottom line holds the hint on how to turn the view.
        let hint_height = 26.0;
        let drawing = rect.with_max_y(rect.bottom() - hint_height);
        let view = View::fit(drawing, *camera);
        let to_screen = |p: [f32; 3]| view.to_screen(p);
        let painter = ui.painter_at(rect);
        let text_colour = ui.visuals().text_color();
        draw_floor(&painter, &to_screen, text_colour);
        let riders = overlay.map_or_else(
            || Riders {
                trail: Vec::new(),
                ball: None,
                points_per_unit: view.points_per_unit,
            },
            |overlay| riders(cache, result, overlay, view.points_per_unit),
        );
        painter.extend(cache.shapes(camera, &riders, &to_screen));
        let mut labels = Vec::new();
        if log_scale && cache.scale.as_ref().is_some_and(|scale| !scale.is_log()) {
            // Asked for log colours, but a log scale would flatten every loss
            // at or below zero into one colour: say why the colours are linear.
            labels.push(Label {
                anchor: rect.left_top() + Vec2::new(8.0, 8.0),
                align: Align2::LEFT_TOP,
                text: "colours linear: the loss here goes below 0".to_string(),
                size: 13.0,
            });
        }
        axis_labels(
            &painter,
            &view,
            runtime,
            result,
            cache.scale.as_ref(),
            text_colour,
            &mut labels,
        );
        draw_labels(&painter, &labels, drawing);
        painter.text(
            rect.left_bottom() + Vec2::new(8.0, -8.0),
            Align2::LEFT_BOTTOM,
            "drag to turn · scroll to zoom · double-click to reset",
            egui::FontId::proportional(13.0),
            text_colour.gamma_multiply(0.7),
        );
        // The same colours as the terrain's, from the same scale.
        colorbar_ui(
            ui,
            cache.scale.as_ref(),
            cache.has_non_finite,
            COLORBAR_WIDTH,
            rect.height(),
        );
    });
}

/// Drag turns the camera, scroll zooms, a double click resets it.
fn turn_ui(ui: &egui::Ui, response: &egui::Response, camera: &mut Camera) {
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
}

/// The ball and trail in world coordinates: slice coefficients mapped to
/// [-1, 1]², resting on the surface.
fn riders(
    cache: &SurfaceCache,
    result: &LandscapeResult,
    overlay: &Overlay,
    points_per_unit: f32,
) -> Riders {
    let a = result.grid.spec.alpha;
    let b = result.grid.spec.beta.unwrap_or(a);
    let to_unit = |p: [f64; 2]| {
        [
            (2.0 * (p[0] - f64::from(a.min)) / f64::from(a.max - a.min) - 1.0) as f32,
            (2.0 * (p[1] - f64::from(b.min)) / f64::from(b.max - b.min) - 1.0) as f32,
        ]
    };
    let trail: Vec<[f32; 2]> = overlay.trail.iter().map(|&p| to_unit(p)).collect();
    let ball = to_unit(overlay.ball);
    let inside = ball[0].abs() <= 1.0 && ball[1].abs() <= 1.0;
    Riders {
        trail: cache.trail_pieces(&trail, points_per_unit),
        ball: inside.then(|| cache.ball_centre(ball, points_per_unit)),
        points_per_unit,
    }
}

/// The floor's outline, drawn first so the terrain covers it.
fn draw_floor(painter: &egui::Painter, to_screen: &impl Fn([f32; 3]) -> Pos2, colour: Color32) {
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
}

/// Tick marks and labels for α and β along the floor's near edges and for
/// the loss up the corner nearest the left of the screen. The axis names
/// come first, so when labels crowd it is ticks that are left out.
fn axis_labels(
    painter: &egui::Painter,
    view: &View,
    runtime: &Runtime,
    result: &LandscapeResult,
    scale: Option<&ColourScale>,
    colour: Color32,
    labels: &mut Vec<Label>,
) {
    let (x_name, y_name) = match runtime.problem.surface() {
        Some(_) => ("x", "y"),
        None => ("α", "β"),
    };
    let origin = origin(runtime);
    let a = result.grid.spec.alpha;
    let b = result.grid.spec.beta.unwrap_or(a);
    // The loss axis stands at the floor corner furthest left on screen: its
    // ticks point left, away from the block.
    let corner = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
        .into_iter()
        .min_by(|p, q| {
            let x = |c: [f32; 2]| view.to_screen([c[0], c[1], 0.0]).x;
            x(*p).total_cmp(&x(*q))
        })
        .unwrap_or([-1.0, -1.0]);
    let mut ticks = Vec::new();
    let mut marks = Vec::new();
    for (along_x, axis, offset, name) in
        [(true, a, origin[0], x_name), (false, b, origin[1], y_name)]
    {
        let floor = FloorAxis {
            along_x,
            axis,
            offset,
            name,
            loss_corner: corner,
        };
        let (name, axis_ticks) = floor_axis(view, &floor, &mut marks);
        labels.push(name);
        ticks.extend(axis_ticks);
    }
    let at = |z: f32| view.to_screen([corner[0], corner[1], z]);
    painter.line_segment([at(0.0), at(HEIGHT)], Stroke::new(1.0, colour));
    labels.push(Label {
        anchor: at(HEIGHT) + Vec2::new(0.0, -16.0),
        align: Align2::CENTER_BOTTOM,
        text: "loss".to_string(),
        size: 14.0,
    });
    labels.extend(ticks);
    // The ends of the scale first: if the axis is short, they are the ones kept.
    let mut loss_ticks = scale.map(ColourScale::ticks).unwrap_or_default();
    if loss_ticks.len() > 2 {
        let last = loss_ticks.remove(loss_ticks.len() - 1);
        loss_ticks.insert(1, last);
    }
    for (unit, text) in loss_ticks {
        let tick = at(unit as f32 * HEIGHT);
        marks.push([tick, tick + Vec2::new(-5.0, 0.0)]);
        labels.push(Label {
            anchor: tick + Vec2::new(-8.0, 0.0),
            align: Align2::RIGHT_CENTER,
            text,
            size: 12.0,
        });
    }
    for mark in marks {
        painter.line_segment(mark, Stroke::new(1.0, colour));
    }
}

/// A floor axis to label.
struct FloorAxis<'a> {
    /// Whether it runs along x (α) rather than y (β).
    along_x: bool,
    axis: GridAxis,
    /// Added to the coefficients in the labels (a surface's own x, y).
    offset: f64,
    name: &'a str,
    /// Where the loss axis stands: a tick there would read as a loss.
    loss_corner: [f32; 2],
}

/// One floor axis along its edge nearer the viewer: the name, and the tick
/// labels (ends first, then the middle); tick marks go into `marks`.
fn floor_axis(view: &View, floor: &FloorAxis, marks: &mut Vec<[Pos2; 2]>) -> (Label, Vec<Label>) {
    let FloorAxis {
        along_x,
        axis,
        offset,
        name,
        loss_corner,
    } = *floor;
    let point = |t: f32, side: f32| match along_x {
        true => [t, side, 0.0],
        false => [side, t, 0.0],
    };
    let side = if view.nearer(point(0.0, -1.0), point(0.0, 1.0)) {
        -1.0
    } else {
        1.0
    };
    // Outward from the edge, on screen; seen side on the floor is a line and
    // the outward direction vanishes, so the labels go below it.
    let outward = view.to_screen(point(0.0, side * 1.1)) - view.to_screen(point(0.0, side));
    let outward = if outward.length() > 2.0 {
        outward.normalized()
    } else {
        Vec2::DOWN
    };
    let align = Align2([
        match outward.x {
            x if x > 0.4 => egui::Align::Min,
            x if x < -0.4 => egui::Align::Max,
            _ => egui::Align::Center,
        },
        match outward.y {
            y if y > 0.4 => egui::Align::Min,
            y if y < -0.4 => egui::Align::Max,
            _ => egui::Align::Center,
        },
    ]);
    // Quarters where the edge is long enough on screen, else ends and middle.
    let edge_length =
        (view.to_screen(point(1.0, side)) - view.to_screen(point(-1.0, side))).length();
    let intervals = if edge_length > 300.0 { 4 } else { 2 };
    let step = f64::from(axis.max - axis.min) / f64::from(intervals);
    let ticks = (0..=intervals)
        .filter_map(|k| {
            let t = -1.0 + 2.0 * k as f32 / intervals as f32;
            let edge = point(t, side);
            if (edge[0] - loss_corner[0]).abs() + (edge[1] - loss_corner[1]).abs() < 1e-3 {
                return None;
            }
            let at = view.to_screen(edge);
            marks.push([at, at + outward * 5.0]);
            Some(Label {
                anchor: at + outward * 8.0,
                align,
                text: tick_label(f64::from(axis.min) + step * f64::from(k) + offset, step),
                size: 12.0,
            })
        })
        .collect();
    // Past the tick labels: about one label's extent along the outward direction.
    let clearance = 8.0 + outward.x.abs() * 40.0 + outward.y.abs() * 22.0;
    let name = Label {
        anchor: view.to_screen(point(0.0, side)) + outward * clearance,
        align,
        text: name.to_string(),
        size: 16.0,
    };
    (name, ticks)
}
