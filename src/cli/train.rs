//! `valley train`: train an MLP or a character language model and report the result.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use super::problem_args::RunArgs;
use super::progress::Progress;
use valley_engine::nn::write_layout;
use valley_engine::problem::Problem;
use valley_engine::session::{Session, load_session, save_session};
use valley_engine::train::{Run, SavedRun, StepOutcome, TrainConfig};

/// Options of `valley train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    /// Data, network and training.
    pub run: RunArgs,
    /// Save the trained weights as safetensors (PyTorch state-dict names, float32).
    #[arg(long, value_name = "FILE.safetensors")]
    pub weights_out: Option<PathBuf>,
    /// Go on from a saved session: its data, model, optimiser and state; --steps more steps.
    #[arg(long, value_name = "FILE.json")]
    pub session: Option<PathBuf>,
    /// Save the whole run (weights, optimiser state, batch order, records) as a session.
    #[arg(long, value_name = "FILE.json")]
    pub save_session: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct TrainSummary {
    /// Problem description.
    pub problem: String,
    /// Parameter count.
    pub num_params: usize,
    /// Steps taken.
    pub steps: u64,
    /// Mean training loss at the end.
    pub train_loss: f32,
    /// Mean test loss at the end (null without a test set).
    pub test_loss: Option<f32>,
    /// Training accuracy (null for regression).
    pub train_accuracy: Option<f32>,
    /// Test accuracy (null for regression or without a test set).
    pub test_accuracy: Option<f32>,
    /// Wall-clock training time.
    pub seconds: f64,
    /// Training speed.
    pub steps_per_second: f64,
    /// The vector instructions the kernels ran with (`avx512`, `avx2`,
    /// `baseline`), picked at run time for this CPU.
    pub simd: &'static str,
    /// Set when the run stopped early on a NaN or infinite loss.
    pub diverged: Option<String>,
    /// A language model's training loss in bits per character (null otherwise).
    pub bits_per_char: Option<f64>,
    /// A language model's test loss in bits per character.
    pub test_bits_per_char: Option<f64>,
    /// Symbols in a language model's vocabulary.
    pub vocab_size: Option<usize>,
    /// The lowest training loss any bigram model reaches on the text (nats).
    pub bigram_bound: Option<f64>,
}

/// Runs `valley train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let (spec, problem, config, saved) = match &args.session {
        Some(path) => {
            let session = load_session(path)?;
            let problem = session.problem.build().with_context(|| {
                format!("the session {} cannot be continued here", path.display())
            })?;
            (session.problem, problem, session.train, Some(session.run))
        }
        None => {
            let (spec, problem) = args.run.problem()?;
            (spec, problem, args.run.optim.config()?, None)
        }
    };
    let (run, summary) = train(Arc::clone(&problem), config, args.run.optim.steps, saved)
        .with_context(|| match &args.session {
            Some(path) => format!("the session {} cannot be continued", path.display()),
            None => "training failed".into(),
        })?;
    if let Some(path) = &args.weights_out {
        save_weights(problem.as_ref(), run.params(), path)?;
    }
    if let Some(path) = &args.save_session {
        let session = Session::new(spec, *run.config(), run.save(), serde_json::Value::Null);
        save_session(&session, path)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary);
        if let Some(path) = &args.weights_out {
            println!("weights saved to {}", path.display());
        }
    }
    Ok(())
}

/// Trains `steps` steps with a progress bar (from a saved run, if given);
/// stops early if the run diverges.
pub fn train(
    problem: Arc<dyn Problem>,
    config: TrainConfig,
    steps: u64,
    saved: Option<SavedRun>,
) -> anyhow::Result<(Run, TrainSummary)> {
    let mut run = Run::new(Arc::clone(&problem), config)?;
    if let Some(saved) = saved {
        run.restore(saved)?;
    }
    let mut progress = Progress::new(steps, "steps");
    let started = Instant::now();
    let first_step = run.step_index();
    let mut diverged = None;
    for step in 0..steps {
        if let StepOutcome::Diverged { step, loss } = run.step() {
            diverged = Some(format!(
                "diverged at step {step} (loss = {loss}); try a smaller --lr"
            ));
            break;
        }
        if step % 64 == 0 {
            progress.set(step);
        }
    }
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let evaluation = problem.evaluate(run.params(), &mut Default::default());
    let language = problem.language();
    let bits = |nats: f32| f64::from(nats) / std::f64::consts::LN_2;
    let summary = TrainSummary {
        problem: problem.name(),
        num_params: problem.num_params(),
        steps: run.step_index(),
        train_loss: evaluation.train_loss,
        test_loss: evaluation.test_loss,
        train_accuracy: evaluation.train_accuracy,
        test_accuracy: evaluation.test_accuracy,
        seconds,
        steps_per_second: (run.step_index() - first_step) as f64 / seconds.max(1e-9),
        simd: valley_engine::simd::level().name(),
        diverged,
        bits_per_char: language.map(|_| bits(evaluation.train_loss)),
        test_bits_per_char: language.and(evaluation.test_loss).map(bits),
        vocab_size: language.map(|l| l.vocab().len()),
        bigram_bound: language.map(|l| l.bigram_bound()),
    };
    Ok((run, summary))
}

/// Writes parameters as a PyTorch state dict under the model's names.
pub fn save_weights(
    problem: &dyn Problem,
    params: &[f32],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    if params.iter().any(|p| !p.is_finite()) {
        bail!(
            "the weights are not finite (the run diverged), so they were not saved to {}",
            path.display()
        );
    }
    if problem.surface().is_some() {
        bail!("a formula surface has no weights to save: its point is its x and y");
    }
    write_layout(path, problem.layout(), params)?;
    Ok(())
}

fn print_summary(s: &TrainSummary) {
    println!("{} ({} parameters)", s.problem, s.num_params);
    println!(
        "{} steps in {:.2} s ({:.0} steps/s)",
        s.steps, s.seconds, s.steps_per_second
    );
    let pct = |a: Option<f32>| a.map_or("–".into(), |a| format!("{:.1} %", 100.0 * a));
    let loss = |l: Option<f32>| l.map_or("–".into(), |l| format!("{l:.4}"));
    let bits = |b: Option<f64>| b.map_or(String::new(), |b| format!(" = {b:.3} bits/char"));
    println!(
        "train loss {:.4}{}   accuracy {}",
        s.train_loss,
        bits(s.bits_per_char),
        pct(s.train_accuracy)
    );
    println!(
        "test  loss {}{}   accuracy {}",
        loss(s.test_loss),
        bits(s.test_bits_per_char),
        pct(s.test_accuracy)
    );
    if let (Some(bound), Some(vocab)) = (s.bigram_bound, s.vocab_size) {
        println!(
            "best bigram model (from counts) {bound:.4}; uniform over {vocab} symbols {:.4}",
            (vocab as f64).ln()
        );
    }
    if let Some(message) = &s.diverged {
        println!("{message}");
    }
}
