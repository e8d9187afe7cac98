//! Helpers shared by the benchmark programs: running a command as a child process and
//! measuring its wall time and peak resident memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// What one child process cost.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Measured {
    pub seconds: f64,
    /// Peak resident set size of the child, in bytes (`ru_maxrss`).
    pub peak_rss_bytes: u64,
}

/// Runs `cmd` to completion and measures it; fails if it does not exit successfully.
pub fn measure(cmd: &mut Command) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child which nobody else waits for; the pointers are valid.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    if r != pid {
        bail!(
            "wait4 failed for {cmd:?}: {}",
            std::io::Error::last_os_error()
        );
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{cmd:?} failed (wait status {status})");
    }
    // The Child handle must not be waited on again; its exit was reaped above.
    std::mem::forget(child);
    Ok(Measured {
        seconds,
        // Linux reports ru_maxrss in KiB.
        peak_rss_bytes: usage.ru_maxrss as u64 * 1024,
    })
}

/// The `segue` binary built beside this benchmark (same profile), or `$SEGUE_BIN`.
pub fn segue_bin() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("SEGUE_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("benchmark has no directory")?;
    let p = dir.join("segue");
    if !p.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p segue` or set SEGUE_BIN",
            p.display()
        );
    }
    Ok(p)
}

pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Size of a file or directory tree.
pub fn disk_bytes(p: &Path) -> u64 {
    let Ok(m) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    if m.is_file() {
        return m.len();
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| disk_bytes(&e.path())).sum())
        .unwrap_or(0)
}
