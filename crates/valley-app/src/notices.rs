//! What the app tells the user in the status bar: each notice says where it
//! comes from and how much it matters, a newer one from the same source
//! replaces the old, and each goes when its cause does (a reset clears the
//! trainer's complaint, a grid that arrives clears the landscape's) or, for
//! plain news, after a while.

use std::time::Duration;

use valley_engine::exec::Instant;

/// Where a notice comes from; one notice per source at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The trainer: a rejected hyperparameter, or a stop.
    Trainer,
    /// Building the problem (a dataset, an import).
    Problem,
    /// The landscape workers.
    Landscape,
    /// Directions computed at a point (Hessian, PCA, a second seed).
    Directions,
    /// Opening files.
    Files,
    /// Saving sessions.
    Session,
    /// Figures, CSV and weights written.
    Export,
    /// A film strip being made.
    FilmStrip,
    /// Replaying a scene to its step.
    Replay,
    /// Settings brought into range or refused.
    Settings,
    /// Lessons opened, saved or refused.
    Lesson,
}

/// How much a notice matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// News: a file saved, a file opened. Fades after a while.
    Info,
    /// Something was changed or left out on the user's behalf.
    Warning,
    /// Something the user asked for did not happen.
    Error,
}

/// One message for the status bar.
#[derive(Clone, Debug)]
pub struct Notice {
    /// Where it comes from.
    pub source: Source,
    /// How much it matters.
    pub level: Level,
    /// What to say, in a sentence.
    pub text: String,
    since: Instant,
}

/// How long news stays in the status bar.
const INFO_LIFETIME: Duration = Duration::from_secs(15);

/// The notices on show, oldest first.
#[derive(Default)]
pub struct Notices {
    items: Vec<Notice>,
}

impl Notices {
    /// Shows `text`, replacing whatever `source` said before.
    pub fn set(&mut self, source: Source, level: Level, text: impl Into<String>) {
        self.clear(source);
        self.items.push(Notice {
            source,
            level,
            text: text.into(),
            since: Instant::now(),
        });
    }

    /// News from `source`.
    pub fn info(&mut self, source: Source, text: impl Into<String>) {
        self.set(source, Level::Info, text);
    }

    /// A change or omission made on the user's behalf.
    pub fn warn(&mut self, source: Source, text: impl Into<String>) {
        self.set(source, Level::Warning, text);
    }

    /// A failure of something the user asked for.
    pub fn error(&mut self, source: Source, text: impl Into<String>) {
        self.set(source, Level::Error, text);
    }

    /// Removes what `source` said: its cause is gone.
    pub fn clear(&mut self, source: Source) {
        self.items.retain(|n| n.source != source);
    }

    /// What `source` says now.
    pub fn get(&self, source: Source) -> Option<&Notice> {
        self.items.iter().find(|n| n.source == source)
    }

    /// The notices on show, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Notice> {
        self.items.iter()
    }

    /// Every notice's text, joined: what a test or a log reads.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.items.iter().map(|n| n.text.as_str()).collect();
        texts.join(" · ")
    }

    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Lets news older than its lifetime go; warnings and errors stay
    /// until their cause is gone or the user dismisses them.
    pub fn expire(&mut self) {
        self.items
            .retain(|n| n.level != Level::Info || n.since.elapsed() < INFO_LIFETIME);
    }

    /// Removes the notice at `index` (the user dismissed it).
    pub fn dismiss(&mut self, index: usize) {
        if index < self.items.len() {
            self.items.remove(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_speaks_once_and_its_notice_goes_with_its_cause() {
        let mut notices = Notices::default();
        notices.error(Source::Trainer, "lr must be positive");
        notices.info(Source::Files, "opened a.json");
        notices.error(Source::Trainer, "momentum must be below 1");
        assert_eq!(notices.text(), "opened a.json · momentum must be below 1");
        notices.clear(Source::Trainer);
        assert_eq!(notices.text(), "opened a.json");
        assert!(
            notices
                .get(Source::Files)
                .is_some_and(|n| n.level == Level::Info)
        );
        notices.dismiss(0);
        assert!(notices.is_empty());
    }

    #[test]
    fn news_fades_and_warnings_stay() {
        let mut notices = Notices::default();
        notices.info(Source::Export, "saved a.png");
        notices.warn(Source::Settings, "speed brought into range");
        let old = Instant::now()
            .checked_sub(INFO_LIFETIME + Duration::from_secs(1))
            .expect("a past instant");
        for notice in &mut notices.items {
            notice.since = old;
        }
        notices.expire();
        assert_eq!(notices.text(), "speed brought into range");
    }
}
