//! The lesson card: the step's title and narration (its numbers live), the
//! question before the run and its answer after, the control to try, the
//! checks the run has shown, and the way on (buttons, Page Up/Down). It
//! sits where the controls are, so it works in presentation mode too.

use egui::{Color32, RichText};
use strum::IntoEnumIterator;

use super::facts::Seen;
use super::file::Control;
use super::player::{LessonPlayer, Phase};
use crate::AppCommand;
use crate::settings::{DirectionChoice, Settings, SliceMode};
use crate::settings_check::LR_RANGE;
use crate::widgets::slider;
use valley_engine::optim::OptimizerKind;

/// The colour that marks what the lesson hands the student.
pub const HIGHLIGHT: Color32 = Color32::from_rgb(230, 140, 20);
/// A check the run has shown.
const SEEN: Color32 = Color32::from_rgb(40, 150, 70);

/// Draws the card; returns what the student asked for.
pub fn card_ui(
    ui: &mut egui::Ui,
    player: &LessonPlayer,
    seen: &Seen,
    settings: &mut Settings,
) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    let step = player.step();
    let file = &step.file;
    let (index, len) = (player.index, player.len());
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(player.lesson.title()).small().weak());
    });
    ui.add(
        egui::ProgressBar::new((index + 1) as f32 / len as f32)
            .text(format!("{} / {len}", index + 1))
            .desired_height(16.0),
    );
    ui.add_space(4.0);
    ui.heading(&file.title);
    ui.add(egui::Label::new(RichText::new(step.narration.render(seen)).size(16.0)).wrap());
    match player.phase {
        Phase::Training { target } => {
            let done = seen.race.map_or(seen.snapshot.step, |r| r.step);
            let from = player.since;
            let share = (done.saturating_sub(from)) as f32 / (target - from).max(1) as f32;
            ui.add(
                egui::ProgressBar::new(share.clamp(0.0, 1.0))
                    .text(format!(
                        "training {} of {} steps",
                        done.saturating_sub(from).min(target - from),
                        target - from
                    ))
                    .desired_height(14.0),
            );
        }
        Phase::Entering => {
            ui.weak("setting the scene…");
        }
        Phase::Asking | Phase::Shown => {}
    }
    if let Some(predict) = &file.predict {
        ui.add_space(6.0);
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!("Predict: {}", predict.question))
                    .strong()
                    .size(16.0),
            );
            match (player.guess, player.answer) {
                (None, _) if player.phase == Phase::Asking => {
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Yes").size(18.0)).clicked() {
                            commands.push(AppCommand::LessonGuess(true));
                        }
                        if ui.button(RichText::new("No").size(18.0)).clicked() {
                            commands.push(AppCommand::LessonGuess(false));
                        }
                        ui.weak("then the run answers");
                    });
                }
                (_, Some(answer)) => {
                    if let Some(guess) = player.guess {
                        let (text, colour) = match guess == answer {
                            true => ("You were right.", SEEN),
                            false => ("Not what you predicted.", ui.visuals().warn_fg_color),
                        };
                        ui.colored_label(colour, RichText::new(text).strong());
                    }
                    if let Some((yes, no)) = &step.reveal {
                        let reveal = if answer { yes } else { no };
                        ui.add(
                            egui::Label::new(RichText::new(reveal.render(seen)).size(15.0)).wrap(),
                        );
                    }
                }
                _ => {
                    ui.weak("the run is answering…");
                }
            }
        });
    }
    if let Some(try_this) = &file.try_this {
        ui.add_space(6.0);
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(3.0, HIGHLIGHT))
            .show(ui, |ui| {
                ui.label(
                    RichText::new(format!("Try this: {}", try_this.say))
                        .strong()
                        .color(HIGHLIGHT),
                );
                // The slider and its label stay inside the frame, however narrow the card.
                ui.spacing_mut().slider_width = (ui.available_width() - 130.0).clamp(60.0, 200.0);
                control_ui(ui, try_this.control, settings);
                if ui
                    .button("Reset")
                    .on_hover_text("Back to step 0 with these settings (R)")
                    .clicked()
                {
                    commands.push(AppCommand::Reset);
                }
            });
    }
    for (say, fired) in step.check_says.iter().zip(&player.fired) {
        if *fired {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("✔ {}", say.render(seen)))
                        .color(SEEN)
                        .size(15.0),
                )
                .wrap(),
            );
        }
    }
    ui.add_space(8.0);
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(index > 0, egui::Button::new("◀ Back"))
            .on_hover_text("Page Up")
            .clicked()
        {
            commands.push(AppCommand::LessonGo(index - 1));
        }
        if ui
            .button("Restart step")
            .on_hover_text("Show this step again from its start")
            .clicked()
        {
            commands.push(AppCommand::LessonGo(index));
        }
        if ui
            .add_enabled(
                index + 1 < len,
                egui::Button::new(RichText::new("Next ▶").strong()),
            )
            .on_hover_text("Page Down")
            .clicked()
        {
            commands.push(AppCommand::LessonGo(index + 1));
        }
    });
    if ui
        .button("Leave lesson")
        .on_hover_text("Explore freely from this scene")
        .clicked()
    {
        commands.push(AppCommand::LeaveLesson);
    }
    commands
}

