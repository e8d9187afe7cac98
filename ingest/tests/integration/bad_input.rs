//! Every kind of bad catalogue is refused with an error naming the file, the 1-based data row and
//! the field, and publishes nothing (see `helpers::assert_rejected`).

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use serde_json::json;

use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_wrong_embedding_dimension() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,100,0.1;0.2;0.3");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "dimension 3, expected 4"),
    );
}

#[test]
fn csv_nan_in_embedding() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,100,0.1;NaN;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "element 1 is NaN"),
    );
}

#[test]
fn csv_infinite_in_embedding() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,100,0.1;0.2;-inf;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "element 2 is -inf"),
    );
}

#[test]
fn csv_embedding_that_overflows_f32() {
    // Finite as f64, infinite once stored as f32.
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,100,0.1;1e300;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "element 1 is inf"),
    );
}

#[test]
fn csv_nan_bpm() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,NaN,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "bpm", Some("t3"), "not a finite number"),
    );
}

#[test]
fn csv_infinite_bpm() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,inf,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "bpm", Some("t3"), "not a finite number"),
    );
}

#[test]
fn csv_infinite_duration() {
    let bytes = csv_with(3, b"t3,Song,Someone,inf,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "duration_s", Some("t3"), "not a finite number"),
    );
}

#[test]
fn csv_zero_vector() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,100,0;0;0;0");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "zero vector"),
    );
}

#[test]
fn csv_missing_track_id() {
    let bytes = csv_with(3, b",Song,Someone,120,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "track_id", None, "missing track id"),
    );
}

#[test]
fn csv_blank_track_id() {
    let bytes = csv_with(3, b"   ,Song,Someone,120,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "track_id", None, "missing track id"),
    );
}

#[test]
fn csv_duplicate_track_id_in_catalogue() {
    let bytes = csv_with(4, b"t2,Again,Someone,120,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(4, "track_id", Some("t2"), "first on row 2"),
    );
}

#[test]
fn csv_negative_duration() {
    let bytes = csv_with(3, b"t3,Song,Someone,-5,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "duration_s", Some("t3"), "must be positive"),
    );
}

#[test]
fn csv_missing_duration() {
    let bytes = csv_with(3, b"t3,Song,Someone,,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "duration_s", Some("t3"), "missing"),
    );
}

#[test]
fn csv_unparsable_duration() {
    let bytes = csv_with(3, b"t3,Song,Someone,abc,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "duration_s", Some("t3"), "not a number: \"abc\""),
    );
}

#[test]
fn csv_unparsable_bpm() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,abc,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "bpm", Some("t3"), "not a number"),
    );
}

#[test]
fn csv_unparsable_embedding_element() {
    let bytes = csv_with(3, b"t3,Song,Someone,120,a,100,0.1;abc;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "element 1 is not a number"),
    );
}

#[test]
fn csv_invalid_utf8_in_a_field() {
    let bytes = csv_with(
        3,
        b"t3,Song \xff\xfe here,Someone,120,a,100,0.1;0.2;0.3;0.4",
    );
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "title", Some("t3"), "invalid UTF-8"),
    );
}

#[test]
fn csv_invalid_utf8_in_the_track_id() {
    let bytes = csv_with(3, b"t\xc3,Song,Someone,120,a,100,0.1;0.2;0.3;0.4");
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(3, "track_id", None, "invalid UTF-8"),
    );
}

#[test]
fn csv_empty_file() {
    assert_rejected("c.csv", b"", bad_file("empty"));
}

#[test]
fn csv_truncated_mid_row() {
    let full = csv_doc(&rows("t", 5, 1));
    let last = full.trim_end().rfind('\n').expect("several lines") + 1;
    // The last row is cut after its second field: "t5,Song t5".
    let cut = last + "t5,Song t5".len();
    assert_eq!(&full[last..cut], "t5,Song t5");
    assert_rejected(
        "c.csv",
        &full.as_bytes()[..cut],
        bad_row(5, "artist", Some("t5"), "truncated"),
    );
}

#[test]
fn csv_header_only() {
    assert_rejected(
        "c.csv",
        format!("{CSV_HEADER}\n").as_bytes(),
        bad_file("no data rows"),
    );
}

#[test]
fn csv_missing_required_column() {
    let text = "track_id,title,audio_emb\nt1,Song,0.1;0.2;0.3;0.4\n";
    assert_rejected(
        "c.csv",
        text.as_bytes(),
        bad_file("missing required column duration_s"),
    );
}

