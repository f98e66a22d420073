//! Any bytes as a session file, along the path the app opens one:
//! `parse_session` (which checks every count and setting), the view read back
//! as settings and checked, the problem built, the run restored into it and
//! stepped four times, then saved. An error anywhere is fine; a panic is not.
//!
//! Then the round trip: whatever `save_session` would write (it refuses
//! non-finite parameters or moments, and anything its own reader would
//! refuse) must parse again and restore into the same problem: a saved
//! session always reopens.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use valley::app::Settings;
use valley::engine::session::{Session, parse_session};
use valley::engine::nn::param_count;
use valley::engine::problem::ProblemSpec;
use valley::engine::train::Run;

fuzz_target!(|bytes: &[u8]| {
    let Ok(session) = parse_session(bytes, Path::new("fuzz.json")) else {
        return;
    };
    settings_for(&session);
    if too_slow_for_fuzzing(&session) {
        return;
    }
    let Ok(problem) = session.problem.build() else {
        return;
    };
    let Ok(mut run) = Run::new(Arc::clone(&problem), session.train) else {
        return;
    };
    if run.restore(session.run).is_err() {
        return;
    }
    for _ in 0..4 {
        run.step();
    }
    let saved = Session::new(
        session.problem.clone(),
        session.train,
        run.save(),
        serde_json::Value::Null,
    );
    if !save_session_would_write(&saved) {
        return;
    }
    let text = serde_json::to_vec(&saved).expect("a session serialises");
    let reopened = match parse_session(&text, Path::new("saved.json")) {
        Ok(reopened) => reopened,
        Err(e) => panic!("a saved session does not reopen: {e}"),
    };
    let mut again = Run::new(problem, reopened.train).expect("the same config");
    if let Err(e) = again.restore(reopened.run) {
        panic!("a saved session does not restore into its own problem: {e}");
    }
});

/// What the app does with the view (`settings_for_session`): the saved view
/// as settings, checked, else the defaults adapted to the problem, checked.
fn settings_for(session: &Session) {
    if let Ok(saved) = serde_json::from_value::<Settings>(session.view.clone())
        && let Ok(checked) = saved.checked()
    {
        let _ = checked.settings.problem_spec();
    }
    if let Ok(shown) = Settings::default().showing(&session.problem, session.train) {
        let _ = shown.checked();
    }
}

/// A *cost* guard, for fuzzing speed only, not a safety guard:
/// `parse_session` has already refused everything past Valley's limits, and
/// those inputs would still end in a value or an error, just slowly (a
/// million-point dataset, a five-million-parameter network, twenty million
/// replayed shuffle draws). Skipping them keeps one execution to
/// milliseconds. Problems that name files (CSV, imported weights) would read
/// the disk and are skipped too.
fn too_slow_for_fuzzing(session: &Session) -> bool {
    const MAX_POINTS: usize = 2_000;
    const MAX_PARAMS: usize = 50_000;
    const MAX_REPLAYED_DRAWS: u128 = 200_000;
    let points = match &session.problem {
        ProblemSpec::Surface { .. } => 0,
        ProblemSpec::Dataset { data, hidden, .. } => {
            // Widest input (2) and output (16 blob classes) of a built-in set.
            let mut widths = vec![2];
            widths.extend_from_slice(hidden);
            widths.push(16);
            if data.size > MAX_POINTS || param_count(&widths) > MAX_PARAMS {
                return true;
            }
            data.size
        }
        ProblemSpec::Csv { .. } | ProblemSpec::Imported { .. } => return true,
    };
    session.run.shuffle_position.is_none()
        && u128::from(session.run.shuffles) * points as u128 > MAX_REPLAYED_DRAWS
}

/// What `save_session` checks before it writes: finite parameters and
/// moments, and everything its own reader checks (counts past 10^12, such
/// as `tests/data/fuzz/session-step-at-limit.json` after four more steps,
/// are refused rather than written).
fn save_session_would_write(session: &Session) -> bool {
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    finite(&session.run.params)
        && finite(&session.run.initial_params)
        && session.run.optimizer.is_finite()
        && session.check().is_ok()
}
