//! Crash injection for tests: `SEGUE_FAILPOINT=<name>` makes the process abort at that point,
//! like a power cut (no destructors, no buffered writes flushed). Used by the crash tests to
//! show that a library always reopens at its last published version.

use std::sync::OnceLock;

/// Aborts the process if the environment names this failpoint.
pub fn hit(name: &str) {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var("SEGUE_FAILPOINT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("segue: failpoint {name}: aborting");
        std::process::abort();
    }
}
