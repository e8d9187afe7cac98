//! Segue's synchronous API called from async code: an application on Tokio ingests, appends,
//! attaches and opens a library from inside its own runtime, on either kind of runtime.

use segue_index::LibraryWriter;
use segue_ingest::ingest;

use crate::helpers::*;

/// Ingest, append, attach and read back, as an async application's task would.
async fn write_and_read(tmp: &std::path::Path) {
    let lib = tmp.join("lib");
    let first = rows("a", 5, 1);
    let second = rows("b", 3, 2);
    ingest_ok(&lib, tmp, "first.csv", csv_doc(&first));
    let cat = write(tmp, "second.csv", csv_doc(&second));
    let s = ingest(&lib, &opts(&cat)).expect("append from async code");
    assert_eq!((s.library_version, s.total_tracks), (2, 8));
    LibraryWriter::open(&lib)
        .and_then(|mut w| w.attach("notes", b"{}"))
        .expect("attach from async code");
    // Yield once so the caller's runtime really is driving this task between the calls.
    tokio::task::yield_now().await;
    let l = open(&lib);
    assert_eq!((l.version(), l.rows()), (3, 8));
    let want: Vec<&str> = first.iter().chain(&second).map(|r| r.id.as_str()).collect();
    assert_contents(&l, &want, &vectors_of(first.iter().chain(&second)));
}

#[tokio::test(flavor = "current_thread")]
async fn a_current_thread_runtime_can_write_and_open_a_library() {
    let tmp = tempfile::tempdir().unwrap();
    write_and_read(tmp.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_runtime_can_write_and_open_a_library() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // From a spawned task too, not only the test's own future.
    tokio::spawn(async move { write_and_read(&dir).await })
        .await
        .unwrap();
}
