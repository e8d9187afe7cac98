//! Embeddings given beside a catalogue (`--audio-emb FILE`, `--text-emb FILE`): a 2-D `.npy`
//! array (float32 or float64, C order) or a raw little-endian f32 file, one row per catalogue
//! data row, in catalogue row order.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use npyz::{NpyFile, NpyReader, Order};

use crate::error::{IngestError, Result, RowError};

enum Inner {
    Raw(BufReader<File>),
    NpyF32(NpyReader<f32, BufReader<File>>),
    NpyF64(NpyReader<f64, BufReader<File>>),
}

/// A forward-only reader of an embedding file.
pub struct EmbeddingFile {
    path: PathBuf,
    dim: u32,
    rows: u64,
    /// Rows consumed so far.
    pos: u64,
    inner: Inner,
}

impl std::fmt::Debug for EmbeddingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingFile")
            .field("path", &self.path)
            .field("dim", &self.dim)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl EmbeddingFile {
    /// Opens `path`; `dim` is needed for raw files (it is in the header of `.npy` files).
    pub fn open(path: &Path, dim: Option<u32>) -> Result<EmbeddingFile> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let meta = file.metadata().map_err(|e| IngestError::io(path, e))?;
        let len = meta.len();
        if !meta.is_file() {
            return Err(IngestError::bad_file(
                path,
                "not a regular file (a pipe, a device or a process substitution): an embedding \
                 file is read by row number, so save it to a file first",
            ));
        }
        if len == 0 {
            return Err(IngestError::bad_file(path, "the file is empty"));
        }
        let is_npy = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
        let reader = BufReader::with_capacity(1 << 20, file);
        if is_npy {
            let npy = NpyFile::new(reader)
                .map_err(|e| IngestError::bad_file(path, format!("not a valid .npy file: {e}")))?;
            let shape = npy.shape().to_vec();
            if shape.len() != 2 {
                return Err(IngestError::bad_file(
                    path,
                    format!("expected a 2-D array (rows × dim), found shape {shape:?}"),
                ));
            }
            if npy.order() != Order::C && shape[0] > 1 {
                return Err(IngestError::bad_file(
                    path,
                    "Fortran-order arrays are not supported; save with C order",
                ));
            }
            let (rows, file_dim) = (shape[0], shape[1] as u32);
            if file_dim == 0 {
                return Err(IngestError::bad_file(path, "its rows have dimension 0"));
            }
            if let Some(d) = dim.filter(|&d| d != file_dim) {
                return Err(IngestError::bad_file(
                    path,
                    format!("dimension {file_dim}, expected {d}"),
                ));
            }
            // npyz renders the type string as Python would, quoted: '<f4'.
            let descr = npy.dtype().descr();
            let dtype = descr.trim_matches(|c| c == '\'' || c == '"');
            if dtype.starts_with('>') {
                return Err(IngestError::bad_file(
                    path,
                    format!("big-endian element type {dtype}; save as little-endian"),
                ));
            }
            let inner = if dtype.ends_with("f4") {
                Inner::NpyF32(
                    npy.data::<f32>()
                        .map_err(|e| IngestError::bad_file(path, e.to_string()))?,
                )
            } else if dtype.ends_with("f8") {
                Inner::NpyF64(
                    npy.data::<f64>()
                        .map_err(|e| IngestError::bad_file(path, e.to_string()))?,
                )
            } else {
                return Err(IngestError::bad_file(
                    path,
                    format!("element type {dtype}; expected float32 or float64"),
                ));
            };
            return Ok(EmbeddingFile {
                path: path.into(),
                dim: file_dim,
                rows,
                pos: 0,
                inner,
            });
        }
        let dim = dim.ok_or_else(|| {
            IngestError::InvalidOptions(format!(
                "{}: a raw f32 embedding file needs its dimension (--audio-dim / --text-dim), or use .npy",
                path.display()
            ))
        })?;
        if dim == 0 {
            return Err(IngestError::InvalidOptions(format!(
                "{}: the dimension of a raw embedding file (--audio-dim / --text-dim) must be at least 1",
                path.display()
            )));
        }
        let row_bytes = u64::from(dim) * 4;
        if len % row_bytes != 0 {
            return Err(IngestError::bad_file(
                path,
                format!("{len} bytes is not a whole number of {dim}-d f32 rows (truncated?)"),
            ));
        }
        Ok(EmbeddingFile {
            path: path.into(),
            dim,
            rows: len / row_bytes,
            pos: 0,
            inner: Inner::Raw(reader),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn dim(&self) -> u32 {
        self.dim
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The embedding of 1-based catalogue data row `row`. Rows must be asked in increasing order.
    pub fn read_row(&mut self, row: u64) -> Result<Vec<f32>> {
        if row == 0 || row <= self.pos {
            return Err(IngestError::InvalidOptions(format!(
                "{}: rows must be read in increasing order (asked {row} after {})",
                self.path.display(),
                self.pos
            )));
        }
        if row > self.rows {
            return Err(IngestError::BadRow {
                file: self.path.clone(),
                error: RowError::new(
                    row,
                    "(embedding)",
                    format!("the file has only {} rows", self.rows),
                ),
            });
        }
        while self.pos + 1 < row {
            self.next_vec(row)?;
        }
        self.next_vec(row)
    }

    fn next_vec(&mut self, row: u64) -> Result<Vec<f32>> {
        let d = self.dim as usize;
        let path = &self.path;
        let trunc = |e: std::io::Error| IngestError::BadRow {
            file: path.clone(),
            error: RowError::new(row, "(embedding)", format!("cannot read (truncated?): {e}")),
        };
        let v = match &mut self.inner {
            Inner::Raw(r) => {
                let mut buf = vec![0u8; d * 4];
                r.read_exact(&mut buf).map_err(trunc)?;
                buf.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect()
            }
            Inner::NpyF32(r) => r
                .by_ref()
                .take(d)
                .collect::<std::io::Result<Vec<f32>>>()
                .map_err(trunc)?,
            Inner::NpyF64(r) => r
                .by_ref()
                .take(d)
                .map(|x| x.map(|x| x as f32))
                .collect::<std::io::Result<Vec<f32>>>()
                .map_err(trunc)?,
        };
        if v.len() != d {
            return Err(trunc(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "short row",
            )));
        }
        self.pos += 1;
        Ok(v)
    }

    /// Checks the file has exactly as many rows as the catalogue.
    pub fn check_row_count(&self, catalogue_rows: u64) -> Result<()> {
        if self.rows != catalogue_rows {
            return Err(IngestError::bad_file(
                &self.path,
                format!(
                    "has {} rows but the catalogue has {catalogue_rows} data rows",
                    self.rows
                ),
            ));
        }
        Ok(())
    }
}
