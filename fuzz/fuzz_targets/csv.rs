//! Any text as a CSV data file: a dataset or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use valley::engine::data::parse_csv;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = parse_csv(text, "fuzz.csv");
    }
});
