//! Search and reindex through the facade.

use std::path::Path;
use std::sync::Arc;

pub use segue_index::IndexPlan;
pub use segue_index::ann::HnswParams;
pub use segue_query::search::{
    Field, LikeStrategy, SearchHit, SearchRequest, SearchStats, Searcher, TextEmbedder,
};

use crate::error::{Error, Result};
use segue_index::{EmbeddingKind, Library, LibraryWriter, Manifest};

/// Opens the current version of the library in `dir` for searching.
pub fn open_searcher(dir: &Path) -> Result<Searcher> {
    Ok(Searcher::new(Arc::new(Library::open(dir)?)))
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

/// Reads a query vector from a file: a JSON array, a 1-d `.npy` of f32/f64, or raw little-endian
/// f32 (`.f32` or anything else).
pub fn read_vector_file(path: &Path) -> Result<Vec<f32>> {
    let io = |e: std::io::Error| Error::Io {
        path: path.into(),
        source: e,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let bad = |msg: String| Error::Invalid(format!("{}: {msg}", path.display()));
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
                other => return Err(bad(format!("dtype {other:?}; expected float32 or float64"))),
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
        (false, false) => Err(Error::Invalid(format!(
            "the query vector has dimension {dim}; the library's audio space has {:?}, its text space {:?}",
            dims.audio, dims.text
        ))),
    }
}

/// A plain table: rank, score, id, title, artist, bpm, duration, tags.
pub fn render_hits(hits: &[SearchHit]) -> String {
    let cut = clip;
    let mut out = format!(
        "{:>3}  {:>7}  {:<18}  {:<28}  {:<20}  {:>5}  {:>6}  {}\n",
        "#", "score", "track_id", "title", "artist", "bpm", "dur_s", "tags"
    );
    for (i, h) in hits.iter().enumerate() {
        let f = &h.fields;
        out.push_str(&format!(
            "{:>3}  {:>7.4}  {:<18}  {:<28}  {:<20}  {:>5}  {:>6}  {}\n",
            i + 1,
            h.score,
            cut(&h.track_id, 18),
            cut(f.title.as_deref().unwrap_or("-"), 28),
            cut(f.artist.as_deref().unwrap_or("-"), 20),
            f.bpm.map_or("-".into(), |b| format!("{b:.0}")),
            f.duration_s.map_or("-".into(), |d| format!("{d:.0}")),
            cut(&f.tags.as_deref().unwrap_or(&[]).join(" "), 60),
        ));
    }
    out
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
