//! Memory-mapped embedding matrices.
//!
//! Layout (all little-endian), one file per embedding space per library version:
//!
//! | offset | size | field                                   |
//! |-------:|-----:|-----------------------------------------|
//! | 0      | 8    | magic `SEGUEVEC`                        |
//! | 8      | 4    | format version (u32, currently 2)       |
//! | 12     | 4    | dim (u32)                               |
//! | 16     | 8    | rows (u64)                              |
//! | 24     | 4    | CRC-32 of the data section              |
//! | 28     | 4    | flags (bit 0: rows are L2-normalised; bit 1: a norms section follows the data) |
//! | 32     | 4    | CRC-32 of the norms section (0 without one) |
//! | 36     | 28   | reserved, zero                          |
//! | 64     | ...  | data: rows × dim f32, row-major         |
//! | ...    | ...  | norms: rows × f32, the raw L2 norm of each row before normalisation |
//!
//! Row `i` is Lance row `i` of the same library version. Rows are stored L2-normalised so that
//! queries use dot products; Lance keeps the raw vectors for whoever needs them. The raw norms
//! are kept beside the directions because parts of the soundtrack objective (the theme
//! centroid) sum raw vectors: direction × norm gives them back without reading Lance.
//!
//! Format 1 (no norms section, bytes 32.. reserved) is still read; its files report no norms.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{IndexError, IoContext, Result};
use crate::manifest::FileRef;

#[cfg(target_endian = "big")]
compile_error!(
    "segue vector files are little-endian and memory-mapped; big-endian targets are not supported"
);

pub const MAGIC: [u8; 8] = *b"SEGUEVEC";
pub const VECTOR_FORMAT_VERSION: u32 = 2;
/// The oldest format this build still reads.
pub const OLDEST_VECTOR_FORMAT_VERSION: u32 = 1;
pub const HEADER_BYTES: u64 = 64;
const FLAG_NORMALISED: u32 = 1;
const FLAG_HAS_NORMS: u32 = 2;

/// The fixed header of a vector file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VectorHeader {
    pub format_version: u32,
    pub dim: u32,
    pub rows: u64,
    pub data_crc32: u32,
    pub flags: u32,
    /// CRC-32 of the norms section (0 when there is none).
    pub norms_crc32: u32,
}

impl VectorHeader {
    fn encode(&self) -> [u8; HEADER_BYTES as usize] {
        let mut h = [0u8; HEADER_BYTES as usize];
        h[0..8].copy_from_slice(&MAGIC);
        h[8..12].copy_from_slice(&self.format_version.to_le_bytes());
        h[12..16].copy_from_slice(&self.dim.to_le_bytes());
        h[16..24].copy_from_slice(&self.rows.to_le_bytes());
        h[24..28].copy_from_slice(&self.data_crc32.to_le_bytes());
        h[28..32].copy_from_slice(&self.flags.to_le_bytes());
        h[32..36].copy_from_slice(&self.norms_crc32.to_le_bytes());
        h
    }

    fn decode(path: &Path, h: &[u8]) -> Result<VectorHeader> {
        if h.len() < HEADER_BYTES as usize {
            return Err(IndexError::corrupt(
                path,
                "vector file shorter than its header",
            ));
        }
        if h[0..8] != MAGIC {
            return Err(IndexError::corrupt(
                path,
                "not a segue vector file (bad magic)",
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().expect("4 bytes"));
        let format_version = u32_at(8);
        if !(OLDEST_VECTOR_FORMAT_VERSION..=VECTOR_FORMAT_VERSION).contains(&format_version) {
            return Err(IndexError::Incompatible {
                path: path.into(),
                reason: format!(
                    "vector file format version {format_version} (this build reads \
                     {OLDEST_VECTOR_FORMAT_VERSION} to {VECTOR_FORMAT_VERSION}); upgrade segue"
                ),
            });
        }
        let mut header = VectorHeader {
            format_version,
            dim: u32_at(12),
            rows: u64::from_le_bytes(h[16..24].try_into().expect("8 bytes")),
            data_crc32: u32_at(24),
            flags: u32_at(28),
            norms_crc32: 0,
        };
        if format_version >= 2 {
            header.norms_crc32 = u32_at(32);
        } else {
            // Format 1 had no norms section; its reserved bytes carry no meaning.
            header.flags &= !FLAG_HAS_NORMS;
        }
        if header.dim == 0 {
            return Err(IndexError::corrupt(path, "dimension 0"));
        }
        // Found by fuzzing: a damaged row count overflowed the size computed from it.
        let row_bytes = (u64::from(header.dim) + 1) * 4;
        let fits = header
            .rows
            .checked_mul(row_bytes)
            .and_then(|b| b.checked_add(HEADER_BYTES))
            .is_some();
        if !fits {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "header says {} rows of dimension {}, more than any file holds; run `segue repair`",
                    header.rows, header.dim
                ),
            ));
        }
        Ok(header)
    }

    fn data_bytes(&self) -> u64 {
        self.rows * u64::from(self.dim) * 4
    }

    fn has_norms(&self) -> bool {
        self.flags & FLAG_HAS_NORMS != 0
    }

    fn norms_bytes(&self) -> u64 {
        if self.has_norms() { self.rows * 4 } else { 0 }
    }

    /// The size the whole file must have.
    fn file_bytes(&self) -> u64 {
        HEADER_BYTES + self.data_bytes() + self.norms_bytes()
    }
}

