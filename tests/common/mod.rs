//! What the app tests share: a small demo app in a harness, and a way to
//! wait for the engine's threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use valley::app::{Settings, ValleyApp};

/// The demo on 200 points with 21 × 21 slices, in a 1400 × 900 window.
pub fn harness() -> Harness<'static, ValleyApp> {
    let settings = Settings {
        dataset_size: 200,
        resolution: 21,
        ..Settings::default()
    };
    let app = ValleyApp::new(settings, Arc::new(|| {})).expect("the app starts");
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut ValleyApp| app.frame_ui(ui), app)
}

/// Steps frames until `done` holds (the engine answers on its own threads).
pub fn frames_until(
    harness: &mut Harness<'static, ValleyApp>,
    what: &str,
    done: impl Fn(&ValleyApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}
