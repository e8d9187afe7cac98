//! Soundtracks planned on real libraries (built from the seeded fixtures): the library-backed
//! track source against the raw catalogue, scalable against exact mode, beam against greedy,
//! filters, whole segments, the stored fit, and the commands.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;

use segue::EncoderOptions;
use segue::fixtures::{CatalogSpec, VideoSpec, write_catalog_parquet, write_videos_jsonl};
use segue::query::objective::{
    MFCC_LEN, Objective, ObjectiveConfig, Track, TrackFeatures, TrackSource, TrackTable,
};
use segue::query::sequencer::{Candidates, Greedy, run_episode};
use segue::soundtrack::{
    PlanOptions, PlannedAction, Planner, PolicyChoice, Video, open_planner, read_videos_for,
    video_anchors,
};
use segue::{IngestOptions, Library};

const AUDIO: usize = 32;
const TEXT: usize = 16;

/// A library of `tracks` generated tracks and `videos` generated videos for it.
pub(crate) fn fixture(dir: &Path, tracks: u64, videos: usize) -> (PathBuf, PathBuf) {
    let catalog = dir.join("catalog.parquet");
    let spec = CatalogSpec {
        tracks,
        audio_dim: AUDIO,
        text_dim: TEXT,
        seed: 11,
        ..CatalogSpec::default()
    };
    write_catalog_parquet(&spec, &catalog, &mut |_| {}).unwrap();
    let lib = dir.join("lib");
    let mut o = IngestOptions::new(&catalog);
    o.progress = false;
    segue::ingest(&lib, &o).unwrap();
    let anchors = video_anchors(&Library::open(&lib).unwrap(), 64).unwrap();
    let videos_path = dir.join("videos.jsonl");
    let vspec = VideoSpec {
        count: videos,
        seed: 5,
        min_segments: 5,
        max_segments: 24,
    };
    write_videos_jsonl(&vspec, &anchors, &videos_path).unwrap();
    (lib, videos_path)
}

fn planner(lib: &Path) -> Planner {
    open_planner(lib, &EncoderOptions::default()).unwrap()
}

fn videos(p: &Planner, path: &Path) -> Vec<Video> {
    read_videos_for(p, path).unwrap()
}

/// The raw catalogue as the objective's in-memory table, read back from Lance.
fn raw_table(lib: &Library) -> TrackTable {
    let cols = [
        "audio_emb",
        "text_emb",
        "bpm",
        "energy",
        "spectral_centroid",
        "mfcc",
        "duration_s",
    ];
    let mut tracks = Vec::new();
    for batch in lib.scan(&cols).unwrap() {
        let vec_col = |name: &str, i: usize| -> Vec<f32> {
            let l = batch.column_by_name(name).unwrap().as_fixed_size_list();
            l.value(i).as_primitive::<Float32Type>().values().to_vec()
        };
        let num = |name: &str, i: usize| -> f64 {
            let a = batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Float32Type>();
            if a.is_valid(i) {
                a.value(i) as f64
            } else {
                0.0
            }
        };
        for i in 0..batch.num_rows() {
            let mut mfcc = [0.0; MFCC_LEN];
            let m = batch.column_by_name("mfcc").unwrap().as_fixed_size_list();
            if m.is_valid(i) {
                for (k, x) in m
                    .value(i)
                    .as_primitive::<Float32Type>()
                    .values()
                    .iter()
                    .enumerate()
                {
                    mfcc[k] = *x as f64;
                }
            }
            tracks.push(Track {
                audio_emb: Some(vec_col("audio_emb", i)),
                text_emb: Some(vec_col("text_emb", i)),
                features: TrackFeatures {
                    bpm: num("bpm", i),
                    energy: num("energy", i),
                    spectral_centroid: num("spectral_centroid", i),
                    mfcc,
                    duration: num("duration_s", i),
                },
            });
        }
    }
    TrackTable::new(tracks).unwrap()
}

