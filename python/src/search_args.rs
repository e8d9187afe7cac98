//! The keyword arguments of `Library.search` and `Library.search_batch`, parsed into the
//! facade's [`SearchSpec`]. A new search option is one field here and one in the stubs.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use segue::EmbeddingKind;
use segue::search::{Caps, Diversify, Field, LikeStrategy, SearchSpec, Sort, TextStatistics};

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
    pub rerank: RerankOptions,
    pub text_statistics: Option<TextStatistics>,
}

/// The diversity, caps, exclusions and sort keyword arguments, as given.
#[derive(Debug, Clone, Default)]
pub struct RerankOptions {
    pub diversify: Option<String>,
    pub pool: Option<usize>,
    pub diversity_space: Option<String>,
    pub max_per_artist: Option<u32>,
    pub max_per_album: Option<u32>,
    pub max_per_tag: Vec<(String, u32)>,
    pub exclude_ids: Vec<String>,
    pub exclude_artists: Vec<String>,
    pub sort: Option<String>,
}

impl SearchOptions {
    /// The spec with these options and no query yet.
    pub fn spec(&self) -> PyResult<SearchSpec> {
        let r = &self.rerank;
        Ok(SearchSpec {
            words: self.tags.clone(),
            filter: self.filter.clone(),
            k: self.k,
            ef: self.ef,
            exact: self.exact,
            space: self.space.as_deref().map(space).transpose()?,
            rrf_k: self.rrf_k,
            fields: self.fields.as_deref().map(fields).transpose()?,
            diversify: r
                .diversify
                .as_deref()
                .map(|d| d.parse::<Diversify>())
                .transpose()
                .map_err(|e| bad_input(format!("diversify: {e}")))?,
            pool: r.pool,
            diversity_space: r.diversity_space.as_deref().map(space).transpose()?,
            max_per_artist: r.max_per_artist,
            max_per_album: r.max_per_album,
            max_per_tag: r.max_per_tag.clone(),
            exclude_ids: r.exclude_ids.clone(),
            exclude_artists: r.exclude_artists.clone(),
            sort: r
                .sort
                .as_deref()
                .map(|s| s.parse::<Sort>())
                .transpose()
                .map_err(|e| bad_input(format!("sort: {e}")))?,
            text_statistics: self.text_statistics.clone(),
            ..SearchSpec::default()
        })
    }
}

/// `text_statistics=`: a dict made by `Library.text_statistics` (or their sum), as JSON.
pub fn text_statistics(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<TextStatistics>> {
    let Some(obj) = obj else {
        return Ok(None);
    };
    let json: String = obj
        .py()
        .import("json")?
        .call_method1("dumps", (obj,))
        .and_then(|s| s.extract())
        .map_err(|e| bad_input(format!("text_statistics: not JSON-serialisable: {e}")))?;
    serde_json::from_str(&json).map(Some).map_err(|e| {
        bad_input(format!(
            "text_statistics: not statistics made by Library.text_statistics: {e}"
        ))
    })
}

/// `max_per_tag=`: `{"genre": 3, "genre:rock": 2}` or `["genre:3", "genre:rock:2"]`.
pub fn tag_caps(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, u32)>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if let Ok(dict) = obj.cast::<PyDict>() {
        return dict
            .iter()
            .map(|(prefix, n)| {
                let prefix: String = prefix.extract().map_err(|_| {
                    bad_input("max_per_tag: the keys are tag prefixes (strings)".to_string())
                })?;
                let n: u32 = n.extract().map_err(|_| {
                    bad_input(format!(
                        "max_per_tag[{prefix:?}] must be a positive whole number"
                    ))
                })?;
                Ok((prefix, n))
            })
            .collect();
    }
    let specs = obj.extract::<Vec<String>>().map_err(|_| {
        bad_input(
            "max_per_tag must be a dict {prefix: N} or a list of \"PREFIX:N\" strings".to_string(),
        )
    })?;
    specs
        .iter()
        .map(|spec| Caps::parse_tag_cap(spec).map_err(|e| bad_input(format!("max_per_tag: {e}"))))
        .collect()
}

/// `like=`, `exclude_ids=`, `exclude_artists=`: one string or a list of them.
pub fn track_ids(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<String>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if let Ok(one) = obj.extract::<String>() {
        return Ok(vec![one]);
    }
    obj.extract::<Vec<String>>()
        .map_err(|_| bad_input(format!("`{what}` must be a string or a list of strings")))
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

fn fields(names: &[String]) -> PyResult<Vec<Field>> {
    names
        .iter()
        .map(|n| {
            Field::ALL
                .into_iter()
                .find(|f| f.column() == n)
                .ok_or_else(|| {
                    let known: Vec<&str> = Field::ALL.iter().map(|f| f.column()).collect();
                    bad_input(format!(
                        "unknown field {n:?}; a hit can carry {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}
