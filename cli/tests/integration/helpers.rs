//! What the command-line tests share: running the `segue` binary this test build made, and
//! checking that a run succeeded.

use std::process::{Command, Output};

/// The `segue` binary of this build.
pub fn segue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segue"))
}

/// Asserts that `out` is a successful run, showing both of its streams when it is not.
pub fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The standard output of a run that must have succeeded.
pub fn ok(out: Output) -> String {
    succeeded(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}
