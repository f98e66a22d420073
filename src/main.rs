//! `valley`: parse the command line, run the command, report errors once.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = valley::cli::Cli::parse();
    match valley::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
