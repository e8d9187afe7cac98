//! `skip_bad_rows`: good rows are ingested, bad ones go to the rejects file.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use segue_ingest::{IngestError, OnDuplicate, ingest};

use crate::helpers::*;

/// The rejects file's lines as (row, field, track_id, reason, file).
fn rejects(path: &Path) -> Vec<(u64, String, Option<String>, String, String)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("rejects line {l:?}: {e}"));
            (
                v["row"].as_u64().expect("row"),
                v["field"].as_str().expect("field").to_string(),
                v["track_id"].as_str().map(String::from),
                v["reason"].as_str().expect("reason").to_string(),
                v["file"].as_str().expect("file").to_string(),
            )
        })
        .collect()
}

#[test]
fn csv_good_rows_in_bad_rows_out() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let all = rows("t", 8, 1);
    let mut text = format!("{CSV_HEADER}\n");
    for r in &all {
        let line = match r.id.as_str() {
            "t2" => "t2,Song,Someone,120,a,NaN,0.1;0.2;0.3;0.4".to_string(),
            "t5" => "t5,Song,Someone,120,a,100,0;0;0;0".to_string(),
            "t7" => ",Song,Someone,120,a,100,0.1;0.2;0.3;0.4".to_string(),
            _ => csv_line(r),
        };
        text.push_str(&line);
        text.push('\n');
    }
    let cat = write(tmp.path(), "c.csv", text);
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    o.batch_rows = 2;
    let s = ingest(&lib, &o).expect("ingest with skip_bad_rows");

    let expected_rejects = lib.join("reports/ingest-v000001-rejects.jsonl");
    assert!(s.published);
    assert_eq!(s.library_version, 1);
    assert_eq!(
        (s.rows_read, s.rows_added, s.rows_rejected, s.total_tracks),
        (8, 5, 3, 5)
    );
    assert_eq!(s.rejects_file.as_deref(), Some(expected_rejects.as_path()));

    let r = rejects(&expected_rejects);
    let brief: Vec<(u64, &str, Option<&str>)> = r
        .iter()
        .map(|(row, f, id, _, _)| (*row, f.as_str(), id.as_deref()))
        .collect();
    assert_eq!(
        brief,
        vec![
            (2, "bpm", Some("t2")),
            (5, "audio_emb", Some("t5")),
            (7, "track_id", None)
        ]
    );
    assert!(r[0].3.contains("not a finite number"), "{}", r[0].3);
    assert!(r[1].3.contains("zero vector"), "{}", r[1].3);
    assert!(r[2].3.contains("missing track id"), "{}", r[2].3);
    assert!(
        r.iter().all(|x| x.4 == cat.display().to_string()),
        "each reject names the catalogue"
    );

    let l = open(&lib);
    let good: Vec<Row> = all
        .iter()
        .filter(|r| !["t2", "t5", "t7"].contains(&r.id.as_str()))
        .cloned()
        .collect();
    assert_contents(&l, &ids(&good), &vectors_of(&good));
    let rec = l
        .manifest()
        .build
        .ingests
        .last()
        .expect("ingest record")
        .clone();
    assert_eq!(
        rec.rejects_file.as_deref(),
        Some("reports/ingest-v000001-rejects.jsonl")
    );
    assert_eq!(
        (
            rec.library_version,
            rec.rows_read,
            rec.rows_added,
            rec.rows_rejected
        ),
        (1, 8, 5, 3)
    );
    l.verify().unwrap();
    assert_no_garbage(&lib);
}

