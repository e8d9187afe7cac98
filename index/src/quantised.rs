//! Int8 copies of the vector files: a quarter of the bytes to walk and scan, with the final
//! candidates re-ranked on the f32 rows.
//!
//! Each dimension `d` has a scale `s_d = max_i |x_id| / 127` over the rows (the rows are unit
//! vectors, so most coordinates are far below 1 and a scale per dimension keeps their
//! resolution); row `i` is stored as `c_id = round(x_id / s_d)`. A query `q` is folded into the
//! scales once, `w_d = q_d · s_d`, and rounded to i16 with one scale `t` (so that `|w_d / t| ≤
//! 2^14`, less for wide spaces so that no sum can leave i32), which makes the similarity an
//! integer dot product: `q·x ≈ t · Σ_d round(w_d/t) · c_id`.
//! Its error is far below the gaps between neighbours that matter for a walk, and every search
//! re-ranks its final candidates on the f32 rows, so the order of the hits returned is exact.
//!
//! Layout (little-endian), one file per embedding space per library version, beside its f32
//! vector file:
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0 | 8 | magic `SEGUEQ8V` |
//! | 8 | 4 | format version (u32, currently 1) |
//! | 12 | 4 | dim (u32) |
//! | 16 | 8 | rows (u64) |
//! | 24 | 4 | CRC-32 of everything after the header (scales and codes) |
//! | 28 | 4 | CRC-32 of the f32 data it was made from (the vector file's data checksum) |
//! | 32 | 32 | reserved, zero |
//! | 64 | 4·dim | scales, f32 per dimension |
//! | 64 + 4·dim | rows·dim | codes, i8, row-major |

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{IndexError, IoContext, Result};
use crate::exact::{self, Hit, Rows, check_query_dim};
use crate::kernels;
use crate::manifest::FileRef;
use crate::vectors::VectorFile;

pub const MAGIC: [u8; 8] = *b"SEGUEQ8V";
pub const QUANTISED_FORMAT_VERSION: u32 = 1;
pub const HEADER_BYTES: usize = 64;
/// The largest |query code| (14 bits of resolution), lowered for spaces wider than 1032
/// dimensions by [`query_code_max`].
const QUERY_CODE_MAX: f64 = 16_384.0;

/// The largest |query code| for `dim` dimensions: `dim` products of it with codes of at most
/// 127 sum to at most `i32::MAX`, whatever the data, so no kernel's sum can wrap.
fn query_code_max(dim: usize) -> f32 {
    (f64::from(i32::MAX) / (127.0 * dim.max(1) as f64))
        .floor()
        .min(QUERY_CODE_MAX) as f32
}

/// How each space's vectors are kept for searching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantisation {
    /// f32 only.
    #[default]
    None,
    /// An int8 copy (per-dimension scales) walked and scanned, f32 for the final re-rank.
    Int8,
}

impl Quantisation {
    pub fn name(self) -> &'static str {
        match self {
            Quantisation::None => "none",
            Quantisation::Int8 => "int8",
        }
    }
}

impl std::str::FromStr for Quantisation {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(Quantisation::None),
            "int8" => Ok(Quantisation::Int8),
            _ => Err(format!("unknown quantisation {s:?} (none or int8)")),
        }
    }
}

/// The fixed header of a quantised file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    dim: u32,
    rows: u64,
    data_crc32: u32,
    vectors_crc32: u32,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut h = [0u8; HEADER_BYTES];
        h[0..8].copy_from_slice(&MAGIC);
        h[8..12].copy_from_slice(&QUANTISED_FORMAT_VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&self.dim.to_le_bytes());
        h[16..24].copy_from_slice(&self.rows.to_le_bytes());
        h[24..28].copy_from_slice(&self.data_crc32.to_le_bytes());
        h[28..32].copy_from_slice(&self.vectors_crc32.to_le_bytes());
        h
    }

    fn decode(path: &Path, h: &[u8]) -> Result<Header> {
        if h.len() < HEADER_BYTES {
            return Err(IndexError::corrupt(path, "shorter than its header"));
        }
        if h[0..8] != MAGIC {
            return Err(IndexError::corrupt(
                path,
                "not a segue quantised vector file (bad magic)",
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().expect("4 bytes"));
        let version = u32_at(8);
        if version != QUANTISED_FORMAT_VERSION {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "quantised format version {version}; this build reads version \
                     {QUANTISED_FORMAT_VERSION}: run `segue reindex`"
                ),
            ));
        }
        Ok(Header {
            dim: u32_at(12),
            rows: u64::from_le_bytes(h[16..24].try_into().expect("8 bytes")),
            data_crc32: u32_at(24),
            vectors_crc32: u32_at(28),
        })
    }

    fn file_bytes(&self) -> u64 {
        HEADER_BYTES as u64 + 4 * u64::from(self.dim) + self.rows * u64::from(self.dim)
    }
}

