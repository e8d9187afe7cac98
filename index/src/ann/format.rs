//! The graph file: `ann/<space>.vNNNNNN.hnsw`, little-endian, memory-mapped by readers.
//!
//! | offset | size | field                                                            |
//! |-------:|-----:|------------------------------------------------------------------|
//! | 0      | 8    | magic `SEGUEHNS`                                                 |
//! | 8      | 4    | format version (u32, currently 1)                                |
//! | 12     | 4    | dim of the vectors it indexes                                    |
//! | 16     | 4    | rows: the graph covers rows `0..rows` of the vector file         |
//! | 20     | 4    | m (links per node on upper layers)                               |
//! | 24     | 4    | m0 (links per node on layer 0)                                   |
//! | 28     | 4    | layers (1 + number of upper layers)                              |
//! | 32     | 4    | entry node (`u32::MAX` when the graph is empty)                  |
//! | 36     | 4    | ef_construction                                                  |
//! | 40     | 4    | CRC-32 of the vector data of rows `0..rows` it was built from    |
//! | 44     | 4    | CRC-32 of everything after the header                            |
//! | 48     | 80   | reserved, zero                                                   |
//! | 128    | ...  | layer 0: rows × (1 + m0) u32 — link count, links, `u32::MAX` pad |
//! |        |      | each upper layer: n (u32), n sorted node ids, n × (1 + m) u32    |
//!
//! The vector CRC ties a graph to the data it was built on: a graph from another library or
//! an older version is detected when opened, without reading the vectors. On an append with
//! no deleted rows the new vector file starts with the old one byte for byte, so the old graph
//! still matches its prefix and is carried over.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::ann::build::{GraphData, NO_NODE, UpperLayer};
use crate::atomic::{durable_rename, temp_sibling};
use crate::error::{IndexError, IoContext, Result};
use crate::manifest::FileRef;

pub const MAGIC: [u8; 8] = *b"SEGUEHNS";
pub const GRAPH_FORMAT_VERSION: u32 = 1;
pub const HEADER_BYTES: usize = 128;

/// The fixed header of a graph file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphHeader {
    pub format_version: u32,
    pub dim: u32,
    pub rows: u32,
    pub m: u32,
    pub m0: u32,
    pub layers: u32,
    pub entry: u32,
    pub ef_construction: u32,
    pub vectors_crc32: u32,
    pub data_crc32: u32,
}

impl GraphHeader {
    pub fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut b = [0u8; HEADER_BYTES];
        b[0..8].copy_from_slice(&MAGIC);
        let fields = [
            self.format_version,
            self.dim,
            self.rows,
            self.m,
            self.m0,
            self.layers,
            self.entry,
            self.ef_construction,
            self.vectors_crc32,
            self.data_crc32,
        ];
        for (i, f) in fields.iter().enumerate() {
            b[8 + 4 * i..12 + 4 * i].copy_from_slice(&f.to_le_bytes());
        }
        b
    }

    pub fn decode(path: &Path, b: &[u8]) -> Result<GraphHeader> {
        if b.len() < HEADER_BYTES || b[0..8] != MAGIC {
            return Err(IndexError::corrupt(
                path,
                "not a Segue graph file (bad magic or truncated header)",
            ));
        }
        let f =
            |i: usize| u32::from_le_bytes(b[8 + 4 * i..12 + 4 * i].try_into().unwrap_or([0; 4]));
        let h = GraphHeader {
            format_version: f(0),
            dim: f(1),
            rows: f(2),
            m: f(3),
            m0: f(4),
            layers: f(5),
            entry: f(6),
            ef_construction: f(7),
            vectors_crc32: f(8),
            data_crc32: f(9),
        };
        if h.format_version != GRAPH_FORMAT_VERSION {
            return Err(IndexError::Incompatible {
                path: path.into(),
                reason: format!(
                    "graph format version {} (this build reads {GRAPH_FORMAT_VERSION}); upgrade Segue or run `segue reindex`",
                    h.format_version
                ),
            });
        }
        if h.m == 0 || h.m0 == 0 || h.layers == 0 || h.layers > 64 {
            return Err(IndexError::corrupt(
                path,
                "graph header has impossible sizes",
            ));
        }
        if (h.rows == 0) != (h.entry == NO_NODE) || (h.rows > 0 && h.entry >= h.rows) {
            return Err(IndexError::corrupt(path, "graph entry node out of range"));
        }
        Ok(h)
    }
}

