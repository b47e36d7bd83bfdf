//! The command line: `sluice --config FILE` runs the proxy, `sluice check-config FILE` validates.
//!
//! Owns the clap definitions only. It must not read files or act on the arguments: `main.rs` decides
//! what each command does.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A thread-per-core MySQL proxy that makes read/write splitting transparent.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "sluice",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Run the proxy with this configuration file (TOML).
    #[arg(long, short = 'c', value_name = "FILE", required = true)]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do instead of running the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Validate a configuration file, print a summary, and exit (non-zero if it is invalid).
    CheckConfig {
        /// The configuration file (TOML) to check.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

impl Cli {
    /// Parses the process arguments; prints help or an error and exits on bad input.
    pub fn parse_args() -> Self {
        Cli::parse()
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("sluice").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn config_runs_the_proxy() {
        let cli = parse(&["--config", "tuning/local.toml"]).expect("valid");
        assert_eq!(cli.config, Some(PathBuf::from("tuning/local.toml")));
        assert_eq!(cli.command, None);
    }

    #[test]
    fn check_config_takes_a_file() {
        let cli = parse(&["check-config", "tuning/local.toml"]).expect("valid");
        assert_eq!(cli.config, None);
        assert_eq!(
            cli.command,
            Some(Command::CheckConfig {
                file: PathBuf::from("tuning/local.toml")
            })
        );
    }

    #[test]
    fn config_is_required_without_a_subcommand() {
        let err = parse(&[]).expect_err("no --config");
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn check_config_requires_its_file() {
        let err = parse(&["check-config"]).expect_err("no file");
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn version_is_available() {
        let err = parse(&["--version"]).expect_err("version exits");
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayVersion);
    }
}
