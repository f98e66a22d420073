//! The page around the canvas: its title, its address, its messages.

use wasm_bindgen::JsCast as _;

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

/// The canvas the app draws on.
pub fn canvas() -> Result<web_sys::HtmlCanvasElement, String> {
    document()
        .and_then(|d| d.get_element_by_id("valley"))
        .and_then(|e| e.dyn_into().ok())
        .ok_or_else(|| "the page has no <canvas id=\"valley\">".to_string())
}

/// The address's query, without its `?`.
pub fn query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|q| q.trim_start_matches('?').to_string())
        .unwrap_or_default()
}

/// Puts the scene's query in the address bar without reloading.
pub fn set_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    let url = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The run's step in the page title and on the canvas (`data-step`).
pub fn show_step(step: u64) {
    let Some(document) = document() else {
        return;
    };
    document.set_title(&format!("Valley · step {step}"));
    if let Some(canvas) = document.get_element_by_id("valley") {
        let _ = canvas.set_attribute("data-step", &step.to_string());
    }
}

/// The app is up: the loading message goes.
pub fn loaded() {
    if let Some(note) = document().and_then(|d| d.get_element_by_id("loading")) {
        note.remove();
    }
}

/// Says on the page why the app did not start.
pub fn show_error(message: &str) {
    log::error!("{message}");
    if let Some(note) = document().and_then(|d| d.get_element_by_id("loading")) {
        note.set_text_content(Some(message));
    }
}