/// Rows [`write_quantised`] reads at a time (2 MiB at 64 dimensions).
const WRITE_BLOCK_ROWS: usize = 8192;

/// Writes the int8 copy of `vectors` to `path` (`rel` in the manifest), fsynced.
pub fn write_quantised(path: &Path, rel: &str, vectors: &VectorFile) -> Result<FileRef> {
    let dim = vectors.dim() as usize;
    let mut max = vec![0f32; dim];
    // Two passes over the rows, each read in blocks from the file: at 10M rows the mapped
    // f32 file would otherwise stay resident in the writer's process.
    vectors.for_each_block(WRITE_BLOCK_ROWS, |block| {
        for row in block.chunks_exact(dim) {
            for (m, x) in max.iter_mut().zip(row) {
                *m = m.max(x.abs());
            }
        }
        Ok(())
    })?;
    let scales: Vec<f32> = max
        .iter()
        .map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect();
    let inverse: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
    let file = File::create(path).at(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&[0u8; HEADER_BYTES]).at(path)?;
    let mut crc = crc32fast::Hasher::new();
    let scale_bytes: Vec<u8> = scales.iter().flat_map(|s| s.to_le_bytes()).collect();
    crc.update(&scale_bytes);
    out.write_all(&scale_bytes).at(path)?;
    let mut codes = vec![0u8; dim];
    vectors.for_each_block(WRITE_BLOCK_ROWS, |block| {
        for row in block.chunks_exact(dim) {
            for ((c, x), inv) in codes.iter_mut().zip(row).zip(&inverse) {
                *c = (x * inv).round().clamp(-127.0, 127.0) as i8 as u8;
            }
            crc.update(&codes);
            out.write_all(&codes).at(path)?;
        }
        Ok(())
    })?;
    let header = Header {
        dim: dim as u32,
        rows: vectors.rows(),
        data_crc32: crc.finalize(),
        vectors_crc32: vectors.data_crc32(),
    };
    let mut file = out
        .into_inner()
        .map_err(|e| IndexError::io(path, e.into_error()))?;
    file.seek(SeekFrom::Start(0)).at(path)?;
    file.write_all(&header.encode()).at(path)?;
    file.sync_all().at(path)?;
    Ok(FileRef {
        path: rel.into(),
        bytes: header.file_bytes(),
        crc32: header.data_crc32,
    })
}

/// A read-only, memory-mapped int8 copy of one vector file.
#[derive(Debug)]
pub struct QuantisedVectors {
    path: PathBuf,
    header: Header,
    map: Mmap,
}

/// A query folded into a quantised file's scales (see the module documentation).
#[derive(Debug, Clone)]
pub struct QuantisedQuery {
    codes: Vec<i16>,
    scale: f32,
}

