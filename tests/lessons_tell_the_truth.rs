//! The lessons: every built-in one loads, its predictions and checks say
//! what its runs show (and stay silent on runs where they should not), a
//! malformed lesson file gets its own message with its line, and every
//! step's scene applies in the app.

#[allow(dead_code)]
mod common;

use std::sync::Arc;

use common::frames_until;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use valley::app::lesson::{self, Lesson, rehearse_lesson};
use valley::app::{AppCommand, Settings, ValleyApp};

/// (lesson, step, the prediction's answer, which checks fire) on each
/// step's own run.
const EXPECTED: &[(&str, usize, Option<bool>, &[bool])] = &[
    ("loss-and-slope", 3, Some(true), &[false]),
    ("loss-and-slope", 4, None, &[true]),
    ("loss-and-slope", 5, None, &[true]),
    ("learning-rate", 0, Some(false), &[false]),
    ("learning-rate", 1, Some(true), &[]),
    ("learning-rate", 2, Some(true), &[]),
    ("learning-rate", 3, Some(false), &[true]),
    ("learning-rate", 4, None, &[false]),
    ("schedules", 0, None, &[true]),
    ("schedules", 1, Some(true), &[false]),
    ("schedules", 2, None, &[true]),
    ("schedules", 3, Some(true), &[]),
    ("schedules", 4, None, &[true]),
    ("momentum-and-adam", 0, Some(true), &[]),
    ("momentum-and-adam", 1, Some(false), &[]),
    ("momentum-and-adam", 2, None, &[true]),
    ("momentum-and-adam", 3, Some(true), &[]),
    ("minima-and-saddles", 0, Some(false), &[]),
    ("minima-and-saddles", 1, None, &[true]),
    ("minima-and-saddles", 2, None, &[true]),
    ("minima-and-saddles", 3, Some(false), &[]),
    ("minima-and-saddles", 4, None, &[true]),
    ("wormhole", 0, None, &[true]),
    ("wormhole", 1, Some(true), &[]),
    ("many-dimensions", 5, Some(true), &[]),
    ("many-dimensions", 6, None, &[true]),
    ("flat-and-sharp", 1, Some(true), &[false]),
    ("flat-and-sharp", 2, Some(true), &[]),
    ("overfitting", 0, Some(true), &[true]),
    ("overfitting", 1, Some(false), &[]),
    ("next-character", 0, Some(true), &[]),
    ("next-character", 1, Some(true), &[]),
];

#[test]
fn every_prediction_and_check_says_what_its_run_shows() {
    for id in lesson::ids() {
        let lesson = lesson::built_in(id).expect("a built-in lesson loads");
        let runs = rehearse_lesson(&lesson, &|_, _| {}).expect("the lesson plays");
        for (index, (step, run)) in lesson.steps.iter().zip(&runs).enumerate() {
            let expected = EXPECTED.iter().find(|(l, s, ..)| *l == id && *s == index);
            let has_claims = step.file.predict.is_some() || !step.file.check.is_empty();
            let Some(&(_, _, answer, fired)) = expected else {
                assert!(
                    !has_claims,
                    "{id} step {}: its prediction or checks have no expectation here",
                    index + 1
                );
                continue;
            };
            assert_eq!(
                run.answer,
                answer,
                "{id} step {} ({}): {}",
                index + 1,
                step.file.title,
                run.narration
            );
            assert_eq!(
                run.fired,
                fired,
                "{id} step {} ({}): {}",
                index + 1,
                step.file.title,
                run.narration
            );
        }
    }
}

