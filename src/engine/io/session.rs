//! Session files: a whole run on disk (the problem, the hyperparameters,
//! the parameters, the optimiser's moments, the batch order, the trajectory
//! and the curves), so a class can stop and go on tomorrow exactly where
//! it left off. JSON with a format version; written atomically.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::limits::MAX_FILE_BYTES;
use crate::engine::problem::ProblemSpec;
use crate::engine::train::{SavedRun, TrainConfig};

/// The session format this build writes, and the newest it reads.
pub const SESSION_FORMAT: u32 = 1;

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
    /// Whatever the front end wants back (the app's view settings); opaque here.
    #[serde(default)]
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

/// Writes the session to a temporary file beside `path`, flushes it to
/// disk and renames it into place: a crash never leaves half a session.
pub fn save_session(session: &Session, path: &Path) -> Result<(), SessionError> {
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    if !finite(&session.run.params) || !finite(&session.run.initial_params) {
        return Err(SessionError::NotFinite { what: "parameters" });
    }
    if !session.run.optimizer.is_finite() {
        return Err(SessionError::NotFinite {
            what: "optimiser moments",
        });
    }
    let io = |source| SessionError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = serde_json::to_vec(session).map_err(|e| SessionError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(path.file_name().unwrap_or_default());
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(&text)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        // Best effort: the error matters more than a stray temporary file.
        let _ = fs::remove_file(&temp);
        return Err(io(e));
    }
    Ok(())
}

/// Reads a session, refusing files that are too large, from a newer
/// Valley, or missing a field (the message names it).
pub fn load_session(path: &Path) -> Result<Session, SessionError> {
    let io = |source| SessionError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = fs::metadata(path).map_err(io)?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(SessionError::TooLarge {
            path: path.to_path_buf(),
            bytes,
            limit: MAX_FILE_BYTES,
        });
    }
    let text = fs::read(path).map_err(io)?;
    parse_session(&text, path)
}

/// Parses session bytes; `path` only names the file in errors.
pub fn parse_session(text: &[u8], path: &Path) -> Result<Session, SessionError> {
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
