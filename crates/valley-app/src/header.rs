//! The row above the landscape: which view to show, and the file buttons.
//! On a narrow window the buttons wrap onto a row of their own rather than
//! cover the view tabs.

use super::command::AppCommand;
use super::export::ExportKind;
use super::settings::CentralView;

/// Width the tabs and all the buttons need on one row, in points.
const ONE_ROW_WIDTH: f32 = 1180.0;

/// Draws the tabs and buttons; returns the button pressed, if any.
pub fn header_ui(
    ui: &mut egui::Ui,
    view: &mut CentralView,
    has_weights: bool,
    presentation: bool,
    in_lesson: bool,
) -> Option<AppCommand> {
    let presenting_lesson = presentation && in_lesson;
    let one_row = ui.available_width() >= ONE_ROW_WIDTH;
    let mut action = None;
    // The tabs wrap rather than run under the charts on a narrow panel.
    ui.horizontal_wrapped(|ui| {
        // On a projector the presenter's strip holds the Lessons menu.
        if !presentation {
            if let Some(command) = super::lesson::lessons_menu_ui(ui) {
                action = Some(command);
            }
            ui.separator();
        }
        ui.selectable_value(view, CentralView::Map, "2D map")
            .on_hover_text("The slice seen from above: colour is loss, lines are contours");
        ui.selectable_value(view, CentralView::Surface, "3D surface")
            .on_hover_text("The same slice as a landscape: height is loss. Drag to turn it");
        ui.selectable_value(view, CentralView::SideBySide, "Frozen | following")
            .on_hover_text("The plane through the start beside the plane through the parameters now: the landscape under the ball changes as training moves in the dimensions a slice leaves out");
        ui.selectable_value(view, CentralView::Dimensions, "Many dimensions")
            .on_hover_text("What changes when a landscape has thousands or billions of dimensions: distances, volumes, and why almost every flat point is a saddle");
        ui.selectable_value(view, CentralView::Generalisation, "Generalisation")
            .on_hover_text("Many models trained or solved at once: double descent, lottery tickets, the luck of the draw");
        // A lesson on a projector leaves the map the room the file buttons took.
        if one_row && !presenting_lesson {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                action = buttons_ui(ui, has_weights, true).or(action.take());
            });
        }
    });
    if !one_row && !presenting_lesson {
        ui.horizontal_wrapped(|ui| {
            action = buttons_ui(ui, has_weights, false).or(action.take());
        });
    }
    action
}

/// The file buttons, in reading order whichever way the layout runs.
fn buttons_ui(ui: &mut egui::Ui, has_weights: bool, right_to_left: bool) -> Option<AppCommand> {
    let mut buttons: Vec<(&str, &str, AppCommand)> = vec![
        (
            "Save PNG",
            "Save this slice as a figure at twice the size (Ctrl+S); opening it in Valley restores this scene",
            AppCommand::Export(ExportKind::Png),
        ),
        (
            "Save window",
            "Save the whole window as a PNG; opening it in Valley restores this scene",
            AppCommand::Export(ExportKind::Window),
        ),
        (
            "Export CSV",
            "Write the grid and the trajectory as CSV files",
            AppCommand::Export(ExportKind::Csv),
        ),
    ];
    if has_weights {
        buttons.push((
            "Film strip",
            "Slices through the parameters at steps 0, 10, 100, … and now, side by side in one PNG: the landscape under the ball changes as training goes on",
            AppCommand::Export(ExportKind::FilmStrip),
        ));
        buttons.push((
            "Save weights",
            "Save the network's current weights as safetensors that PyTorch loads (nn.Sequential, or a language model's CharModel from scripts/char_model.py)",
            AppCommand::Export(ExportKind::Weights),
        ));
    }
    buttons.push((
        "Save session",
        "Save the whole run (weights, optimiser state, trail, curves) to go on later exactly where it stopped",
        AppCommand::SaveSession,
    ));
    buttons.push((
        "Open…",
        "Open a session or a PNG saved by Valley (Ctrl+O); or drop it onto the window",
        AppCommand::AskForFile,
    ));
    if right_to_left {
        buttons.reverse();
    }
    let mut pressed = None;
    for (label, hint, action) in buttons {
        if ui.button(label).on_hover_text(hint).clicked() {
            pressed = Some(action);
        }
    }
    pressed
}
