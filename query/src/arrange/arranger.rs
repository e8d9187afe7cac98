//! Places a plan's tracks on the video's timeline: in-points, exits on the beat grid, the
//! director's transitions, level matching, and the final fade.

use std::collections::HashMap;

use super::analysis::TrackAnalysis;
use super::bridge::{self, BridgeTrack};
use super::director::{SceneChange, direct};
use super::edit_list::{
    Arrangement, Bridge, Clip, ClipRole, DECLICK_S, Fade, Transition, TransitionKind,
};
use crate::objective::cosine;
use crate::soundtrack::{PlannedAction, SoundtrackPlan};
use crate::video::Video;

/// How close to a bar start a moment must be to count as on it (the benchmark's ±30 ms).
pub const ON_BEAT_S: f64 = 0.030;
/// The final fade: two of the last track's bars, or this long without a grid.
const FINAL_FADE_S: f64 = 3.0;
/// Fades of tracks without a beat grid.
const UNGRIDDED_FADE_S: f64 = 1.0;
/// The least time a track plays at the end of the video.
const MIN_TAIL_S: f64 = 0.05;
/// Level matching never adds or removes more than this, dB.
const MAX_GAIN_DB: f64 = 12.0;

/// A run of consecutive plan segments with the same track.
pub(super) struct Run {
    pub row: u64,
    pub first_segment: usize,
    pub start: f64,
    pub end: f64,
}

/// Where a track sits on the timeline: it is heard from `entry` on, from `source_in` on.
struct Placement {
    run: usize,
    entry: f64,
    source_in: f64,
    fade_in: f64,
}