/// Writes a new vector file: copied rows of an older version first, then new rows.
#[derive(Debug)]
pub struct VectorFileWriter {
    path: PathBuf,
    out: BufWriter<File>,
    dim: u32,
    rows: u64,
    crc: crc32fast::Hasher,
    scratch: Vec<u8>,
    /// Raw norm of every row so far, written after the data by `finish` (4 bytes a row, so a
    /// million rows hold 4 MB). `None` once a row without a known norm (copied from a format-1
    /// file) was added: the file then has no norms section.
    norms: Option<Vec<f32>>,
}

impl VectorFileWriter {
    /// Creates (truncating) `path` with a placeholder header.
    pub fn create(path: &Path, dim: u32) -> Result<Self> {
        if dim == 0 {
            return Err(IndexError::InvalidArgument(
                "embedding dimension must be at least 1".into(),
            ));
        }
        let mut file = File::create(path).at(path)?;
        file.write_all(&[0u8; HEADER_BYTES as usize]).at(path)?;
        Ok(VectorFileWriter {
            path: path.into(),
            out: BufWriter::with_capacity(1 << 20, file),
            dim,
            rows: 0,
            crc: crc32fast::Hasher::new(),
            scratch: Vec::new(),
            norms: Some(Vec::new()),
        })
    }

    pub fn dim(&self) -> u32 {
        self.dim
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends every row of `src` (a whole older version) without re-reading it for the checksum.
    pub fn copy_all_from(&mut self, src: &VectorFile) -> Result<()> {
        self.check_dim(src.dim())?;
        // The checksum is combined, not recomputed: damaged rows would be carried into the new
        // version under a checksum that matches them. So the source is checked first.
        src.verify()?;
        self.out.flush().at(&self.path)?;
        let mut input = File::open(src.path()).at(src.path())?;
        input.seek(SeekFrom::Start(HEADER_BYTES)).at(src.path())?;
        let want = src.header.data_bytes();
        // std::io::copy uses copy_file_range on Linux: the kernel moves the bytes.
        let copied =
            std::io::copy(&mut (&mut input).take(want), self.out.get_mut()).at(&self.path)?;
        if copied != want {
            return Err(IndexError::corrupt(
                src.path(),
                "vector file shorter than its header says",
            ));
        }
        // CRC-32 composes: crc(a || b) = combine(crc(a), crc(b)), so the old data is not re-read.
        let copied_crc = crc32fast::Hasher::new_with_initial_len(src.header.data_crc32, want);
        self.crc.combine(&copied_crc);
        self.rows += src.rows();
        match (&mut self.norms, src.norms()) {
            (Some(norms), Some(src_norms)) => norms.extend_from_slice(src_norms),
            (norms, _) => *norms = None,
        }
        Ok(())
    }

    /// Appends the rows of `src` whose index `keep` accepts.
    pub fn copy_rows_from(&mut self, src: &VectorFile, keep: impl Fn(u64) -> bool) -> Result<()> {
        self.check_dim(src.dim())?;
        // Copied rows get a fresh checksum: damage must be caught before it is blessed.
        src.verify()?;
        let src_norms = src.norms();
        for row in 0..src.rows() {
            if keep(row) {
                // Already normalised: write as is.
                self.write_row_raw(src.row(row as usize))?;
                match (&mut self.norms, src_norms) {
                    (Some(norms), Some(n)) => norms.push(n[row as usize]),
                    (norms, _) => *norms = None,
                }
            }
        }
        Ok(())
    }

    /// L2-normalises and appends one row. The caller has validated it (finite, non-zero, dim).
    pub fn push(&mut self, v: &[f32]) -> Result<()> {
        self.check_dim(v.len() as u32)?;
        let norm = v
            .iter()
            .map(|x| f64::from(*x) * f64::from(*x))
            .sum::<f64>()
            .sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(IndexError::InvalidArgument(
                "cannot normalise a zero or non-finite vector".into(),
            ));
        }
        let inv = (1.0 / norm) as f32;
        self.scratch.clear();
        for x in v {
            self.scratch.extend_from_slice(&(x * inv).to_le_bytes());
        }
        self.crc.update(&self.scratch);
        self.out.write_all(&self.scratch).at(&self.path)?;
        self.rows += 1;
        if let Some(norms) = &mut self.norms {
            norms.push(norm as f32);
        }
        Ok(())
    }

