//! Tantivy's errors turned into [`IndexError`]s that name the index directory, keeping
//! corruption, incompatibility and I/O apart as the rest of the crate does.

use std::io;
use std::path::Path;
use std::sync::Arc;

use tantivy::TantivyError;
use tantivy::directory::error::{OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::query::QueryParserError;

use crate::error::IndexError;

/// An error met while opening or searching the index in `dir`: whatever is not an I/O error
/// means the files do not hold a readable index.
pub(super) fn read(dir: &Path, e: TantivyError) -> IndexError {
    match e {
        TantivyError::OpenDirectoryError(OpenDirectoryError::DoesNotExist(_)) => IndexError::io(
            dir,
            io::Error::new(
                io::ErrorKind::NotFound,
                "text index directory does not exist",
            ),
        ),
        TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(file)) => IndexError::corrupt(
            dir,
            format!("text index file {} is missing", file.display()),
        ),
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
            read_io(&dir.join(filepath), unshare(io_error))
        }
        TantivyError::IoError(io_error) => read_io(dir, unshare(io_error)),
        TantivyError::OpenReadError(OpenReadError::IncompatibleIndex(why))
        | TantivyError::IncompatibleIndex(why) => IndexError::Incompatible {
            path: dir.to_path_buf(),
            reason: format!("text index written by another tantivy format: {why:?}"),
        },
        TantivyError::DataCorruption(what) => {
            IndexError::corrupt(dir, format!("text index: {what:?}"))
        }
        other => IndexError::corrupt(dir, format!("text index: {other}")),
    }
}

/// Tantivy reports undecodable file contents as I/O errors of these kinds (`Other` for
/// formats it does not recognise); a failing system call has a kind of its own.
fn read_io(path: &Path, e: io::Error) -> IndexError {
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof | io::ErrorKind::Other => {
            IndexError::corrupt(path, format!("text index file cannot be decoded: {e}"))
        }
        _ => IndexError::io(path, e),
    }
}

/// An error met while building the index in `dir`.
pub(super) fn write(dir: &Path, e: TantivyError) -> IndexError {
    match e {
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, filepath }) => {
            IndexError::io(dir.join(filepath), unshare(io_error))
        }
        TantivyError::OpenWriteError(OpenWriteError::FileAlreadyExists(file)) => IndexError::io(
            dir.join(file),
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "text index file exists already",
            ),
        ),
        TantivyError::LockFailure(..) => IndexError::Locked {
            path: dir.to_path_buf(),
        },
        TantivyError::ErrorInThread(message) | TantivyError::InternalError(message) => {
            IndexError::io(
                dir,
                io::Error::other(format!("text indexing failed: {message}")),
            )
        }
        other => read(dir, other),
    }
}

/// A query the parser refused.
pub(super) fn query(query: &str, e: QueryParserError) -> IndexError {
    IndexError::TextQuery {
        query: query.to_string(),
        message: e.to_string(),
    }
}

/// Tantivy shares its I/O errors behind an `Arc`; ours own theirs.
fn unshare(e: Arc<io::Error>) -> io::Error {
    Arc::try_unwrap(e).unwrap_or_else(|shared| io::Error::new(shared.kind(), shared.to_string()))
}
