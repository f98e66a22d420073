//! The 2D slice: heatmap with contours and a colorbar, the ball, its trail,
//! the gradient (uphill, green) and the step (downhill, amber). Hovering
//! reads out (α, β, loss); a click moves the parameters there.

use egui::{Color32, ColorImage, Rect, TextureHandle, TextureOptions, Vec2};
use egui_plot::{
    Arrows, Corner, Legend, Line, MarkerShape, Plot, PlotImage, PlotPoint, PlotPoints, Points, Text,
};

use std::sync::Arc;

use super::axes;
use super::contours_and_colorbar::{colorbar_ui, draw_contours};
use super::race::lane_colour;
use super::runtime::Runtime;
use valley_engine::dimensions::grouped;
use valley_engine::landscape::{Grid, LandscapeResult, Plane, project, share_in_plane};
use valley_engine::train::{RunState, Snapshot, TrajectoryPoint};
use valley_figure::colour_scale::{ColourScale, NOT_FINITE_COLOUR, colormap};
use valley_figure::contour::isoline_segments;
use valley_figure::{plain_number, tick_label};

/// Uphill: the gradient's colour.
pub const GRADIENT_COLOUR: Color32 = Color32::from_rgb(30, 200, 80);
/// Downhill: the step's colour.
pub const STEP_COLOUR: Color32 = Color32::from_rgb(255, 176, 0);
/// The ball.
pub const BALL_COLOUR: Color32 = Color32::from_rgb(230, 40, 40);

/// The heatmap texture, rebuilt only when a new grid or colour scale arrives.
#[derive(Default)]
pub struct HeatmapCache {
    key: Option<(u64, bool, bool)>,
    texture: Option<TextureHandle>,
    pub(super) scale: Option<ColourScale>,
    /// Whether some cells are NaN or infinite (the colorbar then names their colour).
    pub(super) has_non_finite: bool,
    pub(super) contours: Vec<[(f64, f64); 2]>,
    /// The projected ball, trail and arrows, and the snapshot and grid they
    /// were projected for: projecting the whole trajectory every frame would
    /// repeat the same work on the UI thread.
    /// Holding the snapshot's `Arc` keeps its address from being reused, so
    /// pointer equality identifies it.
    overlay: Option<(Arc<Snapshot>, OverlayKey, Overlay)>,
    /// The view the plot was last reset to (the slice's extent, widened to
    /// the frame): a ball or trail far off must not zoom the map out to a speck.
    extent: Option<[f64; 4]>,
    /// The trail's points already projected on a plane.
    trail: TrailCache,
}

/// Projected trail points, by step and parameter vector, on one plane: a
/// big network's trail costs tens of milliseconds to project whole, and a
/// new snapshot adds only a point or two. The plane and every cached
/// point's vector are held alive (by `plane` here and by the snapshot the
/// overlay keeps), so their addresses identify them.
#[derive(Default)]
struct TrailCache {
    plane: Option<Arc<Plane>>,
    points: std::collections::HashMap<(u64, usize), [f64; 2]>,
}

impl TrailCache {
    /// The trajectory on `plane`, projecting only what is new.
    fn project(&mut self, plane: &Arc<Plane>, trajectory: &[TrajectoryPoint]) -> Vec<[f64; 2]> {
        if !self.plane.as_ref().is_some_and(|p| Arc::ptr_eq(p, plane)) {
            self.plane = Some(Arc::clone(plane));
            self.points.clear();
        }
        let key = |p: &TrajectoryPoint| (p.step, p.params.as_ptr() as usize);
        let current: std::collections::HashSet<_> = trajectory.iter().map(key).collect();
        self.points.retain(|k, _| current.contains(k));
        trajectory
            .iter()
            .filter(|p| p.params.len() == plane.center.len())
            .map(|p| {
                *self.points.entry(key(p)).or_insert_with(|| {
                    let c = project(plane, &p.params).coords;
                    [f64::from(c[0]), f64::from(c.get(1).copied().unwrap_or(0.0))]
                })
            })
            .collect()
    }
}

/// Where the ball and its arrows are on the slice, in slice coefficients.
#[derive(Clone)]
pub struct Overlay {
    /// The current parameters, projected.
    pub ball: [f64; 2],
    /// The kept trajectory, projected.
    pub trail: Vec<[f64; 2]>,
    gradient: [f64; 2],
    /// The gradient arrow's length as a share of its longest: the slope at
    /// the ball in the plane against the map's average slope, at most 1.
    gradient_share: f64,
    step: [f64; 2],
    step_magnified: f64,
    /// The slice's half-width, the unit the arrows are drawn in.
    span: f64,
    off_plane: f32,
    /// The share of the next step that lies in the plane.
    step_share: Option<f32>,
    /// Marked points of a computed plane (the start, another run), projected.
    landmarks: Vec<(String, [f64; 2])>,
    /// What a computed plane is, in a sentence.
    caption: Option<String>,
}

