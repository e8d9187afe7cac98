//! Search and reindex through the facade: a request from plain options ([`SearchSpec`]), many
//! requests at once ([`search_many`]), and hits as an Arrow table ([`hits_record_batch`]).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

mod many;
mod spec;
mod table;

pub use many::{ManyResults, search_many};
pub use spec::SearchSpec;
pub use table::{HitColumns, hits_record_batch};

pub use segue_index::IndexPlan;
pub use segue_index::ann::HnswParams;
pub use segue_index::text::TextStatistics;
pub use segue_query::rerank::{Caps, Diversify, Exclusions, read_id_list};
pub use segue_query::search::{
    Field, HitRerank, LikeStrategy, RerankStats, SearchHit, SearchRequest, SearchStats, Searcher,
    Sort, TextEmbedder,
};

use crate::error::{Error, Result};
use crate::text::{EncoderOptions, library_text_embedder};
use segue_index::{EmbeddingKind, Library, LibraryWriter, Manifest};

/// Opens the current version of the library in `dir` for searching, with the library's text
/// encoder attached (loaded on the first text prompt; see [`EncoderOptions`]).
pub fn open_searcher(dir: &Path, encoders: &EncoderOptions) -> Result<Searcher> {
    Ok(searcher_for(Arc::new(Library::open(dir)?), encoders))
}

/// A searcher on a library already open (the version it was opened at), with the library's
/// text encoder attached as in [`open_searcher`].
pub fn searcher_for(library: Arc<Library>, encoders: &EncoderOptions) -> Searcher {
    let embedder = library_text_embedder(&library, encoders);
    let searcher = Searcher::new(library);
    match embedder {
        Some(e) => searcher.with_text_embedder(e),
        None => searcher,
    }
}

/// Publishes a new version of the library in `dir` with its derived indexes (HNSW graphs, text
/// index) rebuilt from its tracks and vectors. Works even when the current indexes are damaged.
pub fn reindex(
    dir: &Path,
    plan: IndexPlan,
    progress: Option<segue_index::writer::ProgressFn>,
) -> Result<Manifest> {
    let mut writer = LibraryWriter::open(dir)?;
    writer.set_index_plan(plan);
    if let Some(p) = progress {
        writer.set_progress(p);
    }
    Ok(writer.reindex()?)
}

/// The largest query vector file read (16 MiB).
pub const MAX_VECTOR_FILE_BYTES: u64 = 16 << 20;

/// Reads a query vector from a file: a JSON array, a 1-d `.npy` of f32/f64, or raw little-endian
/// f32 (`.f32` or anything else).
pub fn read_vector_file(path: &Path) -> Result<Vec<f32>> {
    let io = |e: std::io::Error| Error::Io {
        path: path.into(),
        source: e,
    };
    let bad = |msg: String| Error::Invalid(format!("{}: {msg}", path.display()));
    // One vector, even of a very wide model written as JSON, is far below this; reading a
    // device such as /dev/zero must stop rather than fill memory.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_VECTOR_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_VECTOR_FILE_BYTES {
        return Err(bad(format!(
            "larger than {} MiB, which no single query vector is",
            MAX_VECTOR_FILE_BYTES >> 20
        )));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let v: Vec<f32> = match ext {
        "json" => serde_json::from_slice::<Vec<f32>>(&bytes)
            .map_err(|e| bad(format!("not a JSON array of numbers: {e}")))?,
        "npy" => {
            let npy =
                npyz::NpyFile::new(&bytes[..]).map_err(|e| bad(format!("not a .npy file: {e}")))?;
            let shape = npy.shape().to_vec();
            if shape.len() != 1 && !(shape.len() == 2 && shape[0] == 1) {
                return Err(bad(format!(
                    "expected one vector, the array has shape {shape:?}"
                )));
            }
            match npy.dtype() {
                npyz::DType::Plain(t)
                    if t.type_char() == npyz::TypeChar::Float && t.size_field() == 4 =>
                {
                    npy.into_vec::<f32>().map_err(|e| bad(e.to_string()))?
                }
                npyz::DType::Plain(t)
                    if t.type_char() == npyz::TypeChar::Float && t.size_field() == 8 =>
                {
                    npy.into_vec::<f64>()
                        .map_err(|e| bad(e.to_string()))?
                        .into_iter()
                        .map(|x| x as f32)
                        .collect()
                }
                other => {
                    let descr = other.descr();
                    let dtype = descr.trim_matches(|c| c == '\'' || c == '"');
                    return Err(bad(format!(
                        "element type {dtype}; expected float32 or float64"
                    )));
                }
            }
        }
        _ => {
            if bytes.is_empty() || bytes.len() % 4 != 0 {
                return Err(bad(format!(
                    "{} bytes is not a whole number of little-endian f32 values",
                    bytes.len()
                )));
            }
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }
    };
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(bad(format!("value {i} is not finite")));
    }
    Ok(v)
}

/// The embedding space a query vector of `dim` values belongs to, unless the caller said.
pub fn space_for(
    library: &Library,
    dim: usize,
    asked: Option<EmbeddingKind>,
) -> Result<EmbeddingKind> {
    let dims = library.dims();
    if let Some(k) = asked {
        return Ok(k);
    }
    let audio = dims.audio.map(|d| d as usize) == Some(dim);
    let text = dims.text.map(|d| d as usize) == Some(dim);
    match (audio, text) {
        (true, false) => Ok(EmbeddingKind::Audio),
        (false, true) => Ok(EmbeddingKind::Text),
        (true, true) => Err(Error::Invalid(format!(
            "both embedding spaces have dimension {dim}: say which with --space audio|text"
        ))),
        (false, false) => {
            let space = |d: Option<u32>| d.map_or("none".to_string(), |d| format!("{d}-d"));
            Err(Error::Invalid(format!(
                "the query vector has dimension {dim}; the library's audio space is {}, its text \
                 space {}",
                space(dims.audio),
                space(dims.text)
            )))
        }
    }
}
