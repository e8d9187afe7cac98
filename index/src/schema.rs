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
    pub const AUDIO_EMB: &str = "audio_emb";
    pub const TEXT_EMB: &str = "text_emb";
}

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
    for kind in EmbeddingKind::ALL {
        if let Some(dim) = dims.get(kind) {
            fields.push(Field::new(kind.column(), vector_type(dim), false));
        }
    }
    Arc::new(Schema::new(fields))
}