/// Draws the slice; returns the parameters under a click, if any.
pub fn landscape_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    cache: &mut HeatmapCache,
    log_scale: bool,
    show_hover: bool,
) -> Option<Vec<f32>> {
    let Some(result) = runtime
        .slices
        .grid
        .as_ref()
        .filter(|_| runtime.is_consistent())
    else {
        ui.centered_and_justified(|ui| ui.label("computing the landscape…"));
        return None;
    };
    let options = MapOptions {
        log_scale,
        show_hover,
        id: "landscape",
        fit_height: false,
        shared_scale: None,
    };
    slice_map_ui(ui, runtime, result, cache, &options)
}

/// How one map is drawn.
pub(super) struct MapOptions<'a> {
    pub(super) log_scale: bool,
    pub(super) show_hover: bool,
    /// The plot's id (two maps side by side need two).
    pub(super) id: &'a str,
    /// Only as tall as the square map needs, leaving the rest below free.
    pub(super) fit_height: bool,
    /// One colour scale for several maps (side by side), so one colour
    /// means one loss on both; `None` scales the map to its own values.
    pub(super) shared_scale: Option<&'a ColourScale>,
}

/// One heatmap of `result` with the ball, trail, arrows and landmarks.
pub(super) fn slice_map_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    result: &LandscapeResult,
    cache: &mut HeatmapCache,
    options: &MapOptions,
) -> Option<Vec<f32>> {
    let MapOptions {
        log_scale,
        show_hover,
        id,
        fit_height,
        shared_scale,
    } = *options;
    cache.refresh(ui.ctx(), result, log_scale, shared_scale);
    let grid = &result.grid;
    let plane = &result.plane;
    let overlay = cache.overlay_for(runtime, result);
    let (a, b) = (grid.spec.alpha, grid.spec.beta.unwrap_or(grid.spec.alpha));
    let origin = origin(runtime);
    let surface = runtime.problem.surface().is_some();
    let (x_label, y_label) = match (surface, single_parameters(plane)) {
        (true, _) => ("x".to_string(), "y".to_string()),
        // Two single weights: say which, as a student reads them.
        (false, Some([i, j])) => {
            let layout = runtime.problem.layout();
            (
                format!("α · {}", layout.plain_name(i)),
                format!("β · {}", layout.plain_name(j)),
            )
        }
        (false, None) => ("α".to_string(), "β".to_string()),
    };
    let (x_short, y_short) = if surface { ("x", "y") } else { ("α", "β") };
    let colorbar_width = 70.0;
    let available = ui.available_size();
    let plot_width = (available.x - colorbar_width - 8.0).max(100.0);
    // Side by side the square maps take only the height they need.
    let plot_height = match fit_height {
        true => available.y.min(plot_width + 40.0),
        false => available.y,
    }
    .max(100.0);
    let mut clicked = None;
    let mut ball_off_map = false;
    let racing = runtime.race.latest.is_some();
    // The view is the slice's own extent, whatever the trail does.
    let cells = [
        f64::from((a.max - a.min) / (a.points.max(2) - 1) as f32),
        f64::from((b.max - b.min) / (b.points.max(2) - 1) as f32),
    ];
    let extent = [
        origin[0] + f64::from(a.min) - cells[0] / 2.0,
        origin[0] + f64::from(a.max) + cells[0] / 2.0,
        origin[1] + f64::from(b.min) - cells[1] / 2.0,
        origin[1] + f64::from(b.max) + cells[1] / 2.0,
    ];
    // The bounds widened to the frame's shape (less its axes), so that one
    // unit is as long across as up and the whole slice shows.
    let bounds = {
        let frame = [
            f64::from(plot_width - 50.0).max(10.0),
            f64::from(plot_height - 40.0).max(10.0),
        ];
        let (w, h) = (extent[1] - extent[0], extent[3] - extent[2]);
        let (cx, cy) = ((extent[0] + extent[1]) / 2.0, (extent[2] + extent[3]) / 2.0);
        let scale = (w / frame[0]).max(h / frame[1]);
        let (hw, hh) = (scale * frame[0] / 2.0, scale * frame[1] / 2.0);
        [cx - hw, cx + hw, cy - hh, cy + hh]
    };
    ui.horizontal(|ui| {
        let mut plot = axes::marks_125_both(Plot::new(id))
            .default_x_bounds(bounds[0], bounds[1])
            .default_y_bounds(bounds[2], bounds[3]);
        let key = bounds.map(|v| (v * 1e3).round() / 1e3);
        if cache.extent != Some(key) {
            plot = plot.reset();
            cache.extent = Some(key);
        }
        if racing {
            plot = plot.legend(Legend::default().position(Corner::LeftTop));
        }
        let response = plot
            .show_background(false)
            .width(plot_width)
            .height(plot_height)
            .data_aspect(1.0)
            .x_axis_label(x_label)
            .y_axis_label(y_label)
            .x_axis_formatter(|mark, _| axes::linear(mark))
            .y_axis_formatter(|mark, _| axes::linear(mark))
            .allow_double_click_reset(true)
            .show_grid(false)
            .show_crosshair(show_hover)
            .show_x(show_hover)
            .show_y(show_hover)
            .show(ui, |plot| {
                if let Some(texture) = &cache.texture {
                    // The image covers the slice's extent, half a cell past each end point.
                    let [x0, x1, y0, y1] = extent;
                    let centre = PlotPoint::new((x0 + x1) / 2.0, (y0 + y1) / 2.0);
                    let size = Vec2::new((x1 - x0) as f32, (y1 - y0) as f32);
                    plot.image(PlotImage::new("", texture.id(), centre, size));
                }
                let shift = |p: [f64; 2]| [p[0] + origin[0], p[1] + origin[1]];
                for (label, at) in &overlay.landmarks {
                    plot.points(
                        Points::new(label.clone(), PlotPoints::from(vec![shift(*at)]))
                            .shape(MarkerShape::Diamond)
                            .radius(7.0)
                            .filled(true)
                            .color(Color32::WHITE),
                    );
                    let [x, y] = shift(*at);
                    let text = egui::RichText::new(format!("  {label}"))
                        .size(15.0)
                        .strong()
                        .color(Color32::WHITE)
                        .background_color(Color32::from_black_alpha(120));
                    plot.text(
                        Text::new(label.clone(), PlotPoint::new(x, y), text)
                            .anchor(egui::Align2::LEFT_BOTTOM),
                    );
                }
                if racing {
                    race_ui(plot, runtime, plane, shift);
                    return;
                }
                if overlay.trail.len() > 1 {
                    let trail: Vec<[f64; 2]> = overlay.trail.iter().map(|&p| shift(p)).collect();
                    let trail = within(&trail, extent);
                    plot.line(
                        Line::new("trail", PlotPoints::from(trail))
                            .color(Color32::WHITE)
                            .width(2.0),
                    );
                }
                let ball = shift(overlay.ball);
                let tip = |v: [f64; 2]| [ball[0] + v[0], ball[1] + v[1]];
                // The ball under its arrows: a short arrow still shows on it.
                plot.points(
                    Points::new("ball", PlotPoints::from(vec![ball]))
                        .shape(MarkerShape::Circle)
                        .radius(8.0)
                        .filled(true)
                        .color(BALL_COLOUR),
                );
                plot.arrows(
                    Arrows::new(
                        "gradient (uphill)",
                        PlotPoints::from(vec![ball]),
                        PlotPoints::from(vec![tip(overlay.gradient)]),
                    )
                    .color(GRADIENT_COLOUR)
                    .tip_length(12.0),
                );
                let step_name = if overlay.step_magnified > 1.0 {
                    format!("step (downhill, ×{:.0})", overlay.step_magnified)
                } else {
                    "step (downhill)".to_string()
                };
                plot.arrows(
                    Arrows::new(
                        step_name,
                        PlotPoints::from(vec![ball]),
                        PlotPoints::from(vec![tip(overlay.step)]),
                    )
                    .color(STEP_COLOUR)
                    .tip_length(12.0),
                );
                edge_marker_ui(plot, ball, extent);
                ball_off_map = !ball_is_inside(ball, extent);
            });
        draw_contours(ui, &response.transform, &cache.contours, grid, origin);
        let rect = response.response.rect;
        if let Some(pos) = response.response.hover_pos().filter(|_| show_hover) {
            let value = response.transform.value_from_position(pos);
            let (alpha, beta) = (value.x - origin[0], value.y - origin[1]);
            let readout = match loss_at(grid, alpha, beta) {
                Some(loss) => format!(
                    "{x_short} = {:.3}, {y_short} = {:.3}\nloss = {}",
                    value.x,
                    value.y,
                    plain_number(f64::from(loss))
                ),
                None => format!(
                    "{x_short} = {:.3}, {y_short} = {:.3}\noutside the slice",
                    value.x, value.y
                ),
            };
            let painter = ui.painter_at(rect);
            let font = egui::FontId::proportional(14.0);
            let galley = painter.layout_no_wrap(readout, font, Color32::WHITE);
            let at = (pos + Vec2::new(14.0, 14.0)).min(rect.max - galley.size() - Vec2::splat(4.0));
            painter.rect_filled(
                Rect::from_min_size(at, galley.size()).expand(4.0),
                4.0,
                Color32::from_black_alpha(190),
            );
            painter.galley(at, galley, Color32::WHITE);
            if response.response.clicked() {
                let mut params = vec![0.0; plane.center.len()];
                plane.point(&[alpha as f32, beta as f32], &mut params);
                clicked = Some(params);
            }
        }
        // In follow mode the plane goes through the parameters, so the distance is 0.
        // First, in one plain sentence, what moves: on a network's slice the
        // ball does not roll across a fixed map, and a newcomer must be told.
        // Side by side the column titles say what each map is, and the
        // maps are narrow: only the numbers go on them.
        // A map this narrow (side by side, or beside a lesson's card on a
        // projector) keeps only the numbers: long sentences would cover it.
        let compact = fit_height || rect.width() < COMPACT_WIDTH;
        let mut text = match (surface, &overlay.caption) {
            (true, _) => String::new(),
            (false, _) if compact => String::new(),
            (false, Some(caption)) => format!("{caption}\n"),
            (false, None) if overlay.off_plane < 1e-6 => {
                "The map is redrawn around the ball after each step: the ball stays in the middle while the landscape changes under it.\n".to_string()
            }
            (false, None) => format!(
                "The map is fixed through the start; the ball is where the parameters project onto it, {} away from it.\n",
                plain_number(f64::from(overlay.off_plane))
            ),
        };
        if let Some(share) = overlay.step_share.filter(|_| !surface) {
            let share = plain_number(f64::from(100.0 * share));
            text.push_str(&match compact {
                true => format!("next step: {share} % in this plane"),
                false => format!(
                    "The next step lies {share} % in this plane; the rest moves in directions the map leaves out."
                ),
            });
        }
        if log_scale && cache.scale.as_ref().is_some_and(|scale| !scale.is_log()) {
            // Asked for log colours, but a log scale would flatten every loss
            // at or below zero into one colour: say why the colours are linear.
            text = format!("colours linear: the loss here goes below 0\n{text}");
        }
        if let Some((examples, of)) = result.sample {
            // A preview's values are an estimate: say so, and what follows.
            let (examples, of) = (grouped(examples as f64), grouped(of as f64));
            let preview = match compact {
                true => format!("preview on {examples} of {of} examples"),
                false => format!(
                    "Preview: the loss on {examples} of the {of} training examples, a quick estimate; the map on all of them follows."
                ),
            };
            text = format!("{preview}\n{text}");
        }
        let mut caption_bottom = rect.top();
        if !text.is_empty() {
            // Wrapped to the plot, so a long caption stays on the map.
            let painter = ui.painter();
            let galley = painter.layout(
                text.trim_end().to_string(),
                egui::FontId::proportional(13.0),
                Color32::WHITE,
                (rect.width() - 16.0).max(80.0),
            );
            // On a dark backing, so the text reads on any colour of the map
            // and in either theme; during a race the lanes' legend holds the
            // top corner, so the caption goes to the bottom one.
            let at = match racing {
                true => rect.left_bottom() + Vec2::new(8.0, -8.0 - galley.size().y),
                false => rect.left_top() + Vec2::new(8.0, 8.0),
            };
            let backing = Rect::from_min_size(at, galley.size()).expand(4.0);
            painter.rect_filled(backing, 4.0, Color32::from_black_alpha(160));
            painter.galley(at, galley, Color32::WHITE);
            caption_bottom = backing.bottom();
        }
        // Off the map the arrows are not drawn, and the key would cover the
        // label that says where the ball went.
        if !racing && !ball_off_map {
            arrow_key_ui(ui.painter(), rect, caption_bottom, &overlay, compact);
        }
        colorbar_ui(
            ui,
            cache.scale.as_ref(),
            cache.has_non_finite,
            colorbar_width,
            rect.height(),
        );
    });
    clicked
}

