//! Text as a stream of symbol ids, and the (context → next symbol) examples
//! a character model learns from.
//!
//! A user's file is checked before anything is built from it: its size, its
//! encoding, its vocabulary and its length each have their own error.

use std::io::Read;
use std::path::Path;

/// Largest text accepted, in bytes (256 KiB): a few hundred thousand
/// examples, so a full-loss landscape point stays well under a second.
pub const MAX_TEXT_BYTES: usize = 256 << 10;

/// Most distinct characters a vocabulary may hold.
pub const MAX_VOCAB: usize = 256;

/// Longest context, in characters.
pub const MAX_CONTEXT: usize = 8;

/// A text that cannot be used; each message names the source and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// The file could not be opened or read.
    #[error("{source_name}: cannot read the file: {reason}")]
    Unreadable {
        /// The file.
        source_name: String,
        /// The operating system's reason.
        reason: String,
    },
    /// More bytes than [`MAX_TEXT_BYTES`].
    #[error(
        "{source_name}: the text is {bytes} bytes, more than the {MAX_TEXT_BYTES} bytes (256 KiB) Valley trains on; use an excerpt"
    )]
    TooLarge {
        /// The file.
        source_name: String,
        /// Its size (at least the limit plus one).
        bytes: u64,
    },
    /// Bytes that are not UTF-8.
    #[error(
        "{source_name}: byte {offset} is not UTF-8 text; save the file as UTF-8 (plain text, not a word-processor document)"
    )]
    NotUtf8 {
        /// The file.
        source_name: String,
        /// Where the first bad byte is.
        offset: usize,
    },
    /// More distinct characters than [`MAX_VOCAB`].
    #[error(
        "{source_name}: the text uses {count} distinct characters, more than the {MAX_VOCAB} a vocabulary may hold; keep to one alphabet"
    )]
    VocabularyTooLarge {
        /// The file.
        source_name: String,
        /// Distinct characters found.
        count: usize,
    },
    /// Fewer than two distinct characters: nothing to predict.
    #[error(
        "{source_name}: the text uses {count} distinct character(s); a model needs at least two to choose between"
    )]
    TooFewSymbols {
        /// The file.
        source_name: String,
        /// Distinct characters found.
        count: usize,
    },
    /// Too short for one training example per split.
    #[error(
        "{source_name}: the text has {chars} characters; a context of {context} with this split needs at least {needed}"
    )]
    TooShort {
        /// The file.
        source_name: String,
        /// Characters in the text.
        chars: usize,
        /// The context asked for.
        context: usize,
        /// Characters needed.
        needed: usize,
    },
    /// A context outside 1..=[`MAX_CONTEXT`].
    #[error("a context of {0} characters is outside 1 to {MAX_CONTEXT}")]
    Context(usize),
}

/// A text read as symbol ids: the vocabulary is its sorted distinct
/// characters, and a symbol's id is its place in that list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    vocab: Vec<char>,
    ids: Vec<usize>,
}

