//! The `kintsugi` binary: argument parsing, then a hand-off to the command runner.

mod agreement;
mod args;
mod cli;
mod devices;
mod exercise;
mod meeting;
mod net;
mod release;
mod revise;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    cli::init_logging();
    cli::warn_about_ignored_settings();
    match cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line, no content: errors below never carry entry text.
            eprintln!("kintsugi: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
