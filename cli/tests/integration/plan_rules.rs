//! Caps and exclusions inside planning: at most N tracks of one artist per plan, no track
//! reused across the videos of a batch, an exclusion list kept between runs, the
//! diversity/coherence knob — for every
//! built-in sequencer, in exact and scalable mode, through the library API and `segue
//! soundtrack`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use segue::EncoderOptions;
use segue::fixtures::{CatalogSpec, VideoSpec, write_catalog_parquet, write_videos_jsonl};
use segue::soundtrack::{
    PlanOptions, PlannedAction, PolicyChoice, SoundtrackPlan, StepRerank, open_planner,
    read_videos_for, video_anchors,
};
use segue::{IngestOptions, Library};

/// 600 tracks in one cluster (200 artists, 3 tracks each on average) and 4 videos, so that
/// the best-aligned tracks of one video share artists and several videos share tracks.
fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let catalog = dir.join("catalog.parquet");
    let spec = CatalogSpec {
        tracks: 600,
        audio_dim: 32,
        text_dim: 16,
        seed: 3,
        clusters: 1,
        artists: segue::fixtures::Artists::ClusterOnly,
    };
    write_catalog_parquet(&spec, &catalog, &mut |_| {}).unwrap();
    let lib = dir.join("lib");
    let mut o = IngestOptions::new(&catalog);
    o.progress = false;
    segue::ingest(&lib, &o).unwrap();
    let anchors = video_anchors(&Library::open(&lib).unwrap(), 64).unwrap();
    let videos = dir.join("videos.jsonl");
    let vspec = VideoSpec {
        count: 4,
        seed: 9,
        min_segments: 12,
        max_segments: 20,
    };
    write_videos_jsonl(&vspec, &anchors, &videos).unwrap();
    (lib, videos)
}

/// `segue soundtrack --json` on the fixture with `policy` and `extra` arguments.
fn soundtrack(lib: &Path, videos: &Path, policy: &str, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_segue"))
        .arg("soundtrack")
        .arg("--library")
        .arg(lib)
        .arg("--video")
        .arg(videos)
        .args(["--policy", policy, "--json"])
        .args(extra)
        .output()
        .unwrap()
}

fn placed(plan: &SoundtrackPlan) -> Vec<(u64, String)> {
    let mut seen = HashSet::new();
    plan.segments
        .iter()
        .filter(|s| s.action == PlannedAction::New)
        .filter(|s| seen.insert(s.row))
        .map(|s| (s.row, s.artist.clone().unwrap_or_default().to_lowercase()))
        .collect()
}

/// (most tracks of one artist in one plan, tracks placed in more than one video)
fn violations(plans: &[SoundtrackPlan]) -> (usize, usize) {
    let mut worst = 0;
    let mut videos_of: HashMap<u64, usize> = HashMap::new();
    for p in plans {
        let mut per_artist: HashMap<String, usize> = HashMap::new();
        for (row, artist) in placed(p) {
            *per_artist.entry(artist).or_default() += 1;
            *videos_of.entry(row).or_default() += 1;
        }
        worst = worst.max(per_artist.values().copied().max().unwrap_or(0));
    }
    (worst, videos_of.values().filter(|&&n| n > 1).count())
}

#[test]
fn caps_and_exclusions_hold_in_every_sequencer_and_across_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path());
    let p = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let videos = read_videos_for(&p, &videos_path).unwrap();
    let mut unconstrained = (0, 0);
    for exact in [false, true] {
        for policy in PolicyChoice::BUILTIN {
            let base = PlanOptions {
                policy: policy.clone(),
                exact,
                candidates: 32,
                ..PlanOptions::default()
            };
            let free: Vec<SoundtrackPlan> = videos
                .iter()
                .map(|v| p.plan_allowed(v, &base, None).unwrap())
                .collect();
            let (a, r) = violations(&free);
            unconstrained = (unconstrained.0.max(a), unconstrained.1 + r);
            // The tracks of the free plan of the first video: "my last video".
            let last_video: Vec<String> = free[0]
                .segments
                .iter()
                .map(|s| s.track_id.clone())
                .collect();
            let last_rows: HashSet<u64> = free[0].segments.iter().map(|s| s.row).collect();
            let opts = PlanOptions {
                max_per_artist: Some(1),
                no_repeat_across_videos: true,
                exclude_ids: last_video,
                ..base.clone()
            };
            let mut batch = p.batch(&opts, None).unwrap();
            let plans: Vec<SoundtrackPlan> =
                videos.iter().map(|v| batch.plan(v).unwrap()).collect();
            let what = format!("{} exact={exact}", policy.name());
            assert_eq!(violations(&plans), (1, 0), "{what}");
            for plan in &plans {
                assert!(
                    plan.segments.iter().all(|s| !last_rows.contains(&s.row)),
                    "{what}: an excluded track was placed"
                );
            }
        }
    }
    // The fixture makes the constraints bind: without them plans repeat artists and tracks.
    assert!(
        unconstrained.0 > 1 && unconstrained.1 > 0,
        "{unconstrained:?}"
    );
}

