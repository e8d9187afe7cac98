//! Damaged or mismatched index files fail to open, naming the file, until `segue reindex`.

use super::*;

fn ann_file(lib: &Path, space: &str) -> PathBuf {
    let l = Library::open(lib).unwrap();
    lib.join(&l.manifest().ann[space].file)
}

/// Opening (through the library, the facade and the command) fails naming `file` and saying to
/// run `segue reindex`.
fn assert_open_fails_naming(lib: &Path, file: &Path) {
    let name = file.file_name().unwrap().to_str().unwrap();
    let e = Library::open(lib).unwrap_err();
    match &e {
        IndexError::Corrupt { path, .. } | IndexError::Incompatible { path, .. } => {
            assert_eq!(path.file_name(), file.file_name(), "{e}");
        }
        other => panic!("expected a corrupt-file error, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.contains(name) && msg.contains("segue reindex"), "{msg}");
    let msg = segue::search::open_searcher(lib, &segue::EncoderOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains(name) && msg.contains("segue reindex"), "{msg}");
    let out = cli_search(lib, &["--like", "synth-00000001"]);
    let (_, err) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(name) && err.contains("segue reindex"), "{err}");
}

fn reindex_cli(lib: &Path) {
    reindex_cli_with(lib, &[]);
}

fn reindex_cli_with(lib: &Path, extra: &[&str]) {
    let out = segue_cmd()
        .args(["reindex", "--library"])
        .arg(lib)
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert!(out.status.success(), "segue reindex: {stderr}");
    assert!(stdout.contains("graphs: audio_emb"), "{stdout}");
}

#[test]
fn a_damaged_or_mismatched_index_fails_to_open_until_segue_reindex_repairs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = generated(tmp.path(), 600, 51, 16);
    let q = audio_row(&Library::open(&lib).unwrap(), 12);
    let baseline = |lib: &Path| {
        let s = searcher(lib);
        let (exact, _) = run(&s, &audio_query(q.clone()).exact(true));
        // (ef 64: at the default ef, a library this small is scanned exactly.)
        let (graph, stats) = run(&s, &audio_query(q.clone()).ef(64).unwrap());
        assert_eq!(stats.plan, Some(Plan::Graph { ef: 64 }));
        assert_eq!(graph.len(), K);
        assert_eq!(graph[0].row, 12);
        hit_ids(&exact)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let before = baseline(&lib);

    // One flipped byte in the middle of the audio graph.
    let graph = ann_file(&lib, "audio_emb");
    let mut bytes = std::fs::read(&graph).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&graph, &bytes).unwrap();
    assert_open_fails_naming(&lib, &graph);
    let e = Library::open(&lib).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);

    // The text space's graph in place of the audio space's.
    let (audio, text) = (ann_file(&lib, "audio_emb"), ann_file(&lib, "text_emb"));
    assert_ne!(audio, text);
    std::fs::copy(&text, &audio).unwrap();
    assert_open_fails_naming(&lib, &audio);
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);

    // A graph of the same space from an earlier version in place of the current one. The
    // first 1024 rows are inserted on one thread, so rebuilding these 600 with the same
    // parameters gives the same bytes (a valid graph, however it got there); a rebuild with
    // other parameters does not.
    let stale_path = ann_file(&lib, "audio_emb");
    let stale = std::fs::read(&stale_path).unwrap();
    reindex_cli(&lib);
    assert_eq!(std::fs::read(ann_file(&lib, "audio_emb")).unwrap(), stale);
    reindex_cli_with(&lib, &["--m", "8"]);
    let current = ann_file(&lib, "audio_emb");
    assert_ne!(
        std::fs::read(&current).unwrap(),
        stale,
        "reindex --m 8 built the same graph bytes"
    );
    std::fs::write(&current, &stale).unwrap();
    assert_open_fails_naming(&lib, &current);
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);

    // A text index file that changed size.
    let l = Library::open(&lib).unwrap();
    let file = lib.join(
        l.manifest()
            .text_index
            .as_ref()
            .unwrap()
            .files
            .iter()
            .max_by_key(|f| std::fs::metadata(lib.join(f)).map(|m| m.len()).unwrap_or(0))
            .unwrap(),
    );
    drop(l);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(b"junk");
    std::fs::write(&file, &bytes).unwrap();
    assert_open_fails_naming(&lib, &file);
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);
    let s = searcher(&lib);
    let (hits, _) = run(&s, &SearchRequest::words("tag:\"mood:calm\"").unwrap());
    assert!(!hits.is_empty());
    assert!(Library::open(&lib).unwrap().verify().is_ok());
}
