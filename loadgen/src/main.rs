//! loadgen's entry point: parse the command line, run (on an executor on the main thread, which
//! carries the control connection), print a failure as one line on stderr and exit with its code
//! (0 ok, 1 error, 2 invalid options, 3 too many stale reads). It holds no logic of its own; the
//! modules are in the library (`lib.rs`).

use std::process::ExitCode;

use clap::Parser;
use loadgen::{app, cli, error, runtime, settings};

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let result = settings::Settings::from_args(&args).and_then(|settings| {
        runtime::block_on("loadgen-main", app::run(&settings))
            .map_err(|err| error::LoadgenError::Runtime(err.to_string()))?
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("loadgen: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
