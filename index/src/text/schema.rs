//! The tantivy schema of the text index, its analyzers and its format version.

use std::path::Path;

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};

use crate::error::{IndexError, Result};

/// Dense row number of the track (fast field, not searchable).
pub const ROW: &str = "row";
/// External track id, indexed whole and case-sensitive.
pub const TRACK_ID: &str = "track_id";
pub const TITLE: &str = "title";
pub const ARTIST: &str = "artist";
pub const ALBUM: &str = "album";
pub const CAPTION: &str = "caption";
/// Every tag, word by word (`mood:calm` → `mood`, `calm`).
pub const TAGS: &str = "tags";
/// Every tag whole, lower-cased (`Mood:Calm` → `mood:calm`).
pub const TAG: &str = "tag";

/// Fields searched when a query term names none, with their boosts. Tags are curated
/// descriptors, so `calm` as a tag says more than `calm` in a caption or a title.
pub const DEFAULT_FIELDS: &[(&str, f32)] = &[
    (TAGS, 2.0),
    (TITLE, 1.5),
    (ARTIST, 1.5),
    (CAPTION, 1.0),
    (ALBUM, 1.0),
];

/// Analyzer of the word fields: split on non-alphanumerics, drop absurd tokens, lower-case,
/// fold accents.
pub const WORDS_TOKENIZER: &str = "segue_words";
/// Analyzer of the whole-tag field: one token, lower-cased.
pub const TAG_TOKENIZER: &str = "segue_tag";

/// Stored in tantivy's `meta.json` payload, so a reader can refuse an index whose fields or
/// analyzers mean something else than this build's.
pub const FORMAT_PAYLOAD: &str = "segue-text-index/1";

/// Words longer than this (in bytes) are not indexed: they are noise, not search terms.
const MAX_WORD_BYTES: usize = 40;

/// The schema every text index of this format has.
pub fn build_schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_u64_field(ROW, FAST);
    builder.add_text_field(TRACK_ID, STRING);
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    for name in [TITLE, ARTIST, ALBUM, CAPTION, TAGS] {
        builder.add_text_field(name, words.clone());
    }
    // A whole tag is one token: no positions needed, frequencies keep BM25 meaningful.
    let whole = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TAG_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    builder.add_text_field(TAG, whole);
    builder.build()
}

/// Analyzers are not stored in the index: every `Index` value must have them registered.
pub(super) fn register_tokenizers(index: &Index) {
    let words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let tag = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build();
    index.tokenizers().register(WORDS_TOKENIZER, words);
    index.tokenizers().register(TAG_TOKENIZER, tag);
}

/// The field handles of an index's schema.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub row: Field,
    pub track_id: Field,
    pub title: Field,
    pub artist: Field,
    pub album: Field,
    pub caption: Field,
    pub tags: Field,
    pub tag: Field,
}

/// Refuses an index that is not of this build's format: a different payload (written by
/// another format version) or a different schema.
pub(super) fn check_format(index: &Index, dir: &Path) -> Result<()> {
    let payload = index
        .load_metas()
        .map_err(|e| super::errors::read(dir, e))?
        .payload;
    let incompatible = |reason: String| IndexError::Incompatible {
        path: dir.to_path_buf(),
        reason,
    };
    if payload.as_deref() != Some(FORMAT_PAYLOAD) {
        return Err(incompatible(format!(
            "text index format {:?}, this build reads {FORMAT_PAYLOAD:?} (upgrade Segue, or \
             rebuild the index)",
            payload.unwrap_or_default()
        )));
    }
    if index.schema() != build_schema() {
        return Err(incompatible(
            "text index fields differ from this build's, although the format version is the \
             same"
                .into(),
        ));
    }
    Ok(())
}

impl Fields {
    /// The handles of the fields of [`build_schema`] in `schema` (the schema of the index in
    /// `dir`).
    pub fn of(schema: &Schema, dir: &Path) -> Result<Fields> {
        let field = |name: &str| {
            schema
                .get_field(name)
                .map_err(|_| IndexError::Incompatible {
                    path: dir.to_path_buf(),
                    reason: format!("text index has no field {name:?}"),
                })
        };
        Ok(Fields {
            row: field(ROW)?,
            track_id: field(TRACK_ID)?,
            title: field(TITLE)?,
            artist: field(ARTIST)?,
            album: field(ALBUM)?,
            caption: field(CAPTION)?,
            tags: field(TAGS)?,
            tag: field(TAG)?,
        })
    }
}