#[test]
fn checks_stay_silent_on_runs_they_were_not_written_for() {
    // Lesson 2's divergence check fires at 0.11 within its step budget
    // (above) and not at the small rate.
    let lr = lesson::built_in("learning-rate").expect("loads");
    let runs = rehearse_lesson(&lr, &|i, s: &mut Settings| {
        if i == 3 {
            s.train.optimizer.lr = 0.005;
        }
    })
    .expect("plays");
    assert_eq!(runs[3].fired, [false]);
    assert_eq!(
        runs[3].answer,
        Some(false),
        "0.005 is too slow to arrive in 200 steps"
    );
    // Step 5's recovery check fires once the rate is below the limit.
    let runs = rehearse_lesson(&lr, &|i, s: &mut Settings| {
        if i == 4 {
            s.train.optimizer.lr = 0.09;
        }
    })
    .expect("plays");
    assert_eq!(runs[4].fired, [true]);
    // The overfitting check stays silent on plenty of clean points.
    let over = lesson::built_in("overfitting").expect("loads");
    let runs = rehearse_lesson(&over, &|i, s: &mut Settings| {
        if i == 0 {
            s.noise = 0.0;
            s.dataset_size = 400;
        }
    })
    .expect("plays");
    assert_eq!(runs[0].fired, [false], "{}", runs[0].narration);
    assert_eq!(runs[0].answer, Some(false), "{}", runs[0].narration);
    // The saddle's escape check is silent for a ball balanced on the line.
    let saddle = lesson::built_in("minima-and-saddles").expect("loads");
    let runs = rehearse_lesson(&saddle, &|_, _| {}).expect("plays");
    assert!(
        runs[3].loss.abs() < 1e-6,
        "balanced on the saddle: {}",
        runs[3].narration
    );
    // The race's leader flips when momentum is taken out of the race.
    let race = lesson::built_in("momentum-and-adam").expect("loads");
    let runs = rehearse_lesson(&race, &|i, s: &mut Settings| {
        if i == 0 {
            s.race.retain(|k| k.name() != "momentum");
        }
    })
    .expect("plays");
    assert_eq!(runs[0].answer, Some(false));
}

