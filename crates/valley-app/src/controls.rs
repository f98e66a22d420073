//! The left panel: every control in a group, each with a tooltip that
//! teaches what it does. Edits go into the settings; the app compares old
//! and new settings and tells the engine what changed.

use egui::ComboBox;
use strum::IntoEnumIterator;

use super::command::AppCommand;
use super::import::{ImportForm, import_ui};
use super::lesson::Section;
use super::settings::{DirectionChoice, ProblemChoice, Settings, SliceMode};
use super::settings_check::{LR_RANGE, RESOLUTION_RANGE, SPAN_RANGE, SPEED_RANGE};
use super::widgets::slider;
use valley_engine::data::DatasetKind;
use valley_engine::language::{Corpus, MAX_CONTEXT};
use valley_engine::nn::Activation;
use valley_engine::optim::{OptimizerKind, Schedule};
use valley_engine::problem::Problem;
use valley_engine::surface::{LaneTuning, SurfaceKind};

/// The presenter's strip in presentation mode: the run buttons and the
/// learning rate, the one setting a lesson changes live, in large type.
pub fn presenter_strip_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    running: bool,
) -> Option<AppCommand> {
    let mut command = None;
    ui.horizontal_wrapped(|ui| {
        let label = if running { "Pause" } else { "Play" };
        if ui.button(label).on_hover_text("Space").clicked() {
            command = Some(AppCommand::TogglePlay);
        }
        if ui.button("Step").on_hover_text("Right arrow").clicked() {
            command = Some(AppCommand::Step(1));
        }
        if ui.button("Reset").on_hover_text("R").clicked() {
            command = Some(AppCommand::Reset);
        }
        ui.separator();
        ui.add(
            slider(&mut settings.train.optimizer.lr, LR_RANGE.0..=LR_RANGE.1)
                .logarithmic(true)
                .text("learning rate"),
        );
        ui.separator();
        if let Some(lesson) = super::lesson::lessons_menu_ui(ui) {
            command = Some(lesson);
        }
        if ui.button("Leave presentation").on_hover_text("P").clicked() {
            command = Some(AppCommand::TogglePresentation);
        }
    });
    command
}

