//! The files of a text-index folder: a read-only tantivy directory for readers, and the file
//! handling of the writer (empty target, copying a previous index, sealing the result).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::Directory;
use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

use crate::error::{IndexError, IoContext, Result};

/// Lock files tantivy creates next to an index; they are not part of it.
const LOCK_FILES: &[&str] = &[".tantivy-writer.lock", ".tantivy-meta.lock"];

/// A memory-mapped tantivy directory that never writes: tantivy's reader takes a lock file
/// (to keep a concurrent writer's garbage collection away), but nobody writes a published
/// index, and a reader must work on a read-only disk and leave the folder as the manifest
/// describes it.
#[derive(Debug, Clone)]
pub(super) struct ReadOnlyDirectory(MmapDirectory);

impl ReadOnlyDirectory {
    pub fn open(dir: &Path) -> Result<ReadOnlyDirectory, OpenDirectoryError> {
        MmapDirectory::open(dir).map(ReadOnlyDirectory)
    }
}

fn read_only(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{}: the text index is opened read-only", path.display()),
    )
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::wrap_io_error(
            read_only(path),
            path.to_path_buf(),
        ))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(read_only(path))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        // Nothing deletes files of a published index, so there is nothing to lock out.
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// Makes `dir` an empty directory (creating it if needed); refuses one with anything in it.
pub(super) fn prepare_empty(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).at(dir)?;
    if fs::read_dir(dir).at(dir)?.next().is_some() {
        return Err(IndexError::InvalidArgument(format!(
            "{}: a text index is built in an empty directory, this one is not",
            dir.display()
        )));
    }
    Ok(())
}

/// The names of the regular files of an index folder, sorted, lock files left out.
pub(super) fn index_files(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let path = entry.path();
        let kind = entry.file_type().at(&path)?;
        let name = entry.file_name().into_string().map_err(|_| {
            IndexError::corrupt(&path, "text index file name is not UTF-8".to_string())
        })?;
        if LOCK_FILES.contains(&name.as_str()) {
            continue;
        }
        if !kind.is_file() {
            return Err(IndexError::corrupt(
                &path,
                "unexpected entry in a text index folder (only files belong there)",
            ));
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// Gives `to` the files of the index in `from` without writing to them: hard links where the
/// file system allows (tantivy never rewrites a file, it only creates and deletes them, so
/// sharing the inodes is safe), copies where it does not (another file system, no links).
pub(super) fn link_index_files(from: &Path, to: &Path) -> Result<()> {
    for name in index_files(from)? {
        let (src, dst) = (from.join(&name), to.join(&name));
        if fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst).at(&dst)?;
        }
    }
    Ok(())
}

/// Deletes the lock files a tantivy writer leaves behind.
pub(super) fn remove_lock_files(dir: &Path) -> Result<()> {
    for name in LOCK_FILES {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(IndexError::io(path, e)),
        }
    }
    Ok(())
}

/// Flushes every file in `names` and then the directory itself to disk, so a manifest naming
/// them can be published.
pub(super) fn sync_all(dir: &Path, names: &[String]) -> Result<()> {
    for name in names {
        let path: PathBuf = dir.join(name);
        File::open(&path).and_then(|f| f.sync_all()).at(&path)?;
    }
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}
