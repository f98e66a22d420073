//! `valley lesson list` and `valley lesson export ID --out DIR`: the
//! built-in lessons by id, and any lesson rendered step by step in the real
//! window (presentation mode, 1280 × 720 by default) with a handout.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use valley_app::lesson;

/// Options of `valley lesson`.
#[derive(Debug, Args)]
pub struct LessonArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LessonCommand,
}

/// `valley lesson` subcommands.
#[derive(Debug, Subcommand)]
pub enum LessonCommand {
    /// Print the built-in lessons, one id per line.
    List {
        /// Each id followed by its title and number of steps.
        #[arg(long)]
        long: bool,
    },
    /// Render every step of a lesson to a PNG (its scene inside) and write DIR/handout.md.
    Export {
        /// A built-in id or a lesson file.
        #[arg(value_name = "ID|FILE")]
        lesson: String,
        /// The folder for the figures and the handout (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Window size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720")]
        size: String,
        /// Draw in the ordinary theme instead of presentation mode.
        #[arg(long)]
        no_presentation: bool,
    },
}

/// Runs `valley lesson ...`.
pub fn run(args: LessonArgs) -> anyhow::Result<()> {
    match args.command {
        LessonCommand::List { long } => {
            for id in lesson::ids() {
                if long {
                    let l = lesson::built_in(id).map_err(anyhow::Error::msg)?;
                    println!("{id}\t{}\t{} steps", l.title(), l.steps.len());
                } else {
                    println!("{id}");
                }
            }
            Ok(())
        }
        LessonCommand::Export {
            lesson: name,
            out,
            size,
            no_presentation,
        } => {
            // Checked before a window opens, so a bad file fails at once.
            let checked = lesson::find(&name).map_err(anyhow::Error::msg)?;
            std::fs::create_dir_all(&out)
                .map_err(|e| anyhow::anyhow!("could not create {}: {e}", out.display()))?;
            let bar = ProgressBar::new(checked.steps.len() as u64).with_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(format!("exporting \"{}\"", checked.title()));
            let reporter = bar.clone();
            let progress = lesson::ExportProgress(Arc::new(move |done, _, title: &str| {
                reporter.set_position(done as u64);
                reporter.set_message(title.to_string());
            }));
            let options = valley_app::LaunchOptions {
                size: super::parse_size(&size)?,
                presentation: !no_presentation,
                lesson: Some(name),
                lesson_export: Some(out.clone()),
                export_progress: Some(progress),
                ..Default::default()
            };
            let result = valley_app::run(options);
            bar.finish();
            result?;
            println!(
                "wrote {} figures and {}",
                checked.steps.len(),
                out.join("handout.md").display()
            );
            Ok(())
        }
    }
}
