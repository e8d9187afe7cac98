//! The keyword arguments of `Library.search` and `Library.search_batch`, parsed into the
//! facade's [`SearchSpec`]. A new search option is one field here and one in the stubs.

use pyo3::prelude::*;
use segue::EmbeddingKind;
use segue::search::{Field, LikeStrategy, SearchSpec};

use crate::errors::bad_input;

/// Options shared by single and batch searches (everything but the query itself).
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    pub tags: Option<String>,
    pub filter: Option<String>,
    pub k: Option<usize>,
    pub ef: Option<usize>,
    pub exact: bool,
    pub space: Option<String>,
    pub rrf_k: Option<f32>,
    pub fields: Option<Vec<String>>,
}

impl SearchOptions {
    /// The spec with these options and no query yet.
    pub fn spec(&self) -> PyResult<SearchSpec> {
        Ok(SearchSpec {
            words: self.tags.clone(),
            filter: self.filter.clone(),
            k: self.k,
            ef: self.ef,
            exact: self.exact,
            space: self.space.as_deref().map(space).transpose()?,
            rrf_k: self.rrf_k,
            fields: self.fields.as_deref().map(fields).transpose()?,
            ..SearchSpec::default()
        })
    }
}

/// `like=`: one track id or a list of them.
pub fn track_ids(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<String>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if let Ok(one) = obj.extract::<String>() {
        return Ok(vec![one]);
    }
    obj.extract::<Vec<String>>().map_err(|_| {
        bad_input(format!(
            "`{what}` must be a track id or a list of track ids"
        ))
    })
}

pub fn strategy(s: &str) -> PyResult<LikeStrategy> {
    s.parse()
        .map_err(|e: String| bad_input(format!("strategy: {e}")))
}

pub fn space(s: &str) -> PyResult<EmbeddingKind> {
    match s {
        "audio" | "audio_emb" => Ok(EmbeddingKind::Audio),
        "text" | "text_emb" => Ok(EmbeddingKind::Text),
        other => Err(bad_input(format!(
            "unknown space {other:?} (audio or text)"
        ))),
    }
}

/// All the fields a hit can carry, by column name.
const ALL_FIELDS: [Field; 9] = [
    Field::Title,
    Field::Artist,
    Field::Album,
    Field::DurationS,
    Field::Bpm,
    Field::Energy,
    Field::HasVocals,
    Field::Tags,
    Field::Caption,
];

fn fields(names: &[String]) -> PyResult<Vec<Field>> {
    names
        .iter()
        .map(|n| {
            ALL_FIELDS
                .into_iter()
                .find(|f| f.column() == n)
                .ok_or_else(|| {
                    let known: Vec<&str> = ALL_FIELDS.iter().map(|f| f.column()).collect();
                    bad_input(format!(
                        "unknown field {n:?}; a hit can carry {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}
