//! Any bytes as a PNG figure: the scene in its `valley-scene` text chunk is
//! read (inflated only up to the scene limit) and parsed, and its settings
//! are checked the way the app opens a figure; an error is fine, a panic is not.
//!
//! A PNG chunk ends in a CRC-32 of its type and data, and the decoder refuses
//! a chunk whose CRC is wrong, so almost every mutation of a text chunk would
//! die at the CRC. The custom mutator below recomputes the CRCs after
//! libFuzzer's own mutation (except for one input in sixteen, so the
//! bad-CRC path stays covered), which lets the fuzzer reach the zlib
//! inflate, the JSON and the settings check. The JSON and the settings
//! check on their own are fuzzed faster by the `scene_json` target.
#![no_main]

use std::path::Path;

use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use valley::app::Scene;

fuzz_target!(|bytes: &[u8]| {
    let Ok(scene) = Scene::from_png_bytes(bytes, Path::new("fuzz.png")) else {
        return;
    };
    if let Ok(checked) = scene.settings.clone().checked() {
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

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let size = libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    if seed % 16 != 0 {
        fix_crcs(&mut data[..size]);
    }
    size
});

/// Rewrites the CRC of every whole chunk after the PNG signature.
fn fix_crcs(png: &mut [u8]) {
    if png.len() < 8 || png[..8] != PNG_SIGNATURE {
        return;
    }
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]) as usize;
        let Some(end) = (at + 8).checked_add(len) else {
            return;
        };
        if end + 4 > png.len() {
            return;
        }
        let crc = crc32(&png[at + 4..end]);
        png[end..end + 4].copy_from_slice(&crc.to_be_bytes());
        at = end + 4;
    }
}

/// CRC-32 (ISO-HDLC, as PNG uses), bit by bit: inputs are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
