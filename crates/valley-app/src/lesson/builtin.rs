//! The lessons compiled into Valley, in course order. Each is a plain
//! lesson file under `assets/lessons/`, read by the same checker as a
//! teacher's own.

use std::sync::Arc;

use super::file::Lesson;

/// The built-in lesson files: (id, text), in the order the course runs.
pub const BUILT_IN: [(&str, &str); 14] = [
    (
        "loss-and-slope",
        include_str!("../../../../assets/lessons/01-loss-and-slope.toml"),
    ),
    (
        "learning-rate",
        include_str!("../../../../assets/lessons/02-learning-rate.toml"),
    ),
    (
        "schedules",
        include_str!("../../../../assets/lessons/03-schedules.toml"),
    ),
    (
        "momentum-and-adam",
        include_str!("../../../../assets/lessons/04-momentum-and-adam.toml"),
    ),
    (
        "minima-and-saddles",
        include_str!("../../../../assets/lessons/05-minima-and-saddles.toml"),
    ),
    (
        "many-parameters",
        include_str!("../../../../assets/lessons/06-many-parameters.toml"),
    ),
    (
        "wormhole",
        include_str!("../../../../assets/lessons/07-wormhole.toml"),
    ),
    (
        "many-dimensions",
        include_str!("../../../../assets/lessons/08-many-dimensions.toml"),
    ),
    (
        "flat-and-sharp",
        include_str!("../../../../assets/lessons/09-flat-and-sharp.toml"),
    ),
    (
        "overfitting",
        include_str!("../../../../assets/lessons/10-overfitting.toml"),
    ),
    (
        "double-descent",
        include_str!("../../../../assets/lessons/11-double-descent.toml"),
    ),
    (
        "lottery-tickets",
        include_str!("../../../../assets/lessons/12-lottery-tickets.toml"),
    ),
    (
        "luck-of-the-draw",
        include_str!("../../../../assets/lessons/13-luck-of-the-draw.toml"),
    ),
    (
        "next-character",
        include_str!("../../../../assets/lessons/14-next-character.toml"),
    ),
];

/// Lessons that arrive with their own features, shown greyed in the menu
/// (a teacher's file for any of them opens like any lesson).
pub const COMING: [&str; 0] = [];

/// The built-in lesson with this id, checked.
pub fn built_in(id: &str) -> Result<Arc<Lesson>, String> {
    let (_, text) = BUILT_IN
        .iter()
        .find(|(name, _)| *name == id)
        .ok_or_else(|| {
            format!(
                "there is no built-in lesson '{id}': use one of {}",
                ids().join(", ")
            )
        })?;
    Lesson::parse(text, &format!("built-in lesson {id}")).map(Arc::new)
}

/// (id, title) of every built-in lesson, read once, for the menu.
pub fn titles() -> &'static [(&'static str, String)] {
    static TITLES: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    TITLES.get_or_init(|| {
        BUILT_IN
            .iter()
            .map(|(id, _)| {
                let title = built_in(id).map_or_else(|e| e, |l| l.title().to_string());
                (*id, title)
            })
            .collect()
    })
}

/// The Lessons menu: every built-in lesson (one click starts it), the ones
/// still to come, and a teacher's own file.
pub fn lessons_menu_ui(ui: &mut egui::Ui) -> Option<crate::AppCommand> {
    let mut command = None;
    ui.menu_button("Lessons", |ui| {
        for (number, (id, title)) in titles().iter().enumerate() {
            if ui.button(format!("{}. {title}", number + 1)).clicked() {
                command = Some(crate::AppCommand::OpenLesson((*id).to_string()));
            }
        }
        ui.separator();
        for title in COMING {
            ui.add_enabled(false, egui::Button::new(format!("{title} (coming)")))
                .on_disabled_hover_text("A lesson file for it opens like any other: Open a lesson file…");
        }
        ui.separator();
        if ui
            .button("Record this scene as a step…")
            .on_hover_text("Write your own lesson: each step is the scene on screen, with your title and narration")
            .clicked()
        {
            command = Some(crate::AppCommand::RecordLesson);
        }
        if ui
            .button("Open a lesson file…")
            .on_hover_text("A .toml lesson written by a teacher (or saved from Valley); drag-and-drop works too")
            .clicked()
        {
            command = Some(crate::AppCommand::AskForFile);
        }
    })
    .response
    .on_hover_text("Guided lessons: each step sets the scene, runs it and says what to look for");
    command
}

/// The built-in ids, in course order.
pub fn ids() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(id, _)| *id).collect()
}

/// A lesson by built-in id or by file path.
pub fn find(name: &str) -> Result<Arc<Lesson>, String> {
    if BUILT_IN.iter().any(|(id, _)| *id == name) {
        return built_in(name);
    }
    let path = std::path::Path::new(name);
    if path.exists() {
        return Lesson::read(path).map(Arc::new);
    }
    Err(format!(
        "'{name}' is neither a built-in lesson ({}) nor a lesson file",
        ids().join(", ")
    ))
}
