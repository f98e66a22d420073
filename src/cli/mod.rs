//! The `valley` command line: one file per subcommand.

mod inspect;
mod landscape;
mod problem_args;
mod progress;
mod train;

use clap::{Parser, Subcommand};

pub use inspect::InspectArgs;
pub use landscape::LandscapeArgs;
pub use problem_args::{DataArgs, ModelArgs, OptimArgs};
pub use train::TrainArgs;

/// Valley: watch gradient descent roll down a loss landscape.
#[derive(Debug, Parser)]
#[command(name = "valley", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train an MLP on a built-in dataset or a CSV file and report the result.
    Train(TrainArgs),
    /// Load PyTorch weights (safetensors) and data (CSV): loss, accuracy, gradient.
    Inspect(InspectArgs),
    /// Evaluate the loss on a 1D or 2D slice around a model or on a formula surface.
    Landscape(LandscapeArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Landscape(args) => landscape::run(&args),
    }
}