#[test]
fn segue_soundtrack_takes_the_caps_and_the_exclusion_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path());
    let excl = tmp.path().join("last-20-videos.txt");
    let run = |extra: &[&str]| soundtrack(&lib, &videos_path, "greedy-all", extra);
    let free = run(&[]);
    assert!(
        free.status.success(),
        "{}",
        String::from_utf8_lossy(&free.stderr)
    );
    let free: Vec<SoundtrackPlan> = serde_json::from_slice(&free.stdout).unwrap();
    let first = free[0].segments[0].track_id.clone();
    std::fs::write(&excl, format!("# tracks of my last videos\n{first}\n")).unwrap();
    let out = run(&[
        "--max-per-artist",
        "1",
        "--no-repeat-across-videos",
        "--exclude-ids",
        excl.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plans: Vec<SoundtrackPlan> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(violations(&plans), (1, 0));
    assert!(
        plans
            .iter()
            .all(|p| p.segments.iter().all(|s| s.track_id != first))
    );
    for (args, needle) in [
        (vec!["--max-per-artist", "0"], "at least 1"),
        (
            vec!["--exclude-ids", "/nonexistent/last.txt"],
            "/nonexistent/last.txt",
        ),
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// Mean cosine between the audio embeddings of a plan's distinct tracks (lower: more diverse).
fn mean_similarity(planner: &segue::soundtrack::Planner, plan: &SoundtrackPlan) -> f64 {
    use segue::query::objective::{TrackSource, dot};
    let tracks = planner.tracks();
    let rows: Vec<u64> = placed(plan).into_iter().map(|(r, _)| r).collect();
    let (mut sum, mut n) = (0.0, 0);
    for (i, &a) in rows.iter().enumerate() {
        for &b in &rows[i + 1..] {
            let (va, vb) = (tracks.audio(a).unwrap(), tracks.audio(b).unwrap());
            sum += dot(va.values, vb.values) / (va.values_norm * vb.values_norm);
            n += 1;
        }
    }
    sum / n.max(1) as f64
}

#[test]
fn the_diversity_knob_spreads_or_gathers_every_sequencers_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path());
    let p = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let videos = read_videos_for(&p, &videos_path).unwrap();
    for policy in PolicyChoice::BUILTIN {
        let knob = |method: &str| {
            let opts = PlanOptions {
                policy: policy.clone(),
                candidates: 64,
                diversify: Some(StepRerank::new(method.parse().unwrap(), 4).unwrap()),
                max_per_artist: Some(2),
                ..PlanOptions::default()
            };
            let plans = p.plan_videos(&videos, &opts).unwrap();
            // The knob narrows the choice; the caps still hold.
            assert!(violations(&plans).0 <= 2, "{}", policy.name());
            plans.iter().map(|pl| mean_similarity(&p, pl)).sum::<f64>() / plans.len() as f64
        };
        let (diverse, coherent) = (knob("mmr:0"), knob("theme:0"));
        assert!(
            diverse < coherent,
            "{}: mmr:0 {diverse:.3} vs theme:0 {coherent:.3}",
            policy.name()
        );
    }
}

#[test]
fn segue_soundtrack_takes_the_diversity_knob_and_refuses_bad_values() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path());
    let run = |extra: &[&str]| soundtrack(&lib, &videos_path, "beam", extra);
    let out = run(&["--diversify", "mmr:0.3", "--diversify-keep", "4"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plans: Vec<SoundtrackPlan> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plans.len(), 4);
    for (args, needle) in [
        (vec!["--diversify", "mmr:2"], "[0, 1]"),
        (vec!["--diversify", "dpp"], "search pools"),
        (
            vec!["--diversify", "theme", "--diversify-keep", "0"],
            "at least 1",
        ),
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn the_motion_energy_term_pairs_busy_segments_with_energetic_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path());
    let p = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let mut videos = read_videos_for(&p, &videos_path).unwrap();
    for v in &mut videos {
        for (i, s) in v.segments.iter_mut().enumerate() {
            s.motion = Some(((i * 7 + 3) % 10) as f64);
        }
    }
    let mean_rho = |weight: f64| {
        let mut opts = PlanOptions {
            policy: PolicyChoice::GreedyAll,
            ..PlanOptions::default()
        };
        opts.objective.weights.motion_energy = weight;
        let plans = p.plan_videos(&videos, &opts).unwrap();
        let rhos: Vec<f64> = plans
            .iter()
            .map(|pl| pl.motion_energy_spearman.expect("videos with motion"))
            .collect();
        rhos.iter().sum::<f64>() / rhos.len() as f64
    };
    let (off, on) = (mean_rho(0.0), mean_rho(3.0));
    assert!(on > 0.5 && on > off + 0.3, "off {off:.3}, on {on:.3}");
}

#[test]
fn segue_eval_reports_the_motion_energy_correlation() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path());
    let text = std::fs::read_to_string(&videos_path).unwrap();
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        for (i, s) in v["segments"].as_array_mut().unwrap().iter_mut().enumerate() {
            s["motion"] = serde_json::json!(((i * 7 + 3) % 10) as f64);
        }
        lines.push(v.to_string());
    }
    let moving = tmp.path().join("moving.jsonl");
    std::fs::write(&moving, lines.join("\n")).unwrap();
    let eval = |args: &[&str], out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_segue"))
            .arg("eval")
            .arg("--library")
            .arg(&lib)
            .arg("--videos")
            .arg(&moving)
            .args(args)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let out_dir = tmp.path().join("eval");
    let out = eval(
        &["--policies", "greedy-all", "--motion-energy", "3"],
        &out_dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("motion~energy"));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    let rho = summary[0]["mean_motion_energy_spearman"].as_f64().unwrap();
    assert!(rho > 0.5, "{rho}");
    let bad = eval(&["--motion-energy", "inf"], &tmp.path().join("bad"));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("motion_energy"));
}
