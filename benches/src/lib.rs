//! Helpers shared by the benchmark programs: running a command as a child process and
//! measuring its wall time and peak resident memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

pub mod hnswlib;
pub mod planning;
pub mod scale;
pub mod truth;

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

/// The share of each distinct value (by its `Debug` form), in order of first appearance, e.g.
/// how a planner answered a set of queries: `Graph { ef: 64 } 71%, GraphThenExact 29%`.
pub fn share_of_each<T: std::fmt::Debug>(items: &[T]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for item in items {
        let name = format!("{item:?}");
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    counts
        .iter()
        .map(|(n, c)| format!("{n} {:.0}%", 100.0 * *c as f64 / items.len().max(1) as f64))
        .collect::<Vec<_>>()
        .join(", ")
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

/// A generated library of `tracks` tracks (audio `audio_dim`-d, text `text_dim`-d, seed 42)
/// with its HNSW graphs and text index, built once under `work` with the `segue` binary and
/// reused by later runs (a million rows take minutes to index on two cores). Returns its path.
pub fn scale_library(
    work: &Path,
    tracks: u64,
    audio_dim: usize,
    text_dim: usize,
) -> anyhow::Result<PathBuf> {
    let name = format!("lib-{tracks}-a{audio_dim}-t{text_dim}");
    let lib = work.join(&name);
    // Written after the build succeeded, so a half-built library is never reused.
    let done = work.join(format!("{name}.built"));
    if done.exists() {
        return Ok(lib);
    }
    std::fs::create_dir_all(work)?;
    let segue = segue_bin()?;
    let catalog = work.join(format!("{name}.parquet"));
    if lib.exists() {
        std::fs::remove_dir_all(&lib)?;
    }
    eprintln!("building {}", lib.display());
    measure(
        Command::new(&segue)
            .args(["fixtures", "catalog", "--seed", "42"])
            .args(["--tracks", &tracks.to_string()])
            .args(["--audio-dim", &audio_dim.to_string()])
            .args(["--text-dim", &text_dim.to_string()])
            .arg("--out")
            .arg(&catalog)
            .stdout(std::process::Stdio::null()),
    )?;
    let m = measure(
        Command::new(&segue)
            .args(["ingest", "--library"])
            .arg(&lib)
            .arg("--catalog")
            .arg(&catalog)
            .stdout(std::process::Stdio::null()),
    )?;
    eprintln!(
        "built {} in {:.0} s (ingest with graphs and text index), peak RSS {:.2} GiB",
        lib.display(),
        m.seconds,
        gib(m.peak_rss_bytes)
    );
    std::fs::remove_file(&catalog)?;
    std::fs::write(&done, format!("{:.1} s\n", m.seconds))?;
    Ok(lib)
}

/// `count` generated videos for `lib` (seed `seed`, `min..=max` segments), written once.
pub fn scale_videos(
    lib: &Path,
    count: usize,
    seed: u64,
    segments: (usize, usize),
) -> anyhow::Result<PathBuf> {
    let out = PathBuf::from(format!(
        "{}.videos-{count}-s{seed}-{}-{}.jsonl",
        lib.display(),
        segments.0,
        segments.1
    ));
    if out.exists() {
        return Ok(out);
    }
    let lib_handle = segue::Library::open(lib)?;
    let anchors = segue::soundtrack::video_anchors(&lib_handle, 256)?;
    let spec = segue::fixtures::VideoSpec {
        count,
        seed,
        min_segments: segments.0,
        max_segments: segments.1,
    };
    segue::fixtures::write_videos_jsonl(&spec, &anchors, &out)?;
    Ok(out)
}
