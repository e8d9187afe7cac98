//! Appending versions, what readers of older versions see, format-version refusal, reopening.

use std::fs;

use segue_index::{Dims, IndexError, Library, Manifest};
use segue_ingest::{IngestError, OnDuplicate, ingest};

use crate::helpers::*;

#[test]
fn append_adds_rows_and_keeps_old_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let v1 = rows("t", 5, 1);
    let s = ingest_ok(&lib, tmp.path(), "v1.csv", csv_doc(&v1));
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.total_tracks,
            s.format.as_str()
        ),
        (1, 5, 5, "generic-csv")
    );

    let v2 = rows("n", 3, 2);
    let pq: Vec<PqRow> = v2.iter().map(PqRow::from).collect();
    let s = ingest_ok(&lib, tmp.path(), "v2.parquet", pq_doc(&pq, true));
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.total_tracks,
            s.format.as_str()
        ),
        (2, 3, 8, "generic-parquet")
    );

    let l = open(&lib);
    assert_eq!((l.version(), l.rows()), (2, 8));
    assert_eq!(
        l.dims(),
        Dims {
            audio: Some(DIM as u32),
            text: None
        }
    );
    let all: Vec<Row> = v1.iter().chain(&v2).cloned().collect();
    assert_contents(&l, &ids(&all), &vectors_of(&all));
    let every: Vec<u64> = (0..8).collect();
    assert_eq!(
        strings(&l, &every, "title"),
        all.iter()
            .map(|r| Some(r.title.clone()))
            .collect::<Vec<_>>()
    );
    let durations = floats(&l, &every, "duration_s");
    for (d, r) in durations.iter().zip(&all) {
        assert!(
            (d.unwrap() - r.duration as f32).abs() < 1e-4,
            "{d:?} vs {}",
            r.duration
        );
    }
    for (i, r) in all.iter().enumerate() {
        assert_eq!(tags(&l, i as u64), r.tags, "tags of {}", r.id);
    }
    let ingests = &l.manifest().build.ingests;
    assert_eq!(ingests.len(), 2);
    assert_eq!(
        (ingests[0].library_version, ingests[0].format.as_str()),
        (1, "generic-csv")
    );
    assert_eq!(
        (ingests[1].library_version, ingests[1].format.as_str()),
        (2, "generic-parquet")
    );
    l.verify().unwrap();
    assert_no_garbage(&lib);
}

#[test]
fn a_reader_keeps_its_version_while_new_versions_are_published() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let v1 = rows("t", 5, 1);
    ingest_ok(&lib, tmp.path(), "v1.csv", csv_doc(&v1));
    let reader1 = open(&lib);
    let seen1 = snapshot_of(&reader1);

    // v2: a plain append, in small batches.
    let v2 = rows("n", 3, 2);
    let cat = write(tmp.path(), "v2.csv", csv_doc(&v2));
    let mut o = opts(&cat);
    o.batch_rows = 2;
    assert_eq!(ingest(&lib, &o).unwrap().library_version, 2);

    assert_eq!((reader1.version(), reader1.rows()), (1, 5));
    assert_eq!(snapshot_of(&reader1), seen1, "the v1 reader still reads v1");
    assert_contents(&reader1, &ids(&v1), &vectors_of(&v1));
    reader1.verify().expect("the v1 vectors are intact");
    let reader2 = open(&lib);
    let seen2 = snapshot_of(&reader2);
    assert_eq!((seen2.version, seen2.rows), (2, 8));

    // v3: replaces t1 (a delete in Lance) and appends.
    let t1 = Row {
        title: "New t1".into(),
        emb: vector(999, DIM),
        ..v1[0].clone()
    };
    let cat = write(tmp.path(), "v3.csv", csv_doc(std::slice::from_ref(&t1)));
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Replace;
    assert_eq!(ingest(&lib, &o).unwrap().library_version, 3);

    assert_eq!(
        snapshot_of(&reader1),
        seen1,
        "the v1 reader still reads v1 after v3"
    );
    assert_eq!(
        snapshot_of(&reader2),
        seen2,
        "the v2 reader still reads v2 after v3"
    );
    let reader3 = open(&lib);
    assert_eq!((reader3.version(), reader3.rows()), (3, 8));
    assert_eq!(reader3.track_ids().unwrap()[7], "t1");
    assert_eq!(
        strings(&reader3, &[7], "title"),
        vec![Some("New t1".to_string())]
    );
}