    fn write_row_raw(&mut self, v: &[f32]) -> Result<()> {
        self.scratch.clear();
        for x in v {
            self.scratch.extend_from_slice(&x.to_le_bytes());
        }
        self.crc.update(&self.scratch);
        self.out.write_all(&self.scratch).at(&self.path)?;
        self.rows += 1;
        Ok(())
    }

    fn check_dim(&self, dim: u32) -> Result<()> {
        if dim != self.dim {
            return Err(IndexError::InvalidArgument(format!(
                "{}: vector of dimension {dim}, file holds dimension {}",
                self.path.display(),
                self.dim
            )));
        }
        Ok(())
    }

    /// Writes the real header, flushes and fsyncs. Returns the manifest entry (`rel` is the path
    /// relative to the library directory).
    pub fn finish(self, rel: &str) -> Result<FileRef> {
        let VectorFileWriter {
            path,
            mut out,
            dim,
            rows,
            crc,
            norms,
            ..
        } = self;
        let mut header = VectorHeader {
            format_version: VECTOR_FORMAT_VERSION,
            dim,
            rows,
            data_crc32: crc.finalize(),
            flags: FLAG_NORMALISED,
            norms_crc32: 0,
        };
        if let Some(norms) = norms {
            let bytes: Vec<u8> = norms.iter().flat_map(|n| n.to_le_bytes()).collect();
            out.write_all(&bytes).at(&path)?;
            header.flags |= FLAG_HAS_NORMS;
            header.norms_crc32 = crc32fast::hash(&bytes);
        }
        let mut file = out
            .into_inner()
            .map_err(|e| IndexError::io(&path, e.into_error()))?;
        file.seek(SeekFrom::Start(0)).at(&path)?;
        file.write_all(&header.encode()).at(&path)?;
        file.sync_all().at(&path)?;
        Ok(FileRef {
            path: rel.into(),
            bytes: header.file_bytes(),
            crc32: header.data_crc32,
        })
    }
}

/// A read-only, memory-mapped vector file.
#[derive(Debug)]
pub struct VectorFile {
    path: PathBuf,
    header: VectorHeader,
    map: Option<Mmap>,
}

