use std::collections::HashMap;

use segue_models::audio::key::Key;

use super::director::{self, SceneChange, direct, tempo_compatible, wants_bridge};
use super::*;
use crate::objective::StepTerms;
use crate::soundtrack::{PlanTiming, PlannedAction, PlannedSegment, SoundtrackPlan};
use crate::video::{Segment, Video};

/// A track with a steady grid: `bpm`, 4/4, the first beat at `first`, `seconds` long.
fn gridded(row: u64, bpm: f64, first: f64, seconds: f64, key: &str) -> TrackAnalysis {
    let period = 60.0 / bpm;
    let beats: Vec<f64> = (0..)
        .map(|i| first + i as f64 * period)
        .take_while(|&t| t < seconds)
        .collect();
    let downbeats: Vec<f64> = beats.iter().step_by(4).copied().collect();
    TrackAnalysis {
        row,
        track_id: format!("t{row}"),
        duration: seconds,
        audio_path: None,
        bpm: Some(bpm),
        section_starts: downbeats.iter().step_by(8).copied().collect(),
        beats,
        downbeats,
        key: Some(key.parse::<Key>().unwrap()),
        bar_energy_db: vec![],
        loudness_db: Some(-14.0 - row as f64),
        energy: Some(0.5),
    }
}

fn ungridded(row: u64, seconds: f64) -> TrackAnalysis {
    TrackAnalysis {
        row,
        track_id: format!("t{row}"),
        duration: seconds,
        ..Default::default()
    }
}

/// Segments with unit-vector embeddings: `emb[i]` is the index of the axis segment `i` points
/// along (equal axes: cosine 1, different: 0).
fn video(bounds: &[f64], axes: &[usize]) -> Video {
    Video {
        id: "v".into(),
        segments: bounds
            .windows(2)
            .zip(axes)
            .map(|(w, &axis)| {
                let mut e = vec![0.0f32; 4];
                e[axis] = 1.0;
                Segment {
                    start: w[0],
                    end: w[1],
                    audio_emb: Some(e),
                    ..Default::default()
                }
            })
            .collect(),
        switch_budget: None,
    }
}

/// A plan of `video` placing `rows[i]` at segment `i` (a repeated row continues).
fn plan(video: &Video, rows: &[u64]) -> SoundtrackPlan {
    let segments = video
        .segments
        .iter()
        .zip(rows)
        .enumerate()
        .map(|(i, (s, &row))| PlannedSegment {
            index: i,
            start: s.start,
            end: s.end,
            action: if i > 0 && rows[i - 1] == row {
                PlannedAction::Continue
            } else {
                PlannedAction::New
            },
            track_id: format!("t{row}"),
            title: None,
            artist: None,
            row,
            offset: 0.0,
            track_duration: None,
            reward: 0.0,
            terms: StepTerms::default(),
        })
        .collect();
    SoundtrackPlan {
        video_id: video.id.clone(),
        policy: "test".into(),
        library_version: 1,
        segments,
        total_reward: 0.0,
        mean_alignment: 0.0,
        mean_alignment_cosine: 0.0,
        mean_audio_cosine: 0.0,
        mean_text_cosine: 0.0,
        switches: 0,
        switch_budget: 0,
        distinct_tracks: 0,
        switch_reward: 0.0,
        theme_reward: 0.0,
        motion_energy_spearman: None,
        timing: PlanTiming::default(),
        arrangement: None,
    }
}

fn by_row(tracks: Vec<TrackAnalysis>) -> HashMap<u64, TrackAnalysis> {
    tracks.into_iter().map(|t| (t.row, t)).collect()
}

fn on_grid(times: &[f64], clip: &Clip, t: f64) -> bool {
    times
        .iter()
        .any(|&d| (clip.timeline_in + d - clip.source_in - t).abs() <= 1e-6)
}