/// Arranges `plan` (of `video`) with `tracks`, the analysis of every planned row, and
/// `bridges`, the bridge tracks found for some switches (by the segment the incoming track
/// starts at; see [`bridge::find_bridges`]).
pub fn arrange(
    plan: &SoundtrackPlan,
    video: &Video,
    tracks: &HashMap<u64, TrackAnalysis>,
    bridges: &HashMap<usize, BridgeTrack>,
) -> Arrangement {
    let runs = runs(plan);
    let duration = plan.segments.last().map_or(0.0, |s| s.end);
    // A row without analysis (none was read for it) arranges like a track without a grid.
    let unknown = TrackAnalysis::default();
    let track = |run: &Run| tracks.get(&run.row).unwrap_or(&unknown);
    let median = median_loudness(runs.iter().map(track));
    let gains: Vec<f64> = runs.iter().map(|r| gain_to(median, track(r))).collect();
    let mut clips = Vec::new();
    let mut transitions = Vec::new();
    let Some(first) = runs.first() else {
        return Arrangement {
            duration,
            transitions,
            clips,
            ends_on_bar: false,
        };
    };
    let next_target = |i: usize| runs.get(i + 1).map_or(duration, |r| r.start);
    // The first track may start on a beat before a bar start (a pickup), so that its bars
    // line up with the first change: the video's start is not a change of music.
    let (source_in, _, _) = in_point(track(first), first.start, next_target(0), true);
    let mut current = Placement {
        run: 0,
        entry: first.start,
        source_in,
        fade_in: DECLICK_S,
    };
    for (i, run) in runs.iter().enumerate().skip(1) {
        let a = track(&runs[current.run]);
        let b = track(run);
        let change = scene_change(video, run.first_segment);
        let offered = bridges.get(&run.first_segment);
        let mut direction = direct(&change, a, b, offered.is_some());
        let beat = a.beat_period().unwrap_or(UNGRIDDED_FADE_S / 2.0);
        let (mut x, mut out_on_downbeat) = exit(a, &current, run.start);
        // A change within a beat of the video's end would leave the next track no time.
        if x > duration - MIN_TAIL_S {
            x = run
                .start
                .min(duration - MIN_TAIL_S)
                .max(current.entry + DECLICK_S);
            out_on_downbeat = false;
        }
        let room = x - current.entry - current.fade_in;
        let target = next_target(i);
        if direction.kind == TransitionKind::Bridge {
            let placed = offered.and_then(|c| {
                let latest = target.min(duration);
                let gain = gain_to(median, &c.track);
                Some((c, bridge::place_bridge(c, beat, x, room, latest, gain)?))
            });
            if let Some((c, placed)) = placed {
                let bridge_clip = placed.clip;
                let outgoing = clip(
                    a,
                    &current,
                    x,
                    bridge_clip.fade_in.seconds,
                    gains[current.run],
                );
                let out_on_downbeat = out_on_downbeat && x == outgoing.timeline_out;
                let (out_end, fade_out) = (outgoing.timeline_out, outgoing.fade_out.seconds);
                // The incoming track enters on its bar start as the bridge starts fading, so
                // that it is fully in on the bridge's last bar start.
                let cross = bridge_clip.fade_out.seconds;
                let entry = bridge_clip.timeline_out - cross;
                let (source_in, in_on_downbeat, _) = in_point(b, entry, target, false);
                clips.push(outgoing);
                transitions.push(Transition {
                    segment: run.first_segment,
                    kind: TransitionKind::Bridge,
                    reason: direction.reason.to_string(),
                    from_track: a.track_id.clone(),
                    to_track: b.track_id.clone(),
                    boundary: run.start,
                    out_fade_start: out_end - fade_out,
                    out_end,
                    in_start: entry,
                    in_full: bridge_clip.timeline_out,
                    beats: Some(fade_out / beat),
                    out_on_downbeat,
                    in_on_downbeat,
                    bridge: Some(Bridge {
                        track_id: c.track.track_id.clone(),
                        row: c.track.row,
                        similarity: c.similarity,
                        start: bridge_clip.timeline_in,
                        end: bridge_clip.timeline_out,
                        bars: placed.bars,
                    }),
                });
                clips.push(bridge_clip);
                current = Placement {
                    run: i,
                    entry,
                    source_in,
                    fade_in: cross,
                };
                continue;
            }
            // No room for its bars before the next change: the other rules decide.
            direction = direct(&change, a, b, false);
            if change.forced == Some(TransitionKind::Bridge) {
                direction.reason = "bridge forced by the video, but no room for its bars before the next change: fade";
            }
        }
        // Each kind's (outgoing end, outgoing fade, incoming entry, incoming fade) for a
        // number of beats `n`; the kinds with a free length try a few and keep the one that
        // lets the incoming track reach its own next change on a bar start.
        let shape = |n: f64| -> (f64, f64, f64, f64) {
            match direction.kind {
                TransitionKind::Cut => (x + DECLICK_S, DECLICK_S, x, DECLICK_S),
                TransitionKind::Crossfade => {
                    let l = fit_fade(n * beat, room);
                    (x, l, x - l, l)
                }
                TransitionKind::Fade => {
                    let l = if a.has_grid() {
                        direction.beats * beat
                    } else {
                        UNGRIDDED_FADE_S
                    };
                    let l_in = b
                        .beat_period()
                        .map_or(UNGRIDDED_FADE_S, |p| direction.beats * p);
                    (x, fit_fade(l, room), x + n * beat, l_in)
                }
                TransitionKind::Gap => (x, DECLICK_S, x + n * beat, DECLICK_S),
                TransitionKind::Bridge => unreachable!("bridges are placed above"),
            }
        };
        let lengths: Vec<f64> = match direction.kind {
            TransitionKind::Cut => vec![0.0],
            // Never shorter than two beats, never a whole bar longer than asked.
            TransitionKind::Crossfade => (0..4)
                .map(|k| (direction.beats - k as f64).max(2.0))
                .collect(),
            // A moment of silence between the fades: none, or up to three beats.
            TransitionKind::Fade => (0..4).map(f64::from).collect(),
            TransitionKind::Gap => (1..5).map(f64::from).collect(),
            TransitionKind::Bridge => unreachable!("bridges are placed above"),
        };
        // A fade or a gap ends in silence, so the incoming track may start any time in the
        // following bar: exactly when one of its bar starts then falls on its own change.
        let silence = match direction.kind {
            TransitionKind::Fade => Some(0.0),
            TransitionKind::Gap => Some(0.5 * beat),
            _ => None,
        };
        let free = silence.and_then(|min| {
            let bar = b.bar_period()?;
            free_entry(b, x + min, x + min + bar, target)
        });
        let ((out_end, fade_out, entry, fade_in), (source_in, in_on_downbeat, _)) = match free {
            Some((entry, source_in)) => {
                let s = shape(0.0);
                ((s.0, s.1, entry, s.3), (source_in, true, 0.0))
            }
            None => lengths
                .iter()
                .enumerate()
                .map(|(k, &n)| {
                    let s = shape(n);
                    let mut choice = in_point(b, s.2, target, false);
                    // Prefer the asked length among equally good ones.
                    choice.2 += 1e-3 * k as f64;
                    (s, choice)
                })
                .min_by(|x, y| x.1.2.total_cmp(&y.1.2))
                .expect("at least one length"),
        };
        // Silence chosen for the phase must still leave the incoming track some time.
        let entry = entry.min((duration - MIN_TAIL_S).max(x));
        let fade_in = fade_in.min(0.5 * (target - entry).max(2.0 * DECLICK_S));
        let outgoing = clip(a, &current, out_end, fade_out, gains[current.run]);
        // A track whose audio ends before its exit fades to its own end: the transition says
        // when it really stops.
        let out_on_downbeat = out_on_downbeat && out_end == outgoing.timeline_out;
        let (out_end, fade_out) = (outgoing.timeline_out, outgoing.fade_out.seconds);
        clips.push(outgoing);
        transitions.push(Transition {
            segment: run.first_segment,
            kind: direction.kind,
            reason: direction.reason.to_string(),
            from_track: a.track_id.clone(),
            to_track: b.track_id.clone(),
            boundary: run.start,
            out_fade_start: out_end - fade_out,
            out_end,
            in_start: entry,
            in_full: entry + fade_in,
            beats: match direction.kind {
                TransitionKind::Crossfade => Some(fade_out / beat),
                TransitionKind::Fade => Some(direction.beats),
                _ => None,
            },
            out_on_downbeat,
            in_on_downbeat,
            bridge: None,
        });
        current = Placement {
            run: i,
            entry,
            source_in,
            fade_in,
        };
    }
    let last = track(&runs[current.run]);
    let end_fade = last
        .bar_period()
        .filter(|_| last.has_grid())
        .map_or(FINAL_FADE_S, |bar| 2.0 * bar);
    let end_fade = fit_fade(end_fade, duration - current.entry - current.fade_in);
    let ends_on_bar = timeline_downbeats(last, &current).any(|t| (t - duration).abs() <= ON_BEAT_S);
    clips.push(clip(last, &current, duration, end_fade, gains[current.run]));
    let bridge_tracks: HashMap<u64, &TrackAnalysis> =
        bridges.values().map(|c| (c.track.row, &c.track)).collect();
    match_levels_at_hand_overs(&mut clips, |row| {
        tracks
            .get(&row)
            .or_else(|| bridge_tracks.get(&row).copied())
    });
    Arrangement {
        duration,
        transitions,
        clips,
        ends_on_bar,
    }
}

