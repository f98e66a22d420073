//! Two maps side by side: the plane through the start (frozen) beside the
//! plane through the parameters now (following), and under them how far the
//! run has left the start's plane. The landscape under the ball changes
//! because training moves in the dimensions a slice leaves out.

use super::charts_view::off_plane_ui;
use super::landscape_view::{HeatmapCache, MapOptions, slice_map_ui};
use super::runtime::Runtime;
use valley_figure::colour_scale::ColourScale;

/// The plane through the start (frozen) beside the plane through the
/// parameters now (following), each with how far the parameters are off it
/// and how much of the step it shows; returns the parameters under a click.
pub fn side_by_side_ui(
    ui: &mut egui::Ui,
    runtime: &Runtime,
    frozen_cache: &mut HeatmapCache,
    follow_cache: &mut HeatmapCache,
    log_scale: bool,
    same_scale: &mut bool,
    show_hover: bool,
) -> Option<Vec<f32>> {
    let consistent = runtime.is_consistent();
    ui.checkbox(same_scale, "one colour scale for both maps")
        .on_hover_text("The same colour means the same loss on both maps; untick to scale each map to its own range");
    let shared = match (&runtime.slices.twin, &runtime.slices.grid) {
        (Some(frozen), Some(following)) if *same_scale && consistent => {
            let values: Vec<f32> = frozen
                .grid
                .values
                .iter()
                .chain(&following.grid.values)
                .copied()
                .collect();
            Some(ColourScale::from_values(&values, log_scale))
        }
        _ => None,
    };
    let mut clicked = None;
    // With computed directions the right-hand plane is the computed one, fixed where asked.
    let computed = runtime
        .slices
        .grid
        .as_ref()
        .is_some_and(|g| runtime.slices.computed.description_on(&g.plane).is_some());
    let (right_title, right_hint) = if computed {
        (
            "computed: the plane chosen under Slice, fixed where it was asked for",
            "Pick filter-normalised or Gaussian directions to see the plane follow the parameters",
        )
    } else {
        (
            "following: the plane through the parameters now",
            "Re-centred on the parameters at every refresh: the landscape under the ball changes as training moves in the dimensions the plane leaves out",
        )
    };
    // The maps leave the charts below them a share of the height: square
    // maps would otherwise take all of it on a wide, short projector.
    let charts = (ui.available_height() * 0.3).clamp(110.0, 240.0);
    let maps = egui::vec2(
        ui.available_width(),
        (ui.available_height() - charts).max(120.0),
    );
    ui.allocate_ui(maps, |ui| ui.columns(2, |columns| {
        let panes = [
            (
                &runtime.slices.twin,
                &mut *frozen_cache,
                "frozen: the plane through the start",
                "The same plane all run long: the ball is the parameters' shadow on it, and drifts off it",
                "frozen landscape",
            ),
            (
                &runtime.slices.grid,
                &mut *follow_cache,
                right_title,
                right_hint,
                "following landscape",
            ),
        ];
        for (column, (result, cache, title, hint, id)) in columns.iter_mut().zip(panes) {
            column.strong(title).on_hover_text(hint);
            match result.as_ref().filter(|_| consistent) {
                Some(result) => {
                    let options = MapOptions {
                        log_scale,
                        show_hover,
                        id,
                        fit_height: true,
                        shared_scale: shared.as_ref(),
                    };
                    if let Some(params) = slice_map_ui(column, runtime, result, cache, &options) {
                        clicked = Some(params);
                    }
                }
                None => {
                    column.centered_and_justified(|ui| ui.label("computing the landscape…"));
                }
            }
        }
    }));
    // Below the maps: how far the run has left the start's plane, over time.
    ui.add_space(6.0);
    let height = (ui.available_height() - 8.0).max(80.0);
    off_plane_ui(ui, runtime, height);
    clicked
}
