//! Valley in the browser: the same app compiled to WebAssembly. The page
//! has one thread, so every job and service the app starts joins the
//! executor in `valley_engine::exec::browser`, which this crate advances
//! for a bounded slice before each frame. Saves become downloads; the page's
//! query opens a scene (see `valley_app::Link`), and the address bar follows
//! the scene on screen so it can be shared. Empty on the desktop.

#![cfg(target_arch = "wasm32")]

mod download;
mod page;
mod stats;

use std::time::Duration;

use valley_app::ValleyApp;
use valley_engine::exec::{self, Instant};
use wasm_bindgen::prelude::*;

/// A frame at 30 fps lasts 33 ms; drawing and painting take part of it
/// (measured as the time between frames that was not the jobs'), and the
/// jobs get what is left (at least a third of the frame), within these bounds.
const FRAME: Duration = Duration::from_millis(33);
const LEAST_WORK: Duration = Duration::from_millis(4);
const MOST_WORK: Duration = Duration::from_millis(24);

/// Starts the app on the page's `<canvas id="valley">`.
#[wasm_bindgen(start)]
pub fn start() {
    let _ = eframe::WebLogger::init(log::LevelFilter::Warn);
    valley_engine::io::set_browser_sink(Box::new(download::offer));
    wasm_bindgen_futures::spawn_local(async {
        if let Err(message) = run().await {
            page::show_error(&message);
        }
    });
}

async fn run() -> Result<(), String> {
    let canvas = page::canvas()?;
    let query = page::query();
    let options = valley_app::LaunchOptions {
        link: (!query.is_empty()).then_some(query),
        ..Default::default()
    };
    let mut prepared = valley_app::prepare(options).map_err(|e| format!("{e:#}"))?;
    let runner = eframe::WebRunner::new();
    runner
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(move |cc| {
                let app = prepared.in_window(cc)?;
                Ok(Box::new(WebApp::new(app)))
            }),
        )
        .await
        .map_err(|e| format!("Valley could not start in this browser: {e:?}"))?;
    page::loaded();
    Ok(())
}

/// The app, with the page's duties around each frame.
struct WebApp {
    app: ValleyApp,
    /// When the last frame started, and how long its jobs ran.
    last_frame: Option<(Instant, Duration)>,
    /// The smoothed time a frame takes besides the jobs (drawing, painting).
    drawing: Duration,
    /// What the page last showed, so it is written only when it changes.
    shown_step: Option<u64>,
    shown_query: String,
}

impl WebApp {
    fn new(app: ValleyApp) -> Self {
        Self {
            app,
            last_frame: None,
            drawing: Duration::from_millis(10),
            shown_step: None,
            shown_query: String::new(),
        }
    }

    /// The page title and the canvas's `data-step` carry the run's step
    /// (for a test, and for a student's tab); the address carries the scene
    /// whenever the run is not running.
    fn publish(&mut self) {
        let snapshot = &self.app.runtime.snapshot;
        if self.shown_step != Some(snapshot.step) {
            self.shown_step = Some(snapshot.step);
            page::show_step(snapshot.step);
        }
        if snapshot.state != valley_engine::train::RunState::Running {
            let query = self.app.link_query();
            if query != self.shown_query {
                page::set_query(&query);
                self.shown_query = query;
            }
        }
    }
}

impl eframe::App for WebApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let now = Instant::now();
        if let Some((last, worked)) = self.last_frame {
            // An idle pause between frames is not drawing time: capped.
            let other = (now - last).saturating_sub(worked).min(FRAME * 3);
            self.drawing = (self.drawing * 3 + other) / 4;
        }
        // Where painting alone takes longer than a frame (a software
        // renderer), the jobs still get a third of the time: fewer frames,
        // but training and analyses keep going.
        let budget = FRAME
            .saturating_sub(self.drawing)
            .max(self.drawing / 2)
            .clamp(LEAST_WORK, MOST_WORK);
        let next = exec::browser::run_for(budget);
        let worked = now.elapsed();
        self.last_frame = Some((now, worked));
        let drawing = Instant::now();
        self.app.ui(ui, frame);
        stats::record(now, worked, drawing.elapsed());
        match next {
            Some(wait) if wait.is_zero() => ui.ctx().request_repaint(),
            Some(wait) => ui.ctx().request_repaint_after(wait),
            None => {}
        }
        self.publish();
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        self.app.clear_color(visuals)
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
}

/// The yardstick of `valley_app::yardstick` measured in this page, as JSON
/// (for `web/test/smoke.mjs`; the page freezes while it runs).
#[wasm_bindgen]
pub fn yardstick(seconds: f64, runs: usize) -> String {
    match valley_app::yardstick(seconds, runs) {
        Ok(figures) => serde_json::to_string(&figures).unwrap_or_default(),
        Err(e) => format!("{{\"error\": {:?}}}", e.to_string()),
    }
}

/// The longest turn each kind of background job took in this page so far, as
/// JSON `[{"job", "ms", "budget_ms"}]`, longest first: a turn far past its
/// budget is a frame the page lost to it.
#[wasm_bindgen]
pub fn longest_turns() -> String {
    let turns: Vec<serde_json::Value> = exec::browser::longest_turns()
        .into_iter()
        .map(|(job, took, budget)| {
            serde_json::json!({
                "job": job,
                "ms": (took.as_secs_f64() * 1e4).round() / 10.0,
                "budget_ms": (budget.as_secs_f64() * 1e4).round() / 10.0,
            })
        })
        .collect();
    serde_json::Value::Array(turns).to_string()
}

/// Where the page's frames went since the last call, as JSON (see `stats`).
#[wasm_bindgen]
pub fn frame_stats() -> String {
    stats::take()
}
