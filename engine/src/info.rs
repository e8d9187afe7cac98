//! `segue info`: what a library holds.

use serde::Serialize;

use segue_index::{EmbeddingKind, Library, Result};

/// A library's description, printed by `segue info` (readable or `--json`).
#[derive(Debug, Serialize)]
pub struct LibraryInfo {
    /// The library directory.
    pub path: String,
    /// The published version.
    pub library_version: u64,
    /// The manifest's format version.
    pub format_version: u32,
    /// The Lance dataset version the library version names.
    pub lance_version: u64,
    /// Tracks in this version.
    pub tracks: u64,
    /// The embedding spaces.
    pub embeddings: Vec<EmbeddingInfo>,
    /// Bytes of the Lance dataset's files of this version.
    pub lance_bytes: u64,
    /// Bytes of the derived files (vectors, graphs, text index, attachments).
    pub derived_bytes: u64,
    /// Derived structures present in this version.
    pub built: Vec<String>,
    /// The Segue build that published this version.
    pub written_by: String,
    /// When it was published (seconds since the Unix epoch).
    pub published_unix: u64,
    /// Every ingest in the library's history.
    pub ingests: Vec<segue_index::IngestRecord>,
    /// Set by `--verify`: every checksum was re-read and matched.
    pub verified: bool,
    /// How many tracks carry the analysis made from their audio (`None`: the library predates
    /// the analysis columns).
    pub analysis: Option<AnalysisCoverage>,
}

/// Tracks with each part of the audio analysis.
#[derive(Debug, Serialize)]
pub struct AnalysisCoverage {
    /// Analysed from their audio (beat lists present, possibly empty for silence).
    pub analysed: u64,
    /// With a beat grid (at least one bar start).
    pub with_beats: u64,
    /// With a key.
    pub with_key: u64,
    /// With integrated loudness (from the analysis or the catalogue).
    pub with_loudness: u64,
}

impl AnalysisCoverage {
    fn of(lib: &Library) -> Result<Option<AnalysisCoverage>> {
        use segue_index::schema::col;
        if !lib.has_column(col::BEATS) {
            return Ok(None);
        }
        let count = |filter: String| lib.count_where(&filter);
        Ok(Some(AnalysisCoverage {
            analysed: count(format!("{} IS NOT NULL", col::BEATS))?,
            with_beats: count(format!("array_length({}) > 0", col::DOWNBEATS))?,
            with_key: count(format!("{} IS NOT NULL", col::KEY))?,
            with_loudness: count(format!("{} IS NOT NULL", col::LOUDNESS_DB))?,
        }))
    }
}

/// One embedding space of a library.
#[derive(Debug, Serialize)]
pub struct EmbeddingInfo {
    /// The column (`audio_emb`, `text_emb`).
    pub name: String,
    /// Dimensions.
    pub dim: u32,
    /// Bytes of its vector file.
    pub bytes: u64,
    /// The encoder that made it, when Segue knows it.
    pub encoder: Option<String>,
}

impl LibraryInfo {
    /// Describes `lib`; with `verify`, every checksum is re-read first.
    pub fn of(lib: &Library, verify: bool) -> Result<LibraryInfo> {
        if verify {
            lib.verify()?;
        }
        let m = lib.manifest();
        let mut embeddings = Vec::new();
        let mut built = vec!["lance dataset".to_string()];
        for kind in EmbeddingKind::ALL {
            if let Some(e) = m.embeddings.get(kind.column()) {
                embeddings.push(EmbeddingInfo {
                    name: kind.column().into(),
                    dim: e.dim,
                    bytes: m.file(&e.vectors).map_or(0, |f| f.bytes),
                    encoder: e.encoder.clone(),
                });
                built.push(format!("{} vectors", kind.column()));
            }
        }
        for (space, a) in &m.ann {
            let coverage = if a.rows == m.rows {
                String::new()
            } else {
                format!(", {} newer rows scanned exactly", m.rows - a.rows)
            };
            let ef = a
                .search_ef
                .map_or(String::new(), |ef| format!(", search ef {ef}"));
            built.push(format!(
                "{space} HNSW graph ({} build, m {}, ef_construction {}{ef}, {} rows{coverage})",
                a.builder.name(),
                a.m,
                a.ef_construction,
                a.rows
            ));
        }
        for (space, q) in &m.quantised {
            let bytes = m.file(&q.file).map_or(0, |f| f.bytes);
            built.push(format!(
                "{space} {} copy ({bytes} bytes, walked and scanned, re-ranked on f32)",
                q.scheme.name()
            ));
        }
        for (name, rel) in &m.attachments {
            let bytes = m.file(rel).map_or(0, |f| f.bytes);
            built.push(format!("{name} ({bytes} bytes)"));
        }
        if let Some(t) = &m.text_index {
            built.push(format!("text index ({} docs)", t.docs));
        }
        Ok(LibraryInfo {
            path: lib.dir().display().to_string(),
            library_version: m.library_version,
            format_version: m.format_version,
            lance_version: m.lance.version,
            tracks: m.rows,
            embeddings,
            lance_bytes: lib.lance_bytes(),
            derived_bytes: m.derived_bytes(),
            built,
            written_by: m.build.written_by.clone(),
            published_unix: m.build.published_unix,
            ingests: m.build.ingests.clone(),
            verified: verify,
            analysis: AnalysisCoverage::of(lib)?,
        })
    }
}