impl Text {
    /// Reads a UTF-8 file, refusing it before reading when it is too large.
    pub fn read(path: &Path) -> Result<Self, TextError> {
        let source_name = path.display().to_string();
        let unreadable = |e: std::io::Error| TextError::Unreadable {
            source_name: source_name.clone(),
            reason: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let mut bytes = Vec::new();
        // Reads one byte past the limit, so a file that grows after a size
        // check is refused all the same.
        file.take(MAX_TEXT_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() > MAX_TEXT_BYTES {
            let bytes = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
            return Err(TextError::TooLarge { source_name, bytes });
        }
        Self::from_bytes(&bytes, &source_name)
    }

    /// Parses bytes that should be UTF-8 text.
    pub fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Self, TextError> {
        if bytes.len() > MAX_TEXT_BYTES {
            return Err(TextError::TooLarge {
                source_name: source_name.into(),
                bytes: bytes.len() as u64,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8 {
            source_name: source_name.into(),
            offset: e.valid_up_to(),
        })?;
        Self::parse(text, source_name)
    }

    /// Reads `text` as symbols. A leading byte-order mark is dropped and
    /// Windows line ends become `\n`, so the same words saved on two
    /// systems make the same model.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, TextError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let chars: Vec<char> = text.replace("\r\n", "\n").chars().collect();
        let mut vocab = chars.clone();
        vocab.sort_unstable();
        vocab.dedup();
        if vocab.len() > MAX_VOCAB {
            return Err(TextError::VocabularyTooLarge {
                source_name: source_name.into(),
                count: vocab.len(),
            });
        }
        if vocab.len() < 2 {
            return Err(TextError::TooFewSymbols {
                source_name: source_name.into(),
                count: vocab.len(),
            });
        }
        let ids = chars
            .iter()
            .map(|c| vocab.binary_search(c).unwrap_or_default())
            .collect();
        Ok(Self { vocab, ids })
    }

    /// The distinct characters, sorted; a symbol's id is its index.
    pub fn vocab(&self) -> &[char] {
        &self.vocab
    }

    /// The text as symbol ids.
    pub fn ids(&self) -> &[usize] {
        &self.ids
    }

    /// Number of characters.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the text is empty (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// (context → next symbol) examples: row `i` of `contexts` holds `context`
/// ids, and `targets[i]` is the symbol that followed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Examples {
    /// Context width k.
    pub context: usize,
    /// Row-major [n, k] symbol ids.
    pub contexts: Vec<usize>,
    /// The next symbol of each row.
    pub targets: Vec<usize>,
}

impl Examples {
    /// Every position t ≥ k of `ids`: context ids[t−k..t], target ids[t].
    pub fn windows(ids: &[usize], context: usize) -> Self {
        let n = ids.len().saturating_sub(context);
        let mut contexts = Vec::with_capacity(n * context);
        for t in context..ids.len() {
            contexts.extend_from_slice(&ids[t - context..t]);
        }
        Self {
            context,
            contexts,
            targets: ids[context.min(ids.len())..].to_vec(),
        }
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The context of example `i`.
    pub fn context_of(&self, i: usize) -> &[usize] {
        &self.contexts[i * self.context..(i + 1) * self.context]
    }

    /// The examples at `indices`, in that order (a minibatch).
    pub fn select(&self, indices: &[usize], out: &mut Examples) {
        out.context = self.context;
        out.contexts.clear();
        out.targets.clear();
        for &i in indices {
            out.contexts.extend_from_slice(self.context_of(i));
            out.targets.push(self.targets[i]);
        }
    }
}

/// Training and test examples of one text, split by position: the first
/// (1 − test_fraction) of the windows train, the rest test, so the test
/// text is text the model has never read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextSplit {
    /// The examples the model learns from.
    pub train: Examples,
    /// The held-out examples (may be empty).
    pub test: Examples,
}

impl TextSplit {
    /// Splits `text`'s windows; the error says when there are too few.
    pub fn new(
        text: &Text,
        context: usize,
        test_fraction: f32,
        source_name: &str,
    ) -> Result<Self, TextError> {
        if !(1..=MAX_CONTEXT).contains(&context) {
            return Err(TextError::Context(context));
        }
        let all = Examples::windows(text.ids(), context);
        let fraction = f64::from(test_fraction.clamp(0.0, 0.99));
        let train_count = |n: usize| ((1.0 - fraction) * n as f64).floor() as usize;
        let fits = |n: usize| train_count(n) >= 1 && (fraction == 0.0 || train_count(n) < n);
        let n = all.len();
        if !fits(n) {
            let examples_needed = (n + 1..).find(|&m| fits(m)).unwrap_or(n + 1);
            return Err(TextError::TooShort {
                source_name: source_name.into(),
                chars: text.len(),
                context,
                needed: context + examples_needed,
            });
        }
        let n_train = train_count(n);
        let train = Examples {
            context,
            contexts: all.contexts[..n_train * context].to_vec(),
            targets: all.targets[..n_train].to_vec(),
        };
        let test = Examples {
            context,
            contexts: all.contexts[n_train * context..].to_vec(),
            targets: all.targets[n_train..].to_vec(),
        };
        Ok(Self { train, test })
    }
}

/// A symbol as a student reads it: `↵` for the line end, `␣` for a space.
pub fn show_symbol(c: char) -> String {
    match c {
        '\n' => "↵".into(),
        ' ' => "␣".into(),
        '\t' => "⇥".into(),
        c if c.is_control() => format!("U+{:04X}", u32::from(c)),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_the_sorted_characters_and_windows_read_the_text_in_order() {
        let text = Text::parse("abca\r\nb", "t").expect("text");
        assert_eq!(text.vocab(), ['\n', 'a', 'b', 'c']);
        assert_eq!(text.ids(), [1, 2, 3, 1, 0, 2]);
        let windows = Examples::windows(text.ids(), 2);
        assert_eq!(windows.len(), 4);
        assert_eq!(windows.context_of(0), [1, 2]);
        assert_eq!(windows.targets, [3, 1, 0, 2]);
        assert_eq!(windows.context_of(3), [1, 0]);
        let split = TextSplit::new(&text, 2, 0.25, "t").expect("split");
        assert_eq!(split.train.targets, [3, 1, 0]);
        assert_eq!(split.test.targets, [2]);
        let whole = TextSplit::new(&text, 2, 0.0, "t").expect("split");
        assert_eq!((whole.train.len(), whole.test.len()), (4, 0));
    }

    #[test]
    fn each_kind_of_bad_text_gets_its_own_error() {
        assert!(matches!(
            Text::from_bytes(b"ab\xffcd", "f.txt"),
            Err(TextError::NotUtf8 { offset: 2, .. })
        ));
        let big = vec![b'a'; MAX_TEXT_BYTES + 1];
        let error = Text::from_bytes(&big, "big.txt").expect_err("too large");
        assert!(error.to_string().contains("262144"), "{error}");
        let many: String = (0..300u32)
            .filter_map(|i| char::from_u32(0x100 + i))
            .collect();
        assert!(matches!(
            Text::parse(&many, "m"),
            Err(TextError::VocabularyTooLarge { count: 300, .. })
        ));
        assert!(matches!(
            Text::parse("aaaa", "a"),
            Err(TextError::TooFewSymbols { count: 1, .. })
        ));
        assert!(matches!(
            Text::parse("", "e"),
            Err(TextError::TooFewSymbols { count: 0, .. })
        ));
        let short = Text::parse("abc", "s").expect("text");
        assert!(matches!(
            TextSplit::new(&short, 3, 0.0, "s"),
            Err(TextError::TooShort { .. })
        ));
        assert!(matches!(
            TextSplit::new(&short, 2, 0.1, "s"),
            Err(TextError::TooShort { .. })
        ));
        assert_eq!(
            TextSplit::new(&short, 9, 0.0, "s"),
            Err(TextError::Context(9))
        );
        assert!(TextSplit::new(&short, 1, 0.0, "s").is_ok());
    }

    #[test]
    fn a_file_is_refused_past_the_limit_and_read_with_its_name_otherwise() {
        let dir = std::env::temp_dir().join(format!("valley-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let big = dir.join("big.txt");
        std::fs::write(&big, vec![b'x'; MAX_TEXT_BYTES + 10]).expect("write");
        let error = Text::read(&big).expect_err("too large");
        assert!(
            matches!(error, TextError::TooLarge { bytes, .. } if bytes == MAX_TEXT_BYTES as u64 + 10)
        );
        assert!(error.to_string().contains("big.txt"));
        let good = dir.join("good.txt");
        std::fs::write(&good, "\u{feff}héllo\n").expect("write");
        assert_eq!(
            Text::read(&good).expect("reads").vocab(),
            ['\n', 'h', 'l', 'o', 'é']
        );
        let missing = Text::read(&dir.join("missing.txt")).expect_err("missing");
        assert!(matches!(missing, TextError::Unreadable { .. }));
        std::fs::remove_dir_all(&dir).ok();
    }
}
