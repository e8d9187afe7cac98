//! Unit tests of the objective on small hand-made inputs: masks, state transitions, penalties,
//! placeholders, and the O(d) theme against its direct definition.

use super::*;
use crate::video::{Segment, Video};

fn features(duration: f64, bpm: f64) -> TrackFeatures {
    let mut mfcc = [0.0; MFCC_LEN];
    mfcc[0] = -180.0 + bpm;
    mfcc[1] = 100.0;
    TrackFeatures {
        bpm,
        energy: 0.1,
        spectral_centroid: 1500.0 + bpm,
        mfcc,
        duration,
    }
}

/// Four tracks in a 3-d audio space and 2-d text space; track 1 is short (10 s).
fn table() -> TrackTable {
    let t = |a: [f32; 3], x: [f32; 2], dur: f64, bpm: f64| Track {
        audio_emb: Some(a.to_vec()),
        text_emb: Some(x.to_vec()),
        features: features(dur, bpm),
    };
    TrackTable::new(vec![
        t([1.0, 0.0, 0.0], [1.0, 0.0], 120.0, 100.0),
        t([0.0, 2.0, 0.0], [0.0, 1.0], 10.0, 90.0),
        t([1.0, 1.0, 0.0], [1.0, 1.0], 200.0, 130.0),
        t([0.0, 0.0, 3.0], [1.0, -1.0], 60.0, 70.0),
    ])
    .unwrap()
}

fn video(durations: &[f64]) -> Video {
    let mut start = 0.0;
    let segments = durations
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let s = Segment {
                start,
                end: start + d,
                audio_emb: Some(vec![1.0, i as f32 * 0.5, 0.2]),
                text_emb: Some(vec![0.5, 1.0 - i as f32 * 0.3]),
                caption: None,
                music_change: None,
                ..Default::default()
            };
            start += d;
            s
        })
        .collect();
    Video {
        id: "v".into(),
        segments,
        switch_budget: None,
    }
}

fn reference() -> ReferenceEmbeddings {
    ReferenceEmbeddings {
        audio: Some(vec![0.6, 0.8, 0.0]),
        text: Some(vec![0.0, 1.0]),
    }
}

#[test]
fn continue_is_masked_at_the_start_and_after_the_track_ends() {
    let tracks = table();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let v = video(&[6.0, 6.0, 6.0, 6.0]);
    let mut ep = obj.start(&v, 1).unwrap();
    assert!(!ep.continue_valid(), "no track is playing at t = 0");
    assert!(ep.action_valid(Action::Track(3)));
    assert!(!ep.action_valid(Action::Track(4)), "row beyond the source");

    // Track 1 lasts 10 s: after one 6 s segment it has 4 s left, so CONTINUE is valid once.
    let s = ep.step(Action::Track(1)).unwrap().transition;
    assert_eq!((s.track, s.offset, s.track_offset_after), (1, 0.0, 6.0));
    assert!(!s.track_ended);
    assert!(ep.continue_valid());
    // The track runs out during this segment: not penalised, not truncated ...
    let s = ep.step(Action::Continue).unwrap().clone();
    assert_eq!(s.transition.offset, 6.0);
    assert_eq!(s.transition.track_offset_after, 12.0);
    assert!(s.transition.track_ended);
    assert_eq!(s.terms.illegal_penalty, 0.0);
    // ... only the next CONTINUE is masked.
    assert!(!ep.continue_valid());
    assert!(ep.action_valid(Action::Track(1)));
}

#[test]
fn a_masked_continue_costs_five_plays_row_zero_and_ends_the_episode() {
    let tracks = table();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let v = video(&[6.0, 6.0, 6.0]);
    let mut ep = obj.start(&v, 2).unwrap();
    let s = ep.step(Action::Continue).unwrap().clone();
    assert!(s.terminated && s.transition.illegal);
    assert_eq!(s.terms.illegal_penalty, -5.0);
    assert_eq!(s.transition.track, 0);
    // Terminal terms are paid at once: 0 switches against a budget of 2.
    assert!((s.terms.switch_reward - (-0.3 * 2.0)).abs() < 1e-12);
    assert!(ep.is_done());
    assert!(matches!(
        ep.step(Action::Track(0)),
        Err(crate::QueryError::EpisodeOver { .. })
    ));
    let out = ep.finish();
    assert!(out.terminated_early);
    assert_eq!(out.steps.len(), 1);
    assert_eq!(out.segments, 3);
}