pub(super) fn runs(plan: &SoundtrackPlan) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for (i, s) in plan.segments.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if s.action == PlannedAction::Continue && r.row == s.row => r.end = s.end,
            _ => runs.push(Run {
                row: s.row,
                first_segment: i,
                start: s.start,
                end: s.end,
            }),
        }
    }
    runs
}

/// The scene change into segment `i` of `video`.
pub fn scene_change(video: &Video, i: usize) -> SceneChange {
    let (Some(prev), Some(seg)) = (
        i.checked_sub(1).and_then(|p| video.segments.get(p)),
        video.segments.get(i),
    ) else {
        return SceneChange::default();
    };
    let pair = match (&prev.audio_emb, &seg.audio_emb) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => prev.text_emb.as_ref().zip(seg.text_emb.as_ref()),
    };
    SceneChange {
        cosine: pair
            .filter(|(a, b)| a.len() == b.len())
            .map(|(a, b)| cosine(a, b)),
        music_change: seg.music_change,
        forced: seg.transition,
    }
}

/// A fade of `want` seconds, at most half of `room` and at least the declick ramp.
fn fit_fade(want: f64, room: f64) -> f64 {
    want.min(0.5 * room).max(DECLICK_S)
}

/// The track's bar starts at or after its in-point, as timeline times.
fn timeline_downbeats<'a>(
    track: &'a TrackAnalysis,
    p: &'a Placement,
) -> impl Iterator<Item = f64> + 'a {
    track
        .downbeats
        .iter()
        .filter(move |&&d| d >= p.source_in - 1e-9)
        .map(move |&d| p.entry + d - p.source_in)
}