/// Draws the controls; returns the command of the button pressed, if any.
pub fn controls_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    import: &mut ImportForm,
    loaded: Option<&dyn Problem>,
    on_screen: &dyn Problem,
    running: bool,
    locks: &Locks,
) -> Option<AppCommand> {
    let mut action = None;
    ui.heading("Valley");
    ui.label("gradient descent, made visible");
    ui.separator();

    ui.strong("Run");
    ui.horizontal(|ui| {
        let label = if running { "Pause" } else { "Play" };
        if ui
            .button(label)
            .on_hover_text("Start or stop training (Space)")
            .clicked()
        {
            action = Some(AppCommand::TogglePlay);
        }
        if ui
            .button("Step")
            .on_hover_text("Take one optimiser step (Right arrow)")
            .clicked()
        {
            action = Some(AppCommand::Step(1));
        }
        if ui
            .button("Reset")
            .on_hover_text("Back to the initial parameters of this seed (R)")
            .clicked()
        {
            action = Some(AppCommand::Reset);
        }
    });
    let mut max_speed = settings.steps_per_second.is_none();
    ui.checkbox(&mut max_speed, "as fast as possible")
        .on_hover_text("Train at full speed; untick to watch each step in slow motion");
    if max_speed {
        settings.steps_per_second = None;
    } else {
        let mut rate = settings.steps_per_second.unwrap_or(60.0);
        ui.add(
            slider(&mut rate, SPEED_RANGE.0..=SPEED_RANGE.1)
                .logarithmic(true)
                .text("steps/s"),
        )
        .on_hover_text(
            "How many optimiser steps per second: slow enough to follow the ball by eye",
        );
        settings.steps_per_second = Some(rate);
    }
    ui.separator();

    section(ui, locks, Section::Problem, |ui| {
        ui.strong("Problem");
        let current = match settings.problem {
            ProblemChoice::Dataset(kind) => kind.title().to_string(),
            ProblemChoice::Surface(kind) => format!("surface: {kind}"),
            ProblemChoice::Imported => "your model".to_string(),
            ProblemChoice::Language(corpus) => format!("next character: {}", corpus.title()),
        };
        let before = settings.problem;
        ComboBox::from_label("problem")
            .selected_text(current)
            // Tall enough that every surface shows without scrolling.
            .height(720.0)
            .show_ui(ui, |ui| {
                for kind in DatasetKind::iter() {
                    ui.selectable_value(
                        &mut settings.problem,
                        ProblemChoice::Dataset(kind),
                        kind.title(),
                    )
                    .on_hover_text(kind.description());
                }
                ui.separator();
                for corpus in Corpus::iter() {
                    ui.selectable_value(
                        &mut settings.problem,
                        ProblemChoice::Language(corpus),
                        format!("next character: {}", corpus.title()),
                    )
                    .on_hover_text(corpus.description());
                }
                ui.separator();
                ui.selectable_value(
                    &mut settings.problem,
                    ProblemChoice::Imported,
                    "your model…",
                )
                .on_hover_text(
                    "A PyTorch nn.Sequential of Linear layers (safetensors) and its CSV data",
                );
                ui.separator();
                for kind in SurfaceKind::iter() {
                    ui.selectable_value(
                        &mut settings.problem,
                        ProblemChoice::Surface(kind),
                        format!("surface: {kind}"),
                    )
                    .on_hover_text(kind.description());
                }
            })
            .response
            .on_hover_text(
                "A dataset to train a network on, or a formula surface to roll a ball down",
            );
        if settings.problem != before {
            start_fresh_on(settings);
        }
        if settings.problem == ProblemChoice::Imported {
            import_ui(ui, settings, import, loaded);
        }
        if let ProblemChoice::Dataset(_) = settings.problem {
            ui.add(slider(&mut settings.noise, 0.0..=0.5).text("noise"))
                .on_hover_text(
                    "How far points stray from the clean shape: more noise, blurrier classes",
                );
            ui.add(
                slider(&mut settings.dataset_size, 50..=2000)
                    .logarithmic(true)
                    .text("points"),
            )
            .on_hover_text("Examples in the dataset (20 % are held out as a test set)");
            ui.add(egui::DragValue::new(&mut settings.data_seed).prefix("data seed "))
                .on_hover_text("A different seed draws a different sample of the same shape");
        }
    });
    if let ProblemChoice::Language(_) = settings.problem {
        ui.separator();
        section(ui, locks, Section::Model, |ui| {
            ui.strong("Model");
            ui.add(slider(&mut settings.context, 1..=MAX_CONTEXT).text("context (characters)"))
                .on_hover_text("How many previous characters the model reads to guess the next");
            ui.add(slider(&mut settings.embed, 1..=32).text("embedding width"))
                .on_hover_text("Each character becomes this many learned numbers");
            ui.add(slider(&mut settings.hidden_layers, 0..=2).text("hidden layers"))
                .on_hover_text(
                    "0 with context 1 is the bigram model: its best loss is known exactly",
                );
            if settings.hidden_layers > 0 {
                ui.add(slider(&mut settings.width, 8..=256).text("neurons per layer"));
            }
        });
    }
    if let ProblemChoice::Dataset(_) = settings.problem {
        ui.separator();
        section(ui, locks, Section::Model, |ui| {
            ui.strong("Model");
            ui.add(slider(&mut settings.hidden_layers, 1..=4).text("hidden layers"))
                .on_hover_text("Depth: how many layers of neurons between input and output");
            ui.add(slider(&mut settings.width, 2..=64).text("neurons per layer"))
                .on_hover_text("Width: more neurons can bend the decision boundary more");
            ComboBox::from_label("activation")
                .selected_text(settings.activation.name())
                .show_ui(ui, |ui| {
                    for act in Activation::iter() {
                        ui.selectable_value(&mut settings.activation, act, act.name());
                    }
                })
                .response
                .on_hover_text("The nonlinearity after each hidden layer");
        });
    }
    ui.separator();

    section(ui, locks, Section::Optimizer, |ui| {
        ui.strong("Optimiser");
        let opt = &mut settings.train.optimizer;
        ComboBox::from_label("optimiser")
            .selected_text(opt.kind.name())
            .show_ui(ui, |ui| {
                for kind in OptimizerKind::iter() {
                    ui.selectable_value(&mut opt.kind, kind, kind.name())
                        .on_hover_text(kind.description());
                }
            })
            .response
            .on_hover_text(opt.kind.description());
        ui.add(
            slider(&mut opt.lr, LR_RANGE.0..=LR_RANGE.1)
                .logarithmic(true)
                .text("learning rate"),
        )
        .on_hover_text("The step size: too big overshoots or diverges, too small crawls");
        if matches!(opt.kind, OptimizerKind::Momentum | OptimizerKind::Nesterov) {
            ui.add(slider(&mut opt.momentum, 0.0..=0.99).text("momentum"))
                .on_hover_text("How much of the previous velocity the ball keeps: a heavier ball");
        }
        if matches!(opt.kind, OptimizerKind::Adam | OptimizerKind::AdamW) {
            ui.add(slider(&mut opt.beta1, 0.0..=0.999).text("β₁"))
                .on_hover_text("Adam's momentum: the average of recent gradients");
            ui.add(slider(&mut opt.beta2, 0.9..=0.9999).text("β₂"))
                .on_hover_text(
                    "Adam's memory of squared gradients, which sets each parameter's step size",
                );
        }
        ui.add(slider(&mut opt.weight_decay, 0.0..=0.1).text("weight decay"))
            .on_hover_text("Pulls every weight towards zero a little each step");
        ui.add(slider(&mut opt.l1, 0.0..=0.01).text("L1 penalty"))
            .on_hover_text("Adds L1 × the sum of |weights| to the loss: pushes small weights all the way to zero, where weight decay only shrinks them");
        let mut full_batch = settings.train.batch_size.is_none();
        ui.checkbox(&mut full_batch, "full batch").on_hover_text(
            "Use every training example for each step; untick for noisy minibatch steps",
        );
        if full_batch {
            settings.train.batch_size = None;
        } else {
            let mut size = settings.train.batch_size.unwrap_or(32);
            ui.add(
                slider(&mut size, 1..=256)
                    .logarithmic(true)
                    .text("batch size"),
            )
            .on_hover_text("Examples per step: small batches make the ball jitter");
            settings.train.batch_size = Some(size);
        }
        let schedule_name = match settings.train.schedule.schedule {
            Schedule::Constant => "constant",
            Schedule::Step { .. } => "step decay",
            Schedule::Cosine { .. } => "cosine",
        };
        ComboBox::from_label("schedule")
            .selected_text(schedule_name)
            .show_ui(ui, |ui| {
                let s = &mut settings.train.schedule.schedule;
                ui.selectable_value(s, Schedule::Constant, "constant");
                ui.selectable_value(
                    s,
                    Schedule::Step {
                        every: 500,
                        gamma: 0.5,
                    },
                    "step decay",
                );
                ui.selectable_value(
                    s,
                    Schedule::Cosine {
                        total_steps: 2000,
                        min_factor: 0.01,
                    },
                    "cosine",
                );
            })
            .response
            .on_hover_text("How the learning rate changes as training goes on");
        ui.add(egui::DragValue::new(&mut settings.train.seed).prefix("seed "))
            .on_hover_text("Seeds the initial weights: Reset to start from a new point");
    });
    if matches!(settings.problem, ProblemChoice::Surface(_)) {
        section(ui, locks, Section::Race, |ui| race_ui(ui, settings));
    }
    ui.separator();

    section(ui, locks, Section::Slice, |ui| {
        ui.strong("Slice");
        ui.horizontal(|ui| {
        ui.radio_value(&mut settings.slice_mode, SliceMode::Follow, "follow")
            .on_hover_text("Re-centre the slice on the parameters as they move: watch the landscape change under the ball");
        ui.radio_value(&mut settings.slice_mode, SliceMode::Frozen, "frozen")
            .on_hover_text("Keep the plane through the starting point and project the path onto it");
    });
        let direction_name = settings.directions.name();
        ComboBox::from_label("directions")
        .selected_text(direction_name)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut settings.directions, DirectionChoice::Filter, "filter-normalised")
                .on_hover_text("Random directions scaled like the weights (Li et al. 2018): comparable across models");
            ui.selectable_value(&mut settings.directions, DirectionChoice::Gaussian, "Gaussian")
                .on_hover_text("Plain random directions");
            ui.selectable_value(&mut settings.directions, DirectionChoice::Parameters(0, 1), "two parameters")
                .on_hover_text("Move just two weights and keep all others fixed");
            ui.selectable_value(&mut settings.directions, DirectionChoice::Hessian, "Hessian")
                .on_hover_text("α along the sharpest direction (largest curvature), β along the most negative one: computed where you are, then kept fixed");
            ui.selectable_value(&mut settings.directions, DirectionChoice::Pca, "PCA of the path")
                .on_hover_text("The plane in which training has moved most so far (the path's two principal components, Li et al. 2018): computed where you are, then kept fixed");
            ui.selectable_value(&mut settings.directions, DirectionChoice::Gradient, "gradient")
                .on_hover_text("α straight downhill (−∇L), β random and at right angles to it: how far a step can go before the loss rises again");
            ui.selectable_value(&mut settings.directions, DirectionChoice::StartToNow, "start → now")
                .on_hover_text("α runs on a straight line from the starting point (−1) to where the parameters are now (+1): is there a hill on the way? The 1D slice shows the line and its barrier");
            ui.selectable_value(&mut settings.directions, DirectionChoice::Seeds, "this run → another seed")
                .on_hover_text("Trains a second run from the next seed just as long, then slices the straight line from this run (−1) to that one (+1), on the plane through both and this run's start: two minima, and the barrier between them");
        });
        if settings.directions.is_computed()
        && ui
            .button("Compute again here")
            .on_hover_text(
                "The plane was computed where you chose it; compute it again at the current point",
            )
            .clicked()
    {
        action = Some(AppCommand::RecomputeDirections);
    }
        if let DirectionChoice::Parameters(i, j) = &mut settings.directions {
            // Named as a student reads them ("layer 2: neuron 5 ← input 3"),
            // not by their place in the flat vector; drag to walk through them.
            let count = on_screen.num_params().max(1);
            for (axis, index) in [("α", i), ("β", j)] {
                *index = (*index).min(count - 1);
                ui.horizontal(|ui| {
                    ui.label(format!("{axis}:"));
                    let layout = on_screen.layout();
                    let drag = egui::DragValue::new(index)
                        .range(0..=count - 1)
                        .speed(0.1)
                        .custom_formatter(|n, _| layout.plain_name(n as usize));
                    ui.add(drag).on_hover_text(
                        "The parameter this axis moves, all others fixed: drag to pick another",
                    );
                });
            }
        }
        ui.add(
            slider(&mut settings.span, SPAN_RANGE.0..=SPAN_RANGE.1)
                .logarithmic(true)
                .text("span"),
        )
        .on_hover_text("How far the slice reaches from its centre along each direction");
        ui.add(
            slider(
                &mut settings.resolution,
                RESOLUTION_RANGE.0..=RESOLUTION_RANGE.1,
            )
            .text("resolution"),
        )
        .on_hover_text("Grid points per side: finer is slower");
        ui.checkbox(&mut settings.log_scale, "log colour scale")
            .on_hover_text("Colour by the logarithm of the loss, so low valleys keep their detail");
        ui.horizontal(|ui| {
        ui.label("film strip at");
        ui.add(
            egui::TextEdit::singleline(&mut settings.film_steps)
                .hint_text("0, 10, 100, … now")
                .desired_width(120.0),
        )
        .on_hover_text("The steps the Film strip button shows, e.g. 0, 10, 100, 1000 (the nearest kept points); empty for 0, powers of ten and now");
    });
    });
    ui.separator();
    ui.checkbox(&mut settings.presentation, "presentation mode")
        .on_hover_text("Large text, light theme and fewer controls for a projector (P)");
    action
}