#[test]
fn the_library_track_source_scores_like_the_raw_catalogue() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 400, 4);
    let p = planner(&lib);
    let table = raw_table(p.library());
    let tracks = p.tracks();
    assert_eq!(tracks.len(), table.len());
    for row in [0u64, 17, 399] {
        let (a, b) = (tracks.audio(row).unwrap(), table.audio(row).unwrap());
        // The raw vector is direction × norm.
        for (x, y) in a.values.iter().zip(b.values) {
            let raw = *x as f64 * a.raw_norm / a.values_norm;
            assert!((raw - *y as f64).abs() < 1e-5, "row {row}: {raw} vs {y}");
        }
        assert!((a.raw_norm - b.raw_norm).abs() < 1e-5 * b.raw_norm);
        assert_eq!(tracks.features(row), table.features(row));
    }
    // The same episodes, step for step, through either source.
    let reference = segue::query::objective::ReferenceEmbeddings::default();
    let config = ObjectiveConfig::default();
    let a = Objective::new(tracks, &reference, config).unwrap();
    let b = Objective::new(&table, &reference, config).unwrap();
    for v in &videos(&p, &videos_path) {
        let budget = p.budget_for(v).unwrap();
        let x = run_episode(&a, v, budget, &mut Greedy::all(Candidates::exact())).unwrap();
        let y = run_episode(&b, v, budget, &mut Greedy::all(Candidates::exact())).unwrap();
        assert_eq!(x.actions(), y.actions(), "video {}", v.id);
        assert!(
            (x.total_reward - y.total_reward).abs() < 1e-4,
            "video {}",
            v.id
        );
        for (s, t) in x.steps.iter().zip(&y.steps) {
            assert!((s.reward - t.reward).abs() < 1e-5);
            assert!((s.terms.theme_reward - t.terms.theme_reward).abs() < 1e-5);
        }
    }
}

#[test]
fn scalable_mode_with_every_track_as_candidate_is_exact_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 300, 5);
    let p = planner(&lib);
    for v in &videos(&p, &videos_path) {
        let exact = p
            .plan(
                v,
                &PlanOptions {
                    policy: PolicyChoice::GreedyAll,
                    exact: true,
                    ..PlanOptions::default()
                },
            )
            .unwrap();
        let all = p
            .plan(
                v,
                &PlanOptions {
                    policy: PolicyChoice::GreedyAll,
                    candidates: 300,
                    ..PlanOptions::default()
                },
            )
            .unwrap();
        let rows = |pl: &segue::soundtrack::SoundtrackPlan| -> Vec<u64> {
            pl.segments.iter().map(|s| s.row).collect()
        };
        assert_eq!(rows(&exact), rows(&all), "video {}", v.id);
        assert_eq!(exact.total_reward, all.total_reward);
    }
}

#[test]
fn beam_is_never_below_greedy_all_in_either_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 1500, 12);
    let p = planner(&lib);
    let (mut g_sum, mut b_sum) = (0.0, 0.0);
    for exact in [false, true] {
        for v in &videos(&p, &videos_path) {
            let opts = |policy| PlanOptions {
                policy,
                exact,
                candidates: 32,
                ..PlanOptions::default()
            };
            let g = p.plan(v, &opts(PolicyChoice::GreedyAll)).unwrap();
            let b = p.plan(v, &opts(PolicyChoice::Beam)).unwrap();
            assert!(
                b.total_reward >= g.total_reward - 1e-9,
                "video {} exact {exact}: beam {} < greedy {}",
                v.id,
                b.total_reward,
                g.total_reward
            );
            g_sum += g.total_reward;
            b_sum += b.total_reward;
        }
    }
    eprintln!("greedy-all {g_sum:.3}, beam {b_sum:.3}");
}

