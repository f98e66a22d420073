//! What is drawn on and beside a map: contour lines over the heatmap, and
//! the colorbar in loss units (with the colour of non-finite cells).

use egui::{Color32, Pos2, Rect, Stroke, Vec2};
use egui_plot::PlotPoint;

use valley_engine::landscape::Grid;
use valley_figure::colour_scale::{ColourScale, NOT_FINITE_COLOUR, colormap};

pub(super) fn draw_contours(
    ui: &egui::Ui,
    transform: &egui_plot::PlotTransform,
    contours: &[[(f64, f64); 2]],
    grid: &Grid,
    origin: [f64; 2],
) {
    let a = grid.spec.alpha;
    let Some(b) = grid.spec.beta else { return };
    let to_screen = |(c, r): (f64, f64)| -> Pos2 {
        let x = f64::from(a.min)
            + c * f64::from(a.max - a.min) / (a.points - 1).max(1) as f64
            + origin[0];
        let y = f64::from(b.min)
            + r * f64::from(b.max - b.min) / (b.points - 1).max(1) as f64
            + origin[1];
        transform.position_from_point(&PlotPoint::new(x, y))
    };
    let painter = ui.painter_at(*transform.frame());
    let stroke = Stroke::new(1.0, Color32::from_white_alpha(90));
    for [p, q] in contours {
        painter.line_segment([to_screen(*p), to_screen(*q)], stroke);
    }
}

/// The colorbar for `scale`; `has_non_finite` adds the swatch of NaN and ∞ cells.
pub(super) fn colorbar_ui(
    ui: &mut egui::Ui,
    scale: Option<&ColourScale>,
    has_non_finite: bool,
    width: f32,
    height: f32,
) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width, height), egui::Sense::hover());
    let Some(scale) = scale else { return };
    let bar = Rect::from_min_max(
        rect.min + Vec2::new(6.0, 24.0),
        Pos2::new(rect.min.x + 22.0, rect.max.y - 30.0),
    );
    let painter = ui.painter_at(rect);
    let steps = 64;
    for k in 0..steps {
        let t0 = k as f32 / steps as f32;
        let [r, g, b] = colormap(1.0 - f64::from(t0));
        let y0 = bar.top() + t0 * bar.height();
        let slab = Rect::from_min_max(
            Pos2::new(bar.left(), y0),
            Pos2::new(bar.right(), y0 + bar.height() / steps as f32 + 1.0),
        );
        painter.rect_filled(slab, 0.0, Color32::from_rgb(r, g, b));
    }
    let text_colour = ui.visuals().text_color();
    for (unit, label) in scale.ticks() {
        let y = bar.bottom() - unit as f32 * bar.height();
        painter.line_segment(
            [Pos2::new(bar.right(), y), Pos2::new(bar.right() + 4.0, y)],
            Stroke::new(1.0, text_colour),
        );
        painter.text(
            Pos2::new(bar.right() + 6.0, y),
            egui::Align2::LEFT_CENTER,
            label,
            egui::FontId::proportional(12.0),
            text_colour,
        );
    }
    if has_non_finite {
        // Cells where the loss is NaN or infinite get their own colour, named here.
        let [r, g, b] = NOT_FINITE_COLOUR;
        let swatch = Rect::from_min_size(
            Pos2::new(bar.left(), bar.bottom() + 8.0),
            Vec2::new(bar.width(), 12.0),
        );
        painter.rect_filled(swatch, 0.0, Color32::from_rgb(r, g, b));
        painter.text(
            Pos2::new(bar.right() + 6.0, swatch.center().y),
            egui::Align2::LEFT_CENTER,
            "not finite",
            egui::FontId::proportional(12.0),
            text_colour,
        );
    }
    painter.text(
        Pos2::new(bar.left(), rect.top() + 4.0),
        egui::Align2::LEFT_TOP,
        "loss",
        egui::FontId::proportional(13.0),
        text_colour,
    );
}
