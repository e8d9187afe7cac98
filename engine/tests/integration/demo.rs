use segue::demo::{DemoOptions, DemoSource, run};

#[test]
fn the_generated_demo_builds_a_library_and_finds_similar_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let opts = DemoOptions {
        dir: dir.clone(),
        source: DemoSource::Generated,
        generated_tracks: 600,
        progress: false,
    };
    let out = run(&opts).unwrap();
    assert!(out.contains("tracks           600"), "{out}");
    assert!(out.contains("audio_emb        128-d"), "{out}");
    assert!(
        out.contains("Sample search: the tracks that sound most like the first one"),
        "{out}"
    );
    // The first hit is the query track itself.
    assert!(out.contains(" 1.000  synth-00000000"), "{out}");
    // Re-running rebuilds the same directory.
    let again = run(&opts).unwrap();
    assert!(again.contains("version          1 "), "{again}");
    assert!(
        !tmp.path().join("demo.catalog.parquet").exists(),
        "temporary catalogue left behind"
    );
}

#[test]
fn the_demo_refuses_to_wipe_a_directory_that_is_not_a_library() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    let opts = DemoOptions {
        dir: tmp.path().to_path_buf(),
        source: DemoSource::Generated,
        generated_tracks: 10,
        progress: false,
    };
    let err = run(&opts).unwrap_err().to_string();
    assert!(err.contains("not a Segue library"), "{err}");
    assert!(tmp.path().join("precious.txt").exists());
}

#[test]
fn the_real_demo_uses_the_spotify_catalogue_when_present() {
    if segue::paths::spotify_csv().is_none() {
        eprintln!("skipped: ../shared/data is not present");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let opts = DemoOptions {
        dir: tmp.path().join("demo"),
        source: DemoSource::Real,
        progress: false,
        ..DemoOptions::default()
    };
    let out = run(&opts).unwrap();
    assert!(out.contains("tracks           28356"), "{out}");
    assert!(out.contains("genre:rock"), "{out}");
}