#[test]
fn every_policy_places_only_tracks_the_filter_allows() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 800, 3);
    let p = planner(&lib);
    let filter = "bpm >= 110 AND NOT tag:mood:calm";
    let allowed = p.allowed_rows(Some(filter)).unwrap().unwrap();
    assert!(
        allowed.len() > 20 && allowed.len() < 700,
        "{}",
        allowed.len()
    );
    for exact in [false, true] {
        for policy in PolicyChoice::ALL {
            for v in &videos(&p, &videos_path) {
                let plan = p
                    .plan(
                        v,
                        &PlanOptions {
                            policy: policy.clone(),
                            exact,
                            filter: Some(filter.into()),
                            ..PlanOptions::default()
                        },
                    )
                    .unwrap();
                for s in &plan.segments {
                    assert!(
                        allowed.contains(s.row as u32),
                        "{} placed row {} outside the filter",
                        policy.name(),
                        s.row
                    );
                }
            }
        }
    }
    // A filter that allows nothing: a clear error, not a plan.
    let v = &videos(&p, &videos_path)[0];
    let err = p
        .plan(
            v,
            &PlanOptions {
                filter: Some("bpm > 100000".into()),
                ..PlanOptions::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("no valid action"), "{err}");
    let err = p
        .plan(
            v,
            &PlanOptions {
                filter: Some("bpm >>= 3".into()),
                ..PlanOptions::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("bad filter"), "{err}");
}

#[test]
fn whole_segments_are_covered_by_their_tracks() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 600, 6);
    let p = planner(&lib);
    for policy in PolicyChoice::ALL {
        for v in &videos(&p, &videos_path) {
            let plan = p
                .plan(
                    v,
                    &PlanOptions {
                        policy: policy.clone(),
                        ..PlanOptions::default()
                    },
                )
                .unwrap();
            for s in &plan.segments {
                let len = s.track_duration.unwrap() as f64;
                assert!(
                    s.offset + (s.end - s.start) <= len + 1e-3,
                    "{}: segment {} runs to {:.1} s of a {len:.1} s track",
                    policy.name(),
                    s.index,
                    s.offset + s.end - s.start
                );
                if s.action == PlannedAction::Continue {
                    assert!(s.offset > 0.0);
                }
            }
        }
    }
}

#[test]
fn the_fit_is_versioned_used_and_carried_over() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 300, 8);
    let before = Library::open(&lib).unwrap().version();
    assert!(planner(&lib).fit().is_none());
    let (manifest, summary) = segue::soundtrack::fit(&lib, &videos_path).unwrap();
    assert_eq!(manifest.library_version, before + 1);
    assert_eq!(summary.videos, 8);
    assert!(summary.budget.is_some() && summary.audio_reference && summary.text_reference);
    let p = planner(&lib);
    let fit = p.fit().expect("the fit is stored");
    assert_eq!(fit.labelled_videos, 8);
    // A video's own budget wins over the model.
    let mut v = videos(&p, &videos_path)[0].clone();
    v.switch_budget = Some(7);
    assert_eq!(p.budget_for(&v).unwrap(), 7);
    // An append keeps the fit.
    let catalog = tmp.path().join("more.parquet");
    // The same generator with 20 more tracks: the first 300 are duplicates, skipped.
    let spec = CatalogSpec {
        tracks: 320,
        audio_dim: AUDIO,
        text_dim: TEXT,
        seed: 11,
        ..CatalogSpec::default()
    };
    write_catalog_parquet(&spec, &catalog, &mut |_| {}).unwrap();
    let mut o = IngestOptions::new(&catalog);
    o.progress = false;
    o.on_duplicate = segue::OnDuplicate::Skip;
    segue::ingest(&lib, &o).unwrap();
    let lib_now = Library::open(&lib).unwrap();
    assert_eq!((lib_now.version(), lib_now.rows()), (before + 2, 320));
    lib_now.verify().unwrap();
    let p2 = Planner::open(Arc::new(lib_now)).unwrap();
    assert_eq!(p2.fit(), Some(fit));
}

