//! The Lance schema of the track table: one row per track.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

/// Column names, shared by ingest, queries and the catalogue formats.
pub mod col {
    pub const TRACK_ID: &str = "track_id";
    pub const TITLE: &str = "title";
    pub const ARTIST: &str = "artist";
    pub const ALBUM: &str = "album";
    pub const DURATION_S: &str = "duration_s";
    pub const TAGS: &str = "tags";
    pub const CAPTION: &str = "caption";
    pub const HAS_VOCALS: &str = "has_vocals";
    pub const BPM: &str = "bpm";
    pub const ENERGY: &str = "energy";
    pub const SPECTRAL_CENTROID: &str = "spectral_centroid";
    pub const MFCC: &str = "mfcc";
    pub const VALENCE: &str = "valence";
    pub const DANCEABILITY: &str = "danceability";
    pub const LOUDNESS_DB: &str = "loudness_db";
    pub const AUDIO_PATH: &str = "audio_path";
    // Track analysis (see [`super::ANALYSIS_COLUMNS`]); `loudness_db` holds its integrated
    // loudness when the catalogue has none.
    pub const BEATS: &str = "beats";
    pub const DOWNBEATS: &str = "downbeats";
    pub const TEMPO_STABILITY: &str = "tempo_stability";
    pub const KEY: &str = "key";
    pub const BAR_ENERGY_DB: &str = "bar_energy_db";
    pub const SECTION_STARTS: &str = "section_starts";
    pub const AUDIO_EMB: &str = "audio_emb";
    pub const TEXT_EMB: &str = "text_emb";
}

/// The columns of the track analysis made from audio files at ingest: beat and bar-start times
/// (seconds, ascending), tempo stability (0..1), key ("D minor"), RMS level per bar (dBFS, one
/// per downbeat) and section starts (seconds, on downbeats). Null for a track ingested without
/// its audio. Libraries written before they existed gain them, all null, at their next append
/// (a metadata-only Lance schema change), so readers treat a missing column as all null.
pub const ANALYSIS_COLUMNS: [&str; 6] = [
    col::BEATS,
    col::DOWNBEATS,
    col::TEMPO_STABILITY,
    col::KEY,
    col::BAR_ENERGY_DB,
    col::SECTION_STARTS,
];

/// Number of MFCC coefficients stored per track.
pub const MFCC_LEN: i32 = 13;

/// The two embedding spaces a library may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EmbeddingKind {
    /// The audio space that video embeddings share.
    Audio,
    /// The caption text space.
    Text,
}

impl EmbeddingKind {
    pub const ALL: [EmbeddingKind; 2] = [EmbeddingKind::Audio, EmbeddingKind::Text];

    /// Column name in Lance and in catalogues.
    pub fn column(self) -> &'static str {
        match self {
            EmbeddingKind::Audio => col::AUDIO_EMB,
            EmbeddingKind::Text => col::TEXT_EMB,
        }
    }
}

/// Embedding dimensions of a library (None: that space is absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dims {
    pub audio: Option<u32>,
    pub text: Option<u32>,
}

impl Dims {
    pub fn get(&self, kind: EmbeddingKind) -> Option<u32> {
        match kind {
            EmbeddingKind::Audio => self.audio,
            EmbeddingKind::Text => self.text,
        }
    }
}

fn list_item(dt: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", dt, true))
}

/// The Arrow type of a fixed-size f32 vector column.
pub fn vector_type(dim: u32) -> DataType {
    DataType::FixedSizeList(list_item(DataType::Float32), dim as i32)
}

/// The Arrow type of the `tags` column.
pub fn tags_type() -> DataType {
    DataType::List(list_item(DataType::Utf8))
}

/// The Arrow type of the time and level list columns of the analysis.
pub fn float_list_type() -> DataType {
    DataType::List(list_item(DataType::Float32))
}

/// The analysis columns' fields ([`ANALYSIS_COLUMNS`]), all nullable.
pub fn analysis_fields() -> Vec<Field> {
    vec![
        Field::new(col::BEATS, float_list_type(), true),
        Field::new(col::DOWNBEATS, float_list_type(), true),
        Field::new(col::TEMPO_STABILITY, DataType::Float32, true),
        Field::new(col::KEY, DataType::Utf8, true),
        Field::new(col::BAR_ENERGY_DB, float_list_type(), true),
        Field::new(col::SECTION_STARTS, float_list_type(), true),
    ]
}

/// The track table schema for a library with the given embedding dimensions.
pub fn track_schema(dims: Dims) -> SchemaRef {
    let f32n = |name: &str| Field::new(name, DataType::Float32, true);
    let utf8n = |name: &str| Field::new(name, DataType::Utf8, true);
    let mut fields = vec![
        Field::new(col::TRACK_ID, DataType::Utf8, false),
        utf8n(col::TITLE),
        utf8n(col::ARTIST),
        utf8n(col::ALBUM),
        Field::new(col::DURATION_S, DataType::Float32, false),
        Field::new(col::TAGS, tags_type(), false),
        utf8n(col::CAPTION),
        Field::new(col::HAS_VOCALS, DataType::Boolean, true),
        f32n(col::BPM),
        f32n(col::ENERGY),
        f32n(col::SPECTRAL_CENTROID),
        Field::new(
            col::MFCC,
            DataType::FixedSizeList(list_item(DataType::Float32), MFCC_LEN),
            true,
        ),
        f32n(col::VALENCE),
        f32n(col::DANCEABILITY),
        f32n(col::LOUDNESS_DB),
        utf8n(col::AUDIO_PATH),
    ];
    fields.extend(analysis_fields());
    for kind in EmbeddingKind::ALL {
        if let Some(dim) = dims.get(kind) {
            fields.push(Field::new(kind.column(), vector_type(dim), false));
        }
    }
    Arc::new(Schema::new(fields))
}

/// The schema rows appended to a library are written in: `published`'s columns in their order,
/// then any column of this build's [`track_schema`] it lacks (added to the dataset, all null,
/// when the rows are staged). Without a published version, [`track_schema`].
pub fn append_schema(published: Option<&Schema>, dims: Dims) -> SchemaRef {
    let ours = track_schema(dims);
    let Some(published) = published else {
        return ours;
    };
    let mut fields: Vec<Arc<Field>> = published.fields().to_vec();
    for f in ours.fields() {
        if !fields.iter().any(|g| g.name() == f.name()) {
            fields.push(f.clone());
        }
    }
    Arc::new(Schema::new(fields))
}