/// What a lesson step locks or hides in the controls.
#[derive(Clone, Debug, Default)]
pub struct Locks {
    /// Shown but not changeable.
    pub locked: Vec<Section>,
    /// Not shown.
    pub hidden: Vec<Section>,
}

/// One section of the controls, unless hidden; greyed out when locked.
fn section(ui: &mut egui::Ui, locks: &Locks, which: Section, body: impl FnOnce(&mut egui::Ui)) {
    if locks.hidden.contains(&which) {
        return;
    }
    let locked = locks.locked.contains(&which);
    let response = ui.add_enabled_ui(!locked, body).response;
    if locked {
        response.on_disabled_hover_text("Locked by this lesson step: Leave lesson to change it");
    }
}

/// A problem the user picks starts from its own learning rate and race
/// tuning, not the last problem's (lr 1.1 from the bowl would wreck a network).
fn start_fresh_on(settings: &mut Settings) {
    match settings.problem {
        ProblemChoice::Dataset(kind) => {
            // Its own noise: a scene or a lesson that names one keeps it.
            settings.noise = kind.default_noise();
            let defaults = Settings::default().train.optimizer;
            settings.train.optimizer.kind = defaults.kind;
            settings.train.optimizer.lr = defaults.lr;
            settings.lane_tuning.clear();
        }
        ProblemChoice::Surface(kind) => {
            if let Ok(preset) = super::presets::preset(kind.name()) {
                settings.train.optimizer.kind = preset.train.optimizer.kind;
                settings.train.optimizer.lr = preset.train.optimizer.lr;
                settings.lane_tuning = preset.lane_tuning;
            }
        }
        ProblemChoice::Language(_) => super::presets::language_defaults(settings),
        ProblemChoice::Imported => {}
    }
}