impl QuantisedVectors {
    /// Maps `path` and checks it against the manifest entry (`expected`) and against the f32
    /// vectors it was made from (dimension, rows, their checksum); the whole file's checksum
    /// is verified too (a quarter of the f32 file: milliseconds per million rows).
    pub fn open(path: &Path, expected: &FileRef, vectors: &VectorFile) -> Result<Self> {
        let file = File::open(path).at(path)?;
        let len = file.metadata().at(path)?.len();
        // SAFETY: published files are never modified (a new version writes a new file); we only
        // read through the map.
        let map = unsafe { Mmap::map(&file) }.at(path)?;
        // Walks score rows of it all over the file.
        crate::huge_pages::advise(&map);
        let header = Header::decode(path, &map)?;
        if len != header.file_bytes() || len != expected.bytes {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "file is {len} bytes; its header says {}, the manifest {}: truncated or from \
                     another version; run `segue reindex`",
                    header.file_bytes(),
                    expected.bytes
                ),
            ));
        }
        expected.check_body(
            path,
            &map[HEADER_BYTES..],
            header.data_crc32,
            "quantised file",
        )?;
        if header.dim != vectors.dim()
            || header.rows != vectors.rows()
            || header.vectors_crc32 != vectors.data_crc32()
        {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "not made from {} (dim {} and {} rows, f32 checksum {:08x}; the vectors: dim \
                     {}, {} rows, {:08x}); run `segue reindex`",
                    vectors.path().display(),
                    header.dim,
                    header.rows,
                    header.vectors_crc32,
                    vectors.dim(),
                    vectors.rows(),
                    vectors.data_crc32()
                ),
            ));
        }
        Ok(QuantisedVectors {
            path: path.into(),
            header,
            map,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the codes from the file's mapping into this process's memory, on huge pages
    /// where granted (as [`crate::ann::AnnGraph::make_resident`] does for a graph; like it,
    /// stays mapped where no memory can be had for the copy).
    pub fn make_resident(&mut self) {
        if let Ok(copy) = crate::huge_pages::resident_copy(&self.map) {
            self.map = copy;
        }
    }

    pub fn dim(&self) -> u32 {
        self.header.dim
    }

    pub fn rows(&self) -> u64 {
        self.header.rows
    }

    fn scales(&self) -> impl Iterator<Item = f32> + '_ {
        let bytes = &self.map[HEADER_BYTES..HEADER_BYTES + 4 * self.header.dim as usize];
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    /// All codes, row-major.
    pub fn codes(&self) -> &[i8] {
        let start = HEADER_BYTES + 4 * self.header.dim as usize;
        let bytes = &self.map[start..];
        // SAFETY: i8 and u8 have the same size and alignment, and every bit pattern is valid.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<i8>(), bytes.len()) }
    }

    /// The codes of row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[i8] {
        let d = self.header.dim as usize;
        &self.codes()[i * d..(i + 1) * d]
    }

    /// `query` (normalised, of the file's dimension) folded into the scales.
    pub fn query(&self, query: &[f32]) -> Result<QuantisedQuery> {
        check_query_dim(query, self.header.dim)?;
        let folded: Vec<f32> = query
            .iter()
            .zip(self.scales())
            .map(|(q, s)| q * s)
            .collect();
        let max = folded.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 {
            max / query_code_max(folded.len())
        } else {
            1.0
        };
        Ok(QuantisedQuery {
            codes: folded.iter().map(|x| (x / scale).round() as i16).collect(),
            scale,
        })
    }

    /// The approximate similarity of row `i` to `q`.
    #[inline]
    pub fn similarity(&self, q: &QuantisedQuery, i: usize) -> f32 {
        q.scale * kernels::dot_i8(&q.codes, self.row(i)) as f32
    }
}

/// How many of the best candidates by the int8 similarity are re-ranked on the f32 rows, for
/// `k` hits: enough that the true top k is among them at the quantisation's error.
pub fn rerank_depth(k: usize) -> usize {
    (4 * k).max(k + 32)
}

/// Re-scores `hits` on the f32 `vectors` with `query` and keeps the best `k`, best first, ties
/// by lower row.
pub fn rerank(vectors: &VectorFile, query: &[f32], mut hits: Vec<Hit>, k: usize) -> Vec<Hit> {
    let kernel = kernels::selected();
    for h in &mut hits {
        h.score = kernel.dot(query, vectors.row(h.row as usize));
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    hits.truncate(k);
    hits
}

/// Exact top-k over `rows` by scanning the int8 codes for the best [`rerank_depth`] rows, then
/// re-ranking those on the f32 rows: the scan reads a quarter of the bytes.
pub fn top_k_quantised(
    vectors: &VectorFile,
    quantised: &QuantisedVectors,
    query: &[f32],
    k: usize,
    rows: Rows<'_>,
    threads: usize,
) -> Result<Vec<Hit>> {
    check_query_dim(query, vectors.dim())?;
    let q = quantised.query(query)?;
    if k == 0 {
        return Ok(vec![]);
    }
    let n_rows = quantised.rows().min(vectors.rows());
    // Four times fewer bytes per row than the f32 scan: threads pay off at four times the rows.
    let count = exact::count_rows(rows, n_rows);
    let threads = exact::scan_threads(count, quantised.dim() as usize / 4, threads);
    let candidates = exact::scan(
        rows,
        n_rows,
        rerank_depth(k),
        threads,
        |row| quantised.similarity(&q, row as usize),
        |row| kernels::prefetch_row(quantised.row(row as usize)),
    );
    Ok(rerank(vectors, query, candidates, k))
}

#[cfg(test)]
mod tests;
