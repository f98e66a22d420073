//! The work the app has asked for and is waiting on, in one place: exports
//! and window saves, a session being saved, a scene replaying, a film strip,
//! and the curvature and flat-vs-sharp analyses. Each runs as an executor
//! job or a detached write; the app only polls here and turns what arrives
//! into notices.

use std::path::PathBuf;

use super::curvature_view::CurvatureState;
use super::export::{ExportMessage, WindowSaved};
use super::files::{Picked, Replay};
use super::film_strip_job::FilmStripJob;
use super::minima_view::MinimaState;
use super::sessions::PendingSave;

/// Jobs in flight and their latest outcomes.
#[derive(Default)]
pub struct Jobs {
    /// Where the last figure, CSV or weights export reports.
    pub export_message: ExportMessage,
    /// Where the window goes with the next frame.
    pub window_save: Option<PathBuf>,
    /// Where that window save reports.
    pub window_saved: WindowSaved,
    /// The last window save's outcome, for a script to read.
    pub last_window_save: Option<Result<(), String>>,
    /// A file picked in the dialog, waiting to be opened.
    pub picked: Picked,
    /// A scene's run replaying to its saved step.
    pub replaying: Option<Replay>,
    /// A session save waiting for the trainer's state.
    pub pending_save: Option<PendingSave>,
    /// A film strip being made.
    pub film_strip: Option<FilmStripJob>,
    /// The curvature analysis at the ball.
    pub curvature: CurvatureState,
    /// Flat vs sharp minima.
    pub minima: MinimaState,
}