/// On a formula surface: pick optimisers to race from the same start.
fn race_ui(ui: &mut egui::Ui, settings: &mut Settings) {
    ui.label("Race")
        .on_hover_text("Tick optimisers to race them from the same start, each at its own learning rate; each gets its own ball and trail");
    ui.horizontal_wrapped(|ui| {
        for kind in OptimizerKind::iter() {
            let mut on = settings.race.contains(&kind);
            if ui
                .checkbox(&mut on, kind.name())
                .on_hover_text(kind.description())
                .changed()
            {
                if on {
                    settings.race.push(kind);
                    settings
                        .race
                        .sort_by_key(|k| OptimizerKind::iter().position(|a| a == *k));
                } else {
                    settings.race.retain(|k| *k != kind);
                }
            }
        }
    });
    // Each lane's own rate (and momentum): one shared rate cannot tell the
    // textbook story, since each rule is at its best at a different step size.
    for kind in settings.race.clone() {
        let own = settings.lane_tuning.iter().position(|t| t.kind == kind);
        let mut tuning = own.map_or(
            LaneTuning {
                kind,
                lr: settings.train.optimizer.lr,
                momentum: settings.train.optimizer.momentum,
            },
            |k| settings.lane_tuning[k],
        );
        let before = tuning;
        let drag_speed = f64::from(tuning.lr) * 0.02;
        ui.horizontal(|ui| {
            ui.label(format!("{}:", kind.name()));
            ui.add(
                egui::DragValue::new(&mut tuning.lr)
                    .range(LR_RANGE.0..=LR_RANGE.1)
                    .speed(drag_speed)
                    .custom_formatter(|v, _| valley_figure::plain_number(v))
                    .prefix("lr "),
            )
            .on_hover_text(format!(
                "{}'s own learning rate in the race (drag, or type)",
                kind.name()
            ));
            if matches!(kind, OptimizerKind::Momentum | OptimizerKind::Nesterov) {
                ui.add(
                    egui::DragValue::new(&mut tuning.momentum)
                        .range(0.0..=0.99)
                        .speed(0.01)
                        .prefix("β "),
                )
                .on_hover_text("its momentum");
            }
        });
        if tuning != before {
            match own {
                Some(k) => settings.lane_tuning[k] = tuning,
                None => settings.lane_tuning.push(tuning),
            }
        }
    }
}
