//! Issue 14 through the program: outputs that would overwrite a library or an input are
//! refused, `segue repair` restores a damaged library, `info --verify` reads the Lance data,
//! a closed pipe ends the program quietly, and unbounded inputs are refused.

use super::helpers::segue;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// 40 tracks with 3-d embeddings, one of them (row 7) bad, so `--skip-bad-rows` has a reject.
fn catalogue(dir: &Path) -> PathBuf {
    let mut csv = String::from("track_id,title,duration_s,tags,audio_emb\n");
    for i in 0..40 {
        let emb = if i == 7 {
            "\"[0, 0, 0]\"".to_string()
        } else {
            format!(
                "\"[{}, {}, 1]\"",
                (i % 5) as f32 - 2.0,
                (i % 7) as f32 * 0.5
            )
        };
        csv.push_str(&format!("t{i},Song {i},{},mood:calm,{emb}\n", 60 + i));
    }
    let path = dir.join("cat.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn ingest(lib: &Path, catalog: &Path, extra: &[&str]) -> Output {
    segue()
        .args(["ingest", "--library"])
        .arg(lib)
        .arg("--catalog")
        .arg(catalog)
        .args(extra)
        .output()
        .unwrap()
}

fn library(dir: &Path) -> (PathBuf, PathBuf) {
    let cat = catalogue(dir);
    let lib = dir.join("lib");
    let out = ingest(&lib, &cat, &["--skip-bad-rows"]);
    assert!(out.status.success(), "{}", text(&out).1);
    (lib, cat)
}

fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_of(&p));
        } else if p.file_name().is_some_and(|n| n != "LOCK") {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn rejects_inside_the_library_or_over_an_input_are_refused_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, cat) = library(tmp.path());
    let before = files_of(&lib);
    let cat_bytes = std::fs::read(&cat).unwrap();
    let vectors = std::fs::read_dir(lib.join("vectors"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let manifest = lib.join("MANIFEST.json");
    for (target, why) in [
        (manifest.clone(), "inside the library"),
        (vectors.clone(), "inside the library"),
        (cat.clone(), "also an input"),
    ] {
        let out = segue()
            .args([
                "ingest",
                "--skip-bad-rows",
                "--on-duplicate",
                "skip",
                "--library",
            ])
            .arg(&lib)
            .arg("--catalog")
            .arg(&cat)
            .arg("--rejects")
            .arg(&target)
            .output()
            .unwrap();
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", target.display());
        assert!(err.contains(why), "{err}");
        assert_eq!(files_of(&lib), before, "the library is unchanged");
        assert_eq!(
            std::fs::read(&cat).unwrap(),
            cat_bytes,
            "the catalogue is unchanged"
        );
    }
    // The library's own reports folder and any folder outside it are fine.
    let outside = tmp.path().join("rejects.jsonl");
    let out = segue()
        .args([
            "ingest",
            "--skip-bad-rows",
            "--on-duplicate",
            "skip",
            "--library",
        ])
        .arg(&lib)
        .arg("--catalog")
        .arg(&cat)
        .arg("--rejects")
        .arg(&outside)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(std::fs::read_to_string(&outside).unwrap().contains("t7"));
}

#[test]
fn soundtrack_parquet_inside_the_library_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    let before = files_of(&lib);
    let video = tmp.path().join("v.json");
    std::fs::write(
        &video,
        r#"{"id": "v", "segments": [{"start": 0, "end": 9, "audio_emb": [1, 0, 1]}]}"#,
    )
    .unwrap();
    for target in [lib.join("MANIFEST.json"), video.clone()] {
        let out = segue()
            .args(["soundtrack", "--library"])
            .arg(&lib)
            .arg("--video")
            .arg(&video)
            .arg("--parquet")
            .arg(&target)
            .output()
            .unwrap();
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("--parquet"), "{err}");
        assert_eq!(files_of(&lib), before);
    }
}

#[test]
fn segue_repair_restores_a_library_after_damage_and_verify_reads_lance() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    let info = |lib: &Path| {
        segue()
            .args(["info", "--verify", "--json", "--library"])
            .arg(lib)
            .output()
            .unwrap()
    };
    assert!(info(&lib).status.success());
    // A Lance data file deleted: opening still works (Lance reads its own manifest), verify
    // reads the data and fails.
    let data = std::fs::read_dir(lib.join("tracks.lance/data"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let saved = std::fs::read(data.path()).unwrap();
    std::fs::remove_file(data.path()).unwrap();
    let out = info(&lib);
    assert_eq!(
        out.status.code(),
        Some(2),
        "verify must read Lance: {}",
        text(&out).0
    );
    // Lance's error names the missing file, not the place in Lance's source that raised it.
    let (_, err) = text(&out);
    assert!(err.contains(".lance"), "{err}");
    assert!(!err.contains(".rs:") && !err.contains(".cargo"), "{err}");
    std::fs::write(data.path(), saved).unwrap();
    assert!(info(&lib).status.success());

    // A deleted vector file: every command fails, `segue repair` restores it.
    let vectors = std::fs::read_dir(lib.join("vectors"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::remove_file(vectors.path()).unwrap();
    assert_eq!(info(&lib).status.code(), Some(2));
    let out = segue()
        .args(["repair", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout.contains("39 tracks"), "{stdout}");
    let out = info(&lib);
    assert!(out.status.success(), "{}", text(&out).1);

    // A lost manifest: the next ingest is refused, pointing at `segue repair`.
    std::fs::remove_file(lib.join("MANIFEST.json")).unwrap();
    let out = ingest(&lib, &catalogue(tmp.path()), &["--skip-bad-rows"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("segue repair"), "{err}");
    let out = segue()
        .args(["repair", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(text(&out).0.contains("backup"), "{}", text(&out).0);
    assert!(info(&lib).status.success());
}

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    // `segue search ... | head -c 0`: the reader has gone before the first write, so every
    // write fails with EPIPE.
    let mut child = segue()
        .args(["search", "--k", "39", "--tags", "calm", "--library"])
        .arg(&lib)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let (_, err) = text(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn unbounded_inputs_are_refused_with_their_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, _) = library(tmp.path());
    let zero = segue()
        .args(["search", "--vector-file", "/dev/zero", "--library"])
        .arg(&lib)
        .output()
        .unwrap();
    let (_, err) = text(&zero);
    assert_eq!(zero.status.code(), Some(2), "{err}");
    assert!(err.contains("MiB"), "{err}");

    let video = tmp.path().join("v.json");
    std::fs::write(
        &video,
        r#"{"id": "v", "segments": [{"start": 0, "end": 9, "audio_emb": [1, 0, 1]}]}"#,
    )
    .unwrap();
    for flags in [["--beam-width", "100000"], ["--candidates", "10000000"]] {
        let out = segue()
            .args(["soundtrack", "--library"])
            .arg(&lib)
            .arg("--video")
            .arg(&video)
            .args(flags)
            .output()
            .unwrap();
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains("between 1 and"), "{err}");
    }

    let raw = tmp.path().join("emb.f32");
    std::fs::write(&raw, [0u8; 16]).unwrap();
    let plain = tmp.path().join("plain.csv");
    std::fs::write(&plain, "track_id,duration_s\nt1,60\n").unwrap();
    let out = ingest(
        &tmp.path().join("other"),
        &plain,
        &["--audio-emb", raw.to_str().unwrap(), "--audio-dim", "0"],
    );
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        !err.contains("panicked") && err.contains("at least 1"),
        "{err}"
    );
}
