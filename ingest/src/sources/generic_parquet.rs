//! Generic Parquet catalogues with Segue's column names. Embeddings are list or fixed-size-list
//! columns of float32 or float64.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use segue_index::EmbeddingKind;
use segue_index::schema::col;

use super::generic_text::KNOWN_COLUMNS;
use super::{Progress, Source};
use crate::error::{IngestError, Result, RowError, SourceItem};
use crate::fields::finite;
use crate::record::TrackRecord;

/// What a column must be convertible to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Want {
    Text,
    Number,
    Bool,
    TextList,
    NumberList,
}

fn want(name: &str) -> Want {
    match name {
        col::TRACK_ID | col::TITLE | col::ARTIST | col::ALBUM | col::CAPTION | col::AUDIO_PATH => {
            Want::Text
        }
        col::HAS_VOCALS => Want::Bool,
        col::TAGS => Want::TextList,
        col::MFCC | col::AUDIO_EMB | col::TEXT_EMB => Want::NumberList,
        _ => Want::Number,
    }
}

fn target_type(w: Want) -> DataType {
    match w {
        Want::Text => DataType::Utf8,
        Want::Number => DataType::Float64,
        Want::Bool => DataType::Boolean,
        Want::TextList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        Want::NumberList => DataType::List(Arc::new(Field::new("item", DataType::Float32, true))),
    }
}

fn type_ok(w: Want, dt: &DataType) -> bool {
    let numeric = |d: &DataType| d.is_numeric();
    let texty =
        |d: &DataType| matches!(d, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    match w {
        Want::Text => texty(dt) || dt.is_integer(),
        Want::Number => numeric(dt),
        Want::Bool => matches!(dt, DataType::Boolean),
        Want::TextList => match dt {
            DataType::List(f) | DataType::LargeList(f) => texty(f.data_type()),
            d => texty(d),
        },
        Want::NumberList => match dt {
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                numeric(f.data_type())
            }
            _ => false,
        },
    }
}

fn describe(w: Want) -> &'static str {
    match w {
        Want::Text => "a string",
        Want::Number => "a number",
        Want::Bool => "a boolean",
        Want::TextList => "a list of strings",
        Want::NumberList => "a list of numbers",
    }
}

pub struct ParquetSource {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    total_rows: u64,
    columns: Vec<(String, Want)>,
    fixed_dims: Vec<(String, u32)>,
    ignored: Vec<String>,
    batch: Option<RecordBatch>,
    pos: usize,
    row: u64,
}