#[test]
fn masked_continue_after_the_end_keeps_the_stale_offset() {
    let tracks = table();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let v = video(&[12.0, 6.0, 6.0]);
    let mut ep = obj.start(&v, 0).unwrap();
    ep.step(Action::Track(1)).unwrap(); // 12 s ≥ 10 s: ended at once
    assert!(!ep.continue_valid());
    let s = ep.step(Action::Continue).unwrap().clone();
    assert!(s.transition.illegal && s.terminated);
    assert_eq!(s.transition.track_offset_after, 12.0);
    assert!(s.transition.track_ended);
    // Smoothness is computed against the previous track, with row 0 as the current one.
    assert!(s.terms.aa_bpm_diff < 0.0);
}

#[test]
fn repetition_and_switch_counting_follow_the_raw_action_list() {
    let tracks = table();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let v = video(&[5.0; 6]);
    let mut ep = obj.start(&v, 3).unwrap();
    let pen = |ep: &mut Episode, a| ep.step(a).unwrap().terms.same_track_penalty;
    assert_eq!(pen(&mut ep, Action::Track(2)), 0.0);
    assert_eq!(
        ep.state().switch_count(),
        0,
        "the first pick is not a switch"
    );
    assert_eq!(pen(&mut ep, Action::Continue), 0.0);
    // Same track as NEW right after itself: −1 (consecutive) −1 (one earlier NEW pick).
    assert_eq!(pen(&mut ep, Action::Track(2)), -2.0);
    assert_eq!(
        ep.state().switch_count(),
        1,
        "restarting a track is a switch"
    );
    assert_eq!(ep.state().track_offset(), 5.0, "and restarts it");
    assert_eq!(pen(&mut ep, Action::Track(0)), 0.0);
    // CONTINUE steps do not count as picks: two earlier NEW picks of track 2.
    assert_eq!(pen(&mut ep, Action::Track(2)), -2.0);
    assert_eq!(ep.state().new_picks(2), 3);
    assert_eq!(ep.state().switch_count(), 3);
}

#[test]
fn first_step_reports_placeholders_and_adds_no_smoothness() {
    let tracks = table();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let v = video(&[5.0, 5.0]);
    let ep = obj.start(&v, 1).unwrap();
    let s = ep.evaluate(Action::Track(2)).unwrap();
    assert_eq!(s.terms.smoothness_reward, 1.0);
    assert_eq!(s.terms.vv_audio_similarity, 1.0);
    assert_eq!(s.terms.aa_bpm_diff, 0.0);
    assert_eq!(s.terms.switch_reward, 0.0);
    assert!((s.reward - s.terms.alignment_reward).abs() < 1e-12);
    assert_eq!(ep.t(), 0, "evaluate does not step");
}

#[test]
fn train_mode_gates_alignment_of_continued_segments_only() {
    let tracks = table();
    let r = reference();
    let v = video(&[20.0, 30.0, 5.0]);
    let run = |mode| {
        let cfg = ObjectiveConfig {
            mode,
            ..ObjectiveConfig::default()
        };
        let obj = Objective::new(&tracks, &r, cfg).unwrap();
        let mut ep = obj.start(&v, 0).unwrap();
        let a = ep.step(Action::Track(2)).unwrap().clone();
        let b = ep.step(Action::Continue).unwrap().clone();
        (a, b)
    };
    let (a_train, b_train) = run(Mode::Train);
    let (a_test, b_test) = run(Mode::Test);
    assert_eq!(a_train.terms.alignment_gating_factor, 1.0);
    assert_eq!(
        a_train.terms.alignment_reward,
        a_test.terms.alignment_reward
    );
    let gate = (-0.01f64 * 20.0).exp();
    assert!((b_train.terms.alignment_gating_factor - gate).abs() < 1e-15);
    assert!((b_train.terms.alignment_reward - gate * b_test.terms.alignment_reward).abs() < 1e-12);
}

