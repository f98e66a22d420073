//! `valley`: parse the command line, run the command, report errors once.

use clap::Parser;

fn main() -> std::process::ExitCode {
    quit_quietly_on_a_closed_pipe();
    let cli = valley::cli::Cli::parse();
    match valley::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `valley landscape ... | head` closes stdout early; like other command-line
/// tools, Valley then stops at once instead of panicking in `println!`
/// (Rust ignores SIGPIPE by default, so the write fails instead).
fn quit_quietly_on_a_closed_pipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: called first thing in `main`, before any thread exists; restoring
    // the default disposition of one signal has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
