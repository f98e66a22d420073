//! Saving in a browser: the bytes become a download named after the file.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

/// Offers `bytes` as a download called `name` (the sink every save uses).
pub fn offer(name: &str, bytes: &[u8]) -> Result<(), String> {
    let failed = |e: JsValue| format!("the browser refused the download of {name}: {e:?}");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no page to save from")?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type(name));
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| "no link element".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The download has started from the URL; free it once the browser is done.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
    Ok(())
}

fn media_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("csv") => "text/csv",
        Some("toml") => "application/toml",
        Some("md") => "text/markdown",
        _ => "application/octet-stream",
    }
}