/// Where the outgoing track stops for boundary `b`: on its bar start nearest `b` within one
/// beat; else on its nearest beat; else (no grid) at `b`. Never past the end of its audio,
/// never before it is fully in.
fn exit(track: &TrackAnalysis, p: &Placement, b: f64) -> (f64, bool) {
    let earliest = p.entry + p.fade_in + DECLICK_S;
    let latest = if track.duration > 0.0 {
        p.entry + track.duration - p.source_in
    } else {
        f64::INFINITY
    };
    let usable = |t: &f64| *t >= earliest && *t <= latest;
    let nearest = |times: &mut dyn Iterator<Item = f64>| {
        times
            .filter(usable)
            .min_by(|x, y| (x - b).abs().total_cmp(&(y - b).abs()))
    };
    if let Some(beat) = track.beat_period().filter(|_| track.has_grid()) {
        if let Some(t) = nearest(&mut timeline_downbeats(track, p))
            && (t - b).abs() <= beat + 1e-9
        {
            return (t, true);
        }
        let mut beats = track
            .beats
            .iter()
            .filter(|&&d| d >= p.source_in)
            .map(|&d| p.entry + d - p.source_in);
        if let Some(t) = nearest(&mut beats)
            && (t - b).abs() <= beat + 1e-9
        {
            return (t, false);
        }
    }
    (b.clamp(earliest.min(latest), latest), false)
}

/// The in-point of a track that enters at `entry` and should leave near `target`: one of its
/// bar starts (section starts preferred; with `pickup`, also the three beats before each)
/// leaving enough audio to reach `target`, chosen so that one of its later bar starts falls
/// nearest `target`. Returns the in-point, whether it is a bar start, and its cost (under the
/// track's beat period when a bar start can fall within a beat of `target`). A track without a
/// grid starts at 0.
fn in_point(track: &TrackAnalysis, entry: f64, target: f64, pickup: bool) -> (f64, bool, f64) {
    if !track.has_grid() {
        return (0.0, false, 0.0);
    }
    let need = target - entry;
    let beat = track.beat_period().unwrap_or(0.5);
    let long_enough = |d: f64| track.duration <= 0.0 || d + need <= track.duration;
    let mut candidates: Vec<(f64, bool)> = track.downbeats.iter().map(|&d| (d, true)).collect();
    if pickup {
        for (i, &b) in track.beats.iter().enumerate() {
            let next_bar = track.downbeats.iter().find(|&&d| d >= b - 1e-9);
            let before_bar = next_bar.is_some_and(|&d| {
                let between = track.beats[i..]
                    .iter()
                    .take_while(|&&x| x < d - 1e-9)
                    .count();
                (1..=3).contains(&between)
            });
            if before_bar {
                candidates.push((b, false));
            }
        }
    }
    let mut best: Option<(f64, bool, f64)> = None;
    for (d, on_bar) in candidates {
        let phase = track
            .downbeats
            .iter()
            .filter(|&&e| e > d + 1e-9)
            .map(|&e| (entry + e - d - target).abs())
            .fold(f64::INFINITY, f64::min);
        let section =
            track.section_starts.iter().any(|&s| (s - d).abs() < 1e-3) || d == track.downbeats[0];
        let mut cost = phase.min(60.0);
        if phase > beat + 1e-9 {
            cost += 10.0;
        }
        if !on_bar {
            cost += 0.5 * beat;
        } else if !section {
            cost += 0.25 * beat;
        }
        if !long_enough(d) {
            cost += 100.0;
        }
        // Earlier in-points keep more of the track's own arc.
        cost += 1e-4 * d;
        if best.is_none_or(|(_, _, c)| cost < c) {
            best = Some((d, on_bar, cost));
        }
    }
    best.unwrap_or((0.0, false, 0.0))
}

/// An entry time in `[earliest, latest]` and a bar-start in-point of `track` such that a later
/// bar start of it falls exactly on `target` and its audio lasts until then; the earliest such
/// entry (a section start preferred within a beat). `None` when there is none.
fn free_entry(
    track: &TrackAnalysis,
    earliest: f64,
    latest: f64,
    target: f64,
) -> Option<(f64, f64)> {
    let beat = track.beat_period()?;
    let mut best: Option<(f64, f64, f64)> = None;
    for (i, &d) in track.downbeats.iter().enumerate() {
        let section = i == 0 || track.section_starts.iter().any(|&s| (s - d).abs() < 1e-3);
        for &e in &track.downbeats[i + 1..] {
            let entry = target - (e - d);
            if entry < earliest - 1e-9 {
                break;
            }
            if entry > latest || (track.duration > 0.0 && e > track.duration) {
                continue;
            }
            let cost = entry - earliest + if section { 0.0 } else { beat };
            if best.is_none_or(|(_, _, c)| cost < c) {
                best = Some((entry, d, cost));
            }
        }
    }
    best.map(|(entry, d, _)| (entry, d))
}

