//! Narration that quotes the screen: `{lr}`, `{loss}`, `{lambda_max}`, ...
//! in a step's text are filled from the run each frame, so the words never
//! disagree with the numbers beside them. Names are checked when the file
//! is read.

use super::facts::Seen;
use valley_figure::plain_number;

/// The values narration can quote, and what each is.
pub const VALUES: [(&str, &str); 14] = [
    ("lr", "the learning rate"),
    (
        "stable_limit",
        "2 ÷ the learning rate: the sharpest minimum (λmax) gradient descent can settle in",
    ),
    (
        "loss",
        "the training loss (the race leader's during a race)",
    ),
    ("test_loss", "the test loss"),
    ("accuracy", "the training accuracy, in %"),
    ("step", "the step the run has reached"),
    ("grad", "the gradient's length |∇|"),
    ("lambda_max", "the largest Hessian eigenvalue at the ball"),
    ("off_plane", "the distance from the plane through the start"),
    (
        "negative_share",
        "the share of the Hessian's eigenvalues below zero at the ball, in %",
    ),
    ("dimensions", "the dimension the many-dimensions view shows"),
    ("optimizer", "the optimiser's name"),
    ("params", "how many parameters the model has"),
    ("leader", "the optimiser leading the race"),
];

/// A narration split into text and quoted values.
#[derive(Clone, Debug, PartialEq)]
pub struct Narration {
    parts: Vec<Part>,
    source: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(String),
    Value(&'static str),
}

impl Narration {
    /// Reads `{name}` placeholders; `{{` and `}}` are literal braces. The
    /// error names the placeholder and lists the known ones.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let known = VALUES
                        .iter()
                        .find(|(n, _)| *n == name.trim())
                        .map(|(n, _)| *n);
                    let Some(known) = known else {
                        return Err(format!(
                            "narration quotes {{{name}}}, which is not a value Valley shows: use one of {}",
                            VALUES.map(|(n, _)| format!("{{{n}}}")).join(", ")
                        ));
                    };
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                    parts.push(Part::Value(known));
                }
                '}' => {
                    return Err(
                        "narration has a '}' with no '{' before it (write }} for a brace)".into(),
                    );
                }
                c => literal.push(c),
            }
        }
        parts.push(Part::Text(literal));
        parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
        Ok(Self {
            parts,
            source: text.to_string(),
        })
    }

    /// The text as written (to save a lesson).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text with the values filled in from `seen`; a value not yet known
    /// (λmax before the analysis finishes) reads "…".
    pub fn render(&self, seen: &Seen) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Value(name) => value(name, seen).unwrap_or_else(|| "…".into()),
            })
            .collect()
    }
}

fn number(x: f32) -> String {
    plain_number(f64::from(x))
}

/// One quoted value, as the screen shows it.
fn value(name: &str, seen: &Seen) -> Option<String> {
    let s = seen.snapshot;
    Some(match name {
        "lr" => number(seen.lr),
        "stable_limit" => number(2.0 / seen.lr),
        "loss" => number(seen.loss()),
        "test_loss" => number(s.evaluation.test_loss?),
        "accuracy" => format!("{:.1} %", 100.0 * s.evaluation.train_accuracy?),
        "step" => s.step.to_string(),
        "grad" => number(s.grad_norm),
        "lambda_max" => number(seen.lambda_max?),
        "off_plane" => number(seen.off_plane?),
        "negative_share" => format!("{:.0} %", 100.0 * seen.negative_share? + 0.0),
        "dimensions" => valley_engine::dimensions::grouped(seen.dimensions),
        "optimizer" => seen.optimizer.name().to_string(),
        "params" => s.params.len().to_string(),
        "leader" => seen.leader()?.0.name().to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked_and_braces_escape() {
        let n = Narration::parse("At {lr} the loss is {loss}; {{not a value}}").expect("parse");
        assert_eq!(n.parts.len(), 5);
        assert!(matches!(&n.parts[4], Part::Text(t) if t == "; {not a value}"));
        let error = Narration::parse("λ is {lambda}").expect_err("unknown");
        assert!(
            error.contains("{lambda}") && error.contains("{lambda_max}"),
            "{error}"
        );
        assert!(Narration::parse("a } alone").is_err());
    }
}
