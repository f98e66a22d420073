//! Reading a whole file within a limit: the size is checked before reading,
//! and the read stops one byte past the limit whatever the file claimed. Every
//! reader of a file from outside (sessions, scenes, safetensors, CSV) goes
//! through here, so none can be made to read more than its limit.

use std::fs;
use std::path::Path;

/// Why [`read_at_most`] gave up.
#[derive(Debug)]
pub enum ReadError {
    /// The system's error.
    Io(std::io::Error),
    /// The file has at least this many bytes, past the limit.
    TooLarge(u64),
}

/// Reads a whole file of at most `limit` bytes: the size is checked before
/// reading, and the read stops one byte past the limit whatever the file
/// claimed (a pipe, or a file that grows while it is read).
pub fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read as _;
    let file = fs::File::open(path).map_err(ReadError::Io)?;
    let claimed = file.metadata().map_err(ReadError::Io)?.len();
    if claimed > limit {
        return Err(ReadError::TooLarge(claimed));
    }
    let mut bytes = Vec::with_capacity(claimed as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}
