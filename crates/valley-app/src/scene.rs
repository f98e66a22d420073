//! Scenes inside figures: every PNG Valley saves carries the settings, seeds
//! and step it shows, so opening the PNG (button, drag-and-drop, `--open`)
//! rebuilds the same scene. Training is deterministic for a seed, so the
//! settings and the step are enough to reach the same parameters again.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::settings::Settings;
use valley_engine::io::limits::{MAX_SCENE_BYTES, MAX_STEP};
use valley_figure::{read_png_text, read_png_text_from};

/// The PNG text chunk that holds the scene.
pub const SCENE_KEY: &str = "valley-scene";
/// The scene format this build writes and reads.
pub const SCENE_VERSION: u32 = 1;

/// What a figure remembers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Scene format; newer files are refused with a message, not misread.
    pub version: u32,
    /// Every choice in the app, seeds included.
    pub settings: Settings,
    /// How many steps the run had taken.
    pub step: u64,
}

impl Scene {
    /// The scene for these settings at this step.
    pub fn new(settings: &Settings, step: u64) -> Self {
        Self {
            version: SCENE_VERSION,
            settings: settings.clone(),
            step,
        }
    }

    /// As JSON, for a PNG text chunk or a `.json` file.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a scene; the error says what to do. The step is held to
    /// [`MAX_STEP`] here; the settings are checked by the caller.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let version: Version = serde_json::from_str(text)
            .context("this is not a Valley scene (no \"version\" field)")?;
        if version.version > SCENE_VERSION {
            anyhow::bail!(
                "this scene uses format {} but this Valley reads up to {SCENE_VERSION}: update Valley to open it",
                version.version
            );
        }
        let scene: Self = serde_json::from_str(text).context("this Valley scene is damaged")?;
        if scene.step > MAX_STEP {
            anyhow::bail!(
                "its step is {}, past the limit of {MAX_STEP}: no run gets that far",
                scene.step
            );
        }
        Ok(scene)
    }

    /// Reads the scene from a PNG saved by Valley; its text is inflated only
    /// up to [`MAX_SCENE_BYTES`].
    pub fn read_png(path: &Path) -> anyhow::Result<Self> {
        let text = read_png_text(path, SCENE_KEY, MAX_SCENE_BYTES)?;
        Self::from_png_text(text, path)
    }

    /// The scene in PNG bytes (as [`Scene::read_png`]); `path` names them in errors.
    pub fn from_png_bytes(bytes: &[u8], path: &Path) -> anyhow::Result<Self> {
        let reader = std::io::Cursor::new(bytes);
        let text = read_png_text_from(reader, path, SCENE_KEY, MAX_SCENE_BYTES)?;
        Self::from_png_text(text, path)
    }

    fn from_png_text(text: Option<String>, path: &Path) -> anyhow::Result<Self> {
        let text = text.with_context(|| {
            format!(
                "{} holds no Valley scene: only PNGs saved by Valley can be opened",
                path.display()
            )
        })?;
        Self::from_json(&text).with_context(|| format!("could not open {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProblemChoice;
    use valley_engine::surface::SurfaceKind;

    #[test]
    fn a_scene_survives_a_png_and_newer_or_foreign_files_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            problem: ProblemChoice::Surface(SurfaceKind::Himmelblau),
            ..Settings::default()
        };
        settings.train.seed = 42;
        settings.train.optimizer.lr = 0.003;
        let scene = Scene::new(&settings, 321);
        let png = dir.path().join("figure.png");
        let image = image::RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]));
        valley_figure::save_png_with_text(&image, &png, &[(SCENE_KEY, &scene.to_json())])
            .expect("save");
        assert_eq!(Scene::read_png(&png).expect("read"), scene);

        let plain = dir.path().join("plain.png");
        valley_figure::save_png(&image, &plain).expect("save");
        let error = format!("{:#}", Scene::read_png(&plain).expect_err("no scene"));
        assert!(error.contains("holds no Valley scene"), "{error}");

        let newer = dir.path().join("newer.json");
        std::fs::write(&newer, r#"{"version": 99, "settings": {}, "step": 0}"#).expect("write");
        let read = |path| super::super::files::read_file(path, &Settings::default());
        let error = format!("{:#}", read(&newer).expect_err("newer"));
        assert!(error.contains("update Valley"), "{error}");

        let foreign = dir.path().join("foreign.json");
        std::fs::write(&foreign, "[1, 2, 3]").expect("write");
        let error = format!("{:#}", read(&foreign).expect_err("foreign"));
        assert!(error.contains("not a Valley session, scene"), "{error}");
    }
}
