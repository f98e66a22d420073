//! Session files: a whole run on disk (the problem, the hyperparameters,
//! the parameters, the optimiser's moments, the batch order, the trajectory
//! and the curves), so a class can stop and go on tomorrow exactly where
//! it left off. JSON with a format version; written atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::io::bounded;
use crate::io::limits::MAX_SESSION_BYTES;
use crate::io::{ReadError, read_at_most};
use crate::problem::ProblemSpec;
use crate::train::{SavedRun, TrainConfig};

/// The session format this build writes, and the newest it reads.
///
/// Format 2 stores the batch-order generator's position; format 1 stored a
/// count of shuffles to replay, which Valley still reads within a budget.
pub const SESSION_FORMAT: u32 = 2;

/// One saved session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    /// Format of the file; a newer one is refused with a message.
    pub format_version: u32,
    /// The Valley that wrote it, for the curious.
    pub written_by: String,
    /// What is being trained.
    pub problem: ProblemSpec,
    /// Optimiser, schedule, batch size and seed.
    pub train: TrainConfig,
    /// The run itself.
    pub run: SavedRun,
    /// Whatever the front end wants back (the app's view settings); opaque
    /// here, and at most [`super::limits::MAX_VIEW_BYTES`] of it.
    #[serde(default, deserialize_with = "bounded::small_json")]
    pub view: serde_json::Value,
}

/// Why a session could not be saved or opened; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Larger than any session Valley writes.
    #[error("{} is {bytes} bytes, more than the {limit}-byte limit for a session: it is not a Valley session", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Written by a newer Valley.
    #[error(
        "{} is a session of format {found}, newer than this Valley reads ({SESSION_FORMAT}): update Valley to open it", path.display()
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u32,
    },
    /// Not JSON, not a session, or a field missing or of the wrong type.
    #[error("{} is not a readable Valley session: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What serde found (names the field and the line).
        message: String,
    },
    /// Parsed, but a setting or count in it is out of range.
    #[error("{} cannot be opened: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Which field, its value and the limit.
        message: String,
    },
    /// The session would be larger than Valley reads back.
    #[error(
        "this run's session would be {bytes} bytes, more than the {MAX_SESSION_BYTES}-byte limit for a session: save the weights instead"
    )]
    WouldBeTooLarge {
        /// Its size.
        bytes: u64,
    },
    /// A diverged run's numbers cannot be written as JSON.
    #[error("this run cannot be saved: its {what} are not finite numbers; reset the run first")]
    NotFinite {
        /// Which values.
        what: &'static str,
    },
}

impl Session {
    /// A session for a run.
    pub fn new(
        problem: ProblemSpec,
        train: TrainConfig,
        run: SavedRun,
        view: serde_json::Value,
    ) -> Self {
        Self {
            format_version: SESSION_FORMAT,
            written_by: format!("valley {}", env!("CARGO_PKG_VERSION")),
            problem,
            train,
            run,
            view,
        }
    }
}

impl Session {
    /// Checks what a file could set beyond what Valley can run: the
    /// hyperparameters, the dataset, the network's size, every count in the
    /// run. Shapes are checked against the problem when the run is restored.
    pub fn check(&self) -> Result<(), String> {
        self.train
            .validate()
            .map_err(|e| format!("its training settings are invalid: {e}"))?;
        self.problem.check()?;
        self.run.check_counts().map_err(|e| e.to_string())
    }
}

/// Writes the session to a temporary file beside `path`, flushes it to
/// disk and renames it into place: a crash never leaves half a session.
pub fn save_session(session: &Session, path: &Path) -> Result<(), SessionError> {
    let text = session_bytes(session, path)?;
    crate::io::write_atomic(path, &text).map_err(|source| SessionError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The session as the JSON [`save_session`] writes, checked the same way
/// (for a browser's storage, which has no paths); `path` names it in errors.
pub fn session_bytes(session: &Session, path: &Path) -> Result<Vec<u8>, SessionError> {
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    if !finite(&session.run.params) || !finite(&session.run.initial_params) {
        return Err(SessionError::NotFinite { what: "parameters" });
    }
    if !session.run.optimizer.is_finite() {
        return Err(SessionError::NotFinite {
            what: "optimiser moments",
        });
    }
    // Never write a file this Valley would refuse to open.
    session.check().map_err(|message| SessionError::Invalid {
        path: path.to_path_buf(),
        message,
    })?;
    let text = serde_json::to_vec(session).map_err(|e| SessionError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    // Never write a file this Valley would refuse to open.
    if text.len() as u64 > MAX_SESSION_BYTES {
        return Err(SessionError::WouldBeTooLarge {
            bytes: text.len() as u64,
        });
    }
    Ok(text)
}

/// Reads a session, refusing files that are too large, from a newer
/// Valley, missing a field, or with a number past its limit (the message
/// names the field, its value and the limit).
pub fn load_session(path: &Path) -> Result<Session, SessionError> {
    let text = read_at_most(path, MAX_SESSION_BYTES).map_err(|e| match e {
        ReadError::Io(source) => SessionError::Io {
            path: path.to_path_buf(),
            source,
        },
        ReadError::TooLarge(bytes) => SessionError::TooLarge {
            path: path.to_path_buf(),
            bytes,
            limit: MAX_SESSION_BYTES,
        },
    })?;
    parse_session(&text, path)
}

/// Parses session bytes and checks every count and setting in them; `path`
/// only names the file in errors.
pub fn parse_session(text: &[u8], path: &Path) -> Result<Session, SessionError> {
    let session = parse_session_unchecked(text, path)?;
    session.check().map_err(|message| SessionError::Invalid {
        path: path.to_path_buf(),
        message,
    })?;
    Ok(session)
}

fn parse_session_unchecked(text: &[u8], path: &Path) -> Result<Session, SessionError> {
    let malformed = |e: serde_json::Error| SessionError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_json::from_slice(text).map_err(malformed)?;
    if version.format_version > SESSION_FORMAT {
        return Err(SessionError::NewerFormat {
            path: path.to_path_buf(),
            found: version.format_version,
        });
    }
    serde_json::from_slice(text).map_err(malformed)
}
