//! The trained policy through the facade and the command line: `segue train-policy`, then
//! `--policy policy:FILE.onnx` in `segue soundtrack` and `segue eval`, under filters and the
//! whole-segment rule, and the errors for files that are not policies.

use std::path::{Path, PathBuf};

use segue::EncoderOptions;
use segue::policy::{TrainOptions, train};
use segue::query::policy::ObsConfig;
use segue::soundtrack::{PlanOptions, PlannedAction, PolicyChoice, open_planner, read_videos_for};
use segue::train_crate::{NetConfig, PpoConfig};

use super::helpers::{ok, segue};
use super::soundtrack::fixture;

fn quick_config(seed: u64) -> PpoConfig {
    PpoConfig {
        seed,
        rollout_steps: 256,
        epochs: 2,
        minibatch: 64,
        eval_every: 0,
        net: NetConfig {
            hidden: 16,
            head_hidden: 16,
        },
        obs: ObsConfig {
            slots: 8,
            whole_segments: true,
        },
        ..PpoConfig::default()
    }
}

/// A quickly trained policy for the library (through the facade).
fn trained(lib: &Path, videos: &Path, out: &Path) {
    let mut o = TrainOptions::new(out);
    o.policy.steps = 512;
    o.policy.config = quick_config(5);
    o.policy.baselines = false;
    let s = train(lib, videos, &o, &mut |_, _| {}).unwrap();
    assert!(s.report.env_steps >= 512);
    assert!(out.is_file());
}

#[test]
fn train_policy_through_the_cli_then_plan_and_evaluate_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos) = fixture(tmp.path(), 500, 12);
    ok(segue()
        .args(["fit", "--library"])
        .arg(&lib)
        .arg("--videos")
        .arg(&videos)
        .output()
        .unwrap());
    let policy = tmp.path().join("p.onnx");
    let train_args = |steps: &str| {
        let mut c = segue();
        c.args(["train-policy", "--library"])
            .arg(&lib)
            .arg("--videos")
            .arg(&videos)
            .arg("--out")
            .arg(&policy)
            .args(["--steps", steps, "--seed", "3", "--slots", "8"])
            .args(["--hidden", "16", "--rollout-steps", "256"]);
        c
    };
    let text = ok(train_args("512").output().unwrap());
    assert!(
        text.contains("environment steps") && text.contains("greedy-all"),
        "{text}"
    );
    assert!(!text.contains("no fitted soundtrack model"), "{text}");
    for f in [
        "p.onnx",
        "p.log.csv",
        "p.ckpt",
        "p.curve.svg",
        "p.curve.png",
    ] {
        assert!(tmp.path().join(f).is_file(), "{f} was not written");
    }
    let log_rows = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count();
    let first = log_rows(&tmp.path().join("p.log.csv"));
    // Resuming continues the same run: more updates in the same log.
    let mut resume = train_args("1024");
    resume.arg("--resume");
    ok(resume.output().unwrap());
    assert!(log_rows(&tmp.path().join("p.log.csv")) > first);

    let spelled = format!("policy:{}", policy.display());
    let out = ok(segue()
        .args(["soundtrack", "--json", "--policy", &spelled, "--library"])
        .arg(&lib)
        .arg("--video")
        .arg(&videos)
        .output()
        .unwrap());
    let plans: serde_json::Value = serde_json::from_str(&out).unwrap();
    let plans = plans.as_array().unwrap();
    assert_eq!(plans.len(), 12);
    assert_eq!(plans[0]["policy"], "policy:p");

    let eval_dir = tmp.path().join("eval");
    let text = ok(segue()
        .args(["eval", "--policies", &format!("greedy-all,{spelled}")])
        .arg("--library")
        .arg(&lib)
        .arg("--videos")
        .arg(&videos)
        .arg("--out")
        .arg(&eval_dir)
        .output()
        .unwrap());
    assert!(text.contains("policy:p"), "{text}");
    let csv = std::fs::read_to_string(eval_dir.join("returns.csv")).unwrap();
    assert_eq!(
        csv.lines().filter(|l| l.contains(",policy:p,")).count(),
        12,
        "{csv}"
    );
}

