//! The `segue search` command's table and JSON output.

use super::*;

#[test]
fn search_cli_prints_hits_with_their_scalar_fields_as_json_and_as_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = like_library(tmp.path());
    let l = Library::open(&lib).unwrap();
    let all = tracks(&l);
    drop(l);
    let v = cli_json(
        &lib,
        &["--like", "liked", "--k", "5", "--filter", "bpm >= 81"],
    );
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5, "{v}");
    assert!(v["stats"]["allowed_rows"].is_u64(), "{v}");
    for h in hits {
        let t = all
            .iter()
            .find(|t| t.id == h["track_id"].as_str().unwrap())
            .unwrap();
        assert!(h["score"].is_number(), "{h}");
        assert_eq!(h["title"].as_str(), t.title.as_deref(), "{h}");
        assert_eq!(h["artist"].as_str(), t.artist.as_deref(), "{h}");
        assert_eq!(h["album"].as_str(), t.album.as_deref(), "{h}");
        assert_eq!(
            h["duration_s"].as_f64().map(|x| x as f32),
            t.duration_s,
            "{h}"
        );
        assert_eq!(h["bpm"].as_f64().map(|x| x as f32), t.bpm, "{h}");
        assert!(t.bpm >= Some(81.0));
        assert_eq!(h["energy"].as_f64().map(|x| x as f32), t.energy, "{h}");
        assert_eq!(h["has_vocals"].as_bool(), t.has_vocals, "{h}");
        let tags: Vec<&str> = h["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(tags, t.tags, "{h}");
        assert!(h.get("caption").is_none(), "{h}");
    }
    // The vector forms (JSON and raw f32) give the same hits; the table has a header, one line a
    // hit and the summary.
    let q = [1.0f32, 0.1, 0.0, 0.0];
    let json_file = tmp.path().join("q.json");
    write_vector(&json_file, &q);
    let raw_file = tmp.path().join("q.f32");
    std::fs::write(
        &raw_file,
        q.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
    let a = cli_json(
        &lib,
        &["--vector-file", json_file.to_str().unwrap(), "--k", "4"],
    );
    let b = cli_json(
        &lib,
        &["--vector-file", raw_file.to_str().unwrap(), "--k", "4"],
    );
    assert_eq!(json_ids(&a), json_ids(&b));
    assert_eq!(json_ids(&a)[0], "liked");
    let out = cli_search(
        &lib,
        &[
            "--vector-file",
            json_file.to_str().unwrap(),
            "--k",
            "4",
            "--filter",
            "bpm >= 81",
        ],
    );
    let (table, err) = out_text(&out);
    assert!(out.status.success(), "{err}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    for col in [
        "#", "score", "track_id", "title", "artist", "bpm", "dur_s", "tags",
    ] {
        assert!(lines[0].split_whitespace().any(|w| w == col), "{table}");
    }
    assert!(lines[1].trim_start().starts_with("1 "), "{table}");
    assert!(
        lines[5].starts_with("4 hits in ") && lines[5].contains(" ms"),
        "{table}"
    );
    assert!(lines[5].ends_with(", 13 tracks pass the filter"), "{table}");

    // Bad input is a clear error (exit code 2).
    for (args, needle) in [
        (
            vec!["--like", "liked", "--filter", "bpm >>= 3"],
            "bad filter: filter error at column",
        ),
        (vec!["--tags", "calm AND ("], "syntax error"),
        (vec!["--unlike", "liked"], "`unlike` needs `like`"),
        (
            vec!["--unlike", "liked", "--tags", "test"],
            "`unlike` needs `like`",
        ),
        (vec!["--like", "liked", "--k", "0"], "k must be"),
    ] {
        let out = cli_search(&lib, &args);
        let (_, err) = out_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }

    // In a generated library a track of unknown vocals simply has no `has_vocals` key.
    let gen_dir = tmp.path().join("gen");
    std::fs::create_dir(&gen_dir).unwrap();
    let glib = generated(&gen_dir, 300, 71, 0);
    let all = tracks(&Library::open(&glib).unwrap());
    let v = cli_json(&glib, &["--tags", "tag:\"mood:calm\"", "--k", "300"]);
    for h in v["hits"].as_array().unwrap() {
        let t = all
            .iter()
            .find(|t| t.id == h["track_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(h["has_vocals"].as_bool(), t.has_vocals, "{h}");
        for key in [
            "title",
            "artist",
            "album",
            "duration_s",
            "bpm",
            "energy",
            "tags",
            "score",
            "row",
        ] {
            assert!(h.get(key).is_some(), "{key} missing: {h}");
        }
    }
}