/// Where the bar levels of both sides are known, each incoming clip's gain is set so that the
/// 3 s of it after it is fully in are as loud as the 3 s of the outgoing clip before it starts
/// to fade (levels from the tracks' bar RMS, `bar_energy_db`): a listener hears no jump at the
/// change, whatever the tracks' average loudness. Every pair of consecutive clips is a
/// hand-over (a bridge makes two). The gains chain from the first clip's, within
/// [`MAX_GAIN_DB`] of the median-loudness gain of each clip so quiet intros are not blown up.
fn match_levels_at_hand_overs<'a>(
    clips: &mut [Clip],
    track: impl Fn(u64) -> Option<&'a TrackAnalysis>,
) {
    for i in 1..clips.len() {
        let (out, inc) = (&clips[i - 1], &clips[i]);
        let (Some(a), Some(b)) = (track(out.row), track(inc.row)) else {
            continue;
        };
        let before = out.source_time(out.timeline_out - out.fade_out.seconds);
        let after = inc.source_time(inc.timeline_in + inc.fade_in.seconds);
        let (Some(level_out), Some(level_in)) = (
            bar_level(a, before - LEVEL_WINDOW_S, before),
            bar_level(b, after, after + LEVEL_WINDOW_S),
        ) else {
            continue;
        };
        let median_gain = inc.gain_db;
        let matched = out.gain_db + level_out - level_in;
        clips[i].gain_db = matched.clamp(median_gain - MAX_GAIN_DB, median_gain + MAX_GAIN_DB);
    }
}

/// The window each side of a transition whose levels are matched (EBU R128's short-term
/// loudness window).
const LEVEL_WINDOW_S: f64 = 3.0;

/// The power mean of the bar levels (dBFS) of the bars of `track` overlapping `[from, to)`
/// seconds of it.
fn bar_level(track: &TrackAnalysis, from: f64, to: f64) -> Option<f64> {
    let bars = track.downbeats.len().min(track.bar_energy_db.len());
    let powers: Vec<f64> = (0..bars)
        .filter(|&k| {
            let start = track.downbeats[k];
            let end = track
                .downbeats
                .get(k + 1)
                .copied()
                .unwrap_or(track.duration);
            start < to && end > from
        })
        .map(|k| 10f64.powf(track.bar_energy_db[k] / 10.0))
        .collect();
    if powers.is_empty() {
        return None;
    }
    let mean = powers.iter().sum::<f64>() / powers.len() as f64;
    (mean > 0.0).then(|| 10.0 * mean.log10())
}

/// The median loudness of the plan's tracks, where known.
fn median_loudness<'a>(tracks: impl Iterator<Item = &'a TrackAnalysis>) -> Option<f64> {
    let mut known: Vec<f64> = tracks.filter_map(|t| t.loudness_db).collect();
    known.sort_by(f64::total_cmp);
    known.get(known.len() / 2).copied()
}

/// The gain that brings `track` to the plan's `median` loudness (0 where either is unknown).
fn gain_to(median: Option<f64>, track: &TrackAnalysis) -> f64 {
    match (median, track.loudness_db) {
        (Some(m), Some(l)) => (m - l).clamp(-MAX_GAIN_DB, MAX_GAIN_DB),
        _ => 0.0,
    }
}

fn clip(track: &TrackAnalysis, p: &Placement, out_end: f64, fade_out: f64, gain_db: f64) -> Clip {
    let mut timeline_out = out_end;
    let mut fade_out = fade_out;
    if track.duration > 0.0 && p.source_in + (timeline_out - p.entry) > track.duration {
        // The track's audio ends first: it fades to its own end.
        timeline_out = p.entry + track.duration - p.source_in;
        fade_out = fade_out.min(0.5 * (timeline_out - p.entry)).max(DECLICK_S);
    }
    Clip {
        track_id: track.track_id.clone(),
        row: track.row,
        audio_path: track.audio_path.clone(),
        role: ClipRole::Main,
        source_in: p.source_in,
        source_out: p.source_in + (timeline_out - p.entry),
        timeline_in: p.entry,
        timeline_out,
        gain_db,
        fade_in: Fade::equal_power(p.fade_in),
        fade_out: Fade::equal_power(fade_out),
    }
}

/// Re-points each planned segment's offset at the source time its track is heard from in it
/// (from the segment's start, or from the track's entry when it enters later).
pub(crate) fn sync_offsets(plan: &mut SoundtrackPlan, arrangement: &Arrangement) {
    for seg in &mut plan.segments {
        let clip = arrangement
            .clips
            .iter()
            .find(|c| c.row == seg.row && c.timeline_in < seg.end && c.timeline_out > seg.start);
        if let Some(c) = clip {
            seg.offset = c.source_time(seg.start.max(c.timeline_in));
        }
    }
}
