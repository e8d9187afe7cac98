//! Catalogue rows whose track id is already in the library: `OnDuplicate::{Error, Skip, Replace}`.

use std::path::Path;

use segue_ingest::{IngestError, OnDuplicate, ingest};

use crate::helpers::*;

/// A v1 library of `t1..t4`.
fn v1(lib: &Path, cat_dir: &Path) -> Vec<Row> {
    let base = rows("t", 4, 1);
    let s = ingest_ok(lib, cat_dir, "v1.csv", csv_doc(&base));
    assert_eq!((s.library_version, s.total_tracks), (1, 4));
    base
}

/// A new version of track `id`: new title and vector.
fn changed(id: &str, seed: usize) -> Row {
    Row {
        id: id.into(),
        title: format!("Replaced {id}"),
        duration: 200.0,
        bpm: 150.0,
        tags: vec!["genre:new".into()],
        emb: vector(seed, DIM),
    }
}

#[test]
fn error_policy_names_the_duplicate_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    v1(&lib, tmp.path());
    let before = snapshot(&lib);
    let cat_rows = vec![
        rows("n", 1, 2).remove(0),
        changed("t2", 77),
        rows("m", 1, 3).remove(0),
    ];
    let cat = write(tmp.path(), "dup.csv", csv_doc(&cat_rows));
    for batch_rows in [1, 8192] {
        let mut o = opts(&cat);
        o.batch_rows = batch_rows;
        let err = ingest(&lib, &o).expect_err("duplicate with the Error policy");
        check_error(
            &err,
            &cat,
            bad_row(
                2,
                "track_id",
                Some("t2"),
                "\"t2\" is already in the library",
            ),
        );
        assert_eq!(snapshot(&lib), before);
        assert_no_garbage(&lib);
    }
}

#[test]
fn skip_policy_keeps_the_library_track() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let base = v1(&lib, tmp.path());
    let new = rows("n", 2, 2);
    let cat_rows = vec![new[0].clone(), changed("t2", 77), new[1].clone()];
    let cat = write(tmp.path(), "dup.jsonl", jsonl_doc(&cat_rows));
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Skip;
    let s = ingest(&lib, &o).expect("ingest");
    assert!(s.published);
    assert_eq!(
        (
            s.library_version,
            s.rows_read,
            s.rows_added,
            s.rows_skipped_duplicate,
            s.rows_replaced,
            s.total_tracks
        ),
        (2, 3, 2, 1, 0, 6)
    );
    let l = open(&lib);
    let mut expected = base.clone();
    expected.extend(new.iter().cloned());
    assert_contents(&l, &ids(&expected), &vectors_of(&expected));
    assert_eq!(
        strings(&l, &[1], "title"),
        vec![Some("Song t2".to_string())],
        "t2 is the old one"
    );
    let rec = l.manifest().build.ingests.last().unwrap();
    assert_eq!((rec.rows_added, rec.rows_skipped_duplicate), (2, 1));
}

#[test]
fn skip_policy_with_only_duplicates_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    v1(&lib, tmp.path());
    let before = snapshot(&lib);
    let cat = write(
        tmp.path(),
        "dup.csv",
        csv_doc(&[changed("t1", 5), changed("t3", 6)]),
    );
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Skip;
    let s = ingest(&lib, &o).expect("ingest");
    assert!(!s.published);
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.rows_skipped_duplicate,
            s.total_tracks
        ),
        (1, 0, 2, 4)
    );
    assert_eq!(snapshot(&lib), before);
}

#[test]
fn an_ingest_that_adds_nothing_leaves_no_staging_files() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    v1(&lib, tmp.path());
    let cat = write(
        tmp.path(),
        "dup.csv",
        csv_doc(&[changed("t1", 5), changed("t3", 6)]),
    );
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Skip;
    assert!(!ingest(&lib, &o).expect("ingest").published);
    assert_no_garbage(&lib);

    let cat = write(
        tmp.path(),
        "bad.csv",
        format!("{CSV_HEADER}\nt9,Song,Someone,-1,a,100,1;2;3;4\n"),
    );
    let mut o = opts(&cat);
    o.skip_bad_rows = true;
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!((s.published, s.rows_rejected), (false, 1));
    assert_no_garbage(&lib);
}