/// (file, what the message must say).
const MALFORMED: &[(&str, &[&str])] = &[
    (
        "id = \"x\"\ntitle = \"t\"\n",
        &["not a Valley lesson", "valley_lesson = 1"],
    ),
    (
        "valley_lesson = 7\nid = \"x\"\ntitle = \"t\"\n",
        &["format 7", "update Valley"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]\n",
        &["line 4"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n",
        &["at least one [[step]]"],
    ),
    (
        "valley_lesson = 1\nid = \"Bad Id\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\n",
        &["line 2", "field id"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\nlerning_rate = 3\n",
        &["line 7", "unknown field `lerning_rate`"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\n",
        &["line 4", "missing field `narration`"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"loss {los}\"\n",
        &["line 4", "step 1", "field narration", "{los}", "{loss}"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\nscene = { optimizer = \"lbfgs\" }\n",
        &["line 7", "unknown optimizer 'lbfgs'"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\nscene = { dataset = \"moons\" }\ndrop = [1.0, 2.0]\n",
        &["line 4", "field drop", "formula surface"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\ntrain = 0\n",
        &["field train", "1 to"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\nscene = { surface = \"bowl\", lr = -1.0 }\n",
        &["line 4", "field scene", "learning"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\n[step.predict]\nquestion = \"q?\"\nanswer = \"diverged\"\nyes = \"y\"\nno = \"n\"\n",
        &["field predict", "needs `train`"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\ntrain = 5\n[[step.check]]\nwhen = { leader = \"adam\" }\nsay = \"s\"\n",
        &["check 1 when", "no race"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\ntrain = 5\n[[step.check]]\nwhen = \"exploded\"\nsay = \"s\"\n",
        &["line 9", "unknown variant `exploded`"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\nreset = false\n",
        &["field reset", "first step"],
    ),
    (
        "valley_lesson = 1\nid = \"x\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nnarration = \"b\"\nscene = { surface = \"bowl\", race = [\"sgd\"] }\n[[step]]\ntitle = \"c\"\nnarration = \"d\"\nscene = { dataset = \"moons\", race = [\"sgd\"] }\n",
        &["line 8", "step 2", "race runs on a formula surface"],
    ),
];

#[test]
fn every_malformed_lesson_gets_its_own_message() {
    let mut seen = Vec::new();
    for (text, wanted) in MALFORMED {
        let error = Lesson::parse(text, "my.toml").expect_err(text);
        assert!(error.starts_with("my.toml"), "{error}");
        for fragment in *wanted {
            assert!(
                error.contains(fragment),
                "{text}\n→ {error}\n(missing: {fragment})"
            );
        }
        assert!(
            !seen.contains(&error),
            "two files share the message {error}"
        );
        seen.push(error);
    }
}

#[test]
fn a_lesson_survives_saving_and_a_recorded_step() {
    for id in lesson::ids() {
        let lesson = lesson::built_in(id).expect("loads");
        let again = Lesson::parse(&lesson.to_toml(), "saved").expect("a saved lesson reads back");
        assert_eq!(again.file, lesson.file, "{id}");
    }
    let lesson = lesson::built_in("learning-rate").expect("loads");
    let mut settings = lesson.steps[1].settings.clone();
    settings.train.optimizer.lr = 0.07;
    let step = lesson::StepFile {
        title: "Recorded".into(),
        narration: "At {lr} the loss is {loss}.".into(),
        scene: lesson::SceneSpec::record(&settings),
        reset: true,
        drop: None,
        train: Some(50),
        compute: None,
        try_this: None,
        predict: None,
        check: Vec::new(),
        lock: Vec::new(),
        hide: Vec::new(),
    };
    let longer = lesson
        .with_step(step)
        .expect("a recorded step is a valid step");
    let recorded = &longer.steps.last().expect("the new step").settings;
    assert_eq!(recorded.train.optimizer.lr, 0.07);
    assert_eq!(recorded.problem, settings.problem);
}

/// An app in a 1280 × 720 window in presentation mode.
fn projector() -> Harness<'static, ValleyApp> {
    window(true)
}

/// An app in a 1280 × 720 window, presenting or with the full controls.
fn window(presentation: bool) -> Harness<'static, ValleyApp> {
    let settings = Settings {
        presentation,
        resolution: 21,
        ..Settings::default()
    };
    let app = ValleyApp::new(settings, Arc::new(|| {})).expect("the app starts");
    Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .build_ui_state(|ui, app: &mut ValleyApp| app.frame_ui(ui), app)
}

#[test]
fn every_step_of_every_lesson_applies_its_scene_in_the_app() {
    // With the full controls too: a slider drawn over a value outside its
    // range (40 points, weight decay 3) must not rewrite it.
    for presentation in [true, false] {
        let mut harness = window(presentation);
        for id in lesson::ids() {
            harness
                .state_mut()
                .execute(AppCommand::OpenLesson(id.to_string()));
            let count = harness
                .state()
                .lesson
                .as_ref()
                .expect("the lesson is on")
                .len();
            for index in 0..count {
                harness.state_mut().execute(AppCommand::LessonGo(index));
                harness.step();
                harness.step();
                let app = harness.state();
                // Every setting of the scene, seeds and noise included; only how
                // the viewer looks at it (presentation, camera) is the viewer's.
                let mut expected = app.lesson.as_ref().expect("on").step().settings.clone();
                expected.presentation = presentation;
                expected.camera = app.settings.camera;
                assert_eq!(
                    app.settings,
                    expected,
                    "{id} step {} (presentation {presentation})",
                    index + 1
                );
                // The card shows the step's title and where it is.
                let title = app.lesson.as_ref().expect("on").step().file.title.clone();
                harness.get_by_label(&title);
                harness.get_by_label(&format!("{} / {count}", index + 1));
            }
        }
    }
}

#[test]
fn a_step_played_in_the_app_reaches_what_its_rehearsal_reached() {
    // From the default demo (another dataset), so the scene's own noise and
    // seed must survive the change of problem.
    for (id, index) in [
        ("overfitting", 0),
        ("learning-rate", 3),
        ("minima-and-saddles", 0),
    ] {
        let lesson = lesson::built_in(id).expect("loads");
        let rehearsed = rehearse_lesson(&lesson, &|_, _| {}).expect("plays");
        let mut harness = projector();
        harness
            .state_mut()
            .execute(AppCommand::OpenLesson(id.to_string()));
        if let Some(player) = &mut harness.state_mut().lesson {
            player.unattended = true;
            player.go(index);
        }
        frames_until(&mut harness, "the step's run", |app| {
            app.lesson.as_ref().is_some_and(|l| l.is_shown())
        });
        let app = harness.state();
        let loss = app.runtime.snapshot.evaluation.train_loss;
        let expected = rehearsed[index].loss;
        assert!(
            (loss - expected).abs() <= 1e-4 * expected.abs().max(1e-3),
            "{id} step {}: the app reached {loss}, the rehearsal {expected}",
            index + 1
        );
        assert_eq!(
            app.runtime.snapshot.step,
            rehearsed[index].step,
            "{id} step {}",
            index + 1
        );
    }
}

#[test]
fn an_answer_reads_its_own_runs_analysis_not_the_last_steps() {
    // Steps 1 and 2 of flat-and-sharp both end at step 2000; the second's
    // prediction must wait for its own λmax, not read the first's.
    let lesson = lesson::built_in("flat-and-sharp").expect("loads");
    let rehearsed = rehearse_lesson(&lesson, &|_, _| {}).expect("plays");
    let mut harness = projector();
    harness
        .state_mut()
        .execute(AppCommand::OpenLesson("flat-and-sharp".into()));
    if let Some(player) = &mut harness.state_mut().lesson {
        player.unattended = true;
        player.go(0);
    }
    let analysed = |app: &ValleyApp| {
        app.lesson.as_ref().is_some_and(|l| l.is_shown())
            && app
                .jobs
                .curvature
                .lambda_max(&app.runtime.snapshot.params)
                .is_some()
    };
    frames_until(&mut harness, "step 1 and its analysis", analysed);
    let first = harness
        .state()
        .jobs
        .curvature
        .lambda_max(&harness.state().runtime.snapshot.params);
    harness.state_mut().execute(AppCommand::LessonGo(1));
    frames_until(&mut harness, "step 2's answer", |app| {
        app.lesson
            .as_ref()
            .is_some_and(|l| l.index == 1 && l.answer.is_some())
    });
    let app = harness.state();
    let second = app.jobs.curvature.lambda_max(&app.runtime.snapshot.params);
    assert_ne!(first, second, "step 2 has its own analysis");
    assert_eq!(
        app.lesson.as_ref().and_then(|l| l.answer),
        rehearsed[1].answer
    );
}

#[test]
fn page_keys_move_through_a_lesson_and_leaving_keeps_the_scene() {
    let mut harness = projector();
    harness
        .state_mut()
        .execute(AppCommand::OpenLesson("learning-rate".into()));
    harness.step();
    harness.key_press(egui::Key::PageDown);
    harness.step();
    assert_eq!(harness.state().lesson.as_ref().expect("on").index, 1);
    harness.key_press(egui::Key::PageDown);
    harness.key_press(egui::Key::PageUp);
    harness.step();
    assert_eq!(harness.state().lesson.as_ref().expect("on").index, 1);
    // The question waits for an answer before the run starts.
    frames_until(&mut harness, "the question", |app| {
        app.lesson
            .as_ref()
            .is_some_and(|l| l.phase == lesson::Phase::Asking)
    });
    harness.get_by_label("Yes").click();
    frames_until(&mut harness, "the run's answer", |app| {
        app.lesson.as_ref().is_some_and(|l| l.answer.is_some())
    });
    assert_eq!(
        harness.state().lesson.as_ref().expect("on").answer,
        Some(true)
    );
    harness.step();
    harness.get_by_label("You were right.");
    let lr = harness.state().settings.train.optimizer.lr;
    harness.get_by_label("Leave lesson").click();
    harness.step();
    assert!(harness.state().lesson.is_none());
    assert_eq!(
        harness.state().settings.train.optimizer.lr,
        lr,
        "the scene stays"
    );
}

#[test]
fn a_scene_recorded_in_the_app_saves_as_a_lesson_that_shows_it_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = projector();
    let mut scene = valley::app::preset("ravine").expect("preset");
    scene.race.clear();
    scene.train.optimizer.lr = 0.05;
    scene.presentation = true;
    harness.state_mut().export_dir = dir.path().to_path_buf();
    harness.state_mut().settings = scene.clone();
    harness.step();
    harness.state_mut().execute(AppCommand::RecordLesson);
    {
        let recorder = harness.state_mut().recorder.as_mut().expect("the window");
        recorder.draft.id = "recorded".into();
        recorder.title = "Just right".into();
        recorder.narration = "At {lr} the loss is {los}.".into();
        recorder.train = 100;
    }
    // A new window takes a frame or two to lay itself out.
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label("Add this scene as a step").click();
    harness.step();
    // A typo in a quoted value is caught at once, with the known names.
    let message = harness
        .state()
        .recorder
        .as_ref()
        .and_then(|r| r.message.clone());
    assert!(
        matches!(&message, Some(Err(e)) if e.contains("{los}")),
        "{message:?}"
    );
    harness
        .state_mut()
        .recorder
        .as_mut()
        .expect("window")
        .narration = "At {lr} the loss is {loss}.".into();
    harness.get_by_label("Add this scene as a step").click();
    harness.step();
    harness.get_by_label("Save lesson").click();
    let path = dir.path().join("recorded.toml");
    frames_until(&mut harness, "the lesson file", |_| path.exists());
    let lesson = Lesson::read(&path).expect("the saved lesson reads back");
    assert_eq!(lesson.steps.len(), 1);
    let step = &lesson.steps[0];
    assert_eq!(step.file.train, Some(100));
    assert_eq!(step.settings.problem, scene.problem);
    assert_eq!(step.settings.train, scene.train);
    assert_eq!(step.settings.view, scene.view);
}
