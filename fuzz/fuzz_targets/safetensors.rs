//! Any bytes as a safetensors file: parsing and mapping to an nn.Sequential
//! must return a value or an error, never panic or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use valley::engine::io::{parse_safetensors, sequential_from_file};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(file) = parse_safetensors(bytes, "fuzz.safetensors") {
        let _ = sequential_from_file(&file, "fuzz.safetensors");
    }
});