#[test]
fn changes_fall_on_bar_starts_and_the_mix_is_exactly_the_video() {
    // Soft scene changes between clashing tracks: fades, whose free silence lets every track
    // reach its next change on a bar start.
    let v = video(&[0.0, 9.3, 21.7, 33.1, 47.9], &[0, 0, 0, 0]);
    let tracks = by_row(vec![
        gridded(0, 120.0, 0.31, 180.0, "A minor"),
        gridded(1, 96.0, 0.12, 200.0, "F# major"),
        gridded(2, 140.0, 0.05, 150.0, "C major"),
    ]);
    let p = plan(&v, &[0, 1, 1, 2]);
    let a = arrange(&p, &v, &tracks, &HashMap::new());
    assert_eq!(a.duration, 47.9);
    assert_eq!(a.transitions.len(), 2);
    assert!(a.transitions.iter().all(|t| t.kind == TransitionKind::Fade));
    assert!(a.ends_on_bar);
    assert_eq!(a.clips.len(), 3);
    for (t, pair) in a.transitions.iter().zip(a.clips.windows(2)) {
        let (out, inc) = (&pair[0], &pair[1]);
        let beat = tracks[&out.row].beat_period().unwrap();
        assert!(t.out_on_downbeat, "{t:?}");
        assert!(t.in_on_downbeat, "{t:?}");
        // A cut stops the outgoing track on a bar start (plus the declick ramp); other kinds
        // reach silence on it.
        let stop = if t.kind == TransitionKind::Cut {
            t.out_end - DECLICK_S
        } else {
            t.out_end
        };
        assert!(on_grid(&tracks[&out.row].downbeats, out, stop), "{t:?}");
        assert!((stop - t.boundary).abs() <= beat + 1e-9, "{t:?}");
        assert!(on_grid(&tracks[&inc.row].downbeats, inc, inc.timeline_in));
        assert_eq!(out.timeline_out, t.out_end);
        assert_eq!(inc.timeline_in, t.in_start);
    }
    for c in &a.clips {
        assert!((c.source_out - c.source_in - c.duration()).abs() < 1e-9);
        assert!(c.source_in >= 0.0 && c.source_out <= tracks[&c.row].duration);
    }
    let last = a.clips.last().unwrap();
    assert_eq!(
        last.timeline_out, 47.9,
        "the last fade reaches silence at the end"
    );
    assert!(last.fade_out.seconds > 1.0);
    assert_eq!(last.envelope(47.9), 0.0);
    // The in-point is not always the track's start any more, and the plan says where it is.
    let mut p = p;
    super::sync_offsets(&mut p, &a);
    assert_eq!(p.segments[1].offset, a.clips[1].source_in);
    assert!((p.segments[2].offset - (a.clips[1].source_time(21.7))).abs() < 1e-9);
}

#[test]
fn hard_scene_changes_cut_and_compatible_tracks_crossfade() {
    let a = gridded(0, 120.0, 0.0, 100.0, "A minor");
    let b = gridded(1, 123.0, 0.0, 100.0, "C major"); // relative major, tempo within 6 %
    let c = gridded(2, 150.0, 0.0, 100.0, "F# major"); // clashes with both
    let scene = |cosine| SceneChange {
        cosine: Some(cosine),
        ..Default::default()
    };
    assert_eq!(direct(&scene(0.1), &a, &b, false).kind, TransitionKind::Cut);
    let soft = direct(&scene(0.9), &a, &b, false);
    assert_eq!((soft.kind, soft.beats), (TransitionKind::Crossfade, 8.0));
    let mid = direct(&scene(0.6), &a, &b, false);
    assert_eq!((mid.kind, mid.beats), (TransitionKind::Crossfade, 4.0));
    assert_eq!(
        direct(&scene(0.9), &a, &c, false).kind,
        TransitionKind::Fade
    );
    assert_eq!(direct(&scene(0.6), &a, &c, false).kind, TransitionKind::Gap);
    let quieter = TrackAnalysis {
        energy: Some(0.2),
        ..c.clone()
    };
    assert_eq!(
        direct(&scene(0.6), &a, &quieter, false).kind,
        TransitionKind::Fade
    );
    let louder = TrackAnalysis {
        energy: Some(0.9),
        ..c.clone()
    };
    let flagged = SceneChange {
        cosine: Some(0.6),
        music_change: Some(true),
        ..Default::default()
    };
    assert_eq!(
        direct(&flagged, &a, &louder, false).kind,
        TransitionKind::Cut
    );
    let forced = SceneChange {
        forced: Some(TransitionKind::Gap),
        ..scene(0.9)
    };
    assert_eq!(direct(&forced, &a, &b, false).kind, TransitionKind::Gap);
    // No key, no crossfade.
    let keyless = TrackAnalysis { key: None, ..b };
    assert_ne!(
        direct(&scene(0.9), &a, &keyless, false).kind,
        TransitionKind::Crossfade
    );
}

