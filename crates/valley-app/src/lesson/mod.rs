//! Guided lessons: ordered steps, each a scene with narration, actions, and
//! optionally a control to try, a prediction and checks. Lessons are plain
//! TOML files (the built-in ones compiled in); the player drives the app
//! through the same commands as its buttons.

mod builtin;
mod card;
mod export;
mod facts;
mod file;
mod narration;
mod player;
mod recorder;
mod rehearse;
mod scene_spec;

pub use builtin::{BUILT_IN, COMING, built_in, find, ids, lessons_menu_ui, titles};
pub use card::{HIGHLIGHT, card_ui};
pub use export::{ExportProbe, ExportProgress, LessonExport};
pub use facts::{Fact, Seen};
pub use file::{
    CheckFile, Control, LESSON_VERSION, Lesson, LessonFile, LessonStep, PredictFile, Section,
    StepFile, TryFile,
};
pub use narration::{Narration, VALUES};
pub use player::{LessonPlayer, Phase};
pub use recorder::{Recorder, recorder_ui};
pub use rehearse::{Rehearsal, rehearse_lesson};
pub use scene_spec::SceneSpec;
