//! Crash-safe file publication: write a temp file beside the target, fsync it, rename it over
//! the target, fsync the directory. A reader sees the old file or the new one, never a mix.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{IndexError, IoContext, Result};

/// Atomically replaces `path` with `bytes`.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write_with(path, |file, tmp| file.write_all(bytes).at(tmp))
}

/// Atomically replaces `path` with what `write` writes into the temp file it is handed (with
/// the temp file's path, for error messages): for files streamed out, too large to hold in
/// memory. Whatever fails, the temp file is removed and `path` is left as it was.
pub fn atomic_write_with<T, E>(
    path: &Path,
    write: impl FnOnce(&mut File, &Path) -> std::result::Result<T, E>,
) -> std::result::Result<T, E>
where
    E: From<IndexError>,
{
    if path.file_name().is_none() {
        return Err(IndexError::InvalidArgument(format!(
            "{}: not a file name to write to",
            path.display()
        ))
        .into());
    }
    let tmp = temp_sibling(path);
    let mut file = File::create(&tmp).at(&tmp)?;
    let written = write(&mut file, &tmp).and_then(|value| {
        file.sync_all().at(&tmp)?;
        Ok(value)
    });
    drop(file);
    let value = match written {
        Ok(value) => value,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = fs::rename(&tmp, path).at(path) {
        let _ = fs::remove_file(&tmp);
        return Err(e.into());
    }
    fsync_dir(path.parent().unwrap_or(Path::new(".")))?;
    Ok(value)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_streamed_write_replaces_the_file_or_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        atomic_write(&out, b"old").unwrap();
        let n = atomic_write_with(&out, |f, tmp| {
            assert_eq!(tmp, temp_sibling(&out));
            f.write_all(b"new").at(tmp)?;
            Ok::<_, IndexError>(3)
        })
        .unwrap();
        assert_eq!((n, fs::read(&out).unwrap()), (3, b"new".to_vec()));

        let err = atomic_write_with(&out, |f, tmp| {
            f.write_all(b"half").at(tmp)?;
            Err::<(), _>(IndexError::InvalidArgument("stopped".into()))
        })
        .unwrap_err();
        assert!(err.to_string().contains("stopped"), "{err}");
        assert_eq!(fs::read(&out).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["out.bin"], "no temp file left");
    }

    #[test]
    fn paths_without_a_file_name_and_failed_renames_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            atomic_write(Path::new(""), b"x"),
            Err(IndexError::InvalidArgument(_))
        ));
        let occupied = dir.path().join("occupied");
        fs::create_dir(&occupied).unwrap();
        fs::write(occupied.join("keep"), b"x").unwrap();
        let err = atomic_write(&occupied, b"x").unwrap_err();
        assert!(
            matches!(&err, IndexError::Io { path, .. } if path == &occupied),
            "{err:?}"
        );
        assert_eq!(names(dir.path()), ["occupied"], "no temp file left");
    }
}
