//! What the generalisation lab is set to: the experiment shown and each
//! experiment's settings. Kept apart from the view so the app's settings
//! can hold them without depending on the view.

use valley_engine::generalisation::{DoubleDescentSettings, LotterySettings, SeedsSettings};

/// Which experiment the view shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LabExperiment {
    /// Test loss against model size.
    #[default]
    DoubleDescent,
    /// Pruned networks against fresh weights and random masks.
    Lottery,
    /// One model from many seeds.
    Seeds,
}

/// The lab's settings: what the app stores and a lesson's scene may set.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LabSettings {
    /// Double descent's.
    pub double_descent: DoubleDescentSettings,
    /// The lottery's.
    pub lottery: LotterySettings,
    /// The seeds experiment's.
    pub seeds: SeedsSettings,
}

impl LabSettings {
    /// Checks all three; the message names the experiment.
    pub fn validate(&self) -> Result<(), String> {
        self.double_descent
            .validate()
            .map_err(|e| format!("double descent: {e}"))?;
        self.lottery
            .validate()
            .map_err(|e| format!("lottery: {e}"))?;
        self.lottery
            .base
            .build()
            .map_err(|e| format!("lottery: {e}"))?;
        valley_engine::generalisation::Seeds::new(self.seeds.clone())
            .map(drop)
            .map_err(|e| format!("seeds: {e}"))
    }
}
