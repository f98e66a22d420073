//! Hard ceilings on what Valley will read or write.
//!
//! A safetensors header is attacker-controlled text: it can claim a tensor of
//! 2^62 elements or a header of many gigabytes. Every size a file states is
//! checked against these limits *before* anything is allocated from it, so a
//! hostile or corrupt file costs at most a bounded amount of memory and time.
//! The numbers are generous for the small MLPs Valley teaches with.

/// Most parameters (tensor elements, summed over a file) Valley accepts.
///
/// Landscapes re-evaluate the loss thousands of times; beyond a few million
/// parameters the views stop being interactive anyway.
pub const MAX_PARAMS: usize = 5_000_000;

/// Longest JSON header accepted, in bytes (1 MiB).
///
/// A header costs roughly 80 bytes per tensor, so this allows far more
/// tensors than [`MAX_TENSORS`] while keeping JSON parsing cheap.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Most tensors accepted in one file (a Linear layer contributes two).
pub const MAX_TENSORS: usize = 4096;

/// Largest file accepted, in bytes (256 MiB).
///
/// [`MAX_PARAMS`] float64 values take 40 MB, so only a file with unrelated
/// payload comes near this; it stops Valley reading a huge file into memory
/// just to reject it.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Highest step counter a file may state (10¹²).
///
/// A trainer at 50,000 steps a second needs over six centuries to get here,
/// so no real run is refused, while a counter set near 2⁶⁴ by hand can
/// neither overflow nor be taken as a number of steps to replay.
pub const MAX_STEP: u64 = 1_000_000_000_000;

/// Most training examples a session's batch order may list (the larger of
/// the CSV and generated-dataset limits).
pub const MAX_EXAMPLES: usize = 1_000_000;

/// Most kept points in a saved trajectory or loss curve.
///
/// Runs keep at most 4,096 (the loss curve) and 1,024 (the trajectory); a
/// file that lists more was not written by Valley.
pub const MAX_SERIES_POINTS: usize = 4096;

/// Largest session file accepted, in bytes (128 MiB).
///
/// Parsing costs at most about twice a file's size on top of it (a value of
/// two bytes, `0,`, becomes a four-byte float), so a hostile file stays
/// well under a gigabyte. Valley thins a big model's saved trajectory (see
/// [`SESSION_TRAJECTORY_FLOATS`]) so its own sessions stay far below this.
pub const MAX_SESSION_BYTES: u64 = 128 << 20;

/// Most floats a session saves for the trajectory (about 45 MB of JSON):
/// a big model keeps fewer, evenly spread points.
pub const SESSION_TRAJECTORY_FLOATS: usize = 4 << 20;

/// Largest front-end view block inside a session (the app's settings take
/// about 2 KB).
pub const MAX_VIEW_BYTES: usize = 1 << 20;

/// Largest scene accepted (a `.json` file or a PNG's inflated text chunk), in
/// bytes; a scene is a few kilobytes of settings.
pub const MAX_SCENE_BYTES: usize = 1 << 20;

/// Format-1 sessions restore the batch-order generator by replaying its
/// shuffles; a file may ask for at most this many index draws (about 0.1 s).
/// Newer sessions store the generator's position and replay nothing.
pub const MAX_REPLAYED_DRAWS: u64 = 20_000_000;

/// Most steps Valley trains a second run for when it is asked to train one
/// "as long as" a run whose step came from a file (the plane to another
/// seed): about a minute for the demo network, with progress and Cancel.
pub const MAX_RETRAINED_STEPS: u64 = 1_000_000;

/// Largest layer width accepted, so a typo cannot ask for gigabytes.
pub const MAX_WIDTH: usize = 4096;

/// Most Linear layers in one model.
pub const MAX_LAYERS: usize = 64;