#[test]
fn tempo_compatibility_allows_half_and_double_time() {
    assert!(tempo_compatible(120.0, 126.0));
    assert!(!tempo_compatible(120.0, 130.0));
    assert!(tempo_compatible(120.0, 61.0));
    assert!(tempo_compatible(80.0, 158.0));
    assert!(!tempo_compatible(100.0, 150.0));
}

#[test]
fn every_kind_is_placed_with_its_times() {
    let tracks = by_row(vec![
        gridded(0, 120.0, 0.0, 200.0, "A minor"),
        gridded(1, 120.0, 0.0, 200.0, "A minor"),
    ]);
    // Bridges need a bridge track: `a_bridge_links_clashing_tracks_on_their_bar_starts`.
    let kinds = TransitionKind::ALL
        .into_iter()
        .filter(|k| *k != TransitionKind::Bridge);
    for kind in kinds {
        let mut v = video(&[0.0, 20.0, 40.0], &[0, 0]);
        v.segments[1].transition = Some(kind);
        let a = arrange(&plan(&v, &[0, 1]), &v, &tracks, &HashMap::new());
        let t = &a.transitions[0];
        assert_eq!(t.kind, kind);
        assert_eq!(t.reason, "forced by the video");
        // 20 s is a bar start of the outgoing track.
        let stop = match kind {
            TransitionKind::Cut => t.out_end - DECLICK_S,
            _ => t.out_end,
        };
        assert!((stop - 20.0).abs() < 1e-9, "{kind:?}: {t:?}");
        match kind {
            TransitionKind::Cut => {
                assert_eq!(t.in_start, 20.0);
                assert!((t.out_end - t.out_fade_start - DECLICK_S).abs() < 1e-12);
            }
            TransitionKind::Crossfade => {
                assert!(
                    (t.in_start - 18.0).abs() < 1e-9,
                    "one bar of overlap: {t:?}"
                );
                assert!((t.out_fade_start - t.in_start).abs() < 1e-9);
                assert!((t.in_full - t.out_end).abs() < 1e-9);
            }
            TransitionKind::Fade => {
                assert_eq!(t.in_start, t.out_end);
                assert!(
                    (t.out_end - t.out_fade_start - 1.0).abs() < 1e-9,
                    "two beats"
                );
            }
            TransitionKind::Gap => {
                // One to four beats of silence: four puts the incoming bars on the end.
                assert!((t.in_start - t.out_end - 2.0).abs() < 1e-9, "{t:?}");
            }
            TransitionKind::Bridge => unreachable!(),
        }
        // Equal power across the crossfade: the two gains' squares sum to 1.
        if kind == TransitionKind::Crossfade {
            for k in 0..=10 {
                let x = t.in_start + (t.out_end - t.in_start) * k as f64 / 10.0;
                let (g_out, g_in) = (a.clips[0].envelope(x), a.clips[1].envelope(x));
                assert!((g_out * g_out + g_in * g_in - 1.0).abs() < 1e-9, "at {x}");
            }
        }
        assert!(a.ends_on_bar, "40 s is a bar start of the incoming track");
    }
}

#[test]
fn tracks_without_analysis_change_at_the_boundaries() {
    let v = video(&[0.0, 7.25, 15.5], &[0, 0]);
    let tracks = by_row(vec![ungridded(0, 60.0), ungridded(1, 60.0)]);
    let a = arrange(&plan(&v, &[0, 1]), &v, &tracks, &HashMap::new());
    let t = &a.transitions[0];
    assert!(!t.out_on_downbeat && !t.in_on_downbeat);
    assert_eq!(
        t.kind,
        TransitionKind::Fade,
        "unknown tempo and key never crossfade"
    );
    assert_eq!(t.out_end, 7.25);
    assert_eq!(a.clips[0].source_in, 0.0);
    assert_eq!(a.clips[1].timeline_out, 15.5);
}

#[test]
fn a_track_shorter_than_its_segments_fades_at_its_own_end() {
    let v = video(&[0.0, 30.0], &[0]);
    let tracks = by_row(vec![gridded(0, 120.0, 0.0, 20.0, "C major")]);
    let a = arrange(&plan(&v, &[0]), &v, &tracks, &HashMap::new());
    let c = &a.clips[0];
    assert!(c.source_out <= 20.0 + 1e-9);
    assert!(c.timeline_out <= 20.0 + 1e-9);
    assert_eq!(a.duration, 30.0);
}

