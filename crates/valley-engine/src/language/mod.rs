//! Next-character prediction: a text, the character model that learns to
//! continue it, and the readings a student makes of it (the next symbol's
//! probabilities, samples, the bigram bound). The problem that trains it
//! lives in `problem` (`LanguageProblem`), beside the MLP's.

mod bigram;
mod corpus;
mod model;
mod sample;
mod text;

pub use bigram::bigram_optimum;
pub use corpus::Corpus;
pub use model::{CharModel, CharModelError, CharScratch};
pub use sample::{GREEDY_TEMPERATURE, argmax, next_probabilities, sample, softmax};
pub use text::{
    Examples, MAX_CONTEXT, MAX_TEXT_BYTES, MAX_VOCAB, Text, TextError, TextSplit, show_symbol,
};
