//! Issue 14: while appends published new versions, 2-4% of concurrent searches failed ("No
//! such file", "cannot open Lance version N", "corrupt ... run segue reindex"): the writer
//! removed the previous version's files while a reader that had read the old manifest was
//! still opening them. Readers in a loop against a stream of appends must see no failure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use segue_index::exact::top_k;
use segue_index::{EmbeddingKind, Library};

use super::helpers::*;

/// Opens the current version and uses every part of it: vectors, graph, text index, Lance.
fn read_once(lib: &std::path::Path) -> Result<u64, String> {
    let l = Library::open(lib).map_err(|e| format!("open: {e}"))?;
    let vectors = l.vectors(EmbeddingKind::Audio).ok_or("no vectors")?;
    let hits = top_k(vectors, &vector(7, DIM), 5).map_err(|e| format!("exact: {e}"))?;
    if let Some(graph) = l.ann(EmbeddingKind::Audio) {
        graph
            .search(vectors, &vector(7, DIM), 5, 32, None)
            .map_err(|e| format!("graph: {e}"))?;
    }
    if let Some(text) = l.text_index() {
        text.search("calm", None, 5)
            .map_err(|e| format!("text: {e}"))?;
    }
    let rows: Vec<u64> = hits.iter().map(|h| h.row).collect();
    let titles = l
        .take(&rows, &["title"])
        .map_err(|e| format!("take: {e}"))?;
    if titles.num_rows() != rows.len() {
        return Err("take returned the wrong number of rows".into());
    }
    Ok(l.version())
}

#[test]
fn readers_never_fail_while_appends_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    ingest_ok(&lib, tmp.path(), "first.csv", csv_doc(&rows("a", 40, 1)));
    let appends = 12;
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (lib, done, reads) = (lib.clone(), done.clone(), reads.clone());
            thread::spawn(move || {
                let mut failures = Vec::new();
                let mut versions = std::collections::BTreeSet::new();
                // Bounded even if the writer hangs: the test then fails on the writer.
                let deadline = Instant::now() + Duration::from_secs(300);
                while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match read_once(&lib) {
                        Ok(v) => {
                            versions.insert(v);
                        }
                        Err(e) => failures.push(e),
                    }
                    reads.fetch_add(1, Ordering::Relaxed);
                }
                (failures, versions)
            })
        })
        .collect();
    for i in 0..appends {
        let name = format!("append{i}.csv");
        ingest_ok(
            &lib,
            tmp.path(),
            &name,
            csv_doc(&rows(&format!("n{i}-"), 6, i + 2)),
        );
    }
    done.store(true, Ordering::Relaxed);
    let mut seen = std::collections::BTreeSet::new();
    for r in readers {
        let (failures, versions) = r.join().unwrap();
        assert!(
            failures.is_empty(),
            "{} failed reads: {failures:?}",
            failures.len()
        );
        seen.extend(versions);
    }
    // The readers really ran during the publishes: they saw several versions.
    assert!(seen.len() >= 3, "readers saw only versions {seen:?}");
    assert!(reads.load(Ordering::Relaxed) > appends);
    assert_eq!(open(&lib).rows(), 40 + 6 * appends as u64);
}