#[test]
fn level_matching_brings_tracks_to_their_median_loudness() {
    let v = video(&[0.0, 20.0, 40.0, 60.0], &[0, 1, 2]);
    let tracks = by_row(vec![
        gridded(0, 120.0, 0.0, 200.0, "A minor"),
        gridded(1, 120.0, 0.0, 200.0, "A minor"),
        gridded(2, 120.0, 0.0, 200.0, "A minor"),
    ]);
    let a = arrange(&plan(&v, &[0, 1, 2]), &v, &tracks, &HashMap::new());
    let gains: Vec<f64> = a.clips.iter().map(|c| c.gain_db).collect();
    assert_eq!(
        gains,
        vec![-1.0, 0.0, 1.0],
        "loudness −14, −15, −16: median −15"
    );
}

#[test]
fn transition_names_read_back_and_unknown_ones_are_refused() {
    for k in TransitionKind::ALL {
        assert_eq!(k.name().parse::<TransitionKind>(), Ok(k));
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, format!("\"{}\"", k.name()));
    }
    assert!("wipe".parse::<TransitionKind>().is_err());
    let bad = r#"{"start": 0, "end": 1, "transition": "wipe"}"#;
    let e = serde_json::from_str::<Segment>(bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("wipe"), "{e}");
}

#[test]
fn after_a_cut_the_next_change_is_still_on_a_beat_within_one_beat() {
    // Hard changes only: a cut leaves the incoming track no freedom of phase, so its own exit
    // may fall on a beat rather than a bar start; it is never further than a beat away.
    let v = video(&[0.0, 9.3, 21.7, 33.1, 47.9], &[0, 1, 2, 3]);
    let tracks = by_row(vec![
        gridded(0, 120.0, 0.31, 180.0, "A minor"),
        gridded(1, 96.0, 0.12, 200.0, "F# major"),
        gridded(2, 140.0, 0.05, 150.0, "C major"),
        gridded(3, 100.0, 0.2, 150.0, "C major"),
    ]);
    let a = arrange(&plan(&v, &[0, 1, 2, 3]), &v, &tracks, &HashMap::new());
    assert!(
        a.transitions[0].out_on_downbeat,
        "the first track's pickup lines it up"
    );
    for (t, out) in a.transitions.iter().zip(&a.clips) {
        assert_eq!(t.kind, TransitionKind::Cut);
        assert!(t.in_on_downbeat);
        let stop = t.out_end - DECLICK_S;
        let beat = tracks[&out.row].beat_period().unwrap();
        assert!(on_grid(&tracks[&out.row].beats, out, stop), "{t:?}");
        assert!((stop - t.boundary).abs() <= beat + 1e-9, "{t:?}");
    }
}

#[test]
fn bar_levels_match_the_two_sides_of_a_transition() {
    // Track 1 is 10 dB quieter in its first bars than track 0 at its end: the incoming clip is
    // raised by the difference, whatever their integrated loudness says.
    let mut a = gridded(0, 120.0, 0.0, 200.0, "A minor");
    let mut b = gridded(1, 120.0, 0.0, 200.0, "A minor");
    a.bar_energy_db = vec![-12.0; a.downbeats.len()];
    b.bar_energy_db = vec![-22.0; b.downbeats.len()];
    let v = video(&[0.0, 20.0, 40.0], &[0, 0]);
    let arr = arrange(&plan(&v, &[0, 1]), &v, &by_row(vec![a, b]), &HashMap::new());
    let (g0, g1) = (arr.clips[0].gain_db, arr.clips[1].gain_db);
    assert!((g1 - g0 - 10.0).abs() < 1e-9, "{g0} {g1}");
}

#[test]
fn a_track_that_runs_out_before_its_change_stops_where_its_audio_does() {
    // Track 0 lasts 15 s but plays until the change at 20 s: it fades to its own end, and the
    // transition says so.
    let v = video(&[0.0, 20.0, 40.0], &[0, 0]);
    let tracks = by_row(vec![
        gridded(0, 120.0, 0.0, 15.0, "A minor"),
        gridded(1, 120.0, 0.0, 200.0, "C major"),
    ]);
    let a = arrange(&plan(&v, &[0, 1]), &v, &tracks, &HashMap::new());
    let (t, c) = (&a.transitions[0], &a.clips[0]);
    assert!(c.source_out <= 15.0 + 1e-9, "{c:?}");
    assert_eq!(t.out_end, c.timeline_out);
    assert!((t.out_fade_start - (c.timeline_out - c.fade_out.seconds)).abs() < 1e-12);
    assert!(!t.out_on_downbeat);
}

