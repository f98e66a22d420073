//! The built-in corpora, compiled into the binary so nothing is downloaded.
//! Their provenance and licences are in `assets/corpora/LICENSE-corpora.md`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::{EnumIter, IntoStaticStr, VariantNames};

/// A built-in text; `iter()` lists them in menu order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    IntoStaticStr,
    VariantNames,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Corpus {
    /// 5,163 US first names from the 1990 census, one per line (public domain).
    Names,
    /// The first five chapters of Pride and Prejudice (public domain).
    Prose,
}

impl Corpus {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// A title for figures.
    pub fn title(self) -> &'static str {
        match self {
            Corpus::Names => "first names",
            Corpus::Prose => "Pride and Prejudice",
        }
    }

    /// One sentence for a teacher.
    pub fn description(self) -> &'static str {
        match self {
            Corpus::Names => {
                "5,163 first names, one per line: 26 letters and the line end, short words with clear patterns"
            }
            Corpus::Prose => {
                "Jane Austen's first five chapters: capitals, punctuation and long words, much harder to predict"
            }
        }
    }

    /// The text itself.
    pub fn text(self) -> &'static str {
        match self {
            Corpus::Names => include_str!("../../../../assets/corpora/names.txt"),
            Corpus::Prose => include_str!("../../../../assets/corpora/prose.txt"),
        }
    }
}

impl FromStr for Corpus {
    type Err = String;
    /// Any case, surrounding spaces ignored; the error lists the names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::choice::parse_choice(s, "corpus")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::{MAX_TEXT_BYTES, Text};
    use strum::IntoEnumIterator;

    #[test]
    fn built_in_corpora_are_small_clean_texts_within_every_limit() {
        for corpus in Corpus::iter() {
            let bytes = corpus.text().len();
            assert!(
                (20_000..=40_000).contains(&bytes),
                "{corpus}: {bytes} bytes"
            );
            assert!(bytes <= MAX_TEXT_BYTES);
            let text = Text::parse(corpus.text(), corpus.name()).expect("parses");
            assert!(!corpus.text().contains('\r'));
            match corpus {
                Corpus::Names => assert_eq!(text.vocab().len(), 27),
                Corpus::Prose => assert!((40..=80).contains(&text.vocab().len())),
            }
            assert_eq!(corpus.name().parse::<Corpus>(), Ok(corpus));
        }
    }
}