impl ParquetSource {
    pub fn open(path: &Path, required: &[&str]) -> Result<Self> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
            IngestError::bad_file(
                path,
                format!("not a readable Parquet file (truncated?): {e}"),
            )
        })?;
        let total_rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let schema = builder.schema().clone();
        let mut columns = Vec::new();
        let mut fixed_dims = Vec::new();
        let mut ignored = Vec::new();
        for field in schema.fields() {
            let name = field.name().as_str();
            if !KNOWN_COLUMNS.contains(&name) {
                ignored.push(name.to_string());
                continue;
            }
            let w = want(name);
            if !type_ok(w, field.data_type()) {
                return Err(IngestError::bad_file(
                    path,
                    format!(
                        "column {name} has type {}; expected {}",
                        field.data_type(),
                        describe(w)
                    ),
                ));
            }
            if let DataType::FixedSizeList(_, n) = field.data_type() {
                fixed_dims.push((name.to_string(), *n as u32));
            }
            columns.push((name.to_string(), w));
        }
        for req in required {
            if !columns.iter().any(|(n, _)| n == req) {
                return Err(IngestError::bad_file(
                    path,
                    format!("missing required column {req}"),
                ));
            }
        }
        let reader = builder
            .with_batch_size(4096)
            .build()
            .map_err(|e| IngestError::bad_file(path, format!("cannot read: {e}")))?;
        Ok(ParquetSource {
            path: path.into(),
            reader,
            total_rows,
            columns,
            fixed_dims,
            ignored,
            batch: None,
            pos: 0,
            row: 0,
        })
    }

    /// Casts the batch's known columns to the types `record_at` reads.
    fn normalise(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (name, w) in &self.columns {
            let Some(a) = batch.column_by_name(name) else {
                continue;
            };
            let keep_fixed = *w == Want::NumberList
                && matches!(a.data_type(), DataType::FixedSizeList(f, _) if f.data_type() == &DataType::Float32);
            let a = if keep_fixed || a.data_type() == &target_type(*w) {
                a.clone()
            } else if *w == Want::TextList
                && !matches!(a.data_type(), DataType::List(_) | DataType::LargeList(_))
            {
                // A plain string column of `;`-separated tags: parsed per row.
                arrow_cast::cast(a, &DataType::Utf8)
                    .map_err(|e| IngestError::bad_file(&self.path, format!("column {name}: {e}")))?
            } else {
                arrow_cast::cast(a, &target_type(*w))
                    .map_err(|e| IngestError::bad_file(&self.path, format!("column {name}: {e}")))?
            };
            fields.push(Field::new(name, a.data_type().clone(), true));
            arrays.push(a);
        }
        RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), arrays)
            .map_err(|e| IngestError::bad_file(&self.path, e.to_string()))
    }

    fn record_at(&self, b: &RecordBatch, i: usize) -> std::result::Result<TrackRecord, RowError> {
        let row = self.row;
        let text = |name: &str| -> Option<String> {
            let a = b.column_by_name(name)?;
            (!a.is_null(i))
                .then(|| a.as_string::<i32>().value(i).trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let number = |name: &str| -> std::result::Result<Option<f64>, RowError> {
            let Some(a) = b.column_by_name(name) else {
                return Ok(None);
            };
            if a.is_null(i) {
                return Ok(None);
            }
            finite(row, name, a.as_primitive::<Float64Type>().value(i)).map(Some)
        };
        let floats = |name: &str| -> std::result::Result<Option<Vec<f32>>, RowError> {
            let Some(a) = b.column_by_name(name) else {
                return Ok(None);
            };
            if a.is_null(i) {
                return Ok(None);
            }
            let values = match a.data_type() {
                DataType::FixedSizeList(..) => a.as_fixed_size_list().value(i),
                _ => a.as_list::<i32>().value(i),
            };
            let values = values.as_primitive::<Float32Type>();
            if let Some(k) = (0..values.len()).find(|&k| values.is_null(k)) {
                return Err(RowError::new(row, name, format!("element {k} is null")));
            }
            Ok(Some(values.values().to_vec()))
        };
        let track_id = text(col::TRACK_ID).unwrap_or_default();
        let tags = match b.column_by_name(col::TAGS) {
            None => vec![],
            Some(a) if a.is_null(i) => vec![],
            Some(a) => match a.data_type() {
                DataType::List(_) => {
                    let v = a.as_list::<i32>().value(i);
                    let s = v.as_string::<i32>();
                    s.iter().flatten().map(String::from).collect()
                }
                _ => crate::fields::string_list(row, col::TAGS, a.as_string::<i32>().value(i))?,
            },
        };
        let has_vocals = b
            .column_by_name(col::HAS_VOCALS)
            .and_then(|a| (!a.is_null(i)).then(|| a.as_boolean().value(i)));
        let with_id = |mut e: RowError| {
            e.track_id = (!track_id.is_empty()).then(|| track_id.clone());
            e
        };
        (|| {
            Ok(TrackRecord {
                row,
                track_id: track_id.clone(),
                title: text(col::TITLE),
                artist: text(col::ARTIST),
                album: text(col::ALBUM),
                duration_s: number(col::DURATION_S)?,
                tags,
                caption: text(col::CAPTION),
                has_vocals,
                bpm: number(col::BPM)?,
                energy: number(col::ENERGY)?,
                spectral_centroid: number(col::SPECTRAL_CENTROID)?,
                mfcc: floats(col::MFCC)?.map(|v| v.into_iter().map(f64::from).collect()),
                valence: number(col::VALENCE)?,
                danceability: number(col::DANCEABILITY)?,
                loudness_db: number(col::LOUDNESS_DB)?,
                audio_path: text(col::AUDIO_PATH),
                audio_emb: floats(col::AUDIO_EMB)?,
                text_emb: floats(col::TEXT_EMB)?,
                analysis: None,
            })
        })()
        .map_err(with_id)
    }
}

impl Source for ParquetSource {
    fn next_item(&mut self) -> Result<Option<SourceItem>> {
        loop {
            if let Some(b) = &self.batch
                && self.pos < b.num_rows()
            {
                let i = self.pos;
                self.pos += 1;
                self.row += 1;
                return Ok(Some(match self.record_at(b, i) {
                    Ok(r) => SourceItem::Record(Box::new(r)),
                    Err(e) => SourceItem::Bad(e),
                }));
            }
            match self.reader.next() {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(IngestError::bad_file(
                        &self.path,
                        format!(
                            "after row {}: cannot decode (truncated or corrupt?): {e}",
                            self.row
                        ),
                    ));
                }
                Some(Ok(b)) => {
                    self.batch = Some(self.normalise(b)?);
                    self.pos = 0;
                }
            }
        }
    }

    fn has_embedding(&self, kind: EmbeddingKind) -> Option<bool> {
        Some(self.columns.iter().any(|(n, _)| n == kind.column()))
    }

    fn schema_dim(&self, kind: EmbeddingKind) -> Option<u32> {
        self.fixed_dims
            .iter()
            .find(|(n, _)| n == kind.column())
            .map(|(_, d)| *d)
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.row,
            total: self.total_rows,
        }
    }

    fn ignored_columns(&self) -> Vec<String> {
        self.ignored.clone()
    }

    fn format_name(&self) -> &'static str {
        "generic-parquet"
    }
}
