//! Crash injection for tests: with the `failpoints` feature, `SEGUE_FAILPOINT=<name>` makes the
//! process abort at that point, like a power cut (no destructors, no buffered writes flushed).
//! Used by the crash tests to show that a library always reopens at its last published version.
//!
//! Without the feature (every normal build), [`hit`] is empty and inlined away: no program
//! that links Segue reads the variable or can be made to abort by it.

/// Aborts the process if the environment names this failpoint.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    use std::sync::OnceLock;
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var("SEGUE_FAILPOINT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("segue: failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Does nothing: this build has no failpoints.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}