#[test]
fn a_trained_policy_keeps_to_the_filter_and_whole_segments_and_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos) = fixture(tmp.path(), 700, 8);
    let policy = tmp.path().join("p.onnx");
    trained(&lib, &videos, &policy);
    let p = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let filter = "bpm >= 110 AND NOT tag:mood:calm";
    let allowed = p.allowed_rows(Some(filter)).unwrap().unwrap();
    let choice = PolicyChoice::Trained(policy.clone());
    for exact in [false, true] {
        for sample in [false, true] {
            let opts = PlanOptions {
                policy: choice.clone(),
                exact,
                sample,
                seed: 9,
                filter: Some(filter.into()),
                ..PlanOptions::default()
            };
            for v in &read_videos_for(&p, &videos).unwrap() {
                let plan = p.plan(v, &opts).unwrap();
                assert_eq!(plan.segments.len(), v.segments.len());
                for s in &plan.segments {
                    assert!(
                        allowed.contains(s.row as u32),
                        "row {} is filtered out",
                        s.row
                    );
                    let len = s.track_duration.unwrap() as f64;
                    assert!(
                        s.offset + (s.end - s.start) <= len + 1e-3,
                        "segment {} runs past its {len:.1} s track",
                        s.index
                    );
                    if s.index == 0 {
                        assert_ne!(s.action, PlannedAction::Continue);
                    }
                }
                // The same request plans the same soundtrack (the session is reused).
                let again = p.plan(v, &opts).unwrap();
                let rows = |pl: &segue::soundtrack::SoundtrackPlan| {
                    pl.segments
                        .iter()
                        .map(|s| (s.row, s.action))
                        .collect::<Vec<_>>()
                };
                assert_eq!(rows(&plan), rows(&again));
            }
        }
    }
}

#[test]
fn files_that_are_not_policies_are_named_in_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos) = fixture(tmp.path(), 200, 1);
    let p = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let v = &read_videos_for(&p, &videos).unwrap()[0];
    let garbage = tmp.path().join("garbage.onnx");
    std::fs::write(&garbage, b"not a model").unwrap();
    for file in [tmp.path().join("missing.onnx"), garbage] {
        let opts = PlanOptions {
            policy: PolicyChoice::Trained(file.clone()),
            ..PlanOptions::default()
        };
        let err = p.plan(v, &opts).unwrap_err().to_string();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(err.contains(&name), "{err}");
    }
    let err = "policy:".parse::<PolicyChoice>().unwrap_err().to_string();
    assert!(err.contains("needs the ONNX file"), "{err}");
    assert_eq!(
        "policy:a/b.onnx".parse::<PolicyChoice>().unwrap(),
        PolicyChoice::Trained(PathBuf::from("a/b.onnx"))
    );
    // The command line says the same.
    let out = segue()
        .args(["soundtrack", "--policy", "policy:nowhere.onnx", "--library"])
        .arg(&lib)
        .arg("--video")
        .arg(&videos)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere.onnx"), "{err}");
}

#[test]
fn a_trained_policy_keeps_the_caps_exclusions_and_the_diversity_knob() {
    use std::collections::{HashMap, HashSet};
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos) = fixture(tmp.path(), 700, 8);
    let policy = tmp.path().join("p.onnx");
    trained(&lib, &videos, &policy);
    let p = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let videos = read_videos_for(&p, &videos).unwrap();
    let base = PlanOptions {
        policy: PolicyChoice::Trained(policy),
        ..PlanOptions::default()
    };
    let free = p.plan_videos(&videos, &base).unwrap();
    // Unconstrained, the policy reuses tracks across the videos: the rules below bind.
    let mut placed: Vec<u64> = free
        .iter()
        .flat_map(|pl| pl.segments.iter().map(|s| s.row).collect::<HashSet<_>>())
        .collect();
    let placements = placed.len();
    placed.sort_unstable();
    placed.dedup();
    assert!(
        placed.len() < placements,
        "no track repeats without the rule"
    );
    let banned: Vec<String> = free[0]
        .segments
        .iter()
        .map(|s| s.track_id.clone())
        .collect();
    let opts = PlanOptions {
        max_per_artist: Some(1),
        no_repeat_across_videos: true,
        exclude_ids: banned.clone(),
        diversify: Some(segue::soundtrack::StepRerank::new("mmr:0.3".parse().unwrap(), 3).unwrap()),
        ..base
    };
    let plans = p.plan_videos(&videos, &opts).unwrap();
    let mut seen_rows: HashSet<u64> = HashSet::new();
    for plan in &plans {
        assert_eq!(plan.policy, "policy:p");
        let mut rows: HashSet<u64> = HashSet::new();
        let mut per_artist: HashMap<String, HashSet<u64>> = HashMap::new();
        for s in &plan.segments {
            assert!(!banned.contains(&s.track_id), "{} was excluded", s.track_id);
            rows.insert(s.row);
            if let Some(a) = &s.artist {
                per_artist
                    .entry(a.to_lowercase())
                    .or_default()
                    .insert(s.row);
            }
        }
        assert!(per_artist.values().all(|r| r.len() == 1), "{per_artist:?}");
        assert!(
            rows.is_disjoint(&seen_rows),
            "a track repeats across videos"
        );
        seen_rows.extend(rows);
    }
}