/// Writes `graph` to `path` through a temporary sibling (fsynced, then renamed), so the final
/// name never holds a partial file. Returns the manifest entry (`rel` relative to the library).
pub fn write_graph(
    path: &Path,
    rel: &str,
    graph: &GraphData,
    vectors_crc32: u32,
) -> Result<FileRef> {
    let tmp = temp_sibling(path);
    let result = write_to(&tmp, graph, vectors_crc32);
    let (bytes, crc) = match result {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    durable_rename(&tmp, path)?;
    Ok(FileRef {
        path: rel.into(),
        bytes,
        crc32: crc,
    })
}

fn write_to(path: &Path, g: &GraphData, vectors_crc32: u32) -> Result<(u64, u32)> {
    let file = File::create(path).at(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&[0u8; HEADER_BYTES]).at(path)?;
    let mut crc = crc32fast::Hasher::new();
    let mut bytes = HEADER_BYTES as u64;
    let mut put = |words: &[u32], out: &mut BufWriter<File>| -> Result<()> {
        let mut buf = Vec::with_capacity(words.len() * 4);
        for w in words {
            buf.extend_from_slice(&w.to_le_bytes());
        }
        crc.update(&buf);
        bytes += buf.len() as u64;
        out.write_all(&buf).at(path)
    };
    for chunk in g.level0.chunks(1 << 16) {
        put(chunk, &mut out)?;
    }
    for layer in &g.upper {
        put(&[layer.ids.len() as u32], &mut out)?;
        put(&layer.ids, &mut out)?;
        put(&layer.adj, &mut out)?;
    }
    let header = GraphHeader {
        format_version: GRAPH_FORMAT_VERSION,
        dim: g.dim,
        rows: g.rows,
        m: g.m,
        m0: g.m0,
        layers: 1 + g.upper.len() as u32,
        entry: g.entry,
        ef_construction: g.ef_construction,
        vectors_crc32,
        data_crc32: crc.finalize(),
    };
    let mut file = out
        .into_inner()
        .map_err(|e| IndexError::io(path, e.into_error()))?;
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0)).at(path)?;
    file.write_all(&header.encode()).at(path)?;
    file.sync_all().at(path)?;
    Ok((bytes, header.data_crc32))
}

/// Where each part of a graph lies in the file's `u32` words after the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphLayout {
    /// Layer 0 starts at word 0.
    pub level0_words: usize,
    /// Per upper layer: (node count, word offset of ids, word offset of adjacency).
    pub upper: Vec<(usize, usize, usize)>,
}

/// Walks the body of a graph file (as u32 words) and checks that every section fits and every
/// link names a node that exists.
pub fn layout(path: &Path, h: &GraphHeader, words: &[u32]) -> Result<GraphLayout> {
    let bad = |msg: String| IndexError::corrupt(path, msg);
    let rows = h.rows as usize;
    let (m, m0) = (h.m as usize, h.m0 as usize);
    let level0_words = rows
        .checked_mul(1 + m0)
        .ok_or_else(|| bad("graph sizes overflow".into()))?;
    if words.len() < level0_words {
        return Err(bad(format!(
            "layer 0 needs {level0_words} words, the file has {}",
            words.len()
        )));
    }
    let mut at = level0_words;
    let mut upper = Vec::new();
    for layer in 1..h.layers as usize {
        let n = *words
            .get(at)
            .ok_or_else(|| bad(format!("layer {layer} missing")))? as usize;
        let ids = at + 1;
        let adj = ids + n;
        let end = adj + n * (1 + m);
        if end > words.len() || n > rows {
            return Err(bad(format!("layer {layer} runs past the end of the file")));
        }
        upper.push((n, ids, adj));
        at = end;
    }
    if at != words.len() {
        return Err(bad(format!(
            "{} unexpected words after the last layer",
            words.len() - at
        )));
    }
    Ok(GraphLayout {
        level0_words,
        upper,
    })
}

/// Reads a whole graph file into memory (used by tests and `segue info --verify`).
pub fn read_graph(path: &Path) -> Result<GraphData> {
    let bytes = std::fs::read(path).at(path)?;
    let h = GraphHeader::decode(path, &bytes)?;
    let words: Vec<u32> = bytes[HEADER_BYTES..]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if !(bytes.len() - HEADER_BYTES).is_multiple_of(4) {
        return Err(IndexError::corrupt(
            path,
            "graph body is not whole u32 words",
        ));
    }
    let l = layout(path, &h, &words)?;
    let upper = l
        .upper
        .iter()
        .map(|&(n, ids, adj)| UpperLayer {
            ids: words[ids..ids + n].to_vec(),
            adj: words[adj..adj + n * (1 + h.m as usize)].to_vec(),
        })
        .collect();
    Ok(GraphData {
        dim: h.dim,
        rows: h.rows,
        m: h.m,
        m0: h.m0,
        ef_construction: h.ef_construction,
        entry: h.entry,
        level0: words[..l.level0_words].to_vec(),
        upper,
    })
}
