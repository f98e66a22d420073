//! Everything the app can be asked to do — by a button, a key, a click on
//! the map, a script, and next a lesson — as one enum, handled in one place
//! ([`crate::ValleyApp::execute`]). Views draw from state and return
//! commands; values the user edits (sliders, choices) stay settings, which
//! the app applies by comparing them with what the engine runs.

use std::path::PathBuf;

use super::export::ExportKind;
use super::notices::Source;
use valley_engine::train::Speed;

/// One thing to do.
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// Play if paused, pause if playing.
    TogglePlay,
    /// Train continuously.
    Play,
    /// Stop training.
    Pause,
    /// Take this many steps, then pause.
    Step(u64),
    /// Back to step 0 at the settings' seed.
    Reset,
    /// Back to step 0 with this learning rate (after a divergence).
    ResetWithLearningRate(f32),
    /// Restart the run from these parameters (a click on the map).
    DropBall(Vec<f32>),
    /// Train at this pace without touching the settings (a script, a
    /// replay); `None` goes back to the settings' pace.
    Pace(Option<Speed>),
    /// Compute the Hessian or PCA directions again, at the current point.
    RecomputeDirections,
    /// Ask for a file in the native dialog.
    AskForFile,
    /// Open a session, a scene or a figure.
    Open(PathBuf),
    /// Open a file already read into memory (dropped on or picked in a web page).
    OpenBytes {
        /// Its name, for messages and to tell a lesson by.
        name: String,
        /// Its contents.
        bytes: std::sync::Arc<[u8]>,
    },
    /// Save the whole run as a session.
    SaveSession,
    /// Write a figure, CSV, film strip or weights into the export folder.
    Export(ExportKind),
    /// Save the window, as the next frame shows it, to this PNG.
    SaveWindowAs(PathBuf),
    /// Stop replaying an opened scene where it is.
    CancelReplay,
    /// Presentation mode on or off.
    TogglePresentation,
    /// Take a notice off the status bar.
    Dismiss(Source),
    /// Show these settings (a lesson step's scene); the viewer's own
    /// presentation mode and camera stay.
    ShowScene(Box<crate::Settings>),
    /// Lay the slice along this recipe and compute it at the ball now.
    ComputePlane(crate::DirectionChoice),
    /// Open a lesson: a built-in id or a lesson file, at its first step.
    OpenLesson(String),
    /// Go to this step of the lesson (0-based; the same step restarts it).
    LessonGo(usize),
    /// The student's answer to the step's question.
    LessonGuess(bool),
    /// Leave the lesson for free play, keeping the scene.
    LeaveLesson,
    /// Open the window that records the scene on screen as lesson steps.
    RecordLesson,
    /// Write a lesson file with this name into the export folder.
    SaveLesson {
        /// The file name.
        name: String,
        /// The TOML.
        text: String,
    },
    /// Close the window.
    Quit,
}