#[test]
fn replace_policy_replaces_rows_and_vectors() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let base = v1(&lib, tmp.path());
    let new = rows("n", 1, 2).remove(0);
    let (t2, t4) = (changed("t2", 77), changed("t4", 78));
    let cat_rows = vec![t2.clone(), new.clone(), t4.clone()];
    let cat = write(tmp.path(), "replace.csv", csv_doc(&cat_rows));
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Replace;
    o.batch_rows = 2;
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.rows_replaced,
            s.rows_skipped_duplicate,
            s.total_tracks
        ),
        (2, 3, 2, 0, 5)
    );

    // Surviving old rows in their order, then the catalogue's rows in theirs.
    let order = ["t1", "t3", "t2", "n1", "t4"];
    let mut latest = vectors_of(&base);
    latest.extend(vectors_of(&cat_rows));
    let l = open(&lib);
    assert_eq!(l.rows(), 5, "row count: 4 old - 2 replaced + 3 new");
    assert_contents(&l, &order, &latest);
    let all: Vec<u64> = (0..5).collect();
    assert_eq!(
        strings(&l, &all, "title"),
        [
            "Song t1",
            "Song t3",
            "Replaced t2",
            "Song n1",
            "Replaced t4"
        ]
        .map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strings(&l, &all, "track_id"),
        order.map(|s| Some(s.to_string())),
        "take agrees with track_ids"
    );
    assert_eq!(tags(&l, 2), vec!["genre:new".to_string()]);
    assert_eq!(floats(&l, &[2], "bpm"), vec![Some(150.0)]);
    assert_eq!(
        l.track_ids().unwrap().len() as u64,
        l.vectors(segue_index::EmbeddingKind::Audio).unwrap().rows()
    );
    l.verify().unwrap();
    assert_no_garbage(&lib);
    let rec = l.manifest().build.ingests.last().unwrap();
    assert_eq!((rec.rows_added, rec.rows_replaced), (3, 2));

    // A new Library sees the same, and a further replace (of the first row) plus an append
    // (JSON Lines this time) stays consistent across versions.
    drop(l);
    let t1 = changed("t1", 79);
    let m1 = rows("m", 1, 4).remove(0);
    let cat = write(
        tmp.path(),
        "replace2.jsonl",
        jsonl_doc(&[m1.clone(), t1.clone()]),
    );
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Replace;
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!(
        (
            s.library_version,
            s.rows_added,
            s.rows_replaced,
            s.total_tracks
        ),
        (3, 2, 1, 6)
    );
    latest.extend(vectors_of([&t1, &m1]));
    let l = open(&lib);
    let order = ["t3", "t2", "n1", "t4", "m1", "t1"];
    assert_contents(&l, &order, &latest);
    let all: Vec<u64> = (0..6).collect();
    assert_eq!(
        strings(&l, &all, "title"),
        [
            "Song t3",
            "Replaced t2",
            "Song n1",
            "Replaced t4",
            "Song m1",
            "Replaced t1"
        ]
        .map(|s| Some(s.to_string()))
    );
    l.verify().unwrap();
    assert_no_garbage(&lib);
}

#[test]
fn replace_policy_still_refuses_a_duplicate_inside_the_catalogue() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    v1(&lib, tmp.path());
    let before = snapshot(&lib);
    let cat = write(
        tmp.path(),
        "dup.csv",
        csv_doc(&[changed("t2", 5), changed("t2", 6)]),
    );
    let mut o = opts(&cat);
    o.on_duplicate = OnDuplicate::Replace;
    let err = ingest(&lib, &o).expect_err("the same id twice in one catalogue");
    assert!(matches!(&err, IngestError::BadRow { .. }), "{err:?}");
    check_error(
        &err,
        &cat,
        bad_row(2, "track_id", Some("t2"), "first on row 1"),
    );
    assert_eq!(snapshot(&lib), before);
}
