//! The `sluice` binary: parses the command line and hands over. No logic lives here.

use std::process::ExitCode;

use sluice::cli::{Cli, Command};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse_args();
    if let Some(Command::CheckConfig { file }) = cli.command {
        return match sluice::config::load(&file) {
            Ok(config) => {
                println!("{}: OK", file.display());
                println!("{}", config.summary());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(path) = cli.config else {
        eprintln!("sluice: --config FILE is required");
        return ExitCode::FAILURE;
    };
    let config = match sluice::config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match sluice::runtime::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e}");
            ExitCode::FAILURE
        }
    }
}