#[test]
fn jsonl_append_with_a_custom_rejects_path_and_a_duplicate() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let base = rows("base-", 3, 7);
    ingest_ok(&lib, tmp.path(), "base.csv", csv_doc(&base));

    let new = rows("n", 3, 2);
    let mut text = String::new();
    text.push_str(&format!("{}\n", json_obj(&new[0])));
    text.push_str("{\"track_id\": \"broken\", \"duration_s\": \n");
    text.push_str(&format!("{}\n", json_obj(&new[1])));
    let mut dup = json_obj(&rows("base-", 3, 9)[1]);
    dup["title"] = json!("Duplicate of base-2");
    text.push_str(&format!("{dup}\n"));
    text.push_str(&format!("{}\n", json_obj(&new[2])));
    let cat = write(tmp.path(), "c.jsonl", text);

    let custom = tmp.path().join("my-rejects.jsonl");
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    o.rejects_path = Some(custom.clone());
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.rows_rejected,
            s.total_tracks
        ),
        (2, 3, 2, 6)
    );
    assert_eq!(s.rejects_file.as_deref(), Some(custom.as_path()));

    let r = rejects(&custom);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        (r[0].0, r[0].1.as_str(), r[0].2.as_deref()),
        (2, "(line)", None)
    );
    assert_eq!(
        (r[1].0, r[1].1.as_str(), r[1].2.as_deref()),
        (4, "track_id", Some("base-2"))
    );
    assert!(r[1].3.contains("already in the library"), "{}", r[1].3);

    let l = open(&lib);
    let mut expected = base.clone();
    expected.extend(new.iter().cloned());
    assert_contents(&l, &ids(&expected), &vectors_of(&expected));
    assert_eq!(
        strings(&l, &[1], "title"),
        vec![Some("Song base-2".to_string())]
    );
    let rec = l.manifest().build.ingests.last().unwrap();
    assert_eq!(
        rec.rejects_file.as_deref(),
        Some(custom.to_string_lossy().as_ref())
    );
    assert_eq!(rec.rows_rejected, 2);
    assert_eq!(
        l.manifest().build.ingests[0].rejects_file,
        None,
        "v1 had no rejects"
    );
}

#[test]
fn parquet_every_row_bad_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let mut all: Vec<PqRow> = rows("t", 4, 1).iter().map(PqRow::from).collect();
    for r in &mut all {
        r.duration = Some(-1.0);
    }
    let cat = write(tmp.path(), "c.parquet", pq_doc(&all, true));
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    let s = ingest(&lib, &o).expect("ingest");
    assert!(!s.published);
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.rows_rejected,
            s.total_tracks
        ),
        (0, 0, 4, 0)
    );
    let rf = s.rejects_file.expect("a rejects file");
    let r = rejects(&rf);
    assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert!(r.iter().all(|x| x.1 == "duration_s"));
    assert_not_a_library(&lib);

    // A good ingest afterwards works, and the same bad file appended publishes nothing.
    let base = rows("base-", 3, 7);
    ingest_ok(&lib, tmp.path(), "base.csv", csv_doc(&base));
    let before = snapshot(&lib);
    let s = ingest(&lib, &o).expect("ingest");
    assert!(!s.published);
    assert_eq!(
        (s.library_version, s.rows_rejected, s.total_tracks),
        (1, 4, 3)
    );
    assert_eq!(snapshot(&lib), before);
}

#[test]
fn file_level_errors_are_not_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let full = pq_doc(&pq_rows_with(1, |_| {}), true);
    let cat = write(tmp.path(), "c.parquet", &full[..full.len() / 2]);
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    let err = ingest(&lib, &o).expect_err("a truncated file is fatal");
    assert!(
        matches!(&err, IngestError::BadFile { file, .. } if file == &cat),
        "{err:?}"
    );
    assert_not_a_library(&lib);
}

#[test]
fn skip_policy_with_skip_bad_rows_counts_duplicates_not_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let base = rows("t", 3, 1);
    ingest_ok(&lib, tmp.path(), "base.csv", csv_doc(&base));
    let mut again = rows("t", 5, 2);
    again[0].title = "Not used".into();
    let cat = write(tmp.path(), "again.csv", csv_doc(&again));
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    o.on_duplicate = OnDuplicate::Skip;
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!(
        (
            s.rows_added,
            s.rows_skipped_duplicate,
            s.rows_rejected,
            s.total_tracks
        ),
        (2, 3, 0, 5)
    );
    assert_eq!(
        s.rejects_file, None,
        "no rejects file when nothing was rejected"
    );
    let l = open(&lib);
    let mut expected = base.clone();
    expected.extend(again[3..].iter().cloned());
    assert_contents(&l, &ids(&expected), &vectors_of(&expected));
    assert_eq!(
        strings(&l, &[0], "title"),
        vec![Some("Song t1".to_string())]
    );
}

#[test]
fn jsonl_bad_first_line_is_one_rejected_row() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let bytes = jsonl_with(1, b"{\"track_id\": \"t1\", \"dura");
    let cat = write(tmp.path(), "c.jsonl", bytes);
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!((s.rows_read, s.rows_added, s.rows_rejected), (5, 4, 1));
    let l = open(&lib);
    let good = rows("t", 5, 1)[1..].to_vec();
    assert_contents(&l, &ids(&good), &vectors_of(&good));
}
