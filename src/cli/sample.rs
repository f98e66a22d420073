//! `valley sample`: text from a language-model session, and what it
//! predicts next.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use valley_engine::language::{GREEDY_TEMPERATURE, show_symbol};
use valley_engine::session::load_session;
use valley_engine::train::Run;

/// Most characters one call generates.
const MAX_CHARS: usize = 100_000;

/// Options of `valley sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A session saved by `valley train --corpus NAME --save-session FILE` (or the app).
    #[arg(long, value_name = "FILE.json")]
    pub session: PathBuf,
    /// The text the model continues (empty: the start of a line).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Sharpens (< 1) or flattens (> 1) the model's distribution; 0 always takes the most likely character.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f32,
    /// Characters to generate.
    #[arg(long, default_value_t = 200)]
    pub chars: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// One symbol and its probability.
#[derive(Debug, Serialize)]
pub struct Candidate {
    /// The character.
    pub symbol: String,
    /// Its probability after the prompt.
    pub probability: f64,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct SampleSummary {
    /// The prompt.
    pub prompt: String,
    /// The generated continuation.
    pub text: String,
    /// The temperature used.
    pub temperature: f32,
    /// The ten most likely next characters after the prompt.
    pub next: Vec<Candidate>,
}

/// Runs `valley sample`.
pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    if !(args.temperature.is_finite() && args.temperature >= 0.0) {
        bail!("--temperature {} must be 0 or more", args.temperature);
    }
    if args.chars > MAX_CHARS {
        bail!(
            "--chars {} is more than the {MAX_CHARS} one call generates",
            args.chars
        );
    }
    let session = load_session(&args.session)?;
    let problem = session
        .problem
        .build()
        .with_context(|| format!("the session {} cannot be read", args.session.display()))?;
    let Some(language) = problem.language() else {
        bail!(
            "{} is not a language model's session: train one with `valley train --corpus names --save-session FILE`",
            args.session.display()
        );
    };
    let mut run = Run::new(Arc::clone(&problem), session.train)?;
    run.restore(session.run)?;
    let params = run.params();
    let prompt = language
        .encode(&args.prompt)
        .map_err(|e| anyhow::anyhow!("--prompt: {e}"))?;
    let probabilities = language.next_probabilities(params, &prompt);
    let mut ranked: Vec<(usize, f64)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let next: Vec<Candidate> = ranked
        .iter()
        .take(10)
        .map(|&(id, probability)| Candidate {
            symbol: language.decode(&[id]),
            probability,
        })
        .collect();
    let text = language.sample(params, &prompt, args.chars, args.temperature, args.seed);
    if args.json {
        let summary = SampleSummary {
            prompt: args.prompt.clone(),
            text,
            temperature: args.temperature,
            next,
        };
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    println!("after {:?}, the model expects:", args.prompt);
    for candidate in &next {
        let symbol: String = candidate.symbol.chars().map(show_symbol).collect();
        let bar = "█".repeat((candidate.probability * 40.0).round() as usize);
        println!("  {symbol:>3}  {:.2}  {bar}", candidate.probability);
    }
    let how = if args.temperature <= GREEDY_TEMPERATURE {
        "always the most likely character".to_string()
    } else {
        format!("temperature {}", args.temperature)
    };
    println!(
        "\n{} characters, {how}:\n{}{}",
        args.chars, args.prompt, text
    );
    Ok(())
}