/// The reference's theme term, computed the long way: normalised mean, then a cosine per step.
fn theme_direct(tracks: &TrackTable, heard: &[Row]) -> f64 {
    let dim = 3;
    let mut z = vec![0.0f64; dim];
    for &r in heard {
        for (k, x) in tracks.tracks()[r as usize]
            .audio_emb
            .as_ref()
            .unwrap()
            .iter()
            .enumerate()
        {
            z[k] += *x as f64 / heard.len() as f64;
        }
    }
    let zn = z.iter().map(|x| x * x).sum::<f64>().sqrt();
    let z: Vec<f32> = z.iter().map(|x| (x / (zn + 1e-6)) as f32).collect();
    let s: f64 = heard
        .iter()
        .map(|&r| cosine(tracks.tracks()[r as usize].audio_emb.as_ref().unwrap(), &z) as f64)
        .sum();
    0.3 * s / heard.len() as f64
}

#[test]
fn theme_running_sums_match_the_direct_definition() {
    let tracks = table();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let v = video(&[5.0; 5]);
    let plan = [
        Action::Track(0),
        Action::Continue,
        Action::Track(3),
        Action::Track(2),
    ];
    let mut ep = obj.start(&v, 2).unwrap();
    for a in plan {
        ep.step(a).unwrap();
    }
    let eval = ep.evaluator().unwrap();
    for last in 0..4u64 {
        let s = eval.evaluate(Action::Track(last)).unwrap();
        assert!(s.terminated);
        let want = theme_direct(&tracks, &[0, 0, 3, 2, last]);
        assert!(
            (s.terms.theme_reward - want).abs() < 1e-6,
            "last {last}: {} vs {want}",
            s.terms.theme_reward
        );
    }
    let s = eval.evaluate(Action::Continue).unwrap();
    assert!((s.terms.theme_reward - theme_direct(&tracks, &[0, 0, 3, 2, 2])).abs() < 1e-6);
}

#[test]
fn missing_embeddings_count_as_zero_vectors() {
    let mut t = table().tracks().to_vec();
    t[2].audio_emb = None;
    let tracks = TrackTable::new(t).unwrap();
    let r = reference();
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let mut v = video(&[5.0, 5.0]);
    v.segments[1].text_emb = None;
    v.segments[1].caption = Some("a caption not yet embedded".into());
    let mut ep = obj.start(&v, 0).unwrap();
    let s = ep.step(Action::Track(2)).unwrap().clone();
    assert_eq!(s.terms.va_audio_similarity, 0.0);
    assert_eq!(s.terms.va_audio_ref_similarity, 0.0);
    let s = ep.step(Action::Track(0)).unwrap().clone();
    assert_eq!(s.terms.va_text_similarity, 0.0);
    assert_eq!(s.terms.vv_text_similarity, 0.0);
    assert_eq!(s.terms.aa_audio_similarity, 0.0);
    assert!(s.terms.theme_reward.is_finite());
}

#[test]
fn objective_checks_its_inputs() {
    let tracks = table();
    let bad_ref = ReferenceEmbeddings {
        audio: Some(vec![1.0; 4]),
        text: None,
    };
    assert!(matches!(
        Objective::new(&tracks, &bad_ref, ObjectiveConfig::default()),
        Err(crate::QueryError::DimensionMismatch {
            expected: 3,
            got: 4,
            ..
        })
    ));
    let r = reference();
    let mut cfg = ObjectiveConfig::default();
    cfg.weights.theme = f64::NAN;
    assert!(Objective::new(&tracks, &r, cfg).is_err());
    let empty = TrackTable::new(vec![]).unwrap();
    assert!(Objective::new(&empty, &r, ObjectiveConfig::default()).is_err());
    let obj = Objective::new(&tracks, &r, ObjectiveConfig::default()).unwrap();
    let mut v = video(&[5.0]);
    v.segments[0].audio_emb = Some(vec![1.0, 2.0]);
    assert!(matches!(
        obj.start(&v, 0),
        Err(crate::QueryError::InvalidVideo(_))
    ));
    let one = video(&[5.0]);
    let ep = obj.start(&one, 0).unwrap();
    assert!(matches!(
        ep.evaluate(Action::Track(9)),
        Err(crate::QueryError::RowOutOfRange { row: 9, rows: 4 })
    ));
}

