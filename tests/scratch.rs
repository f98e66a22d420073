use egui_kittest::Harness;
use std::sync::Arc;
use std::time::{Duration, Instant};
use valley::app::{AppCommand, Settings, ValleyApp};
#[test]
fn debug() {
    let settings = Settings {
        presentation: true,
        ..Settings::default()
    };
    let app = ValleyApp::new(settings, Arc::new(|| {})).unwrap();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .build_ui_state(|ui, app: &mut ValleyApp| app.frame_ui(ui), app);
    h.state_mut()
        .execute(AppCommand::OpenLesson("many-dimensions".into()));
    for i in 4..7 {
        h.state_mut().execute(AppCommand::LessonGo(i));
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(40) {
            h.step();
            std::thread::sleep(Duration::from_millis(20));
            let a = h.state();
            let step = a.runtime.snapshot.step;
            let shown = a.lesson.as_ref().unwrap().is_shown();
            let hist: Vec<u64> = a.jobs.curvature.history().iter().map(|p| p.step).collect();
            if shown
                && a.jobs
                    .curvature
                    .history()
                    .last()
                    .is_some_and(|p| p.step == step)
            {
                println!(
                    "step {i}: analysed at {step} after {:?}, history {hist:?}",
                    t.elapsed()
                );
                break;
            }
            if t.elapsed().as_millis() % 5000 < 25 {
                println!(
                    "  {i}: t={:?} step {step} shown {shown} state {:?} consistent {} hist {hist:?}",
                    t.elapsed(),
                    a.runtime.snapshot.state,
                    a.runtime.is_consistent()
                );
            }
        }
    }
}