#[test]
fn a_crash_while_fitting_leaves_the_previous_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 200, 3);
    let before = Library::open(&lib).unwrap().version();
    let out = Command::new(env!("CARGO_BIN_EXE_segue"))
        .args(["fit", "--library"])
        .arg(&lib)
        .arg("--videos")
        .arg(&videos_path)
        .env("SEGUE_FAILPOINT", "attach-before-publish")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let l = Library::open(&lib).unwrap();
    assert_eq!(l.version(), before);
    assert!(l.manifest().attachments.is_empty());
    l.verify().unwrap();
    // The next writer removes the orphaned file and fits normally.
    let (m, _) = segue::soundtrack::fit(&lib, &videos_path).unwrap();
    assert_eq!(m.library_version, before + 1);
    let files: Vec<_> = std::fs::read_dir(lib.join("attachments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        vec![format!("soundtrack-fit.v{:06}.json", before + 1)]
    );
}

#[test]
fn soundtrack_and_eval_commands_write_what_they_say() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib, videos_path) = fixture(tmp.path(), 500, 4);
    let segue = || Command::new(env!("CARGO_BIN_EXE_segue"));
    let parquet = tmp.path().join("plans.parquet");
    let out = segue()
        .args([
            "soundtrack",
            "--json",
            "--policy",
            "greedy-all",
            "--library",
        ])
        .arg(&lib)
        .arg("--video")
        .arg(&videos_path)
        .arg("--parquet")
        .arg(&parquet)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plans: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plans = plans.as_array().expect("one plan per video");
    assert_eq!(plans.len(), 4);
    let segments: usize = plans
        .iter()
        .map(|p| p["segments"].as_array().unwrap().len())
        .sum();
    for key in ["total_reward", "switches", "switch_budget", "timing"] {
        assert!(plans[0].get(key).is_some(), "plan lacks {key}");
    }
    let seg = &plans[0]["segments"][0];
    for key in ["action", "track_id", "title", "offset", "reward", "terms"] {
        assert!(seg.get(key).is_some(), "segment lacks {key}");
    }
    let file = std::fs::File::open(&parquet).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let rows: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, segments);

    // The readable table.
    let out = segue()
        .args(["soundtrack", "--library"])
        .arg(&lib)
        .arg("--video")
        .arg(&videos_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("switches") && text.contains("budget"),
        "{text}"
    );

    let eval_dir = tmp.path().join("eval");
    let out = segue()
        .args(["eval", "--library"])
        .arg(&lib)
        .arg("--videos")
        .arg(&videos_path)
        .arg("--out")
        .arg(&eval_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(eval_dir.join("returns.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 * 4, "{csv}");
    for f in ["summary.json", "returns-cdf.svg", "returns-cdf.png"] {
        let len = std::fs::metadata(eval_dir.join(f)).unwrap().len();
        assert!(len > 500, "{f} is {len} bytes");
    }
    // Bad input names the problem.
    let bad = tmp.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"id": "x", "segments": [{"start": 5, "end": 2, "audio_emb": [1]}]}"#,
    )
    .unwrap();
    let out = segue()
        .args(["soundtrack", "--library"])
        .arg(&lib)
        .arg("--video")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("segment 0"),
        "{err}"
    );
}

#[test]
fn a_format_2_golden_library_still_opens_and_plans() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/golden");
    // Copied: opening for planning never writes, but a test must not risk the golden files.
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("v2-library");
    segue::fixtures::golden::copy_golden("v2-library", &lib).unwrap();
    let l = Library::open(&lib).unwrap();
    assert_eq!((l.version(), l.rows()), (2, 40));
    l.verify().unwrap();
    let audio = l.vectors(segue::EmbeddingKind::Audio).unwrap();
    assert_eq!(audio.norms().map(|n| n.len()), Some(40));
    assert!(l.ann(segue::EmbeddingKind::Audio).is_some() && l.text_index().is_some());
    let p = Planner::open(Arc::new(l)).unwrap();
    let fit = p.fit().expect("the golden library has a fit");
    assert_eq!((fit.videos, fit.labelled_videos), (4, 4));
    let videos = read_videos_for(&p, &root.join("v2-videos.jsonl")).unwrap();
    let plan = p.plan(&videos[0], &PlanOptions::default()).unwrap();
    assert_eq!(plan.segments.len(), videos[0].segments.len());
}
