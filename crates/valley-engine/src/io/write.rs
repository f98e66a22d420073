//! Writing a file whole or not at all: every file Valley saves goes through
//! [`write_atomic`]. On the desktop it writes a temporary file beside the
//! target and renames it over, so a crash or a full disk never leaves half a
//! file. In a browser there is no file system: the bytes go to the sink the
//! page installed ([`set_browser_sink`]), which hands them over as a download
//! named after the path's file name.

use std::path::Path;

/// Writes `bytes` to `path` atomically (see the module's doc).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let Some(file_name) = path.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ));
    };
    #[cfg(target_arch = "wasm32")]
    let written = browser::deliver(&file_name.to_string_lossy(), bytes);
    #[cfg(not(target_arch = "wasm32"))]
    let written = desktop::write(path, file_name, bytes);
    written
}

#[cfg(not(target_arch = "wasm32"))]
mod desktop {
    use std::ffi::OsStr;
    use std::fs;
    use std::io::Write as _;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};

    pub(super) fn write(path: &Path, file_name: &OsStr, bytes: &[u8]) -> std::io::Result<()> {
        // Distinct per process and per call: two saves of one file at once
        // never share a temporary file.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let temp_name = format!(
            ".{}.{}-{}.tmp",
            file_name.to_string_lossy(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let temp_path = path.with_file_name(temp_name);
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .and_then(|mut handle| {
                handle.write_all(bytes)?;
                handle.sync_all()
            })
            .and_then(|()| fs::rename(&temp_path, path));
        if written.is_err() {
            // Best effort: the write error is the one worth reporting.
            let _ = fs::remove_file(&temp_path);
        }
        written
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::sync::Mutex;

    /// Hands a file's name and bytes to the page (a download).
    pub type Sink = Box<dyn Fn(&str, &[u8]) -> Result<(), String> + Send>;

    pub(super) static SINK: Mutex<Option<Sink>> = Mutex::new(None);

    pub(super) fn deliver(name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let sink = SINK
            .lock()
            .map_err(|_| std::io::Error::other("the download sink failed"))?;
        let sink = sink
            .as_ref()
            .ok_or_else(|| std::io::Error::other("this page cannot save files"))?;
        sink(name, bytes).map_err(std::io::Error::other)
    }
}

/// Where saves go in a browser: `sink` gets each file's name and bytes.
#[cfg(target_arch = "wasm32")]
pub fn set_browser_sink(sink: browser::Sink) {
    if let Ok(mut slot) = browser::SINK.lock() {
        *slot = Some(sink);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::write_atomic;

    #[test]
    fn a_file_is_replaced_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("out.bin");
        write_atomic(&path, b"first").expect("written");
        write_atomic(&path, b"second, longer").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"second, longer");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.bin")]);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("no/such/folder/out.bin");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(write_atomic(std::path::Path::new("/"), b"x").is_err());
    }
}
