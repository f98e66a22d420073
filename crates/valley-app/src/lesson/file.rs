//! The lesson file: TOML a teacher can read and write, versioned, and
//! checked as a whole before anything runs. Every error names the line and
//! the field, e.g. `line 14, step 2 ("Too big"): field drop: ...`.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::facts::{Fact, Needs};
use super::narration::Narration;
use super::scene_spec::{PlaneSpec, SceneSpec};
use crate::{ProblemChoice, Settings};

/// The lesson format this build writes and reads.
pub const LESSON_VERSION: u32 = 1;
/// Largest lesson file read, in bytes.
pub const MAX_LESSON_BYTES: u64 = 512 * 1024;
/// Most steps in a lesson.
pub const MAX_STEPS: usize = 60;
/// Most training steps one lesson step may ask for.
pub const MAX_TRAIN: u64 = 200_000;
/// Longest narration, in characters (one to three sentences, with room).
pub const MAX_NARRATION: usize = 700;

/// A part of the controls a step can lock or hide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// The problem: dataset or surface, its points and noise.
    Problem,
    /// The network: layers, width, activation.
    Model,
    /// The optimiser and its settings.
    Optimizer,
    /// The slice: directions, follow or frozen, span.
    Slice,
    /// The race.
    Race,
}

/// A control a "try this" prompt hands the student, drawn in the lesson card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    /// The learning-rate slider.
    LearningRate,
    /// The optimiser menu.
    Optimizer,
    /// The momentum slider.
    Momentum,
    /// The warm-up slider.
    Warmup,
    /// The batch-size slider.
    Batch,
    /// The weight-decay slider.
    WeightDecay,
    /// The plane's directions.
    Plane,
    /// Follow or frozen.
    Slice,
    /// Neurons per layer.
    Width,
    /// The run's seed.
    Seed,
    /// The dimension of the many-dimensions view.
    Dimensions,
    /// The film strip button.
    FilmStrip,
}

/// A "try this" prompt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TryFile {
    /// The control handed over.
    pub control: Control,
    /// What to do with it.
    pub say: String,
}

/// A prediction: asked before the step's run, answered by it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictFile {
    /// A yes/no question.
    pub question: String,
    /// The fact that, at the end of the run, makes the answer yes.
    pub answer: Fact,
    /// What the reveal says when the answer is yes.
    pub yes: String,
    /// What it says when the answer is no.
    pub no: String,
}

/// A check: a sentence shown once the run shows its fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    /// The fact watched for.
    pub when: Fact,
    /// What it means.
    pub say: String,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One step as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// The title.
    pub title: String,
    /// One to three sentences; `{lr}`, `{loss}`, ... quote the screen.
    pub narration: String,
    /// What differs from the lesson's scene.
    #[serde(default, skip_serializing_if = "is_empty_scene")]
    pub scene: SceneSpec,
    /// Start the run again at the scene's seed (false: go on from where the
    /// previous step left the ball).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub reset: bool,
    /// Put the ball here first (x, y on a formula surface).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<[f32; 2]>,
    /// Train this many steps, then pause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<u64>,
    /// Then compute this plane at the ball.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<PlaneSpec>,
    /// A control to hand the student.
    #[serde(default, rename = "try", skip_serializing_if = "Option::is_none")]
    pub try_this: Option<TryFile>,
    /// A question answered by the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predict: Option<PredictFile>,
    /// Sentences shown when the run shows their fact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check: Vec<CheckFile>,
    /// Controls shown but not changeable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock: Vec<Section>,
    /// Controls not shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide: Vec<Section>,
}

fn is_empty_scene(scene: &SceneSpec) -> bool {
    *scene == SceneSpec::default()
}

/// The whole file as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    /// The format version.
    pub valley_lesson: u32,
    /// A short name: lowercase letters, digits and dashes.
    pub id: String,
    /// The title in the menu.
    pub title: String,
    /// One sentence on what the lesson shows.
    #[serde(default)]
    pub summary: String,
    /// The scene every step starts from.
    #[serde(default, skip_serializing_if = "is_empty_scene")]
    pub scene: SceneSpec,
    /// The steps, in order.
    #[serde(default)]
    pub step: Vec<StepFile>,
}

/// The same, with where each step starts in the text (for messages).
#[derive(Deserialize)]
struct SpannedLesson {
    valley_lesson: u32,
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    summary: String,
    scene: Option<Spanned<SceneSpec>>,
    #[serde(default)]
    step: Vec<Spanned<StepFile>>,
}

