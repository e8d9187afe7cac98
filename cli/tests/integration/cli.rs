use super::helpers::{segue, succeeded};

#[test]
fn info_on_a_missing_library_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let out = segue()
        .args(["info", "--library"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a Segue library") && err.contains("nope"),
        "{err}"
    );
}

#[test]
fn ingest_then_info_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("cat.csv");
    std::fs::write(
        &csv,
        "track_id,title,duration_s,tags,audio_emb\n\
         a,First,120,mood:calm;genre:ambient,1;0;0\n\
         b,Second,95.5,genre:rock,\"[0, 1, 0]\"\n",
    )
    .unwrap();
    let lib = tmp.path().join("lib");
    let out = segue()
        .args(["ingest", "--library"])
        .arg(&lib)
        .arg("--catalog")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("published version 1"), "{text}");

    let out = segue()
        .args(["info", "--json", "--verify", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tracks"], 2);
    assert_eq!(v["library_version"], 1);
    assert_eq!(v["embeddings"][0]["name"], "audio_emb");
    assert_eq!(v["embeddings"][0]["dim"], 3);
    assert_eq!(v["verified"], true);
}

#[test]
fn a_bad_row_through_the_cli_names_file_row_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("bad.csv");
    std::fs::write(&csv, "track_id,duration_s\na,10\nb,-3\n").unwrap();
    let lib = tmp.path().join("lib");
    let out = segue()
        .args(["ingest", "--library"])
        .arg(&lib)
        .arg("--catalog")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv") && err.contains("row 2") && err.contains("field duration_s"),
        "{err}"
    );
    assert!(
        !lib.join("MANIFEST.json").exists(),
        "nothing may be published"
    );
}

/// A tag-only catalogue (MTG-Jamendo's kind) gets a text space by default: captions composed
/// of each track's title, tags and BPM, embedded at ingest, so text prompts work without
/// re-ingesting; `--embed-text off` keeps it out.
#[test]
fn a_new_library_from_a_tag_only_catalogue_gets_a_text_space_by_default() {
    if segue::fixtures::shared::shared_path("models/minilm-l6-v2").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("tags.csv");
    std::fs::write(
        &csv,
        "track_id,title,duration_s,bpm,tags\n\
         piano,Still Water,120,60,mood:calm;instrument:piano;genre:classical\n\
         metal,Iron Storm,200,170,mood:aggressive;genre:metal;instrument:electricguitar\n\
         samba,Carnival,180,120,mood:happy;genre:latin;instrument:percussion\n",
    )
    .unwrap();
    let ingest = |lib: &std::path::Path, extra: &[&str]| {
        let out = segue()
            .args(["ingest", "--library"])
            .arg(lib)
            .arg("--catalog")
            .arg(&csv)
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let text_search = |lib: &std::path::Path| {
        segue()
            .args([
                "search",
                "--json",
                "--text",
                "calm relaxing piano",
                "--library",
            ])
            .arg(lib)
            .output()
            .unwrap()
    };
    let lib = tmp.path().join("lib");
    let note = ingest(&lib, &[]);
    assert!(note.contains("no text embeddings"), "{note}");
    let out = text_search(&lib);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hits"][0]["track_id"], "piano", "{v}");

    // An append to that library keeps embedding with the same encoder, without a note.
    let more = tmp.path().join("more.csv");
    std::fs::write(
        &more,
        "track_id,title,duration_s,tags\nharp,Harp,90,mood:calm;instrument:harp\n",
    )
    .unwrap();
    let out = segue()
        .args(["ingest", "--json", "--library"])
        .arg(&lib)
        .arg("--catalog")
        .arg(&more)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["text_embedded"], 1, "{v}");

    let off = tmp.path().join("off");
    let quiet = ingest(&off, &["--embed-text", "off"]);
    assert!(!quiet.contains("no text embeddings"), "{quiet}");
    let out = text_search(&off);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--embed-text fp32"), "{err}");
}

