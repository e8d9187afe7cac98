//! Search hits as one Arrow table: what data tools (pyarrow, pandas, Polars, DataFusion) take
//! without a copy through the Arrow C data interface.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float32Builder, ListBuilder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use segue_index::arrow_schema::{DataType, Field as ArrowField, Schema};
use segue_query::search::{Field, SearchHit};

use crate::error::{Error, Result};

/// The columns of a hit table.
#[derive(Debug, Clone, PartialEq)]
pub struct HitColumns {
    /// The track fields, in order (repeats dropped).
    pub fields: Vec<Field>,
    /// A `query` column: the index of the request each hit answers (batch searches).
    pub query: bool,
    /// `pool_rank` and `rerank_score` columns (searches that rerank a pool).
    pub rerank: bool,
}

/// One row per hit: `query` (the request's index, with [`HitColumns::query`]), `rank` (0 =
/// best), `track_id`, `score` (the relevance, before any reranking), `row`, with
/// [`HitColumns::rerank`] `pool_rank` (1 = the retrieval's best) and `rerank_score` (the value
/// the reranker ranked by), then one column per asked field, named as the library's columns
/// (`title`, `artist`, `album`, `duration_s`, `bpm`, `energy`, `has_vocals`, `tags`, `caption`;
/// null where the track has no value). The schema depends only on `columns`, never on the hits,
/// so empty results have the same columns.
pub fn hits_record_batch(results: &[Vec<SearchHit>], columns: &HitColumns) -> Result<RecordBatch> {
    let fields = distinct(&columns.fields);
    let query_column = columns.query;
    let mut schema = Vec::new();
    if query_column {
        schema.push(ArrowField::new("query", DataType::UInt32, false));
    }
    schema.extend([
        ArrowField::new("rank", DataType::UInt32, false),
        ArrowField::new("track_id", DataType::Utf8, false),
        ArrowField::new("score", DataType::Float32, false),
        ArrowField::new("row", DataType::UInt64, false),
    ]);
    if columns.rerank {
        schema.push(ArrowField::new("pool_rank", DataType::UInt32, true));
        schema.push(ArrowField::new("rerank_score", DataType::Float32, true));
    }
    for f in &fields {
        schema.push(ArrowField::new(f.column(), data_type(*f), true));
    }
    let rows: usize = results.iter().map(Vec::len).sum();
    let mut query = UInt32Builder::with_capacity(rows);
    let mut rank = UInt32Builder::with_capacity(rows);
    let mut track_id = StringBuilder::new();
    let mut score = Float32Builder::with_capacity(rows);
    let mut row = UInt64Builder::with_capacity(rows);
    let mut pool_rank = UInt32Builder::with_capacity(rows);
    let mut rerank_score = Float32Builder::with_capacity(rows);
    let mut field_columns: Vec<FieldColumn> = fields.iter().map(|f| FieldColumn::new(*f)).collect();
    for (q, hits) in results.iter().enumerate() {
        for (r, hit) in hits.iter().enumerate() {
            query.append_value(q as u32);
            rank.append_value(r as u32);
            track_id.append_value(&hit.track_id);
            score.append_value(hit.score);
            row.append_value(hit.row);
            pool_rank.append_option(hit.rerank.map(|r| r.pool_rank as u32));
            rerank_score.append_option(hit.rerank.map(|r| r.score));
            for c in &mut field_columns {
                c.append(hit);
            }
        }
    }
    let mut arrays: Vec<ArrayRef> = Vec::new();
    if query_column {
        arrays.push(Arc::new(query.finish()));
    }
    arrays.push(Arc::new(rank.finish()));
    arrays.push(Arc::new(track_id.finish()));
    arrays.push(Arc::new(score.finish()));
    arrays.push(Arc::new(row.finish()));
    if columns.rerank {
        arrays.push(Arc::new(pool_rank.finish()));
        arrays.push(Arc::new(rerank_score.finish()));
    }
    arrays.extend(field_columns.into_iter().map(FieldColumn::finish));
    RecordBatch::try_new(Arc::new(Schema::new(schema)), arrays)
        .map_err(|e| Error::Invalid(format!("hit table: {e}")))
}

fn distinct(fields: &[Field]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for f in fields {
        if !out.contains(f) {
            out.push(*f);
        }
    }
    out
}

fn data_type(f: Field) -> DataType {
    match f {
        Field::Title | Field::Artist | Field::Album | Field::Caption | Field::Key => DataType::Utf8,
        Field::DurationS
        | Field::Bpm
        | Field::Energy
        | Field::TempoStability
        | Field::LoudnessDb => DataType::Float32,
        Field::HasVocals => DataType::Boolean,
        Field::Tags => DataType::List(Arc::new(ArrowField::new("item", DataType::Utf8, true))),
    }
}

/// The builder of one field's column.
enum FieldColumn {
    Text(Field, StringBuilder),
    Number(Field, Float32Builder),
    Flag(BooleanBuilder),
    Tags(ListBuilder<StringBuilder>),
}

impl FieldColumn {
    fn new(f: Field) -> FieldColumn {
        match data_type(f) {
            DataType::Utf8 => FieldColumn::Text(f, StringBuilder::new()),
            DataType::Float32 => FieldColumn::Number(f, Float32Builder::new()),
            DataType::Boolean => FieldColumn::Flag(BooleanBuilder::new()),
            _ => FieldColumn::Tags(ListBuilder::new(StringBuilder::new())),
        }
    }

    fn append(&mut self, hit: &SearchHit) {
        let t = &hit.fields;
        match self {
            FieldColumn::Text(f, b) => b.append_option(t.text(*f)),
            FieldColumn::Number(f, b) => b.append_option(t.number(*f)),
            FieldColumn::Flag(b) => b.append_option(t.has_vocals),
            FieldColumn::Tags(b) => match &t.tags {
                Some(tags) => {
                    for tag in tags {
                        b.values().append_value(tag);
                    }
                    b.append(true);
                }
                None => b.append(false),
            },
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            FieldColumn::Text(_, mut b) => Arc::new(b.finish()),
            FieldColumn::Number(_, mut b) => Arc::new(b.finish()),
            FieldColumn::Flag(mut b) => Arc::new(b.finish()),
            FieldColumn::Tags(mut b) => Arc::new(b.finish()),
        }
    }
}
