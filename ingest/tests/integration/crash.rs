//! A crash (`SEGUE_FAILPOINT` aborts the process) at any point of an ingest leaves the library at
//! its last published version, and the next ingest recovers.
//!
//! Each test re-runs this test binary as a child process whose only test, `crash_child`, does
//! the ingest with the failpoint armed; the parent then inspects the library.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use segue_ingest::ingest;

use crate::helpers::*;

const ENV_LIB: &str = "SEGUE_TEST_CRASH_LIBRARY";
const ENV_CATALOG: &str = "SEGUE_TEST_CRASH_CATALOG";
const SIGABRT: i32 = 6;

/// The child side: ingests with small batches (so `ingest-mid-stream` is reached) when the
/// parent set the environment; does nothing otherwise.
#[test]
#[ignore = "the child process of the crash tests; does nothing on its own"]
fn crash_child() {
    let (Some(lib), Some(catalog)) = (std::env::var_os(ENV_LIB), std::env::var_os(ENV_CATALOG))
    else {
        return;
    };
    let mut o = opts(Path::new(&catalog));
    o.batch_rows = 2;
    // Catalogues that repeat the library's tracks (analysis_columns.rs) add only the new ones.
    o.on_duplicate = segue_ingest::OnDuplicate::Skip;
    let result = ingest(Path::new(&lib), &o);
    println!("the child ingest returned instead of crashing: {result:?}");
}

/// Runs the child ingest with `failpoint` armed and checks it died at that failpoint.
pub(crate) fn crash(failpoint: &str, lib: &Path, catalog: &Path) {
    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe)
        .args([
            "--exact",
            "crash::crash_child",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env("SEGUE_FAILPOINT", failpoint)
        .env(ENV_LIB, lib)
        .env(ENV_CATALOG, catalog)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the child survived failpoint {failpoint}:\n{stdout}\n{stderr}"
    );
    assert_eq!(
        out.status.signal(),
        Some(SIGABRT),
        "{failpoint}: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains(&format!("segue: failpoint {failpoint}: aborting")),
        "{failpoint} not reached:\n{stdout}\n{stderr}"
    );
}

/// Whether the crash happens after the new version was published.
fn published(failpoint: &str) -> bool {
    failpoint == "publish-after-manifest"
}

/// Crash during the first ingest into an empty directory.
fn first_ingest(failpoint: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let first = rows("c", 6, 3);
    let cat = write(tmp.path(), "first.csv", csv_doc(&first));
    crash(failpoint, &lib, &cat);

    if published(failpoint) {
        let l = open(&lib);
        assert_eq!(l.version(), 1);
        assert_contents(&l, &ids(&first), &vectors_of(&first));
        l.verify().unwrap();
        drop(l);
        let more = rows("m", 3, 4);
        let s = ingest_ok(&lib, tmp.path(), "more.csv", csv_doc(&more));
        assert_eq!((s.library_version, s.total_tracks), (2, 9));
        let all: Vec<Row> = first.iter().chain(&more).cloned().collect();
        let l = open(&lib);
        assert_contents(&l, &ids(&all), &vectors_of(&all));
        l.verify().unwrap();
    } else {
        assert_not_a_library(&lib);
        // A fresh ingest of the same catalogue in the same directory works.
        let s = ingest(&lib, &opts(&cat)).expect("ingest after the crash");
        assert_eq!((s.library_version, s.total_tracks), (1, 6));
        let l = open(&lib);
        assert_contents(&l, &ids(&first), &vectors_of(&first));
        l.verify().unwrap();
    }
    assert_no_garbage(&lib);
}

/// Crash while appending onto a v1 library.
fn append(failpoint: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let base = rows("b", 4, 5);
    ingest_ok(&lib, tmp.path(), "base.csv", csv_doc(&base));
    let before = snapshot(&lib);
    let crashed = rows("c", 6, 3);
    let cat = write(tmp.path(), "crashed.csv", csv_doc(&crashed));
    crash(failpoint, &lib, &cat);

    let more = rows("m", 3, 4);
    if published(failpoint) {
        let l = open(&lib);
        assert_eq!(l.version(), 2);
        let all: Vec<Row> = base.iter().chain(&crashed).cloned().collect();
        assert_contents(&l, &ids(&all), &vectors_of(&all));
        l.verify().unwrap();
        drop(l);
        let s = ingest_ok(&lib, tmp.path(), "more.csv", csv_doc(&more));
        assert_eq!((s.library_version, s.total_tracks), (3, 13));
        let all: Vec<Row> = base.iter().chain(&crashed).chain(&more).cloned().collect();
        let l = open(&lib);
        assert_contents(&l, &ids(&all), &vectors_of(&all));
        l.verify().unwrap();
    } else {
        let l = open(&lib);
        assert_eq!(snapshot_of(&l), before, "the library is still at v1");
        l.verify().unwrap();
        drop(l);
        // A further good ingest works, and so does the crashed catalogue once more.
        let s = ingest_ok(&lib, tmp.path(), "more.csv", csv_doc(&more));
        assert_eq!((s.library_version, s.total_tracks), (2, 7));
        let s = ingest(&lib, &opts(&cat)).expect("re-ingest the crashed catalogue");
        assert_eq!((s.library_version, s.total_tracks), (3, 13));
        let all: Vec<Row> = base.iter().chain(&more).chain(&crashed).cloned().collect();
        let l = open(&lib);
        assert_contents(&l, &ids(&all), &vectors_of(&all));
        l.verify().unwrap();
    }
    assert_no_garbage(&lib);
}

macro_rules! crash_tests {
    ($($name:ident => $failpoint:literal,)*) => {
        mod first_ingest {
            $(#[test] fn $name() { super::first_ingest($failpoint) })*
        }
        mod append {
            $(#[test] fn $name() { super::append($failpoint) })*
        }
    };
}

crash_tests! {
    ingest_mid_stream => "ingest-mid-stream",
    ingest_before_vectors_finish => "ingest-before-vectors-finish",
    publish_before_lance_commit => "publish-before-lance-commit",
    publish_after_lance_commit => "publish-after-lance-commit",
    publish_before_manifest => "publish-before-manifest",
    publish_after_manifest => "publish-after-manifest",
}

/// A crash while an append writes the int8 copy of the vectors (a library that keeps one, so
/// the child's append writes it too) leaves v1 with its own copy; the next ingest recovers.
#[test]
fn append_crashing_while_writing_the_int8_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let base = rows("b", 4, 5);
    let cat = write(tmp.path(), "base.csv", csv_doc(&base));
    let mut o = opts(&cat);
    o.index.quantisation = Some(segue_index::quantised::Quantisation::Int8);
    ingest(&lib, &o).expect("the base ingest");
    let before = snapshot(&lib);
    let crashed = rows("c", 6, 3);
    let cat = write(tmp.path(), "crashed.csv", csv_doc(&crashed));
    crash("index-before-quantised-written", &lib, &cat);

    let l = open(&lib);
    assert_eq!(snapshot_of(&l), before, "the library is still at v1");
    assert!(l.quantised(segue_index::EmbeddingKind::Audio).is_some());
    l.verify().unwrap();
    drop(l);
    let more = rows("m", 3, 4);
    let s = ingest_ok(&lib, tmp.path(), "more.csv", csv_doc(&more));
    assert_eq!((s.library_version, s.total_tracks), (2, 7));
    let l = open(&lib);
    let q8 = l
        .quantised(segue_index::EmbeddingKind::Audio)
        .expect("the choice is kept");
    assert_eq!(q8.rows(), 7);
    assert_no_garbage(&lib);
}
