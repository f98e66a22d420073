//! Any bytes as a session file: parsed, then (for problems that need no
//! other file) rebuilt, restored and stepped, which must end in a value or
//! an error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use valley::engine::io::parse_session;
use valley::engine::problem::ProblemSpec;
use valley::engine::train::Run;

fuzz_target!(|bytes: &[u8]| {
    let Ok(session) = parse_session(bytes, Path::new("fuzz.json")) else {
        return;
    };
    // Problems that name files would read them; small built-in ones stand in.
    let buildable = match &session.problem {
        ProblemSpec::Surface { .. } => true,
        ProblemSpec::Dataset { data, hidden, .. } => {
            data.size <= 2_000 && hidden.len() <= 4 && hidden.iter().all(|&h| h <= 64)
        }
        _ => false,
    };
    if !buildable {
        return;
    }
    let Ok(problem) = session.problem.build() else {
        return;
    };
    let Ok(mut run) = Run::new(problem, session.train) else {
        return;
    };
    if run.restore(session.run).is_ok() {
        for _ in 0..4 {
            run.step();
        }
        let _ = run.save();
    }
});