/// A checked step, ready to play.
#[derive(Clone, Debug)]
pub struct LessonStep {
    /// The step as written.
    pub file: StepFile,
    /// The narration with its quoted values.
    pub narration: Narration,
    /// The whole scene: the app's settings this step shows.
    pub settings: Settings,
    /// The prediction's reveal texts, parsed (yes, no).
    pub reveal: Option<(Narration, Narration)>,
    /// Each check's sentence, parsed (it may quote values too).
    pub check_says: Vec<Narration>,
}

/// A checked lesson.
#[derive(Clone, Debug)]
pub struct Lesson {
    /// The file as written (saving writes it back).
    pub file: LessonFile,
    /// The steps, checked.
    pub steps: Vec<LessonStep>,
}

impl Lesson {
    /// Reads and checks a lesson from TOML text. `name` (a path or
    /// "built-in lesson X") starts every message.
    pub fn parse(text: &str, name: &str) -> Result<Self, String> {
        let at = |span: Option<Range<usize>>| match span {
            Some(span) => format!("{name} line {}", line_of(text, span.start)),
            None => name.to_string(),
        };
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| format!("{}: {}", at(e.span()), e.message().trim()))?;
        match table.get("valley_lesson") {
            None => {
                return Err(format!(
                    "{name}: this is not a Valley lesson (it has no `valley_lesson = {LESSON_VERSION}` line)"
                ));
            }
            Some(toml::Value::Integer(v)) if *v > i64::from(LESSON_VERSION) => {
                return Err(format!(
                    "{name}: this lesson uses format {v} but this Valley reads up to {LESSON_VERSION}: update Valley to open it"
                ));
            }
            Some(toml::Value::Integer(v)) if *v < 1 => {
                return Err(format!(
                    "{name}: field valley_lesson: {v} is not a format version (this Valley writes {LESSON_VERSION})"
                ));
            }
            _ => {}
        }
        let spanned: SpannedLesson = toml::from_str(text)
            .map_err(|e| format!("{}: {}", at(e.span()), e.message().trim()))?;
        let id_at = at(Some(spanned.id.span()));
        let id = spanned.id.into_inner();
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "{id_at}: field id: '{id}' must be 1 to 64 lowercase letters, digits and dashes"
            ));
        }
        if spanned.title.trim().is_empty() {
            return Err(format!("{name}: field title: a lesson needs a title"));
        }
        if spanned.step.is_empty() {
            return Err(format!("{name}: a lesson needs at least one [[step]]"));
        }
        if spanned.step.len() > MAX_STEPS {
            return Err(format!(
                "{}: a lesson has at most {MAX_STEPS} steps; this one has {}",
                at(Some(spanned.step[MAX_STEPS].span())),
                spanned.step.len()
            ));
        }
        let scene_at = at(spanned.scene.as_ref().map(Spanned::span));
        let scene = spanned.scene.map(Spanned::into_inner).unwrap_or_default();
        let mut base = Settings::default();
        scene.apply(&mut base);
        base.clone()
            .checked()
            .map_err(|e| format!("{scene_at}: [scene]: {e}"))?;
        let mut steps = Vec::new();
        for (index, step) in spanned.step.into_iter().enumerate() {
            let where_ = format!(
                "{}, step {} (\"{}\")",
                at(Some(step.span())),
                index + 1,
                step.get_ref().title
            );
            let step = step.into_inner();
            let checked = check_step(&step, &base, index).map_err(|e| format!("{where_}: {e}"))?;
            steps.push(checked);
        }
        Ok(Self {
            file: LessonFile {
                valley_lesson: spanned.valley_lesson,
                id,
                title: spanned.title,
                summary: spanned.summary,
                scene,
                step: steps.iter().map(|s| s.file.clone()).collect(),
            },
            steps,
        })
    }

    /// Reads a lesson file (at most [`MAX_LESSON_BYTES`]).
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display().to_string();
        let size = std::fs::metadata(path)
            .map_err(|e| format!("{name}: {e}"))?
            .len();
        if size > MAX_LESSON_BYTES {
            return Err(format!(
                "{name}: {size} bytes is more than a lesson holds (at most {MAX_LESSON_BYTES})"
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
        Self::from_bytes(&bytes, &name)
    }

    /// A lesson file's bytes (one dropped on a web page), checked as [`Lesson::read`] does.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self, String> {
        if bytes.len() as u64 > MAX_LESSON_BYTES {
            return Err(format!(
                "{name}: {} bytes is more than a lesson holds (at most {MAX_LESSON_BYTES})",
                bytes.len()
            ));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| format!("{name}: a lesson is UTF-8 text, and this file is not"))?;
        Self::parse(text, name)
    }

    /// The lesson as TOML, as [`Lesson::parse`] reads it.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.file).unwrap_or_default()
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.file.id
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.file.title
    }

    /// The same lesson with one more step (a recorded scene); the new file
    /// is checked like any other.
    pub fn with_step(&self, step: StepFile) -> Result<Self, String> {
        let mut file = self.file.clone();
        file.step.push(step);
        let text = toml::to_string_pretty(&file).map_err(|e| e.to_string())?;
        Self::parse(&text, "the recorded lesson")
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

fn check_step(step: &StepFile, base: &Settings, index: usize) -> Result<LessonStep, String> {
    if step.title.trim().is_empty() {
        return Err("field title: a step needs a title".into());
    }
    if step.narration.trim().is_empty() {
        return Err("field narration: a step needs one to three sentences".into());
    }
    if step.narration.chars().count() > MAX_NARRATION {
        return Err(format!(
            "field narration: {} characters is more than a step shows (at most {MAX_NARRATION}: one to three sentences)",
            step.narration.chars().count()
        ));
    }
    let narration =
        Narration::parse(&step.narration).map_err(|e| format!("field narration: {e}"))?;
    let mut settings = base.clone();
    step.scene.apply(&mut settings);
    let checked = settings
        .checked()
        .map_err(|e| format!("field scene: {e}"))?;
    if let Some(moved) = checked.adjusted.first() {
        return Err(format!(
            "field scene: {moved} (outside its control's range)"
        ));
    }
    let settings = checked.settings;
    let surface = matches!(settings.problem, ProblemChoice::Surface(_));
    if !step.reset && index == 0 {
        return Err("field reset: the first step has no run to go on from; leave reset out".into());
    }
    if let Some(point) = step.drop {
        if !surface {
            return Err("field drop: the ball is dropped at (x, y) on a formula surface; this step shows a network".into());
        }
        if !point.iter().all(|v| v.is_finite() && v.abs() <= 1e4) {
            return Err(format!(
                "field drop: ({}, {}) is not a point on the map",
                point[0], point[1]
            ));
        }
    }
    if let Some(n) = step.train
        && !(1..=MAX_TRAIN).contains(&n)
    {
        return Err(format!(
            "field train: {n} steps; a step trains 1 to {MAX_TRAIN}"
        ));
    }
    if !settings.race.is_empty() && !surface {
        return Err("field scene.race: a race runs on a formula surface".into());
    }
    let needs_ok = |fact: &Fact, field: &str| -> Result<(), String> {
        match fact.needs() {
            Needs::Race if settings.race.is_empty() => Err(format!(
                "field {field}: it watches the race's leader, and this step has no race (scene.race)"
            )),
            Needs::Surface if !surface => Err(format!(
                "field {field}: `near` watches a ball on a formula surface"
            )),
            Needs::OffPlane if surface => Err(format!(
                "field {field}: a surface's plane is its whole space, so nothing is off it; use a network"
            )),
            _ => Ok(()),
        }
    };
    let reveal = match &step.predict {
        Some(predict) => {
            if step.train.is_none() {
                return Err("field predict: a prediction is answered by the step's run, so the step needs `train`".into());
            }
            if predict.question.trim().is_empty() {
                return Err("field predict.question: ask a yes/no question".into());
            }
            needs_ok(&predict.answer, "predict.answer")?;
            let yes =
                Narration::parse(&predict.yes).map_err(|e| format!("field predict.yes: {e}"))?;
            let no = Narration::parse(&predict.no).map_err(|e| format!("field predict.no: {e}"))?;
            Some((yes, no))
        }
        None => None,
    };
    let mut check_says = Vec::new();
    for (i, check) in step.check.iter().enumerate() {
        needs_ok(&check.when, &format!("check {} when", i + 1))?;
        if check.say.trim().is_empty() {
            return Err(format!(
                "field check {} say: say what the student has seen",
                i + 1
            ));
        }
        let say =
            Narration::parse(&check.say).map_err(|e| format!("field check {} say: {e}", i + 1))?;
        check_says.push(say);
    }
    if let Some(try_this) = &step.try_this
        && try_this.say.trim().is_empty()
    {
        return Err("field try.say: say what to try".into());
    }
    Ok(LessonStep {
        file: step.clone(),
        narration,
        settings,
        reveal,
        check_says,
    })
}
