//! Any bytes as a session file: parsed, then restored into a small run and
//! stepped, which must end in a value or an error, never a panic.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use valley::engine::io::parse_session;
use valley::engine::problem::{Problem, SurfaceProblem};
use valley::engine::surface::SurfaceKind;
use valley::engine::train::Run;

fuzz_target!(|bytes: &[u8]| {
    let Ok(session) = parse_session(bytes, Path::new("fuzz.json")) else {
        return;
    };
    // Building the problem would read files named inside; a surface stands in.
    let problem: Arc<dyn Problem> = Arc::new(SurfaceProblem::new(SurfaceKind::Rosenbrock));
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
