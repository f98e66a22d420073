//! Writing a lesson from the app: record the scene on screen as a step,
//! type its title and narration, and save the lesson as a TOML file. Each
//! step is checked like a lesson file's as it is added, so what is saved
//! always opens again.

use egui::RichText;

use super::file::{LESSON_VERSION, Lesson, LessonFile, StepFile};
use super::narration::VALUES;
use super::scene_spec::SceneSpec;
use crate::{AppCommand, Settings};

/// The recording window's state: the draft and the step being written.
pub struct Recorder {
    /// The lesson so far (no steps yet at the start).
    pub draft: LessonFile,
    /// The next step's title.
    pub title: String,
    /// Its narration.
    pub narration: String,
    /// Steps to train in it (0: none).
    pub train: u64,
    /// Whether it starts again at the seed.
    pub reset: bool,
    /// The last thing to tell the author: a step added, or why not.
    pub message: Option<Result<String, String>>,
    /// Whether the window is open.
    pub open: bool,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            draft: LessonFile {
                valley_lesson: LESSON_VERSION,
                id: "my-lesson".into(),
                title: "My lesson".into(),
                summary: String::new(),
                scene: SceneSpec::default(),
                step: Vec::new(),
            },
            title: String::new(),
            narration: String::new(),
            train: 0,
            reset: true,
            message: None,
            open: true,
        }
    }
}

impl Recorder {
    /// Adds the scene in `settings` as a step with the typed title and
    /// narration, if the lesson with it still checks.
    pub fn add_step(&mut self, settings: &Settings) -> Result<Lesson, String> {
        let step = StepFile {
            title: self.title.trim().to_string(),
            narration: self.narration.trim().to_string(),
            scene: SceneSpec::record(settings),
            reset: self.reset || self.draft.step.is_empty(),
            drop: None,
            train: (self.train > 0).then_some(self.train),
            compute: None,
            try_this: None,
            predict: None,
            check: Vec::new(),
            lock: Vec::new(),
            hide: Vec::new(),
        };
        let mut file = self.draft.clone();
        file.step.push(step);
        let text = toml::to_string_pretty(&file).map_err(|e| e.to_string())?;
        let lesson = Lesson::parse(&text, "this step")?;
        self.draft = file;
        self.title.clear();
        self.narration.clear();
        Ok(lesson)
    }

    /// The draft as a lesson file, once it has a step.
    pub fn text(&self) -> Option<String> {
        (!self.draft.step.is_empty())
            .then(|| toml::to_string_pretty(&self.draft).ok())
            .flatten()
    }
}

/// The recording window; returns a save when asked.
pub fn recorder_ui(
    ctx: &egui::Context,
    recorder: &mut Recorder,
    settings: &Settings,
    step_now: u64,
) -> Option<AppCommand> {
    let mut command = None;
    let mut open = recorder.open;
    egui::Window::new("Record a lesson")
        .open(&mut open)
        .default_width(420.0)
        .show(ctx, |ui| {
            egui::Grid::new("lesson fields").num_columns(2).show(ui, |ui| {
                ui.label("lesson title");
                ui.text_edit_singleline(&mut recorder.draft.title);
                ui.end_row();
                ui.label("file name (id)");
                ui.text_edit_singleline(&mut recorder.draft.id);
                ui.end_row();
            });
            ui.separator();
            ui.strong(format!("Step {}: the scene on screen now", recorder.draft.step.len() + 1));
            ui.horizontal(|ui| {
                ui.label("title");
                ui.text_edit_singleline(&mut recorder.title);
            });
            ui.label("narration (one to three sentences)");
            ui.add(egui::TextEdit::multiline(&mut recorder.narration).desired_rows(3).desired_width(f32::INFINITY));
            ui.label(RichText::new(format!(
                "Quote live values with {}.",
                VALUES.iter().take(6).map(|(n, _)| format!("{{{n}}}")).collect::<Vec<_>>().join(" ")
            )).weak().small());
            ui.horizontal(|ui| {
                ui.add(egui::DragValue::new(&mut recorder.train).range(0..=super::file::MAX_TRAIN).prefix("train "))
                    .on_hover_text("Steps the step trains before it pauses (0: none)");
                if ui.small_button(format!("= {step_now}")).on_hover_text("As many as this run has taken").clicked() {
                    recorder.train = step_now;
                }
                ui.checkbox(&mut recorder.reset, "start again at the seed");
            });
            ui.horizontal(|ui| {
                if ui.button("Add this scene as a step").clicked() {
                    recorder.message = Some(match recorder.add_step(settings) {
                        Ok(lesson) => Ok(format!("step {} added", lesson.steps.len())),
                        Err(e) => Err(e),
                    });
                }
                let saveable = recorder.text();
                if ui
                    .add_enabled(saveable.is_some(), egui::Button::new("Save lesson"))
                    .on_hover_text("Write it as a .toml in the export folder; open it with Open… or valley --lesson FILE")
                    .clicked()
                    && let Some(text) = saveable
                {
                    command = Some(AppCommand::SaveLesson {
                        name: format!("{}.toml", recorder.draft.id),
                        text,
                    });
                }
            });
            match &recorder.message {
                Some(Ok(text)) => {
                    ui.label(text);
                }
                Some(Err(text)) => {
                    ui.colored_label(ui.visuals().error_fg_color, text);
                }
                None => {}
            }
        });
    recorder.open = open;
    command
}
