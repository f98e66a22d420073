//! Any bytes as a session file, along the path the app opens one:
//! `parse_session` (which checks every count and setting), the view read back
//! as settings and checked, the problem built, the run restored into it and
//! stepped four times, then saved. An error anywhere is fine; a panic is not.
//!
//! Then the round trip: the saved run, written as a session the way
//! `save_session` writes it, must parse again and restore into the same
//! problem (a saved session must always reopen). JSON has no NaN or
//! infinity, so the round trip is asserted only for runs whose every number
//! is finite (see `json_holds` for the two known bugs that makes room for).
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use valley::app::Settings;
use valley::engine::io::{Session, parse_session};
use valley::engine::nn::param_count;
use valley::engine::problem::ProblemSpec;
use valley::engine::train::{RestoreError, Run, SavedRun};

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
    let saved = run.save();
    if !json_holds(&saved) {
        return;
    }
    // Legitimate: a file may state counters up to the limit (10^12 steps),
    // and four more steps take them past it, so the saved run is refused
    // with a "past the limit" error (see tests/data/fuzz/session-step-at-limit.json).
    // No real run gets there (centuries at full speed).
    if matches!(saved.check_counts(), Err(RestoreError::PastLimit { .. })) {
        return;
    }
    let text = serde_json::to_vec(&Session::new(
        session.problem.clone(),
        session.train,
        saved,
        serde_json::Value::Null,
    ))
    .expect("a session serialises");
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

/// Whether every number in the saved run is one JSON can hold: serde_json
/// writes NaN and ±∞ as `null`, which no `f32` field reads back.
///
/// `save_session` itself refuses only non-finite parameters and optimiser
/// moments. Two KNOWN BUGS get past it, found by this target and kept as
/// reproducers in tests/data/fuzz/ (delete this note, not the check, once
/// they are fixed; the check then only mirrors `save_session`):
/// - `session-diverged-inf-loss.json`: a run that diverged with an infinite
///   or NaN loss (its parameters still finite) saves `"diverged":[step,null]`
///   (also `valley train --lr 1e38 --save-session`);
/// - `session-series-overflow-inf.json`: `parse_session` reads a literal
///   past the f32 range (`1e39`) in a trajectory point, the loss curve or the
///   evaluations as infinity, and the run saves it back as `null`.
fn json_holds(saved: &SavedRun) -> bool {
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    finite(&saved.params)
        && finite(&saved.initial_params)
        && saved.optimizer.is_finite()
        && saved.diverged.is_none_or(|(_, loss)| loss.is_finite())
        && saved
            .trajectory
            .items()
            .iter()
            .all(|p| p.loss.is_finite() && finite(&p.params))
        && saved
            .history
            .items()
            .iter()
            .all(|h| finite(&[h.batch_loss, h.grad_norm, h.lr]))
        && saved
            .evaluations
            .items()
            .iter()
            .all(|e| e.train_loss.is_finite() && e.test_loss.is_none_or(f32::is_finite))
}
