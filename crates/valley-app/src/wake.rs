//! How background work asks the UI to look: a repaint request in the real
//! app, nothing (or a counter) in tests.

use std::sync::Arc;

/// Callback that wakes the UI.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The same callback as the boxed closure the engine's services take.
pub fn boxed(wake: &Wake) -> Box<dyn Fn() + Send> {
    let wake = Arc::clone(wake);
    Box::new(move || wake())
}
