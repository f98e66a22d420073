//! Widgets the controls, the presenter's strip and the lesson card share.

use std::ops::RangeInclusive;

/// A slider that keeps a value set elsewhere (a scene, a lesson, a file
/// checked by `settings_check`) even when it lies outside the slider's own
/// range: egui's default clamps it as soon as the slider is drawn, which
/// silently changed a lesson's 40 points to 50 and its weight decay of 3 to 0.1.
pub fn slider<Num: egui::emath::Numeric>(
    value: &mut Num,
    range: RangeInclusive<Num>,
) -> egui::Slider<'_> {
    egui::Slider::new(value, range).clamping(egui::SliderClamping::Edits)
}

/// A vertical divider one text line tall, for the status line. A plain
/// separator takes the layout's whole height, and in the status line's
/// wrapping layout that height grew with every frame until the line filled
/// the window.
pub fn status_divider(ui: &mut egui::Ui) {
    let height = ui.text_style_height(&egui::TextStyle::Body);
    ui.add_sized([8.0, height], egui::Separator::default().vertical());
}

/// `slider` in a column of any width: its track shrinks to leave room for
/// the value box. A slider is one widget that a wrapping row cannot break,
/// so at its default width in a narrow column with projector-sized text it
/// widened the column past the window and pushed the map under the charts.
pub fn fitted_slider(ui: &mut egui::Ui, slider: egui::Slider<'_>) -> egui::Response {
    ui.scope(|ui| {
        let value_box =
            ui.text_style_height(&egui::TextStyle::Body) * 5.0 + ui.spacing().item_spacing.x;
        ui.spacing_mut().slider_width = (ui.available_width() - value_box).max(40.0);
        ui.add(slider)
    })
    .inner
}