/// Below this width (points) the map's caption keeps only its numbers.
const COMPACT_WIDTH: f32 = 420.0;

/// What the ball, the trail and the two arrows are, in the map's bottom-left
/// corner on a dark backing: the arrows' colours mean nothing until said.
fn arrow_key_ui(
    painter: &egui::Painter,
    rect: Rect,
    caption_bottom: f32,
    overlay: &Overlay,
    compact: bool,
) {
    let step = if overlay.step[0].hypot(overlay.step[1]) < 0.01 * overlay.span {
        "step ≈ 0: stopped here".to_string()
    } else if overlay.step_magnified > 1.0 {
        format!("step (downhill), drawn ×{:.0}", overlay.step_magnified)
    } else {
        "step (downhill)".to_string()
    };
    let gradient = match overlay.gradient_share < 0.05 {
        true => "gradient ≈ 0: flat here",
        false => "gradient (uphill)",
    };
    let entries = [
        (Glyph::Dot, BALL_COLOUR, "ball"),
        (Glyph::Line, Color32::WHITE, "trail"),
        (Glyph::Arrow, GRADIENT_COLOUR, gradient),
        (Glyph::Arrow, STEP_COLOUR, step.as_str()),
    ];
    let font = egui::FontId::proportional(if compact { 12.0 } else { 14.0 });
    let galleys: Vec<_> = entries
        .iter()
        .map(|(_, _, text)| painter.layout_no_wrap(text.to_string(), font.clone(), Color32::WHITE))
        .collect();
    let (glyph, gap, pad) = (18.0, 10.0, 6.0);
    let line = galleys.iter().map(|g| g.size().y).fold(0.0, f32::max);
    // One row when it fits, else one entry per row.
    let row_width: f32 = galleys.iter().map(|g| glyph + 4.0 + g.size().x + gap).sum();
    let one_row = row_width + 2.0 * pad <= rect.width() - 16.0;
    let (width, height) = match one_row {
        true => (row_width - gap, line),
        false => (
            galleys
                .iter()
                .map(|g| glyph + 4.0 + g.size().x)
                .fold(0.0, f32::max),
            line * entries.len() as f32 + 2.0 * (entries.len() - 1) as f32,
        ),
    };
    let origin = rect.left_bottom() + Vec2::new(8.0 + pad, -8.0 - pad - height);
    // A map too small for the key beside its caption (a divergence banner
    // squeezed it) goes without: the key must never cover the caption or
    // most of the map.
    if origin.y - pad < caption_bottom + 4.0
        || height + 2.0 * pad > 0.4 * rect.height()
        || width + 2.0 * pad > rect.width() - 16.0
    {
        return;
    }
    painter.rect_filled(
        Rect::from_min_size(origin, Vec2::new(width, height)).expand(pad),
        4.0,
        Color32::from_black_alpha(170),
    );
    let mut at = origin;
    for ((kind, colour, _), galley) in entries.iter().zip(galleys) {
        let mid = at + Vec2::new(0.0, line / 2.0);
        let stroke = egui::Stroke::new(2.5, *colour);
        match kind {
            Glyph::Dot => {
                painter.circle_filled(mid + Vec2::new(glyph / 2.0, 0.0), 6.0, *colour);
            }
            Glyph::Line => {
                painter.line_segment([mid, mid + Vec2::new(glyph, 0.0)], stroke);
            }
            Glyph::Arrow => painter.arrow(mid, Vec2::new(glyph, 0.0), stroke),
        }
        let advance = glyph + 4.0 + galley.size().x + gap;
        painter.galley(at + Vec2::new(glyph + 4.0, 0.0), galley, Color32::WHITE);
        at = match one_row {
            true => at + Vec2::new(advance, 0.0),
            false => at + Vec2::new(0.0, line + 2.0),
        };
    }
}

