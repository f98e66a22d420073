//! A scene in a link: the query of a web address names what to show, so a
//! teacher can share exactly the scene on their screen. The settings go by
//! the names a lesson's scene uses (`dataset=moons&lr=0.3&optimizer=adam`),
//! with three more: `step` (train this far, then pause), `lesson` (a
//! built-in lesson's id; `step` is then the lesson's step, from 1) and
//! `presentation`. Every value is checked as a lesson's scene is: an unknown
//! name or a bad value is an error that says which.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::ValleyApp;
use super::files::Opened;
use super::lesson::SceneSpec;
use super::notices::Source;
use super::scene::Scene;
use super::settings::Settings;
use valley_engine::io::limits::MAX_STEP;

/// Longest query read: a scene is a few hundred characters.
pub const MAX_LINK_CHARS: usize = 8192;

/// What a link asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Link {
    /// The scene over the app's defaults.
    pub scene: SceneSpec,
    /// Steps to train before pausing (0: none).
    pub step: u64,
    /// A built-in lesson and its step (0-based).
    pub lesson: Option<(String, usize)>,
    /// Start in presentation mode.
    pub presentation: bool,
}

/// Characters a value may keep as they are in a query.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b',');

impl Link {
    /// Reads a query (with or without its leading `?` or `#`).
    pub fn parse(query: &str) -> Result<Self, String> {
        if query.len() > MAX_LINK_CHARS {
            return Err(format!(
                "the link's scene is {} characters, more than the {MAX_LINK_CHARS} a scene needs",
                query.len()
            ));
        }
        let query = query.trim_start_matches(['?', '#']);
        let mut link = Link::default();
        let mut table = toml::Table::new();
        let mut step = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key)?;
            let value = decode(value)?;
            match key.as_str() {
                "step" => {
                    let n: u64 = value.parse().map_err(|_| {
                        format!("the link's step is \"{value}\": it should be a whole number")
                    })?;
                    if n > MAX_STEP {
                        return Err(format!(
                            "the link's step is {n}, past the limit of {MAX_STEP}"
                        ));
                    }
                    step = Some(n);
                }
                "lesson" => link.lesson = Some((value, 0)),
                "presentation" => link.presentation = value.is_empty() || value == "true",
                _ => {
                    table.insert(key.clone(), value_of(&key, &value));
                }
            }
        }
        link.scene = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| format!("the link's scene: {}", e.message()))?;
        match (&mut link.lesson, step) {
            (Some((_, index)), Some(n)) => *index = n.saturating_sub(1) as usize,
            (None, Some(n)) => link.step = n,
            _ => {}
        }
        Ok(link)
    }

    /// The link's settings: the defaults with its scene applied, then
    /// checked as any file's settings are.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::default();
        self.scene.apply(&mut settings);
        settings.presentation |= self.presentation;
        let checked = settings
            .checked()
            .map_err(|e| format!("the link's setting {e}"))?;
        if let Some(first) = checked.adjusted.first() {
            return Err(format!("the link's setting {first} is out of range"));
        }
        Ok(checked.settings)
    }

    /// The query that opens `settings` at `step`, or a lesson's step.
    pub fn query(settings: &Settings, step: u64, lesson: Option<(&str, usize)>) -> String {
        if let Some((id, index)) = lesson {
            let mut query = format!("lesson={}&step={}", encode(id), index + 1);
            if settings.presentation {
                query.push_str("&presentation");
            }
            return query;
        }
        let mut parts = Vec::new();
        if let Ok(toml::Value::Table(table)) = toml::Value::try_from(SceneSpec::record(settings)) {
            for (key, value) in table {
                parts.push(format!("{key}={}", encode(&text_of(&value))));
            }
        }
        // The shortest link that opens the same settings: a part that the
        // problem's own defaults already give is left out.
        let opens = |parts: &[String]| {
            Link::parse(&parts.join("&"))
                .and_then(|link| link.settings())
                .is_ok_and(|opened| Self::same_scene(&opened, settings))
        };
        if opens(&parts) {
            let mut i = 0;
            while i < parts.len() {
                let mut fewer = parts.clone();
                fewer.remove(i);
                if opens(&fewer) {
                    parts = fewer;
                } else {
                    i += 1;
                }
            }
        }
        if step > 0 {
            parts.push(format!("step={step}"));
        }
        if settings.presentation {
            parts.push("presentation".into());
        }
        parts.join("&")
    }
}

impl ValleyApp {
    /// Shows the scene or lesson step a link names; a bad link leaves the
    /// app as it was and says why.
    pub fn open_link(&mut self, query: &str) {
        let link = match Link::parse(query) {
            Ok(link) => link,
            Err(e) => return self.runtime.notices.error(Source::Files, e),
        };
        if let Some((id, index)) = &link.lesson {
            match super::lesson::built_in(id) {
                Ok(lesson) => {
                    let last = lesson.steps.len().saturating_sub(1);
                    self.settings.presentation |= link.presentation;
                    self.start_lesson(lesson);
                    if let Some(player) = &mut self.lesson {
                        player.go((*index).min(last));
                    }
                }
                Err(e) => self
                    .runtime
                    .notices
                    .error(Source::Files, format!("the link's lesson: {e}")),
            }
            return;
        }
        match link.settings() {
            Ok(settings) => {
                self.show_opened(
                    Opened::Scene {
                        scene: Box::new(Scene::new(&settings, link.step)),
                        adjusted: Vec::new(),
                    },
                    std::path::Path::new("the link"),
                );
                let message = match link.step {
                    0 => "opened the scene the link names".to_string(),
                    step => format!("opened the scene the link names, trained to step {step}"),
                };
                self.runtime.notices.info(Source::Files, message);
            }
            Err(e) => self.runtime.notices.error(Source::Files, e),
        }
    }