#[test]
fn every_clip_is_playable_even_with_segments_shorter_than_a_beat() {
    // Tiny segments (under a beat at 120 BPM), the last one too, with every kind forced: each
    // clip must still start before it ends, inside the video, with equal source and timeline
    // spans (what the renderer checks).
    let bounds = [0.0, 6.0, 6.3, 6.5, 12.0, 12.2];
    let tracks = by_row(
        (0..5)
            .map(|r| gridded(r, 120.0 + r as f64, 0.1, 200.0, "A minor"))
            .collect(),
    );
    for kind in TransitionKind::ALL {
        let mut v = video(&bounds, &[0, 1, 2, 3, 0]);
        for s in &mut v.segments {
            s.transition = Some(kind);
        }
        let a = arrange(&plan(&v, &[0, 1, 2, 3, 4]), &v, &tracks, &HashMap::new());
        for c in &a.clips {
            assert!(
                c.timeline_in >= 0.0 && c.timeline_in < c.timeline_out,
                "{kind:?}: {c:?}"
            );
            assert!(c.timeline_out <= a.duration + 1e-9, "{kind:?}: {c:?}");
            assert!((c.source_out - c.source_in - c.duration()).abs() < 1e-9);
        }
        for w in a.clips.windows(2) {
            assert!(
                w[0].timeline_in <= w[1].timeline_in,
                "{kind:?}: clips in order"
            );
        }
    }
}

fn bridge_track(track: TrackAnalysis) -> HashMap<usize, BridgeTrack> {
    HashMap::from([(
        1,
        BridgeTrack {
            track,
            similarity: 0.9,
        },
    )])
}

#[test]
fn a_bridge_links_clashing_tracks_on_their_bar_starts() {
    // A minor (Camelot 8A) and G major (9B) clash; E minor (9A) neighbours both, and 123 BPM
    // is within 6 % of 120 and of 126.
    let a = gridded(0, 120.0, 0.0, 200.0, "A minor");
    let b = gridded(1, 126.0, 0.2, 200.0, "G major");
    let c = gridded(7, 123.0, 0.1, 200.0, "E minor");
    assert!(!director::tracks_mix(&a, &b), "8A and 9B clash");
    assert!(bridge::mixes_with_both(&c, &a, &b));
    let mut v = video(&[0.0, 20.0, 40.0], &[0, 0]);
    v.segments[1].transition = Some(TransitionKind::Bridge);
    let tracks = by_row(vec![a.clone(), b.clone()]);
    let arr = arrange(&plan(&v, &[0, 1]), &v, &tracks, &bridge_track(c.clone()));
    let t = &arr.transitions[0];
    assert_eq!(t.kind, TransitionKind::Bridge, "{t:?}");
    let roles: Vec<ClipRole> = arr.clips.iter().map(|c| c.role).collect();
    assert_eq!(roles, [ClipRole::Main, ClipRole::Bridge, ClipRole::Main]);
    let (out, mid, inc) = (&arr.clips[0], &arr.clips[1], &arr.clips[2]);
    let info = t.bridge.as_ref().unwrap();
    assert_eq!((info.track_id.as_str(), info.row), ("t7", 7));
    assert_eq!((info.start, info.end), (mid.timeline_in, mid.timeline_out));
    // The outgoing track stops on its bar start at the boundary; the bridge enters on one of
    // its own bar starts under it and stops on a later one; the incoming track enters on its
    // bar start under the bridge's last crossfade.
    assert!(
        (t.out_end - 20.0).abs() < 1e-9 && t.out_on_downbeat,
        "{t:?}"
    );
    assert!(on_grid(&a.downbeats, out, t.out_end));
    assert!(on_grid(&c.downbeats, mid, mid.timeline_in));
    assert!(on_grid(&c.downbeats, mid, mid.timeline_out));
    assert!(c.downbeats.contains(&mid.source_in));
    assert!(t.in_on_downbeat && on_grid(&b.downbeats, inc, t.in_start));
    // Whole bars of the bridge, about six seconds of them.
    let bar = 4.0 * 60.0 / 123.0;
    assert_eq!(info.bars, 4);
    assert!((mid.duration() - 4.0 * bar).abs() < 1e-6, "{mid:?}");
    // Two equal-power crossfades, and the outgoing and incoming tracks never overlap.
    assert!((mid.timeline_in - t.out_fade_start).abs() < 1e-9);
    assert!((t.in_start - (mid.timeline_out - mid.fade_out.seconds)).abs() < 1e-9);
    assert!(out.timeline_out <= inc.timeline_in, "{out:?} {inc:?}");
    for (x, y) in [(out, mid), (mid, inc)] {
        let (from, to) = (y.timeline_in, x.timeline_out);
        for k in 0..=10 {
            let s = from + (to - from) * k as f64 / 10.0;
            let (g1, g2) = (x.envelope(s), y.envelope(s));
            assert!((g1 * g1 + g2 * g2 - 1.0).abs() < 1e-9, "at {s}");
        }
    }
    assert_eq!(arr.clips.last().unwrap().timeline_out, 40.0);
}