#[test]
fn a_newer_format_version_is_refused_by_readers_and_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let v1 = rows("t", 3, 1);
    ingest_ok(&lib, tmp.path(), "v1.csv", csv_doc(&v1));

    let mut m = Manifest::read(&lib).unwrap();
    m.format_version = 99;
    m.publish(&lib).unwrap();
    let manifest_bytes = fs::read(lib.join("MANIFEST.json")).unwrap();

    match Library::open(&lib) {
        Err(e @ IndexError::Incompatible { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("incompatible") && msg.contains("99") && msg.contains("not supported"),
                "{msg}"
            );
        }
        other => panic!("expected Incompatible, got {other:?}"),
    }

    let cat = write(tmp.path(), "v2.csv", csv_doc(&rows("n", 2, 2)));
    match ingest(&lib, &opts(&cat)) {
        Err(IngestError::Index(e @ IndexError::Incompatible { .. })) => {
            assert!(e.to_string().contains("99"), "{e}");
        }
        other => panic!("expected an Incompatible index error, got {other:?}"),
    }
    assert_eq!(
        fs::read(lib.join("MANIFEST.json")).unwrap(),
        manifest_bytes,
        "the manifest is untouched"
    );

    // Back to version 1, it is the same library as before.
    m.format_version = 1;
    m.publish(&lib).unwrap();
    let l = open(&lib);
    assert_eq!(l.version(), 1);
    assert_contents(&l, &ids(&v1), &vectors_of(&v1));
}

#[test]
fn reopening_after_a_restart_sees_the_same_library() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let v1 = rows("t", 4, 1);
    let v2 = rows("n", 2, 2);
    ingest_ok(&lib, tmp.path(), "v1.jsonl", jsonl_doc(&v1));
    ingest_ok(&lib, tmp.path(), "v2.csv", csv_doc(&v2));
    let seen = {
        let l = open(&lib);
        l.verify().unwrap();
        (snapshot_of(&l), l.manifest().clone())
    };
    // Everything dropped; a new Library (as after a process restart).
    let l = Library::open(&lib).unwrap();
    assert_eq!(snapshot_of(&l), seen.0);
    assert_eq!(l.manifest(), &seen.1);
    assert_eq!((l.version(), l.rows()), (2, 6));
    l.verify().unwrap();
    let all: Vec<Row> = v1.iter().chain(&v2).cloned().collect();
    assert_contents(&l, &ids(&all), &vectors_of(&all));
}

#[test]
fn an_append_must_match_the_library_embeddings() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    ingest_ok(&lib, tmp.path(), "v1.csv", csv_doc(&rows("t", 3, 1)));
    let before = snapshot(&lib);

    // Another dimension.
    let mut wide = rows("n", 2, 2);
    for r in &mut wide {
        r.emb = vector(5, 8);
    }
    let cat = write(tmp.path(), "wide.csv", csv_doc(&wide));
    let err = ingest(&lib, &opts(&cat)).expect_err("wrong dimension");
    check_error(
        &err,
        &cat,
        bad_row(1, "audio_emb", Some("n1"), "dimension 8, expected 4"),
    );
    assert_eq!(snapshot(&lib), before);

    // No embeddings at all.
    let cat = write(tmp.path(), "bare.csv", "track_id,duration_s\nn1,100\n");
    let err = ingest(&lib, &opts(&cat)).expect_err("no embeddings");
    check_error(&err, &cat, bad_file("has no audio_emb"));
    assert_eq!(snapshot(&lib), before);

    // An embedding space the library does not have.
    let cat = write(
        tmp.path(),
        "text.csv",
        "track_id,duration_s,audio_emb,text_emb\nn1,100,1;2;3;4,1;2\n",
    );
    let err = ingest(&lib, &opts(&cat)).expect_err("extra embedding space");
    check_error(&err, &cat, bad_file("created without text_emb"));
    assert_eq!(snapshot(&lib), before);
}
