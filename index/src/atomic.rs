//! Crash-safe file publication: write a temp file beside the target, fsync it, rename it over
//! the target, fsync the directory. A reader sees the old file or the new one, never a mix.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// Atomically replaces `path` with `bytes`.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_sibling(path);
    let written = (|| {
        let mut f = File::create(&tmp).at(&tmp)?;
        f.write_all(bytes).at(&tmp)?;
        f.sync_all().at(&tmp)?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, path).at(path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fsync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Renames `from` onto `to` and makes the rename durable.
pub fn durable_rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).at(to)?;
    fsync_dir(to.parent().unwrap_or(Path::new(".")))
}

/// Makes directory entries (creates, renames, deletes) in `dir` durable.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// `dir/.name.tmp-PID`: hidden, unique per process, in the same directory so rename is atomic.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