#[test]
fn the_director_bridges_far_apart_clashing_tracks_only_when_a_bridge_was_found() {
    let a = gridded(0, 120.0, 0.0, 200.0, "A minor");
    let b = gridded(1, 126.0, 0.2, 200.0, "G major");
    let compatible = gridded(2, 121.0, 0.2, 200.0, "E minor");
    let change = |cosine| SceneChange {
        cosine: Some(cosine),
        ..Default::default()
    };
    // Far apart and clashing: a bridge is looked for; not for a hard scene change (a cut) or
    // tracks that mix (a crossfade), nor for tracks close together.
    assert!(wants_bridge(&change(0.6), &a, &b, Some(0.3)));
    assert!(!wants_bridge(&change(0.6), &a, &b, Some(0.8)));
    assert!(!wants_bridge(&change(0.2), &a, &b, Some(0.3)));
    assert!(!wants_bridge(&change(0.6), &a, &compatible, Some(0.3)));
    assert!(!wants_bridge(
        &change(0.6),
        &a,
        &ungridded(3, 60.0),
        Some(0.3)
    ));
    assert_eq!(
        direct(&change(0.6), &a, &b, true).kind,
        TransitionKind::Bridge
    );
    assert_eq!(direct(&change(0.2), &a, &b, true).kind, TransitionKind::Cut);
    assert_eq!(
        direct(&change(0.6), &a, &b, false).kind,
        TransitionKind::Gap
    );
    // A forced bridge without a bridge track fades, and says why.
    let forced = SceneChange {
        forced: Some(TransitionKind::Bridge),
        ..Default::default()
    };
    assert!(wants_bridge(&forced, &a, &compatible, None));
    let d = direct(&forced, &a, &b, false);
    assert_eq!(d.kind, TransitionKind::Fade);
    assert!(
        d.reason.contains("no track mixes with both"),
        "{}",
        d.reason
    );
}

#[test]
fn a_bridge_without_room_before_the_next_change_gives_way() {
    let a = gridded(0, 120.0, 0.0, 200.0, "A minor");
    let b = gridded(1, 126.0, 0.2, 200.0, "G major");
    let c = gridded(7, 123.0, 0.1, 200.0, "E minor");
    // Six seconds after the boundary: too short for four bars of bridge and two seconds of
    // the incoming track alone.
    let mut v = video(&[0.0, 20.0, 26.0], &[0, 0]);
    v.segments[1].transition = Some(TransitionKind::Bridge);
    let arr = arrange(
        &plan(&v, &[0, 1]),
        &v,
        &by_row(vec![a, b]),
        &bridge_track(c),
    );
    let t = &arr.transitions[0];
    assert_eq!(t.kind, TransitionKind::Fade);
    assert!(t.reason.contains("no room"), "{}", t.reason);
    assert!(t.bridge.is_none());
    assert_eq!(arr.clips.len(), 2);
    assert!(arr.clips.iter().all(|c| c.role == ClipRole::Main));
}

#[test]
fn slerp_halfway_is_a_unit_vector_equally_near_both_sides() {
    let a = [1.0f32, 0.0, 0.0];
    let b = [0.0f32, 0.6, 0.8];
    let m = bridge::slerp(&a, &b, 0.5).unwrap();
    let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
    assert!((dot(&m, &m) - 1.0).abs() < 1e-6);
    assert!((dot(&m, &a) - dot(&m, &b)).abs() < 1e-6);
    // Halfway along the great circle: 45° from each of two orthogonal vectors.
    assert!((dot(&m, &a) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    let start = bridge::slerp(&a, &b, 0.0).unwrap();
    assert!((dot(&start, &a) - 1.0).abs() < 1e-6);
    assert_eq!(bridge::slerp(&a, &a, 0.5).unwrap(), a.to_vec());
    assert!(bridge::slerp(&a, &[-1.0, 0.0, 0.0], 0.5).is_none());
}