#[test]
fn tsv_nan_energy_and_negative_infinite_loudness() {
    let line = |i: usize, energy: &str, loud: &str| {
        format!("t{i}\t{}\t{energy}\t{loud}\t0.5;0.1;0.2;{i}\n", 60 + i)
    };
    let mut text = String::from("track_id\tduration_s\tenergy\tloudness_db\taudio_emb\n");
    for i in 1..=5 {
        text.push_str(&match i {
            2 => line(i, "NaN", "-3"),
            _ => line(i, "0.5", "-3"),
        });
    }
    assert_rejected(
        "c.tsv",
        text.as_bytes(),
        bad_row(2, "energy", Some("t2"), "not a finite number"),
    );
    let text = text.replace("NaN\t-3", "0.5\t-inf");
    assert_rejected(
        "c.tsv",
        text.as_bytes(),
        bad_row(2, "loudness_db", Some("t2"), "not a finite number"),
    );
}

#[test]
fn csv_nan_in_mfcc() {
    let mfcc = |bad: bool| {
        let mut v: Vec<String> = (0..13).map(|i| format!("{}", i as f32 * 0.5)).collect();
        if bad {
            v[4] = "NaN".into();
        }
        v.join(";")
    };
    let mut text = String::from("track_id,duration_s,mfcc,audio_emb\n");
    for i in 1..=5 {
        text.push_str(&format!(
            "t{i},{},{},0.5;0.1;0.2;{i}\n",
            60 + i,
            mfcc(i == 3)
        ));
    }
    assert_rejected(
        "c.csv",
        text.as_bytes(),
        bad_row(3, "mfcc", Some("t3"), "element 4 is NaN"),
    );
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

#[test]
fn jsonl_wrong_embedding_dimension() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("audio_emb".into(), json!([0.1, 0.2, 0.3, 0.4, 0.5]));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "dimension 5, expected 4"),
    );
}

#[test]
fn jsonl_nan_in_embedding() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("audio_emb".into(), json!([0.1, "NaN", 0.3, 0.4]));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "element 1 is NaN"),
    );
}

#[test]
fn jsonl_infinite_in_embedding() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("audio_emb".into(), json!([0.1, 0.2, "inf", 0.4]));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "element 2 is inf"),
    );
}

#[test]
fn jsonl_nan_bpm() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("bpm".into(), json!("NaN"));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "bpm", Some("t3"), "not a finite number"),
    );
}

#[test]
fn jsonl_infinite_bpm() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("bpm".into(), json!("inf"));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "bpm", Some("t3"), "not a finite number"),
    );
}

#[test]
fn jsonl_zero_vector() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("audio_emb".into(), json!([0.0, 0.0, 0.0, 0.0]));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "audio_emb", Some("t3"), "zero vector"),
    );
}

#[test]
fn jsonl_missing_track_id() {
    let bytes = jsonl_edit(3, |o| {
        o.remove("track_id");
    });
    assert_rejected("c.jsonl", &bytes, bad_row(3, "track_id", None, "missing"));
}

#[test]
fn jsonl_null_track_id() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("track_id".into(), json!(null));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "track_id", None, "missing track id"),
    );
}

#[test]
fn jsonl_duplicate_track_id_in_catalogue() {
    let bytes = jsonl_edit(5, |o| {
        o.insert("track_id".into(), json!("t1"));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(5, "track_id", Some("t1"), "first on row 1"),
    );
}

#[test]
fn jsonl_negative_duration() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("duration_s".into(), json!(-1.5));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "duration_s", Some("t3"), "must be positive"),
    );
}

#[test]
fn jsonl_unparsable_duration() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("duration_s".into(), json!("abc"));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "duration_s", Some("t3"), "not a number"),
    );
}

#[test]
fn jsonl_number_of_the_wrong_type() {
    let bytes = jsonl_edit(3, |o| {
        o.insert("bpm".into(), json!([120]));
    });
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(3, "bpm", Some("t3"), "expected a number"),
    );
}

#[test]
fn jsonl_invalid_utf8_in_a_field() {
    let line = b"{\"track_id\":\"t3\",\"title\":\"Song \xff\xfe\",\"duration_s\":120,\"audio_emb\":[0.1,0.2,0.3,0.4]}";
    assert_rejected(
        "c.jsonl",
        &jsonl_with(3, line),
        bad_row(3, "title", None, "invalid UTF-8"),
    );
}

#[test]
fn jsonl_empty_file() {
    assert_rejected("c.jsonl", b"", bad_file("empty"));
}

#[test]
fn jsonl_truncated_last_line() {
    let full = jsonl_doc(&rows("t", 5, 1));
    let last = full.trim_end().rfind('\n').expect("several lines") + 1;
    let cut = last + (full.len() - last) / 2;
    assert_rejected(
        "c.jsonl",
        &full.as_bytes()[..cut],
        bad_row(5, "(line)", None, "invalid JSON"),
    );
}

