//! The lessons compiled into Valley, in course order. Each is a plain
//! lesson file under `assets/lessons/`, read by the same checker as a
//! teacher's own.

use std::sync::Arc;

use super::file::Lesson;

/// The built-in lesson files: (id, text), in the order the course runs.
pub const BUILT_IN: [(&str, &str); 9] = [
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
        "flat-and-sharp",
        include_str!("../../../../assets/lessons/09-flat-and-sharp.toml"),
    ),
    (
        "overfitting",
        include_str!("../../../../assets/lessons/10-overfitting.toml"),
    ),
];

/// Lessons that arrive with their own features, shown greyed in the menu
/// (a teacher's file for any of them opens like any lesson).
pub const COMING: [&str; 4] = [
    "The geometry of many dimensions",
    "Double descent",
    "Lottery tickets",
    "Next-token prediction",
];

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