#[test]
fn search_by_text_prompt_through_the_cli() {
    if segue::fixtures::shared::shared_path("models/minilm-l6-v2").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("cat.csv");
    std::fs::write(
        &csv,
        "track_id,title,duration_s,tags,caption\n\
         piano,Still Water,120,mood:calm;instrument:piano,a slow gentle solo piano lullaby\n\
         metal,Iron Storm,200,genre:metal,aggressive distorted guitars and pounding drums\n\
         samba,Carnival,180,genre:latin,festive brazilian samba with bright percussion\n",
    )
    .unwrap();
    let lib = tmp.path().join("lib");
    let out = segue()
        .args(["ingest", "--embed-text", "fp32", "--library"])
        .arg(&lib)
        .arg("--catalog")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let search = |extra: &[&str]| {
        segue()
            .args(["search", "--json", "--library"])
            .arg(&lib)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = search(&["--text", "soft piano music to fall asleep"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hits"][0]["track_id"], "piano", "{v}");
    // With a filter, and fused with a tag query.
    let out = search(&["--text", "soft piano music", "--filter", "duration_s > 150"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["track_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"piano") && ids.len() == 2, "{ids:?}");
    let out = search(&[
        "--text",
        "party",
        "--tags",
        "tag:\"genre:latin\"",
        "--k",
        "1",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hits"][0]["track_id"], "samba", "{v}");
    // An empty prompt and two vector inputs are clear errors.
    let out = search(&["--text", "  "]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("prompt is empty"));
    let out = search(&["--text", "x", "--like", "piano"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("one of"));
}

/// A three-track catalogue with audio embeddings, written to `dir/cat.csv`.
fn three_track_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = dir.join("cat.csv");
    std::fs::write(
        &csv,
        "track_id,title,duration_s,tags,audio_emb\n\
         a,First,120,mood:calm,1;0;0\n\
         b,Second,95,genre:rock,0;1;0\n\
         c,Third,80,genre:rock,0;0;1\n",
    )
    .unwrap();
    csv
}

/// The library's current manifest, as JSON.
fn manifest_of(lib: &std::path::Path) -> serde_json::Value {
    let m = std::fs::read_to_string(lib.join("MANIFEST.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&m).unwrap();
    v["manifest"].clone()
}

#[test]
fn ingest_builds_its_graphs_with_the_links_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = three_track_csv(tmp.path());
    let ingest = |lib: &str, extra: &[&str]| {
        segue()
            .args(["ingest", "--catalog", csv.to_str().unwrap(), "--library"])
            .arg(tmp.path().join(lib))
            .args(extra)
            .output()
            .unwrap()
    };
    succeeded(&ingest("lib", &["--m", "32", "--ef-construction", "64"]));
    let graph = manifest_of(&tmp.path().join("lib"))["ann"]["audio_emb"].clone();
    assert_eq!(graph["m"], 32, "{graph}");
    assert_eq!(graph["ef_construction"], 64, "{graph}");
    // Links without graphs, or no links at all, are refused before anything is written.
    let out = ingest("deferred", &["--no-index", "--m", "32"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-index"));
    let out = ingest("none", &["--m", "0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HNSW m must be between"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!tmp.path().join("none").join("MANIFEST.json").exists());
}

#[test]
fn ingest_can_defer_the_indexes_to_reindex() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = three_track_csv(tmp.path());
    let lib = tmp.path().join("lib");
    let run = |args: &[&str]| {
        let out = segue()
            .args(args)
            .arg("--library")
            .arg(&lib)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["ingest", "--no-index", "--catalog", csv.to_str().unwrap()]);
    let m = manifest_of(&lib);
    assert!(m["ann"].as_object().unwrap().is_empty(), "{m}");
    assert!(m["text_index"].is_null(), "{m}");
    // Searches still work (exactly), and reindex builds what was deferred.
    run(&["search", "--like", "a", "--k", "2"]);
    run(&["reindex"]);
    let m = manifest_of(&lib);
    assert_eq!(m["ann"]["audio_emb"]["rows"], 3, "{m}");
    assert_eq!(m["text_index"]["docs"], 3, "{m}");
}
