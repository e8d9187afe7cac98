use segue_cli::demo::{DemoOptions, DemoSource, run};

#[test]
fn the_generated_demo_builds_a_library_and_finds_similar_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let opts = DemoOptions {
        dir: dir.clone(),
        source: DemoSource::Generated,
        generated_tracks: 600,
        progress: false,
        ..DemoOptions::default()
    };
    let out = run(&opts).unwrap();
    assert!(out.contains("tracks           600"), "{out}");
    assert!(out.contains("audio_emb        128-d"), "{out}");
    assert!(
        out.contains("Sample search: the tracks that sound most like synth-00000000"),
        "{out}"
    );
    // Six hits, the query track not among them.
    let hits = out.split("sound most like").nth(1).unwrap_or_default();
    assert!(hits.contains("\n  6  "), "{out}");
    assert!(
        !hits
            .lines()
            .skip(1)
            .take(7)
            .any(|l| l.contains("synth-00000000")),
        "{out}"
    );
    // A fitted model and a soundtrack, compared with greedy.
    assert!(
        out.contains("Fitted the soundtrack model on 24 generated videos"),
        "{out}"
    );
    assert!(out.contains("Soundtrack for video"), "{out}");
    assert!(
        out.contains("switches") && out.contains("greedy-all"),
        "{out}"
    );
    // The shipped policy of this demo source plans it too.
    assert!(out.contains("The trained masked policy"), "{out}");
    // Re-running rebuilds the same directory (version 2: the ingest, then the fit).
    let again = run(&opts).unwrap();
    assert!(
        again.contains("version          1 ") && again.contains("library version 2"),
        "{again}"
    );
    assert!(
        !tmp.path().join("demo.videos.jsonl").exists(),
        "temporary videos left behind"
    );
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
        ..DemoOptions::default()
    };
    let err = run(&opts).unwrap_err().to_string();
    assert!(err.contains("not a Segue library"), "{err}");
    assert!(tmp.path().join("precious.txt").exists());
}

#[test]
fn the_real_demo_uses_the_spotify_catalogue_when_present() {
    if segue::fixtures::shared::shared_path("data/tidytuesday-spotify/spotify_songs.csv").is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let opts = DemoOptions {
        dir: tmp.path().join("demo"),
        source: DemoSource::Real,
        // Every 40th row keeps the test quick (the demo itself takes every 10th).
        real_every: 40,
        progress: false,
        ..DemoOptions::default()
    };
    let out = run(&opts).unwrap();
    assert!(out.contains("821 of its rows: every 40th"), "{out}");
    if segue_models_present() {
        assert!(out.contains("text_emb         384-d"), "{out}");
        assert!(out.contains("Sample search: text prompt"), "{out}");
        assert!(
            out.contains("Soundtrack for video \"camping-trip-vlog\" (10 segments)"),
            "{out}"
        );
        assert!(out.contains("vs budget 4"), "{out}");
        assert!(out.contains("The trained masked policy"), "{out}");
    } else {
        assert!(out.contains("genre:rock"), "{out}");
    }
}

fn segue_models_present() -> bool {
    segue::fixtures::shared::shared_path("models/minilm-l6-v2").is_some()
}
