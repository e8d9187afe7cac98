//! The real audio catalogue (Debian's wesnoth-1.16-music, installed by scripts/bootstrap):
//! analysed as it was measured (a golden check of tempo and key on four short tracks), and
//! ingested from its folder with a damaged file beside it.

use std::path::Path;
use std::process::Output;

use segue::fixtures::real_audio::wesnoth_music;
use segue::fixtures::shared::shared_path;
use serde_json::Value;

use super::helpers::{segue, succeeded};

/// `segue ARGS PATHS`, run to its end.
fn run(args: &[&str], paths: &[&Path]) -> Output {
    segue().args(args).args(paths).output().unwrap()
}

/// (file, BPM, key) as `segue analyze` measured them on 2026-12-04 (benches/RESULTS.md, "Track
/// analysis"); a change to the analysis that moves them must be deliberate.
const MEASURED: [(&str, f64, &str); 3] = [
    ("defeat2.ogg", 119.7, "D minor"),
    ("victory2.ogg", 161.4, "C# major"),
    ("elf-land.ogg", 116.3, "Bb major"),
];

#[test]
fn real_tracks_keep_their_measured_tempo_and_key() {
    let Some(music) = wesnoth_music() else { return };
    let mut files: Vec<_> = MEASURED.iter().map(|(f, _, _)| music.join(f)).collect();
    files.push(music.join("silence.ogg"));
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let out = run(&["analyze", "--json"], &paths);
    succeeded(&out);
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    for ((file, bpm, key), v) in MEASURED.iter().zip(&rows) {
        assert!(v["file"].as_str().unwrap().ends_with(file), "{v}");
        let got = v["bpm"].as_f64().unwrap();
        assert!((got - bpm).abs() < 0.5, "{file}: {got} BPM, measured {bpm}");
        assert_eq!(v["key"], *key, "{file}");
        let beats = v["beats"].as_array().unwrap();
        let duration = v["duration_s"].as_f64().unwrap();
        // A beat for every 60/bpm seconds of music, give or take the edges.
        let expected = duration * got / 60.0;
        assert!(
            beats.len() as f64 > 0.6 * expected,
            "{file}: {} beats",
            beats.len()
        );
        assert!(
            beats.len() as f64 <= expected + 1.0,
            "{file}: {} beats",
            beats.len()
        );
        // Game music mastered for play, not for broadcast: loud, but not clipped flat.
        let lufs = v["loudness_lufs"].as_f64().unwrap();
        assert!((-30.0..-8.0).contains(&lufs), "{file}: {lufs} LUFS");
    }
    // silence.ogg: no beats, no key.
    assert!(rows[3]["file"].as_str().unwrap().ends_with("silence.ogg"));
    assert_eq!(rows[3]["beats"], serde_json::json!([]));
    assert_eq!(rows[3]["key"], Value::Null);
    assert_eq!(rows[3]["loudness_lufs"], Value::Null);
}

#[test]
fn the_real_catalogue_ingests_from_its_folder_and_a_broken_file_is_rejected_by_name() {
    let Some(music) = wesnoth_music() else { return };
    // The musicnn embedding needs the shared models.
    if shared_path("models/musicnn").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("audio");
    std::fs::create_dir(&audio).unwrap();
    for f in ["defeat.ogg", "defeat2.ogg", "victory2.ogg", "elf-land.ogg"] {
        std::os::unix::fs::symlink(music.join(f), audio.join(f)).unwrap();
    }
    std::fs::write(audio.join("broken.ogg"), b"OggS but not really").unwrap();
    let library = dir.path().join("lib");
    let rejects = dir.path().join("rejects.jsonl");
    let out = run(
        &["ingest", "--skip-bad-rows", "--library"],
        &[
            &library,
            Path::new("--audio-dir"),
            &audio,
            Path::new("--rejects"),
            &rejects,
        ],
    );
    succeeded(&out);
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
    assert!(rejected.contains("broken"), "{rejected}");

    let info = run(&["info", "--json", "--library"], &[&library]);
    succeeded(&info);
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["tracks"], 4, "{info}");

    // The tracks are searchable by their audio: the nearest to defeat are the other three.
    let found = run(
        &[
            "search",
            "--like",
            "defeat",
            "--k",
            "3",
            "--json",
            "--library",
        ],
        &[&library],
    );
    succeeded(&found);
    let found: Value = serde_json::from_slice(&found.stdout).unwrap();
    let mut ids: Vec<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["track_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["defeat2", "elf-land", "victory2"], "{found}");
    // The analysis is stored with the tracks: search shows the key, info counts it.
    let defeat2 = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["track_id"] == "defeat2")
        .unwrap();
    assert_eq!(defeat2["key"], "D minor", "{defeat2}");
    assert!(defeat2["tempo_stability"].as_f64().is_some(), "{defeat2}");
    let lufs = defeat2["loudness_db"].as_f64().unwrap();
    assert!((-30.0..-8.0).contains(&lufs), "{defeat2}");
    assert_eq!(info["analysis"]["analysed"], 4, "{info}");
    assert_eq!(info["analysis"]["with_beats"], 4, "{info}");
    assert_eq!(info["analysis"]["with_key"], 4, "{info}");

    plays_as_a_rendered_mix(dir.path(), &library);
}

