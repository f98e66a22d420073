//! Any bytes (as lossy UTF-8) as a `.json` scene: parsed, then its settings
//! checked the way the app opens a scene; an error is fine, a panic is not.
//! The same path as `png_scene` past the PNG layer, without the PNG framing
//! the fuzzer would otherwise have to keep intact.
#![no_main]

use libfuzzer_sys::fuzz_target;
use valley::app::Scene;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let Ok(scene) = Scene::from_json(&text) else {
        return;
    };
    if let Ok(checked) = scene.settings.checked() {
        // Settings that passed the check must describe a problem that passes
        // the engine's own check (the app builds it next).
        if let Ok(spec) = checked.settings.problem_spec() {
            assert!(
                spec.check().is_ok(),
                "checked settings gave a problem the engine refuses: {:?}",
                spec.check()
            );
        }
    }
});
