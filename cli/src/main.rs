//! The `segue` program (see the `segue_cli` library for the subcommands).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    exit_quietly_on_closed_stdout();
    let args = segue_cli::Cli::parse();
    match segue_cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`segue search ... | head`): it has what it
        // wanted, so this is not an error (as ripgrep does).
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
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

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` panics when stdout is a closed pipe (Rust ignores SIGPIPE, so the write fails
/// with EPIPE). That panic is the reader having gone away, not a bug: exit 0 without a message.
/// Every other panic is reported as usual.
fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
