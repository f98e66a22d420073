//! Where a page's frames go: the time between frames, the share the
//! background jobs took and the share the app's own drawing took (the rest
//! is painting: the browser's WebGL and compositor). Read by
//! `frame_stats()` for the smoke test's figures.

use std::cell::RefCell;
use std::time::Duration;

use valley_engine::exec::Instant;

#[derive(Default)]
struct Stats {
    frames: u32,
    first: Option<Instant>,
    last: Option<Instant>,
    jobs: Duration,
    app: Duration,
}

thread_local! {
    static STATS: RefCell<Stats> = RefCell::new(Stats::default());
}

/// One frame that began at `at`, its jobs' time and the app's drawing time.
pub fn record(at: Instant, jobs: Duration, app: Duration) {
    STATS.with(|s| {
        let mut s = s.borrow_mut();
        s.frames += 1;
        s.first.get_or_insert(at);
        s.last = Some(at);
        s.jobs += jobs;
        s.app += app;
    });
}

/// The frames since the last call: how many per second, and the mean
/// milliseconds per frame in jobs, in the app's drawing, and in all.
pub fn take() -> String {
    let s = STATS.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let n = f64::from(s.frames.max(1));
    let span = match (s.first, s.last) {
        (Some(a), Some(b)) if s.frames > 1 => (b - a).as_secs_f64(),
        _ => 0.0,
    };
    let per_frame = |d: Duration| (d.as_secs_f64() * 1e3 / n * 10.0).round() / 10.0;
    let frame_ms = if span > 0.0 {
        span * 1e3 / (n - 1.0)
    } else {
        0.0
    };
    format!(
        "{{\"frames\": {}, \"fps\": {:.1}, \"frame_ms\": {:.1}, \"jobs_ms\": {}, \"app_ms\": {}}}",
        s.frames,
        if frame_ms > 0.0 { 1e3 / frame_ms } else { 0.0 },
        frame_ms,
        per_frame(s.jobs),
        per_frame(s.app),
    )
}
