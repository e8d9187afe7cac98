//! The accepted spellings of each generic format round-trip into the library.

use std::sync::Arc;

use arrow_array::builder::{FixedSizeListBuilder, Float64Builder, ListBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

use crate::helpers::*;

/// Replaces the `audio_emb` column of a batch with float64 lists (fixed-size or not).
fn with_f64_embeddings(rows: &[Row], fixed: bool) -> RecordBatch {
    let good: Vec<PqRow> = rows.iter().map(PqRow::from).collect();
    let b = pq_batch(&good, true);
    let item = Arc::new(Field::new("item", DataType::Float64, true));
    let emb: ArrayRef = if fixed {
        let mut l = FixedSizeListBuilder::new(Float64Builder::new(), DIM as i32).with_field(item);
        for r in rows {
            l.values()
                .append_slice(&r.emb.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
            l.append(true);
        }
        Arc::new(l.finish())
    } else {
        let mut l = ListBuilder::new(Float64Builder::new()).with_field(item);
        for r in rows {
            l.values()
                .append_slice(&r.emb.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
            l.append(true);
        }
        Arc::new(l.finish())
    };
    let mut fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns = b.columns().to_vec();
    let at = fields.iter().position(|f| f.name() == "audio_emb").unwrap();
    fields[at] = Field::new("audio_emb", emb.data_type().clone(), true);
    columns[at] = emb;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

#[test]
fn parquet_float64_embeddings_as_list_and_fixed_size_list() {
    for fixed in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let lib = tmp.path().join("lib");
        let v1 = rows("t", 3, 1);
        ingest_ok(
            &lib,
            tmp.path(),
            "v1.parquet",
            parquet_bytes(&with_f64_embeddings(&v1, fixed)),
        );
        let v2 = rows("n", 2, 2);
        ingest_ok(
            &lib,
            tmp.path(),
            "v2.parquet",
            parquet_bytes(&with_f64_embeddings(&v2, fixed)),
        );
        let all: Vec<Row> = v1.iter().chain(&v2).cloned().collect();
        let l = open(&lib);
        assert_contents(&l, &ids(&all), &vectors_of(&all));
        for (i, r) in all.iter().enumerate() {
            assert_eq!(tags(&l, i as u64), r.tags);
        }
    }
}

#[test]
fn csv_lists_as_json_arrays_and_tsv() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let v1 = rows("t", 3, 1);
    let mut text = String::from("track_id,title,duration_s,tags,audio_emb\n");
    for r in &v1 {
        let tags = serde_json::to_string(&r.tags).unwrap().replace('"', "\"\"");
        let emb = serde_json::to_string(&r.emb).unwrap();
        text.push_str(&format!(
            "{},\"{}, with a comma\",{},\"{tags}\",\"{emb}\"\n",
            r.id, r.title, r.duration
        ));
    }
    ingest_ok(&lib, tmp.path(), "v1.csv", text);

    let v2 = rows("n", 2, 2);
    let mut text = String::from("track_id\tduration_s\ttags\taudio_emb\n");
    for r in &v2 {
        let emb: Vec<String> = r.emb.iter().map(f32::to_string).collect();
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            r.id,
            r.duration,
            r.tags.join(";"),
            emb.join(";")
        ));
    }
    let s = ingest_ok(&lib, tmp.path(), "v2.tsv", text);
    assert_eq!(s.format, "generic-tsv");

    let all: Vec<Row> = v1.iter().chain(&v2).cloned().collect();
    let l = open(&lib);
    assert_contents(&l, &ids(&all), &vectors_of(&all));
    for (i, r) in all.iter().enumerate() {
        assert_eq!(tags(&l, i as u64), r.tags);
    }
    assert_eq!(
        strings(&l, &[0], "title"),
        vec![Some("Song t1, with a comma".to_string())]
    );
    assert_eq!(strings(&l, &[3], "title"), vec![None]);
}

#[test]
fn jsonl_lists_as_strings() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let v1 = rows("t", 3, 1);
    let mut text = String::new();
    for r in &v1 {
        let emb: Vec<String> = r.emb.iter().map(f32::to_string).collect();
        let o = serde_json::json!({
            "track_id": r.id,
            "duration_s": r.duration.to_string(),
            "tags": r.tags.join(";"),
            "audio_emb": emb.join(";"),
            "bpm": r.bpm,
            "has_vocals": "yes",
        });
        text.push_str(&format!("{o}\n\n"));
    }
    let s = ingest_ok(&lib, tmp.path(), "v1.ndjson", text);
    assert_eq!((s.format.as_str(), s.rows_read), ("generic-jsonl", 3));
    let l = open(&lib);
    assert_contents(&l, &ids(&v1), &vectors_of(&v1));
    for (i, r) in v1.iter().enumerate() {
        assert_eq!(tags(&l, i as u64), r.tags);
        assert_eq!(floats(&l, &[i as u64], "bpm"), vec![Some(r.bpm as f32)]);
    }
}