/// A mark in the arrow key.
enum Glyph {
    Dot,
    Line,
    Arrow,
}

/// The path up to where it first leaves `extent`, ending on the edge: the
/// plot does not clip lines to its frame, and a trail across the header
/// would say nothing.
fn within(path: &[[f64; 2]], extent: [f64; 4]) -> Vec<[f64; 2]> {
    let [x0, x1, y0, y1] = extent;
    let inside = |p: &[f64; 2]| (x0..=x1).contains(&p[0]) && (y0..=y1).contains(&p[1]);
    let mut kept = Vec::with_capacity(path.len());
    for pair in path.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if kept.is_empty() {
            if !inside(&a) {
                continue;
            }
            kept.push(a);
        }
        if inside(&b) {
            kept.push(b);
            continue;
        }
        // Where the segment a → b crosses the edge.
        let t = [
            ((if b[0] > x1 { x1 } else { x0 }) - a[0]) / (b[0] - a[0]),
            ((if b[1] > y1 { y1 } else { y0 }) - a[1]) / (b[1] - a[1]),
        ]
        .into_iter()
        .filter(|t| t.is_finite() && (0.0..=1.0).contains(t))
        .fold(1.0f64, f64::min);
        kept.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
        break;
    }
    kept
}

/// A ball that has left the map: a pointer at the edge, towards it, with
/// where it is, so an escape is seen leaving rather than lost.
/// Whether the ball is on the map (NaN counts as on it: it has no direction to point).
fn ball_is_inside(ball: [f64; 2], extent: [f64; 4]) -> bool {
    let [x0, x1, y0, y1] = extent;
    ball[0].is_nan()
        || ball[1].is_nan()
        || ((x0..=x1).contains(&ball[0]) && (y0..=y1).contains(&ball[1]))
}

