//! The `segue` command-line program (see the `segue_cli` library for the subcommands).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = segue_cli::Cli::parse();
    match segue_cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let color = std::io::stderr().is_terminal();
            let prefix = if color {
                "\x1b[31merror:\x1b[0m"
            } else {
                "error:"
            };
            eprintln!("{prefix} {e:#}");
            ExitCode::from(2)
        }
    }
}
