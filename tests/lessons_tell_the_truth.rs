//! Every built-in lesson loads, and what its steps claim holds in their runs.

use valley_app::lesson::{self, rehearse_lesson};

#[test]
fn print_rehearsals() {
    for id in lesson::ids() {
        let lesson = lesson::built_in(id).expect("loads");
        let rehearsals = rehearse_lesson(&lesson, &|_, _| {}).expect("rehearse");
        for (step, r) in lesson.steps.iter().zip(&rehearsals) {
            println!(
                "{id} / {}: answer {:?} fired {:?} loss {} step {}\n   {}",
                step.file.title, r.answer, r.fired, r.loss, r.step, r.narration
            );
        }
    }
}
