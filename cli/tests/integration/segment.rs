//! `segue segment`: from a generated video file with subtitles to the video JSON, and on to a
//! soundtrack plan on the real demo library.

use std::path::Path;

use super::helpers::segue;
use segue::fixtures::video_files::{Scene, cut_video};
use segue_cli::demo::{DemoOptions, DemoSource, run};

/// Runs `segue segment --video VIDEO --subtitles SUBS --out OUT`.
fn segment(video: &Path, subs: &Path, out: &Path) -> std::process::Output {
    segue()
        .args(["segment", "--video"])
        .arg(video)
        .arg("--subtitles")
        .arg(subs)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A 40 s video of two scenes (cut at 20 s) and subtitles spoken in each.
fn talk(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let scenes = [
        Scene {
            source: "color=c=orange",
            seconds: 20.0,
        },
        Scene {
            source: "testsrc2",
            seconds: 20.0,
        },
    ];
    let (video, _) = cut_video(dir, "talk", &scenes).unwrap();
    let subs = dir.join("talk.srt");
    std::fs::write(
        &subs,
        "1\n00:00:02,000 --> 00:00:05,000\nA slow sunrise over a calm lake\n\n\
         2\n00:00:24,000 --> 00:00:28,000\nThe race starts: fast, loud, exciting\n",
    )
    .unwrap();
    (video, subs)
}

#[test]
fn segment_writes_the_video_json_with_captions_motion_and_shots() {
    let tmp = tempfile::tempdir().unwrap();
    let (video, subs) = talk(tmp.path());
    let out = tmp.path().join("talk.json");
    let run = segment(&video, &subs, &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2, "{v}");
    assert!(
        (segs[1]["start"].as_f64().unwrap() - 20.0).abs() < 0.1,
        "{v}"
    );
    assert_eq!(segs[0]["caption"], "A slow sunrise over a calm lake");
    assert_eq!(segs[1]["caption"], "The race starts: fast, loud, exciting");
    for s in segs {
        assert_eq!(s["shot_count"], 1, "{v}");
        assert!(s["motion"].as_f64().unwrap() >= 0.0);
    }

    // An output over an input is refused and leaves the input alone.
    let before = std::fs::read(&subs).unwrap();
    let run = segment(&video, &subs, &subs);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("is an input"));
    assert_eq!(std::fs::read(&subs).unwrap(), before);

    // A missing video names the file and writes nothing.
    let missing_out = tmp.path().join("none.json");
    let run = segue()
        .args(["segment", "--video", "no-such-clip.mp4", "--out"])
        .arg(&missing_out)
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("no-such-clip.mp4"));
    assert!(!missing_out.exists());
}

#[test]
fn a_generated_video_with_subtitles_gets_a_soundtrack_plan_on_the_real_demo() {
    if segue::fixtures::shared::shared_path("data/tidytuesday-spotify/spotify_songs.csv").is_none()
        || segue::fixtures::shared::shared_path("models/minilm-l6-v2").is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("demo");
    run(&DemoOptions {
        dir: lib.clone(),
        source: DemoSource::Real,
        real_every: 40,
        progress: false,
        ..DemoOptions::default()
    })
    .unwrap();
    let (video, subs) = talk(tmp.path());
    let json = tmp.path().join("talk.json");
    let seg = segment(&video, &subs, &json);
    assert!(
        seg.status.success(),
        "{}",
        String::from_utf8_lossy(&seg.stderr)
    );
    let plan = segue()
        .args(["soundtrack", "--json", "--library"])
        .arg(&lib)
        .arg("--video")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let plans: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let plan = plans.as_array().map_or(&plans, |a| &a[0]);
    let segs = plan["segments"].as_array().unwrap();
    assert!(!segs.is_empty(), "{plan}");
    assert!(segs.iter().all(|s| s["track_id"].is_string()), "{plan}");
}

/// Writes `frames` (each of `dim` values) as a 2-D float32 `.npy`.
fn write_npy(path: &Path, frames: &[Vec<f32>]) {
    let dim = frames[0].len() as u64;
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    use npyz::WriterBuilder;
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[frames.len() as u64, dim])
        .writer(file)
        .begin_nd()
        .unwrap();
    w.extend(frames.iter().flatten().copied()).unwrap();
    w.finish().unwrap();
}

#[test]
fn segment_cuts_a_feature_sequence_at_its_regime_changes() {
    let tmp = tempfile::tempdir().unwrap();
    // Three regimes of 30 s at 4 fps in 8 dimensions, with a deterministic wobble.
    let frames: Vec<Vec<f32>> = (0..360)
        .map(|i| {
            let regime = i / 120;
            (0..8)
                .map(|d| {
                    let wobble = (((i * 31 + d * 17) % 13) as f32 - 6.0) * 0.01;
                    if d == regime { 1.0 + wobble } else { wobble }
                })
                .collect()
        })
        .collect();
    let npy = tmp.path().join("model.npy");
    write_npy(&npy, &frames);
    let out = tmp.path().join("model.json");
    let run = segue()
        .args(["segment", "--features"])
        .arg(&npy)
        .args([
            "--fps",
            "4",
            "--embed-as",
            "audio",
            "--segments",
            "3",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let video: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let segs = video["segments"].as_array().unwrap();
    let edges: Vec<(f64, f64)> = segs
        .iter()
        .map(|s| (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap()))
        .collect();
    assert_eq!(edges, vec![(0.0, 30.0), (30.0, 60.0), (60.0, 90.0)]);
    let second = segs[1]["audio_emb"].as_array().unwrap();
    assert_eq!(second.len(), 8);
    assert!(second[1].as_f64().unwrap() > 0.9, "{second:?}");

    let mut bad_frames = frames.clone();
    bad_frames[200][3] = f32::NAN;
    let bad = tmp.path().join("bad.npy");
    write_npy(&bad, &bad_frames);
    for (args, needle) in [
        (
            vec!["--features", bad.to_str().unwrap(), "--fps", "4"],
            "frame 200 (0-based), dimension 3",
        ),
        (vec!["--features", npy.to_str().unwrap()], "--fps"),
        (
            vec![
                "--features",
                npy.to_str().unwrap(),
                "--fps",
                "4",
                "--method",
                "shots",
            ],
            "needs a video file",
        ),
        (
            vec![
                "--features",
                npy.to_str().unwrap(),
                "--fps",
                "4",
                "--embed-as",
                "image",
            ],
            "`audio` or `text`",
        ),
        (
            vec!["--features", npy.to_str().unwrap(), "--fps=0"],
            "frame rate",
        ),
    ] {
        let run = segue()
            .arg("segment")
            .args(&args)
            .arg("--out")
            .arg(tmp.path().join("never.json"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            !run.status.success() && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!tmp.path().join("never.json").exists());
    }
}