impl VectorFile {
    /// Maps `path` and checks its header against what the manifest says (`expected`).
    pub fn open(path: &Path, expected_dim: u32, expected: &FileRef) -> Result<VectorFile> {
        let mut file = OpenOptions::new().read(true).open(path).at(path)?;
        let len = file.metadata().at(path)?.len();
        let mut head = [0u8; HEADER_BYTES as usize];
        let got = read_up_to(&mut file, &mut head).at(path)?;
        let header = VectorHeader::decode(path, &head[..got])?;
        if len != header.file_bytes() {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "file is {len} bytes, header says {} rows of dimension {} ({} bytes): truncated or overwritten; run `segue repair`",
                    header.rows,
                    header.dim,
                    header.file_bytes()
                ),
            ));
        }
        if header.dim != expected_dim {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "dimension {} but the manifest says {expected_dim}",
                    header.dim
                ),
            ));
        }
        if len != expected.bytes || header.data_crc32 != expected.crc32 {
            return Err(IndexError::corrupt(
                path,
                "size or checksum differs from the manifest (file from another version?); run `segue repair`",
            ));
        }
        let map = if header.rows == 0 {
            None
        } else {
            // SAFETY: the file is immutable once published (new versions write new files), and
            // we only read through the map.
            Some(unsafe { Mmap::map(&file) }.at(path)?)
        };
        Ok(VectorFile {
            path: path.into(),
            header,
            map,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn dim(&self) -> u32 {
        self.header.dim
    }

    pub fn rows(&self) -> u64 {
        self.header.rows
    }

    /// Asks for huge pages under the rows (`huge_pages.rs`): for a graph build, which
    /// reads every row's neighbours' rows at random. Not done on open: a search reads only the
    /// few rows it re-ranks, and huge pages would read 2 MiB around each of them.
    pub fn advise_huge_pages(&self) {
        if let Some(map) = &self.map {
            crate::huge_pages::advise(map);
        }
    }

    /// All rows as one row-major slice.
    pub fn as_slice(&self) -> &[f32] {
        let start = HEADER_BYTES as usize;
        self.floats(start, start + self.header.data_bytes() as usize)
    }

    /// The raw L2 norm of every row (what the row was divided by), when the file records them
    /// (format 2 files written by this build do; format 1 files do not).
    pub fn norms(&self) -> Option<&[f32]> {
        if !self.header.has_norms() {
            return None;
        }
        let start = (HEADER_BYTES + self.header.data_bytes()) as usize;
        Some(self.floats(start, start + self.header.norms_bytes() as usize))
    }

    fn floats(&self, start: usize, end: usize) -> &[f32] {
        let Some(map) = &self.map else { return &[] };
        let bytes = &map[start..end];
        // SAFETY: every bit pattern is a valid f32; align_to only yields the aligned middle, and
        // the map is page-aligned with a 64-byte header and sections of whole f32s, so prefix
        // and suffix are empty (checked).
        let (pre, floats, post) = unsafe { bytes.align_to::<f32>() };
        debug_assert!(pre.is_empty() && post.is_empty());
        floats
    }

    /// Calls `f` on consecutive blocks of at most `block_rows` whole rows (row-major), in row
    /// order, read from the file rather than through the map: a pass over every row keeps only
    /// one block resident, where reading the map would leave the whole file in the process's
    /// resident set (a 10M x 128 space is 5 GB).
    pub fn for_each_block(
        &self,
        block_rows: usize,
        mut f: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        let dim = self.header.dim as usize;
        let rows = self.header.rows as usize;
        if rows == 0 || dim == 0 {
            return Ok(());
        }
        let mut file = File::open(&self.path).at(&self.path)?;
        file.seek(SeekFrom::Start(HEADER_BYTES)).at(&self.path)?;
        let block_rows = block_rows.max(1);
        let mut bytes = vec![0u8; block_rows.min(rows) * dim * 4];
        let mut floats = vec![0f32; block_rows.min(rows) * dim];
        let mut done = 0;
        while done < rows {
            let n = block_rows.min(rows - done);
            let b = &mut bytes[..n * dim * 4];
            file.read_exact(b).at(&self.path)?;
            for (x, c) in floats.iter_mut().zip(b.chunks_exact(4)) {
                *x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
            f(&floats[..n * dim])?;
            done += n;
        }
        Ok(())
    }

    /// Row `i` (panics if out of range, like slice indexing).
    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.header.dim as usize;
        &self.as_slice()[i * d..(i + 1) * d]
    }

    /// CRC-32 of the data section, as the header records it.
    pub fn data_crc32(&self) -> u32 {
        self.header.data_crc32
    }

    /// CRC-32 of the data of rows `0..rows` (what a graph built over that prefix records). Reads
    /// the prefix unless it is the whole file.
    pub fn prefix_crc32(&self, rows: u64) -> u32 {
        let rows = rows.min(self.rows());
        if rows == self.rows() {
            return self.header.data_crc32;
        }
        let Some(map) = &self.map else { return 0 };
        let start = HEADER_BYTES as usize;
        let end = start + rows as usize * self.header.dim as usize * 4;
        crc32fast::hash(&map[start..end])
    }

    /// Recomputes the data checksum (reads the whole file).
    pub fn verify(&self) -> Result<()> {
        let Some(map) = &self.map else { return Ok(()) };
        let data_end = (HEADER_BYTES + self.header.data_bytes()) as usize;
        let actual = crc32fast::hash(&map[HEADER_BYTES as usize..data_end]);
        if actual != self.header.data_crc32 {
            return Err(IndexError::corrupt(
                &self.path,
                format!(
                    "data checksum mismatch (header {:08x}, data {actual:08x}); run `segue repair`",
                    self.header.data_crc32
                ),
            ));
        }
        let norms = crc32fast::hash(&map[data_end..]);
        if self.header.has_norms() && norms != self.header.norms_crc32 {
            return Err(IndexError::corrupt(
                &self.path,
                format!(
                    "norms checksum mismatch (header {:08x}, norms {norms:08x}); run `segue repair`",
                    self.header.norms_crc32
                ),
            ));
        }
        Ok(())
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests;
