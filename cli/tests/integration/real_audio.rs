//! The real audio catalogue (Debian's wesnoth-1.16-music, installed by scripts/bootstrap):
//! analysed as it was measured (a golden check of tempo and key on four short tracks), and
//! ingested from its folder with a damaged file beside it.

use std::path::Path;
use std::process::{Command, Output};

use segue::fixtures::real_audio::wesnoth_music;
use segue::fixtures::shared::shared_path;
use serde_json::Value;

fn segue(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segue"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
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
    let out = segue(&["analyze", "--json"], &paths);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let out = segue(
        &["ingest", "--skip-bad-rows", "--library"],
        &[
            &library,
            Path::new("--audio-dir"),
            &audio,
            Path::new("--rejects"),
            &rejects,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
    assert!(rejected.contains("broken"), "{rejected}");

    let info = segue(&["info", "--json", "--library"], &[&library]);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["tracks"], 4, "{info}");

    // The tracks are searchable by their audio: the nearest to defeat are the other three.
    let found = segue(
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
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    let found: Value = serde_json::from_slice(&found.stdout).unwrap();
    let mut ids: Vec<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["track_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["defeat2", "elf-land", "victory2"], "{found}");
}