    /// The query of a link to what is shown: the lesson's step, or the
    /// scene and (when paused) its step.
    pub fn link_query(&self) -> String {
        if let Some(player) = &self.lesson {
            return Link::query(&self.settings, 0, Some((player.lesson.id(), player.index)));
        }
        let snapshot = &self.runtime.snapshot;
        let paused = snapshot.state != valley_engine::train::RunState::Running;
        Link::query(&self.settings, if paused { snapshot.step } else { 0 }, None)
    }
}

impl Link {
    /// Whether two settings show the same scene (what a link carries).
    fn same_scene(a: &Settings, b: &Settings) -> bool {
        SceneSpec::record(a) == SceneSpec::record(b)
    }
}

fn decode(text: &str) -> Result<String, String> {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("the link holds \"{text}\", which is not UTF-8 once decoded"))
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, KEEP).to_string()
}

/// A query value as the scene reads it: a number, a truth value, an inline
/// table or list when it reads as one, else a word. The race is a list of
/// words (`race=sgd,adam`), and the film strip's steps stay text.
fn value_of(key: &str, text: &str) -> toml::Value {
    if key == "film_steps" {
        return toml::Value::String(text.into());
    }
    let parsed = format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"));
    match parsed {
        Some(value) => value,
        None if key == "race" => toml::Value::Array(
            text.split(',')
                .map(|w| toml::Value::String(w.trim().into()))
                .collect(),
        ),
        None => toml::Value::String(text.into()),
    }
}

/// The inverse of [`value_of`]: words bare, lists of words with commas,
/// anything else as TOML.
fn text_of(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) if value_of("", s) == *value => s.clone(),
        toml::Value::Array(items)
            if items
                .iter()
                .all(|i| matches!(i, toml::Value::String(s) if !s.contains(','))) =>
        {
            items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(",")
        }
        // Rates and sizes are single precision: 0.03, not 0.029999999329447746.
        toml::Value::Float(x) => format!("{}", *x as f32),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ProblemChoice;
    use valley_engine::data::DatasetKind;
    use valley_engine::optim::OptimizerKind;

    #[test]
    fn a_link_names_a_scene_in_the_controls_words() {
        let link = Link::parse("?dataset=moons&optimizer=adam&lr=0.03&batch=full&step=120")
            .expect("a good link");
        assert_eq!(link.step, 120);
        let settings = link.settings().expect("settings");
        assert_eq!(settings.problem, ProblemChoice::Dataset(DatasetKind::Moons));
        assert_eq!(settings.train.optimizer.kind, OptimizerKind::Adam);
        assert!((settings.train.optimizer.lr - 0.03).abs() < 1e-7);
    }

    #[test]
    fn a_shared_scene_opens_as_it_was_shown() {
        let mut shown = Link::parse("surface=rosenbrock&optimizer=momentum&lr=0.001&view=surface")
            .and_then(|l| l.settings())
            .expect("settings");
        shown.presentation = true;
        let query = Link::query(&shown, 300, None);
        assert!(query.contains("lr=0.001&"), "{query}");
        assert!(
            query.len() < 120,
            "only what differs from the problem's defaults: {query}"
        );
        let again = Link::parse(&query).expect("its own link reads");
        assert_eq!(again.step, 300);
        let opened = again.settings().expect("settings");
        assert_eq!(opened.problem, shown.problem);
        assert_eq!(opened.train, shown.train);
        assert_eq!(opened.view, shown.view);
        assert!(opened.presentation);
        // The race is a list of words.
        let race = Link::parse("surface=rosenbrock&race=sgd,adam").expect("a race");
        assert_eq!(race.scene.race.as_ref().map(Vec::len), Some(2));
    }

    #[test]
    fn a_lesson_link_names_its_step_from_one() {
        let link = Link::parse("lesson=learning-rate&step=3&presentation").expect("a lesson link");
        assert_eq!(link.lesson, Some(("learning-rate".into(), 2)));
        assert!(link.presentation);
        let shown = Settings {
            presentation: true,
            ..Settings::default()
        };
        assert_eq!(
            Link::query(&shown, 0, Some(("learning-rate", 2))),
            "lesson=learning-rate&step=3&presentation"
        );
    }

    #[test]
    fn a_bad_link_says_what_is_wrong() {
        let err = |q: &str| Link::parse(q).and_then(|l| l.settings()).expect_err(q);
        assert!(
            err("lerning_rate=0.1").contains("lerning_rate"),
            "{}",
            err("lerning_rate=0.1")
        );
        assert!(err("optimizer=adamm").contains("adamm"));
        assert!(err("step=-4").contains("whole number"));
        assert!(err("step=99999999999999").contains("limit"));
        assert!(err("lr=inf").contains("learning rate"), "{}", err("lr=inf"));
        assert!(err("dataset=%FF").contains("UTF-8"));
        assert!(err(&"a=1&".repeat(3000)).contains("characters"));
    }
}