#[test]
fn weights_deserialize_with_reference_names_and_defaults() {
    let w: Weights = serde_json::from_str(r#"{"w_switch": 1.5}"#).unwrap();
    assert_eq!(w.switch, 1.5);
    assert_eq!(w.alignment, 1.0);
    let c: ObjectiveConfig = serde_json::from_str(r#"{"mode": "train"}"#).unwrap();
    assert_eq!(c.mode, Mode::Train);
    assert_eq!(c.weights, Weights::default());
    assert!(serde_json::from_str::<Weights>(r#"{"w_typo": 1}"#).is_err());
}

/// A video of `n` 5 s segments whose audio embeddings turn by `step` radians per segment, with
/// `changes` music-change flags (or none at all).
fn turning_video(id: &str, n: usize, step: f32, changes: Option<usize>) -> Video {
    let segments = (0..n)
        .map(|i| {
            let a = i as f32 * step;
            Segment {
                start: i as f64 * 5.0,
                end: (i + 1) as f64 * 5.0,
                audio_emb: Some(vec![a.cos(), a.sin(), 0.0]),
                text_emb: Some(vec![1.0, i as f32]),
                caption: None,
                music_change: changes.map(|c| i >= 1 && i <= c),
                ..Default::default()
            }
        })
        .collect();
    Video {
        id: id.into(),
        segments,
        switch_budget: None,
    }
}

#[test]
fn visual_variability_is_the_mean_turn_between_segments() {
    let v = turning_video("v", 4, 0.5, None);
    let sigma = visual_variability(&v).unwrap();
    assert!((sigma - (1.0 - 0.5f64.cos())).abs() < 1e-6, "{sigma}");
    assert_eq!(
        visual_variability(&turning_video("one", 1, 0.5, None)),
        None
    );
}

#[test]
fn switch_budget_model_bins_by_sigma_quantiles() {
    // Sigma grows with the turn per segment; the switch count with it.
    let videos: Vec<Video> = (1..=10)
        .map(|k| turning_video(&format!("v{k}"), 12, 0.05 * k as f32, Some(k)))
        .chain([turning_video("unlabelled", 12, 0.3, None)])
        .collect();
    let m = SwitchBudgetModel::fit(&videos).unwrap();
    assert_eq!(m.bins.len(), 5);
    // Edges at ranks 0, 1.8, 3.6, 5.4, 7.2, 9: two videos per bin, one in the last, and the
    // largest (rank 9) in none.
    let counts: Vec<usize> = m.bins.iter().map(|b| b.videos).collect();
    assert_eq!(counts, [2, 2, 2, 2, 1], "{m:?}");
    // Bins of two videos with counts k and k+1: mean k + 0.5, std 0.5 (+1e-6).
    assert!((m.bins[0].mu - 1.5).abs() < 1e-12);
    assert!((m.bins[0].std - 0.500001).abs() < 1e-12);
    let sigma = |k: usize| visual_variability(&videos[k - 1]);
    let c = m.bin_for(sigma(3)).unwrap();
    assert_eq!((c.index, c.fell_through), (1, false));
    // The largest sigma matches no [lower, upper) bin and falls back to the last.
    let c = m.bin_for(sigma(10)).unwrap();
    assert_eq!((c.index, c.fell_through), (4, true));
    assert!(m.bin_for(None).unwrap().fell_through);
    // round(3.5) = 4 and round(1.5) = 2: ties to even, as Python rounds.
    assert_eq!(m.expected_budget(sigma(3)).unwrap(), 4);
    assert_eq!(m.expected_budget(sigma(1)).unwrap(), 2);
    let mut with_budget = videos[0].clone();
    with_budget.switch_budget = Some(9);
    assert_eq!(m.budget_for(&with_budget).unwrap(), 9);
    assert_eq!(m.budget_for(&videos[0]).unwrap(), 2);
    // Sampling is seeded and stays near the bin mean.
    use rand::SeedableRng;
    let draw = |seed| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..50)
            .map(|_| m.sample_budget(sigma(5), 1.0, &mut rng).unwrap())
            .collect::<Vec<_>>()
    };
    let a = draw(1);
    assert_eq!(a, draw(1));
    assert!(a.iter().all(|b| (3..=8).contains(b)), "{a:?}");
    assert!(a.iter().collect::<std::collections::HashSet<_>>().len() > 1);
    // A round trip through JSON (what `segue fit` saves).
    let back: SwitchBudgetModel =
        serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);
}

#[test]
fn switch_budget_model_needs_labelled_videos_and_fills_empty_bins() {
    let unlabelled = [turning_video("u", 6, 0.2, None)];
    assert!(SwitchBudgetModel::fit(&unlabelled).is_err());
    // Three videos with equal sigma: every quantile edge is the same value, so each
    // [lower, upper) bin is empty and holds the all-video statistics instead of NaN.
    let same: Vec<Video> = (0..3)
        .map(|i| turning_video(&format!("s{i}"), 6, 0.2, Some(i + 1)))
        .collect();
    let m = SwitchBudgetModel::fit(&same).unwrap();
    assert!(
        m.bins
            .iter()
            .all(|b| b.videos == 0 && (b.mu - 2.0).abs() < 1e-12)
    );
    assert_eq!(m.expected_budget(visual_variability(&same[0])).unwrap(), 2);
}

#[test]
fn reference_embeddings_weight_videos_equally() {
    let mut long = turning_video("long", 9, 0.0, None); // audio [1,0,0] everywhere
    let mut short = turning_video("short", 1, 0.0, None);
    short.segments[0].audio_emb = Some(vec![0.0, 1.0, 0.0]);
    // A segment without a text embedding is left out of the text mean only.
    long.segments[0].text_emb = None;
    long.segments[0].caption = Some("c".into());
    let r = ReferenceEmbeddings::from_videos(&[long.clone(), short]).unwrap();
    let a = r.audio.unwrap();
    let h = std::f32::consts::FRAC_1_SQRT_2;
    assert!((a[0] - h).abs() < 1e-6 && (a[1] - h).abs() < 1e-6, "{a:?}");
    // Text: long's mean is [1, 4.5] (segments 1..8), short's [1, 0]: mean [1, 2.25].
    let t = r.text.unwrap();
    let n = (1.0f32 + 2.25 * 2.25).sqrt();
    assert!(
        (t[0] - 1.0 / n).abs() < 1e-6 && (t[1] - 2.25 / n).abs() < 1e-6,
        "{t:?}"
    );
    let mut odd = long;
    odd.segments[1].audio_emb = Some(vec![1.0, 0.0]);
    assert!(matches!(
        ReferenceEmbeddings::from_videos(&[odd]),
        Err(crate::QueryError::DimensionMismatch { .. })
    ));
    let none = ReferenceEmbeddings::from_videos(&[]).unwrap();
    assert_eq!(none, ReferenceEmbeddings::default());
}

/// Three tracks of rising energy (otherwise alike) and a video whose second segment moves most.
fn motion_fixture() -> (TrackTable, Video) {
    let t = |energy: f64| Track {
        audio_emb: Some(vec![1.0, 0.0, 0.0]),
        text_emb: None,
        features: TrackFeatures {
            energy,
            ..features(300.0, 100.0)
        },
    };
    let tracks = TrackTable::new(vec![t(0.1), t(0.5), t(0.9)]).unwrap();
    let mut v = video(&[10.0, 10.0, 10.0]);
    for (s, m) in v.segments.iter_mut().zip([0.2, 3.0, 1.0]) {
        s.motion = Some(m);
        s.text_emb = None;
    }
    (tracks, v)
}

#[test]
fn motion_energy_is_off_at_weight_zero_and_pairs_ranks_otherwise() {
    let (tracks, video) = motion_fixture();
    let reference = ReferenceEmbeddings::default();
    let report = |weight: f64, row: Row| {
        let config = ObjectiveConfig {
            weights: Weights {
                motion_energy: weight,
                ..Weights::default()
            },
            ..ObjectiveConfig::default()
        };
        let objective = Objective::new(&tracks, &reference, config).unwrap();
        let mut ep = objective.start(&video, 1).unwrap();
        ep.step(Action::Track(0)).unwrap();
        ep.evaluate(Action::Track(row)).unwrap()
    };
    // Weight 0: the term is neither added nor reported, whatever the track.
    for row in 0..3 {
        assert_eq!(report(0.0, row).terms.motion_energy_reward, 0.0);
    }
    let off: Vec<f64> = (0..3).map(|r| report(0.0, r).reward).collect();
    // Segment 1 has the most motion (rank 1): the most energetic track pairs best.
    let pairing: Vec<f64> = (0..3)
        .map(|r| report(2.0, r).terms.motion_energy_reward)
        .collect();
    assert_eq!(pairing, vec![0.0, 0.5, 1.0]);
    for r in 0..3 {
        let on = report(2.0, r as Row).reward;
        assert!((on - off[r] - 2.0 * pairing[r]).abs() < 1e-12, "row {r}");
    }
}