/// Plans a video over the real library, renders it and exports it: the mix is exactly the
/// video's length at the target loudness, and bad plans are refused by name.
fn plays_as_a_rendered_mix(dir: &Path, library: &Path) {
    let videos = dir.join("videos.jsonl");
    let out = run(
        &[
            "fixtures",
            "videos",
            "--count",
            "1",
            "--seed",
            "3",
            "--anchors",
            "4",
            "--library",
        ],
        &[library, Path::new("--out"), &videos],
    );
    succeeded(&out);
    let video_text = std::fs::read_to_string(&videos).unwrap();
    let video = dir.join("video.json");
    std::fs::write(&video, video_text.lines().next().unwrap()).unwrap();
    let out = run(
        &["soundtrack", "--exact", "--json", "--library"],
        &[library, Path::new("--video"), &video],
    );
    succeeded(&out);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arrangement = &plan["arrangement"];
    let duration = arrangement["duration"].as_f64().unwrap();
    let plan_file = dir.join("plan.json");
    std::fs::write(&plan_file, &out.stdout).unwrap();

    let (mix, otio) = (dir.join("mix.wav"), dir.join("mix.otio"));
    let out = run(
        &["render", "--json", "--library"],
        &[
            library,
            Path::new("--plan"),
            &plan_file,
            Path::new("--out"),
            &mix,
            Path::new("--otio"),
            &otio,
        ],
    );
    succeeded(&out);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        (summary["seconds"].as_f64().unwrap() - duration).abs() < 1e-4,
        "{summary}"
    );
    let after = summary["loudness"]["after_lufs"].as_f64().unwrap();
    assert!((after + 16.0).abs() < 0.2, "{summary}");
    assert!(
        summary["loudness"]["peak_dbfs"].as_f64().unwrap() <= -1.0 + 1e-3,
        "{summary}"
    );
    let back = segue::models::audio::decode::decode_stereo(&mix).unwrap();
    assert_eq!(back.left.len(), (duration * 44_100.0).round() as usize);
    let timeline: Value = serde_json::from_slice(&std::fs::read(&otio).unwrap()).unwrap();
    assert_eq!(timeline["OTIO_SCHEMA"], "Timeline.1");
    // Every clip plays a real file.
    for c in arrangement["clips"].as_array().unwrap() {
        let id = c["track_id"].as_str().unwrap();
        assert!(
            ["defeat", "defeat2", "victory2", "elf-land"].contains(&id),
            "{c}"
        );
    }

    // A plan naming a track the library does not have.
    let mut bad = plan.clone();
    bad["arrangement"]["clips"][0]["track_id"] = "no-such-track".into();
    let bad_file = dir.join("bad-plan.json");
    std::fs::write(&bad_file, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = run(
        &["render", "--library"],
        &[
            library,
            Path::new("--plan"),
            &bad_file,
            Path::new("--out"),
            &dir.join("bad.wav"),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-track"), "{err}");
    assert!(!dir.join("bad.wav").exists());
}
