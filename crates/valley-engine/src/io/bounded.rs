//! Serde helpers that refuse an oversized list while it is being parsed.
//!
//! A derived `Vec<T>` grows as long as the file says; these stop at a stated
//! limit and name it, so a hostile file cannot make Valley allocate more than
//! the limit allows before any other check runs.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::limits::MAX_LAYERS;
use super::limits::{MAX_EXAMPLES, MAX_PARAMS, MAX_SERIES_POINTS, MAX_VIEW_BYTES};

/// A list of at most `max` items; `what` names it in the error.
fn at_most<'de, D, T>(deserializer: D, max: usize, what: &'static str) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T> {
        max: usize,
        what: &'static str,
        item: PhantomData<T>,
    }
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {} {}", self.max, self.what)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let hint = seq.size_hint().unwrap_or(0).min(self.max).min(1 << 16);
            let mut items = Vec::with_capacity(hint);
            while let Some(item) = seq.next_element()? {
                if items.len() == self.max {
                    return Err(A::Error::custom(format!(
                        "more than {} {}, the limit",
                        self.max, self.what
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_seq(Bounded {
        max,
        what,
        item: PhantomData,
    })
}

/// A parameter vector (or one of the same length): at most [`MAX_PARAMS`] values.
pub fn parameters<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
    at_most(deserializer, MAX_PARAMS, "parameters")
}

/// A batch order: at most [`MAX_EXAMPLES`] indices.
pub fn examples<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<usize>, D::Error> {
    at_most(deserializer, MAX_EXAMPLES, "training examples")
}

/// Hidden layer widths: at most [`MAX_LAYERS`] (a deeper list is refused by
/// the model anyway, but only after it has been read).
pub fn layers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<usize>, D::Error> {
    at_most(deserializer, MAX_LAYERS, "hidden layers")
}

/// A decimated series: at most [`MAX_SERIES_POINTS`] points.
pub fn series<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    at_most(deserializer, MAX_SERIES_POINTS, "kept points")
}

/// An opaque JSON block of at most [`MAX_VIEW_BYTES`], measured as written
/// before it is turned into values (a `Value` costs far more than its text).
pub fn small_json<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<serde_json::Value, D::Error> {
    let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
    if raw.get().len() > MAX_VIEW_BYTES {
        return Err(D::Error::custom(format!(
            "a view block of {} bytes, more than the {MAX_VIEW_BYTES}-byte limit",
            raw.get().len()
        )));
    }
    serde_json::from_str(raw.get()).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "examples")]
        order: Vec<usize>,
    }

    #[test]
    fn a_list_past_its_limit_is_refused_while_parsing() {
        let ok: Holder = serde_json::from_str(r#"{"order": [2, 0, 1]}"#).expect("short");
        assert_eq!(ok.order, vec![2, 0, 1]);
        let long = format!(
            r#"{{"order": [{}]}}"#,
            vec!["0"; MAX_EXAMPLES + 1].join(",")
        );
        let error = serde_json::from_str::<Holder>(&long).expect_err("too long");
        assert!(
            error
                .to_string()
                .contains("more than 1000000 training examples"),
            "{error}"
        );
    }
}