fn edge_marker_ui(plot: &mut egui_plot::PlotUi<'_>, ball: [f64; 2], extent: [f64; 4]) {
    let [x0, x1, y0, y1] = extent;
    // Far off (even infinitely) is still a direction; NaN is none.
    if ball_is_inside(ball, extent) {
        return;
    }
    let inset = 0.04 * (x1 - x0).min(y1 - y0);
    let at = [
        ball[0].clamp(x0 + inset, x1 - inset),
        ball[1].clamp(y0 + inset, y1 - inset),
    ];
    let shape = if ball[1] > y1 {
        MarkerShape::Up
    } else if ball[1] < y0 {
        MarkerShape::Down
    } else if ball[0] > x1 {
        MarkerShape::Right
    } else {
        MarkerShape::Left
    };
    plot.points(
        Points::new("ball, off the map", PlotPoints::from(vec![at]))
            .shape(shape)
            .radius(11.0)
            .filled(true)
            .color(BALL_COLOUR),
    );
    // Positions to the hundredth, as the axes read: (0.00, 43.44).
    let coordinate = |v: f64| tick_label((v * 100.0).round() / 100.0, 0.01);
    let text = egui::RichText::new(format!(
        " ball at ({}, {}) ",
        coordinate(ball[0]),
        coordinate(ball[1])
    ))
    .size(15.0)
    .strong()
    .color(Color32::WHITE)
    .background_color(Color32::from_black_alpha(160));
    // The label grows away from the nearer side; from the middle third it
    // is centred, so on a narrow map it does not run off the far edge.
    let third = (x1 - x0) / 3.0;
    let horizontal = if at[0] < x0 + third {
        egui::Align::Min
    } else if at[0] > x1 - third {
        egui::Align::Max
    } else {
        egui::Align::Center
    };
    // In the upper half the label hangs below its point, in the lower half
    // it stands above it (egui's text anchors count y downwards).
    let vertical = if at[1] > (y0 + y1) / 2.0 {
        egui::Align::Min
    } else {
        egui::Align::Max
    };
    let anchor = egui::Align2([horizontal, vertical]);
    // Off the top or bottom, the label sits a little inside the map, clear
    // of the caption that runs along its top edge.
    let inward = if ball[1] > y1 {
        -5.0 * inset
    } else if ball[1] < y0 {
        5.0 * inset
    } else {
        0.0
    };
    let label_at = PlotPoint::new(at[0], at[1] + inward);
    plot.text(Text::new("ball position", label_at, text).anchor(anchor));
}