#[test]
fn jsonl_line_that_is_not_an_object() {
    assert_rejected(
        "c.jsonl",
        &jsonl_with(4, b"[1, 2, 3]"),
        bad_row(4, "(line)", None, "not a JSON object"),
    );
}

// ---------------------------------------------------------------------------------------------
// Parquet

#[test]
fn parquet_wrong_embedding_dimension() {
    let rows = pq_rows_with(3, |r| r.emb = Some(vec![Some(0.1), Some(0.2), Some(0.3)]));
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, false),
        bad_row(3, "audio_emb", Some("t3"), "dimension 3, expected 4"),
    );
}

#[test]
fn parquet_nan_in_embedding() {
    let rows = pq_rows_with(3, |r| {
        r.emb = Some(vec![Some(0.1), Some(f32::NAN), Some(0.3), Some(0.4)])
    });
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(3, "audio_emb", Some("t3"), "element 1 is NaN"),
    );
}

#[test]
fn parquet_infinite_in_embedding() {
    let rows = pq_rows_with(3, |r| {
        r.emb = Some(vec![Some(f32::INFINITY), Some(0.2), Some(0.3), Some(0.4)])
    });
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, false),
        bad_row(3, "audio_emb", Some("t3"), "element 0 is inf"),
    );
}

#[test]
fn parquet_nan_bpm() {
    let rows = pq_rows_with(3, |r| r.bpm = Some(f64::NAN));
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(3, "bpm", Some("t3"), "not a finite number"),
    );
}

#[test]
fn parquet_infinite_bpm() {
    let rows = pq_rows_with(3, |r| r.bpm = Some(f64::INFINITY));
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(3, "bpm", Some("t3"), "not a finite number"),
    );
}

#[test]
fn parquet_zero_vector() {
    let rows = pq_rows_with(3, |r| r.emb = Some(vec![Some(0.0); DIM]));
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(3, "audio_emb", Some("t3"), "zero vector"),
    );
}

#[test]
fn parquet_missing_track_id() {
    let rows = pq_rows_with(3, |r| r.id = None);
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(3, "track_id", None, "missing track id"),
    );
}

#[test]
fn parquet_missing_embedding() {
    let rows = pq_rows_with(3, |r| r.emb = None);
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, false),
        bad_row(3, "audio_emb", Some("t3"), "missing"),
    );
}

#[test]
fn parquet_duplicate_track_id_in_catalogue() {
    let rows = pq_rows_with(4, |r| r.id = Some("t3".into()));
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(4, "track_id", Some("t3"), "first on row 3"),
    );
}

#[test]
fn parquet_negative_duration() {
    let rows = pq_rows_with(3, |r| r.duration = Some(-10.0));
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, true),
        bad_row(3, "duration_s", Some("t3"), "must be positive"),
    );
}

#[test]
fn parquet_empty_file() {
    assert_rejected("c.parquet", b"", bad_file("empty"));
}

#[test]
fn parquet_truncated_to_half() {
    let full = pq_doc(&pq_rows_with(1, |_| {}), true);
    assert_rejected(
        "c.parquet",
        &full[..full.len() / 2],
        bad_file("not a readable Parquet file"),
    );
}

#[test]
fn parquet_duration_of_the_wrong_type() {
    let good = pq_batch(&pq_rows_with(1, |_| {}), true);
    let durations: StringArray = (1..=5).map(|i| Some(format!("{}", 60 + i))).collect();
    let mut fields: Vec<Field> = good
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = good.columns().to_vec();
    let at = fields
        .iter()
        .position(|f| f.name() == "duration_s")
        .expect("duration_s");
    fields[at] = Field::new("duration_s", DataType::Utf8, true);
    columns[at] = Arc::new(durations);
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
    assert_rejected(
        "c.parquet",
        &parquet_bytes(&batch),
        bad_file("column duration_s has type Utf8"),
    );
}

#[test]
fn parquet_without_rows() {
    assert_rejected("c.parquet", &pq_doc(&[], true), bad_file("no data rows"));
}

#[test]
fn parquet_null_element_inside_an_embedding() {
    let rows = pq_rows_with(3, |r| {
        r.emb = Some(vec![Some(0.5), None, Some(0.3), Some(0.4)])
    });
    assert_rejected(
        "c.parquet",
        &pq_doc(&rows, false),
        bad_row(3, "audio_emb", Some("t3"), ""),
    );
}

#[test]
fn jsonl_bad_first_line() {
    let bytes = jsonl_with(1, b"{\"track_id\": \"t1\", \"dura");
    assert_rejected(
        "c.jsonl",
        &bytes,
        bad_row(1, "(line)", None, "invalid JSON"),
    );
}

#[test]
fn jsonl_blank_lines_only() {
    assert_rejected("c.jsonl", b"\n  \n\n", bad_file("no data rows"));
}
