//! Bring your own model: a PyTorch `nn.Sequential` of Linear layers saved as
//! safetensors, with its data as CSV, loaded as the command line loads them,
//! and trained and sliced like a built-in problem. Trained weights go back
//! out as safetensors with the same tensor names.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use egui::ComboBox;
use strum::IntoEnumIterator;

use super::settings::{ImportSpec, ProblemChoice, Settings};
use valley_engine::data::Targets;
use valley_engine::nn::Activation;
use valley_engine::problem::{MlpProblem, Problem, ProblemSpec};

/// Share of the imported rows held out as a test set.
pub const TEST_FRACTION: f32 = 0.2;

/// Loads the weights and the data and checks that they fit; the loaded
/// weights are where every run starts.
pub fn load(spec: &ImportSpec, data_seed: u64) -> anyhow::Result<Arc<MlpProblem>> {
    ProblemSpec::Imported {
        weights: spec.weights.clone(),
        data: spec.data.clone(),
        test_fraction: TEST_FRACTION,
        data_seed,
        activation: spec.activation,
    }
    .build_mlp()
}

/// Which path a dialog is choosing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Weights,
    Data,
}

/// The import form: paths being typed or browsed, before Load applies them.
#[derive(Default)]
pub struct ImportForm {
    weights: String,
    data: String,
    activation: Option<Activation>,
    browsed: Arc<Mutex<Option<(Field, PathBuf)>>>,
    /// The last load's outcome: what was loaded, or why not.
    pub status: Option<Result<String, String>>,
}

/// What the running imported problem holds, for the panel.
fn summary_of(problem: &dyn Problem) -> String {
    let (Some(predictor), Some(layers)) = (problem.predictor(), problem.linear_layers()) else {
        return format!("loaded: {}", problem.name());
    };
    let data = predictor.split();
    let task = match &data.train.targets {
        Targets::Classes { num_classes, .. } => format!("classification, {num_classes} classes"),
        Targets::Values(_) => format!("regression, {} output(s)", data.train.num_outputs()),
    };
    format!(
        "loaded: MLP {} · {} parameters · {} rows ({} train, {} test) · {task}",
        layers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("-"),
        problem.num_params(),
        data.train.len() + data.test.len(),
        data.train.len(),
        data.test.len(),
    )
}

/// The form; Load switches the problem to the imported model. `loaded` is
/// the model now running, if it is an imported one.
pub fn import_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    form: &mut ImportForm,
    loaded: Option<&dyn Problem>,
) {
    if let Some((field, path)) = form.browsed.lock().ok().and_then(|mut b| b.take()) {
        let text = path.display().to_string();
        match field {
            Field::Weights => form.weights = text,
            Field::Data => form.data = text,
        }
    }
    if form.weights.is_empty()
        && form.data.is_empty()
        && let Some(spec) = &settings.import
    {
        form.weights = spec.weights.display().to_string();
        form.data = spec.data.display().to_string();
        form.activation = Some(spec.activation);
    }
    path_row(
        ui,
        "weights",
        "PyTorch weights (.safetensors) of an nn.Sequential of Linear layers",
        &mut form.weights,
        Field::Weights,
        &form.browsed,
    );
    path_row(
        ui,
        "data",
        "CSV with header x1,…,xd,label (classes) or x1,…,xd,y (regression)",
        &mut form.data,
        Field::Data,
        &form.browsed,
    );
    let activation = form.activation.get_or_insert(Activation::Tanh);
    ComboBox::from_label("between layers")
        .selected_text(activation.name())
        .show_ui(ui, |ui| {
            for act in Activation::iter() {
                ui.selectable_value(activation, act, act.name());
            }
        })
        .response
        .on_hover_text("The activation your nn.Sequential puts between its Linear layers");
    if ui
        .button("Load model")
        .on_hover_text("Load the weights and the data; training starts from the loaded weights")
        .clicked()
    {
        let spec = ImportSpec {
            weights: PathBuf::from(form.weights.trim()),
            data: PathBuf::from(form.data.trim()),
            activation: *activation,
        };
        form.status = Some(match load(&spec, settings.data_seed) {
            Ok(problem) => {
                settings.import = Some(spec);
                settings.problem = ProblemChoice::Imported;
                Ok(summary_of(problem.as_ref()))
            }
            Err(e) => Err(format!("{e:#}")),
        });
    }
    match (&form.status, loaded) {
        (Some(Err(message)), _) => {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        (_, Some(problem)) => {
            ui.label(summary_of(problem));
        }
        (Some(Ok(summary)), None) => {
            ui.label(summary);
        }
        (None, None) => {
            ui.label("choose the weights and the data, then Load model");
        }
    }
}

fn path_row(
    ui: &mut egui::Ui,
    label: &str,
    hint: &str,
    text: &mut String,
    field: Field,
    browsed: &Arc<Mutex<Option<(Field, PathBuf)>>>,
) {
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(text)
                .desired_width(150.0)
                .hint_text(label),
        )
        .on_hover_text(hint);
        // A browser gives no paths: the desktop app imports by path.
        #[cfg(target_arch = "wasm32")]
        let _ = (field, browsed);
        #[cfg(not(target_arch = "wasm32"))]
        if ui.button("Browse…").on_hover_text(hint).clicked() {
            let browsed = Arc::clone(browsed);
            let ctx = ui.ctx().clone();
            let (name, extension) = match field {
                Field::Weights => ("safetensors", "safetensors"),
                Field::Data => ("CSV", "csv"),
            };
            // The dialog blocks its own thread only; the answer arrives in a later frame.
            let _ = valley_engine::exec::spawn_detached("valley-dialog", move || {
                if let Some(path) = rfd::FileDialog::new()
                    .add_filter(name, &[extension])
                    .pick_file()
                    && let Ok(mut slot) = browsed.lock()
                {
                    *slot = Some((field, path));
                }
                ctx.request_repaint();
            });
        }
    });
}