/// Every lane of the race: its trail and ball in its own colour, named in the legend.
fn race_ui(
    plot: &mut egui_plot::PlotUi<'_>,
    runtime: &Runtime,
    plane: &Plane,
    shift: impl Fn([f64; 2]) -> [f64; 2],
) {
    let Some(race) = &runtime.race.latest else {
        return;
    };
    let coords = |params: &[f32]| {
        let c = project(plane, params).coords;
        shift([f64::from(c[0]), f64::from(c.get(1).copied().unwrap_or(0.0))])
    };
    for lane in &race.lanes {
        if lane.params.len() != plane.center.len() {
            continue;
        }
        let colour = lane_colour(lane.kind);
        let name = match lane.state {
            RunState::Diverged { loss, .. } if loss < 0.0 => format!("{}: escaped", lane.name),
            RunState::Diverged { .. } => format!("{}: diverged", lane.name),
            _ => format!("{}: loss {}", lane.name, plain_number(f64::from(lane.loss))),
        };
        let trail: Vec<[f64; 2]> = lane
            .trail
            .iter()
            .filter(|p| p.params.len() == plane.center.len())
            .map(|p| coords(&p.params))
            .filter(|p| p[0].is_finite() && p[1].is_finite())
            .collect();
        if trail.len() > 1 {
            plot.line(
                Line::new(name.clone(), PlotPoints::from(trail))
                    .color(colour)
                    .width(2.5),
            );
        }
        let ball = coords(&lane.params);
        if ball[0].is_finite() && ball[1].is_finite() {
            plot.points(
                Points::new(name, PlotPoints::from(vec![ball]))
                    .shape(MarkerShape::Circle)
                    .radius(7.0)
                    .filled(true)
                    .color(colour),
            );
        }
    }
}

