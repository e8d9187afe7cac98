//! Int8 copies of the vectors: chosen at reindex (or ingest), kept by appends, searched with the
//! final candidates re-ranked on f32; a damaged copy fails to open by name until `segue
//! reindex`; `--quantise none` removes it.

use segue::WalkMemory;
use segue::index::ann::Budget;
use segue::index::quantised::Quantisation;

use super::*;

/// Graph and filtered-scan answers for `queries`, and the exact ones.
fn answers(lib: &Path, queries: &[Vec<f32>]) -> Vec<(Vec<u64>, Vec<u64>, Vec<u64>)> {
    let s = searcher(lib);
    queries
        .iter()
        .map(|q| {
            let (exact, _) = run(&s, &audio_query(q.clone()).exact(true));
            let (graph, stats) = run(&s, &audio_query(q.clone()).ef(64).unwrap());
            assert_eq!(stats.plan, Some(Plan::Graph { ef: 64 }));
            // About 8 % of the rows (BPM is uniform over 60..180): scanned.
            let req = audio_query(q.clone()).filter("bpm < 70").unwrap();
            let (scanned, stats) = run(&s, &req);
            assert_eq!(stats.plan, Some(Plan::Exact));
            (hit_rows(&exact), hit_rows(&graph), hit_rows(&scanned))
        })
        .collect()
}

fn shared(a: &[u64], b: &[u64]) -> usize {
    a.iter().filter(|r| b.contains(r)).count()
}

#[test]
fn an_int8_copy_searches_like_the_f32_vectors_and_the_library_keeps_the_choice() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = generated(tmp.path(), 2000, 61, 0);
    let queries: Vec<Vec<f32>> = {
        let l = Library::open(&lib).unwrap();
        (0..2000).step_by(97).map(|r| audio_row(&l, r)).collect()
    };
    let before = answers(&lib, &queries);

    let out = segue_cmd()
        .args(["reindex", "--quantise", "int8", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("vectors: f32 and int8"), "{stdout}");
    let l = Library::open(&lib).unwrap();
    assert_eq!(l.manifest().quantisation, Quantisation::Int8);
    let q8 = l.quantised(EmbeddingKind::Audio).expect("an int8 copy");
    assert_eq!((q8.rows(), q8.dim()), (2000, AUDIO as u32));
    let file = lib.join(&l.manifest().quantised["audio_emb"].file);
    // A quarter of the f32 data, plus one scale per dimension and the header.
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        64 + 4 * AUDIO as u64 + 2000 * AUDIO as u64
    );
    drop(l);

    let after = answers(&lib, &queries);
    let (mut graph_shared, mut scan_shared, mut total) = (0, 0, 0);
    for ((exact0, graph0, scan0), (exact1, graph1, scan1)) in before.iter().zip(&after) {
        assert_eq!(exact0, exact1, "exact search reads the f32 vectors");
        assert_eq!(graph1[0], exact1[0], "the query's own row first");
        graph_shared += shared(graph1, graph0);
        scan_shared += shared(scan1, scan0);
        total += graph0.len();
    }
    let graph_agreement = graph_shared as f64 / total as f64;
    assert!(
        graph_agreement >= 0.9,
        "int8 walk vs f32 walk: {graph_agreement}"
    );
    assert!(
        scan_shared as f64 >= 0.98 * total as f64,
        "{scan_shared}/{total}"
    );

    // An append keeps the choice and rewrites the copy over the new rows.
    ingest_csv(
        &lib,
        tmp.path(),
        "more.csv",
        &format!(
            "track_id,title,duration_s,audio_emb\nnew-1,Appended,100,{}\n",
            semicolons(&queries[0])
        ),
    );
    let l = Library::open(&lib).unwrap();
    assert_eq!(l.manifest().quantisation, Quantisation::Int8);
    assert_eq!(l.quantised(EmbeddingKind::Audio).unwrap().rows(), 2001);
    let file = lib.join(&l.manifest().quantised["audio_emb"].file);
    drop(l);

    // A flipped byte in the copy: the library refuses to open, naming it, until reindexed.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let e = Library::open(&lib).unwrap_err().to_string();
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(name) && e.contains("segue reindex"), "{e}");
    let out = segue_cmd()
        .args(["reindex", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out).1);
    assert!(
        Library::open(&lib)
            .unwrap()
            .quantised(EmbeddingKind::Audio)
            .is_some()
    );
    // `segue repair` rebuilds what the version had, the int8 copy included.
    let out = segue_cmd()
        .args(["repair", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out).1);
    let l = Library::open(&lib).unwrap();
    assert_eq!(l.manifest().quantisation, Quantisation::Int8);
    assert!(l.quantised(EmbeddingKind::Audio).is_some());
    drop(l);

    // Turned off: f32 only again, and the copy is no longer part of the version.
    let out = segue_cmd()
        .args(["reindex", "--quantise", "none", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out).1);
    let l = Library::open(&lib).unwrap();
    assert_eq!(l.manifest().quantisation, Quantisation::None);
    assert!(l.manifest().quantised.is_empty());
    assert!(l.quantised(EmbeddingKind::Audio).is_none());
    assert!(l.manifest().files.iter().all(|f| !f.path.ends_with(".i8")));
}

#[test]
fn a_library_walks_the_same_from_memory_as_through_its_mappings() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = generated(tmp.path(), 2000, 61, 0);
    let out = segue_cmd()
        .args(["reindex", "--quantise", "int8", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out).1);
    // `open` copies the graphs and int8 copies into memory; `Mapped` reads the files.
    let resident = Library::open(&lib).unwrap();
    let mapped = Library::open_with(&lib, WalkMemory::Mapped).unwrap();
    let walk = |l: &Library, q: &[f32], ef: usize| {
        let (graph, vectors) = (
            l.ann(EmbeddingKind::Audio).unwrap(),
            l.vectors(EmbeddingKind::Audio).unwrap(),
        );
        let codes = l.quantised(EmbeddingKind::Audio).unwrap();
        let mut budget = Budget::unlimited();
        let on_int8 = graph
            .search_quantised_within(vectors, codes, q, 10, ef, None, &mut budget)
            .unwrap()
            .unwrap();
        (on_int8, graph.search(vectors, q, 10, ef, None).unwrap())
    };
    for row in (0..2000).step_by(97) {
        let q = audio_row(&resident, row);
        for ef in [16, 64] {
            let (on_int8, on_f32) = walk(&resident, &q, ef);
            assert_eq!(on_int8[0].row, row, "the query's own row first");
            assert_eq!(
                (on_int8, on_f32),
                walk(&mapped, &q, ef),
                "row {row}, ef {ef}"
            );
        }
    }
}