/// The control a "try this" hands over, drawn in the card itself.
fn control_ui(ui: &mut egui::Ui, control: Control, settings: &mut Settings) {
    let opt = &mut settings.train.optimizer;
    match control {
        Control::LearningRate => {
            ui.add(
                slider(&mut opt.lr, LR_RANGE.0..=LR_RANGE.1)
                    .logarithmic(true)
                    .text("learning rate"),
            );
        }
        Control::Optimizer => {
            egui::ComboBox::from_label("optimiser")
                .selected_text(opt.kind.name())
                .show_ui(ui, |ui| {
                    for kind in OptimizerKind::iter() {
                        ui.selectable_value(&mut opt.kind, kind, kind.name());
                    }
                });
        }
        Control::Momentum => {
            ui.add(slider(&mut opt.momentum, 0.0..=0.99).text("momentum"));
        }
        Control::WeightDecay => {
            ui.add(
                slider(&mut opt.weight_decay, 0.0..=5.0)
                    .logarithmic(true)
                    .text("weight decay"),
            );
        }
        Control::Warmup => {
            ui.add(
                slider(&mut settings.train.schedule.warmup_steps, 0..=500).text("warm-up steps"),
            );
        }
        Control::Batch => {
            let mut full = settings.train.batch_size.is_none();
            ui.checkbox(&mut full, "full batch");
            settings.train.batch_size = match full {
                true => None,
                false => {
                    let mut size = settings.train.batch_size.unwrap_or(8);
                    ui.add(
                        slider(&mut size, 1..=256)
                            .logarithmic(true)
                            .text("batch size"),
                    );
                    Some(size)
                }
            };
        }
        Control::Plane => {
            ui.horizontal_wrapped(|ui| {
                for (choice, name) in [
                    (DirectionChoice::Parameters(0, 1), "two parameters"),
                    (DirectionChoice::Filter, "random (filter)"),
                    (DirectionChoice::Hessian, "Hessian"),
                    (DirectionChoice::Pca, "PCA of the path"),
                ] {
                    ui.selectable_value(&mut settings.directions, choice, name);
                }
            });
        }
        Control::Slice => {
            ui.horizontal(|ui| {
                ui.radio_value(&mut settings.slice_mode, SliceMode::Follow, "follow");
                ui.radio_value(&mut settings.slice_mode, SliceMode::Frozen, "frozen");
            });
        }
        Control::Width => {
            ui.add(slider(&mut settings.width, 2..=64).text("neurons per layer"));
        }
        Control::Seed => {
            ui.add(egui::DragValue::new(&mut settings.train.seed).prefix("seed "));
        }
        Control::Dimensions => {
            let (low, high) = crate::settings_check::DIMENSION_RANGE;
            ui.add(
                slider(&mut settings.dimensions, low..=high)
                    .logarithmic(true)
                    .integer()
                    .custom_formatter(|d, _| valley_engine::dimensions::grouped(d))
                    .text("dimensions"),
            );
        }
        Control::FilmStrip => {}
    }
}