/// The parameter each direction moves, when each moves just one (the "two
/// parameters" slice).
fn single_parameters(plane: &Plane) -> Option<[usize; 2]> {
    let single = |d: &Vec<f32>| {
        let mut nonzero = d.iter().enumerate().filter(|(_, v)| **v != 0.0);
        match (nonzero.next(), nonzero.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    };
    match plane.directions.as_slice() {
        [a, b] => Some([single(a)?, single(b)?]),
        _ => None,
    }
}

/// What an overlay was computed for besides the snapshot: the grid's
/// generation and finality, and whether its colours were log.
type OverlayKey = (u64, bool, Option<bool>);

/// The most the step arrow is lengthened to be seen.
const MAX_MAGNIFICATION: f64 = 100.0;

/// Coordinates added to slice coefficients on screen: a surface is shown in its own x, y.
pub(super) fn origin(runtime: &Runtime) -> [f64; 2] {
    match runtime.problem.surface() {
        Some(kind) => kind.view().0,
        None => [0.0, 0.0],
    }
}

fn overlay(
    runtime: &Runtime,
    plane: &Arc<Plane>,
    grid: &Grid,
    scale: Option<&ColourScale>,
    trail: &mut TrailCache,
) -> Overlay {
    let snapshot = &runtime.snapshot;
    let here = project(plane, &snapshot.params);
    let coords = |c: &[f32]| [f64::from(c[0]), f64::from(c.get(1).copied().unwrap_or(0.0))];
    let ball = coords(&here.coords);
    let trail = trail.project(plane, &snapshot.trajectory);
    let linear = Plane {
        center: vec![0.0; plane.center.len()],
        directions: plane.directions.clone(),
    };
    let gradient = coords(&project(&linear, &snapshot.gradient).coords);
    let step = coords(&project(&linear, &snapshot.next_step).coords);
    // The gradient is drawn at most a quarter of the slice long, shorter in
    // proportion where the map is flatter than its average slope: at a
    // minimum the arrow shrinks away instead of pointing hard into noise.
    // The step is drawn at its true length unless too small to see.
    let span = f64::from(grid.spec.alpha.max);
    let length = |v: [f64; 2]| v[0].hypot(v[1]);
    // The loss the map shows under the ball (the run's own off the map).
    let ball_loss = loss_at(grid, ball[0], ball[1]).unwrap_or(snapshot.evaluation.train_loss);
    let gradient_share = scale.map_or(1.0, |scale| {
        slope_share(plane, &snapshot.gradient, ball_loss, scale, 0.25 * span)
    });
    let gradient = scale_to(gradient, 0.25 * span * gradient_share);
    let step_length = length(step);
    // Magnified at most a hundredfold: a step that is still too short to
    // see is as good as none, and the key says so.
    let step_magnified = if step_length > 0.0 && step_length < 0.05 * span {
        (0.12 * span / step_length)
            .round()
            .clamp(1.0, MAX_MAGNIFICATION)
    } else {
        1.0
    };
    let landmarks = runtime
        .slices
        .computed
        .landmarks_on(plane)
        .iter()
        .filter(|l| l.params.len() == plane.center.len())
        .map(|l| (l.label.clone(), coords(&project(plane, &l.params).coords)))
        .collect();
    Overlay {
        ball,
        trail,
        gradient,
        gradient_share,
        step: [step[0] * step_magnified, step[1] * step_magnified],
        step_magnified,
        span,
        off_plane: here.distance,
        step_share: (snapshot.next_step.len() == plane.center.len())
            .then(|| share_in_plane(plane, &snapshot.next_step))
            .flatten(),
        landmarks,
        caption: runtime
            .slices
            .computed
            .description_on(plane)
            .map(str::to_string),
    }
}

/// How long the gradient arrow is drawn, as a share of its longest: the
/// colour change a walk along the longest arrow would make on this map, as
/// a share of a tenth of the colour bar, capped at 1. So the arrow is long
/// where the map visibly rises along it, and shrinks away where the map is
/// flat at its own colour scale: at a minimum, instead of pointing hard
/// into noise. 0 when anything is not a finite number.
fn slope_share(
    plane: &Plane,
    gradient: &[f32],
    ball_loss: f32,
    scale: &ColourScale,
    longest: f64,
) -> f64 {
    if gradient.len() != plane.center.len() {
        return 0.0;
    }
    // The slope along each direction is the gradient's dot product with it.
    let slope = plane
        .directions
        .iter()
        .map(|d| {
            let along: f64 = d
                .iter()
                .zip(gradient)
                .map(|(&a, &g)| f64::from(a) * f64::from(g))
                .sum();
            along * along
        })
        .sum::<f64>()
        .sqrt();
    let raised = f64::from(ball_loss) + slope * longest;
    let (Some(from), Some(to)) = (scale.to_scale(ball_loss), scale.to_scale(raised as f32)) else {
        return 0.0;
    };
    let share = (to - from) / (0.1 * scale.range());
    if share.is_finite() && share > 0.0 {
        share.min(1.0)
    } else {
        0.0
    }
}

fn scale_to(v: [f64; 2], length: f64) -> [f64; 2] {
    let norm = v[0].hypot(v[1]);
    if norm > 0.0 && norm.is_finite() {
        [v[0] * length / norm, v[1] * length / norm]
    } else {
        [0.0, 0.0]
    }
}

/// Nearest grid value to (α, β), if inside the grid.
fn loss_at(grid: &Grid, alpha: f64, beta: f64) -> Option<f32> {
    let a = grid.spec.alpha;
    let b = grid.spec.beta?;
    let index = |axis: valley_engine::landscape::GridAxis, v: f64| {
        let t =
            (v - f64::from(axis.min)) / f64::from(axis.max - axis.min) * (axis.points - 1) as f64;
        (t >= -0.5 && t <= (axis.points - 1) as f64 + 0.5)
            .then(|| (t.round() as usize).min(axis.points - 1))
    };
    Some(grid.at(index(a, alpha)?, index(b, beta)?))
}

impl HeatmapCache {
    /// The ball, trail and arrows for this snapshot on this grid's plane.
    pub fn overlay_for(&mut self, runtime: &Runtime, result: &LandscapeResult) -> Overlay {
        let grid_key = (
            result.generation,
            result.is_final,
            self.scale.as_ref().map(ColourScale::is_log),
        );
        match &self.overlay {
            Some((snapshot, key, overlay))
                if Arc::ptr_eq(snapshot, &runtime.snapshot) && *key == grid_key =>
            {
                overlay.clone()
            }
            _ => {
                let fresh = overlay(
                    runtime,
                    &result.plane,
                    &result.grid,
                    self.scale.as_ref(),
                    &mut self.trail,
                );
                self.overlay = Some((Arc::clone(&runtime.snapshot), grid_key, fresh.clone()));
                fresh
            }
        }
    }

    fn refresh(
        &mut self,
        ctx: &egui::Context,
        result: &LandscapeResult,
        log_scale: bool,
        shared: Option<&ColourScale>,
    ) {
        let key = (result.generation, result.is_final, log_scale);
        let scale = match shared {
            Some(scale) => scale.clone(),
            None => ColourScale::from_values(&result.grid.values, log_scale),
        };
        if self.key == Some(key) && self.scale.as_ref() == Some(&scale) {
            return;
        }
        let grid = &result.grid;
        let (cols, rows) = (
            grid.spec.alpha.points,
            grid.spec.beta.map_or(1, |b| b.points),
        );
        let mut pixels = Vec::with_capacity(cols * rows);
        // Image rows run top to bottom; grid rows bottom to top.
        for j in (0..rows).rev() {
            for i in 0..cols {
                let [r, g, b] = match scale.unit_from_loss(grid.at(i, j)) {
                    Some(t) => colormap(t),
                    None => NOT_FINITE_COLOUR,
                };
                pixels.push(Color32::from_rgb(r, g, b));
            }
        }
        let image = ColorImage::new([cols, rows], pixels);
        match &mut self.texture {
            Some(texture) => texture.set(image, TextureOptions::LINEAR),
            None => {
                self.texture = Some(ctx.load_texture("landscape", image, TextureOptions::LINEAR))
            }
        }
        let field: Vec<f64> = grid
            .values
            .iter()
            .map(|&v| scale.unit_from_loss(v).unwrap_or(f64::NAN))
            .collect();
        self.contours = (1..10)
            .flat_map(|k| isoline_segments(&field, cols, rows, f64::from(k) / 10.0))
            .collect();
        self.scale = Some(scale);
        self.has_non_finite = grid.values.iter().any(|v| !v.is_finite());
        self.key = Some(key);
    }
}

#[cfg(test)]
mod tests {
    use super::{TrailCache, slope_share, within};
    use valley_engine::landscape::GridSpec;
    use valley_figure::colour_scale::ColourScale;

    #[test]
    fn the_gradient_arrow_is_as_long_as_the_colour_change_it_predicts() {
        // The tilted plane loss = x + y/2 over [−1, 1]², in linear colours:
        // the bar spans 3, so a tenth of it is 0.3.
        let spec = GridSpec::square(1.0, 21);
        let xs = spec.alpha.values();
        let values: Vec<f32> = xs
            .iter()
            .flat_map(|&y| xs.iter().map(move |&x| x + y / 2.0))
            .collect();
        let linear = ColourScale::from_values(&values, false);
        let plane =
            Plane::new(vec![0.0, 0.0], vec![vec![1.0, 0.0], vec![0.0, 1.0]]).expect("plane");
        // Slope |(0.4, 0)| over an arrow 0.25 long: a rise of 0.1, a third of a tenth.
        let share = slope_share(&plane, &[0.4, 0.0], 0.0, &linear, 0.25);
        assert!((share - 1.0 / 3.0).abs() < 1e-6, "{share}");
        // The surface's own gradient rises 0.28 along the arrow: nearly full.
        let share = slope_share(&plane, &[1.0, 0.5], 0.0, &linear, 0.25);
        assert!(
            (share - 1.25f64.sqrt() * 0.25 / 0.3).abs() < 1e-6,
            "{share}"
        );
        assert_eq!(slope_share(&plane, &[30.0, 0.0], 0.0, &linear, 0.25), 1.0);
        // At a minimum the gradient is noise: the arrow all but vanishes.
        assert!(slope_share(&plane, &[1e-4, -1e-4], 0.0, &linear, 0.25) < 1e-3);
        // In log colours a small slope at a small loss is a visible change:
        // losses 10⁻³ to 10 span 4 decades; 10⁻³ → 2×10⁻³ is 0.3 of a decade.
        let log = ColourScale::from_values(&[1e-3, 10.0], true);
        let share = slope_share(&plane, &[0.004, 0.0], 1e-3, &log, 0.25);
        assert!((share - 2f64.log10() / 0.4).abs() < 1e-4, "{share}");
        // A gradient of the wrong size: no arrow.
        assert_eq!(slope_share(&plane, &[1.0], 0.0, &linear, 0.25), 0.0);
    }
    use std::sync::Arc;
    use valley_engine::landscape::{Plane, project};
    use valley_engine::train::TrajectoryPoint;

    #[test]
    fn the_trail_cache_projects_what_is_new_and_agrees_with_a_fresh_projection() {
        let point = |step: u64, x: f32| TrajectoryPoint {
            step,
            params: Arc::from(vec![x, 2.0 * x, 1.0]),
            loss: 0.0,
        };
        let plane = Arc::new(
            Plane::new(vec![0.0; 3], vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]])
                .expect("plane"),
        );
        let mut trajectory = vec![point(0, 1.0), point(1, 0.5)];
        let mut cache = TrailCache::default();
        let fresh = |t: &[TrajectoryPoint], plane: &Plane| -> Vec<[f64; 2]> {
            t.iter()
                .map(|p| {
                    let c = project(plane, &p.params).coords;
                    [f64::from(c[0]), f64::from(c[1])]
                })
                .collect()
        };
        assert_eq!(
            cache.project(&plane, &trajectory),
            fresh(&trajectory, &plane)
        );
        trajectory.push(point(2, 0.25));
        trajectory.remove(0);
        assert_eq!(
            cache.project(&plane, &trajectory),
            fresh(&trajectory, &plane)
        );
        assert_eq!(
            cache.points.len(),
            2,
            "points no longer in the trail are dropped"
        );
        // Another plane: nothing cached carries over.
        let other = Arc::new(
            Plane::new(vec![0.0; 3], vec![vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 1.0]])
                .expect("plane"),
        );
        assert_eq!(
            cache.project(&other, &trajectory),
            fresh(&trajectory, &other)
        );
    }

    #[test]
    fn a_trail_that_leaves_the_map_stops_at_its_edge() {
        let extent = [-2.0, 2.0, -2.0, 2.0];
        let path = [[0.0, 0.0], [0.0, 1.0], [0.0, 3.0], [0.0, 9.0]];
        assert_eq!(
            within(&path, extent),
            vec![[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]
        );
        // A path entirely inside is kept whole; one that starts outside starts where it enters.
        assert_eq!(within(&path[..2], extent), path[..2].to_vec());
        assert_eq!(
            within(&[[5.0, 0.0], [1.0, 0.0], [0.5, 0.0]], extent),
            vec![[1.0, 0.0], [0.5, 0.0]]
        );
    }
}
