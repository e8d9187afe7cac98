//! Bridge tracks: a few bars of a third track that link two tracks too far apart to mix.
//!
//! JenBridge (section 3.3, eq. 7) generates its bridge from `slerp(a, b, 0.5)` of the two
//! sides' embeddings. We curate it from the licensed library instead: the tracks whose audio
//! embeddings are nearest that midpoint (the request's filter applies, the plan's own tracks
//! are left out), of which the nearest whose tempo and key mix with both sides (see
//! [`super::director::tracks_mix`]) becomes the bridge. It is then placed like two crossfades:
//! the outgoing track fades out to its bar start while the bridge enters on one of its own, the
//! bridge plays whole bars, and fades into the incoming track, which enters on its bar start.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use segue_index::{EmbeddingKind, Library};

use super::analysis::{TrackAnalysis, read_analyses};
use super::arranger::{Run, runs, scene_change};
use super::director::{tracks_mix, wants_bridge};
use super::edit_list::{Clip, ClipRole, DECLICK_S, Fade};
use crate::error::QueryError;
use crate::objective::dot;
use crate::search::vector::{self, VectorSearch};
use crate::soundtrack::SoundtrackPlan;
use crate::video::Video;

/// Tracks nearest the midpoint looked at per switch: enough that one usually mixes with both
/// sides when the catalogue has such a track, few enough that reading their analysis is cheap.
const POOL: usize = 48;
/// The bridge's length: whole bars of it lasting about this long (at least two, at most
/// eight bars).
const BRIDGE_S: f64 = 6.0;
/// The incoming track plays at least this long alone after the bridge, before its own change.
const AFTER_BRIDGE_S: f64 = 2.0;
/// The crossfades on either side of the bridge, in beats of the track fading out.
const BRIDGE_FADE_BEATS: f64 = 4.0;

/// A bridge track found for one switch.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeTrack {
    pub track: TrackAnalysis,
    /// Cosine between its audio embedding and the two sides' midpoint.
    pub similarity: f32,
}

/// The spherical midpoint path between unit vectors `a` and `b` at `t` (eq. 7 of JenBridge):
/// `sin((1−t)θ)/sin θ · a + sin(tθ)/sin θ · b`, a unit vector. Nearly parallel vectors
/// interpolate linearly; opposite ones have no midpoint (`None`).
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Option<Vec<f32>> {
    let cos = dot(a, b).clamp(-1.0, 1.0);
    let theta = cos.acos();
    let (wa, wb) = if theta < 1e-4 {
        (1.0 - f64::from(t), f64::from(t))
    } else if std::f64::consts::PI - theta < 1e-4 {
        return None;
    } else {
        let s = theta.sin();
        (
            ((1.0 - f64::from(t)) * theta).sin() / s,
            (f64::from(t) * theta).sin() / s,
        )
    };
    let v: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| wa * f64::from(*x) + wb * f64::from(*y))
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    (norm > 1e-9).then(|| v.iter().map(|x| (x / norm) as f32).collect())
}

/// Whether `bridge` can link `from` and `to`: it mixes with both, and has the bars a bridge
/// plays.
pub fn mixes_with_both(bridge: &TrackAnalysis, from: &TrackAnalysis, to: &TrackAnalysis) -> bool {
    let bars = bridge
        .bar_period()
        .map_or(usize::MAX, |bar| bars_for(bar) + 1);
    bridge.has_grid()
        && bridge.downbeats.len() >= bars
        && tracks_mix(from, bridge)
        && tracks_mix(bridge, to)
}

/// The bars a bridge of bar length `bar` plays.
fn bars_for(bar: f64) -> usize {
    ((BRIDGE_S / bar).ceil() as usize).clamp(2, 8)
}

/// Bridge tracks for the switches of `plan` that want one ([`wants_bridge`]), keyed by the
/// plan segment the incoming track starts at. `analyses` holds every planned row's analysis;
/// bridges come from the rows `allowed` (all when `None`) that the plan does not place, each
/// used once. A library without an audio space has no bridges.
pub fn find_bridges(
    library: &Library,
    plan: &SoundtrackPlan,
    video: &Video,
    analyses: &HashMap<u64, TrackAnalysis>,
    allowed: Option<&RoaringBitmap>,
) -> Result<HashMap<usize, BridgeTrack>, QueryError> {
    let Some(file) = library.vectors(EmbeddingKind::Audio) else {
        return Ok(HashMap::new());
    };
    let runs = runs(plan);
    let placed: RoaringBitmap = runs.iter().map(|r| r.row as u32).collect();
    let embedding = |row: u64| (row < file.rows()).then(|| file.row(row as usize));
    let mut wanted: Vec<Wanted<'_>> = Vec::new();
    for pair in runs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (Some(ta), Some(tb)) = (analyses.get(&a.row), analyses.get(&b.row)) else {
            continue;
        };
        let (Some(ea), Some(eb)) = (embedding(a.row), embedding(b.row)) else {
            continue;
        };
        let change = scene_change(video, b.first_segment);
        if !wants_bridge(&change, ta, tb, Some(dot(ea, eb) as f32)) {
            continue;
        }
        let Some(mid) = slerp(ea, eb, 0.5) else {
            continue;
        };
        let k = POOL + placed.len() as usize;
        let (hits, _) = vector::search(&VectorSearch {
            vectors: file,
            quantised: library.quantised(EmbeddingKind::Audio),
            graph: library.ann(EmbeddingKind::Audio),
            query: &mid,
            k,
            ef: k.max(64),
            allowed,
            exact: false,
            threads: 1,
        })?;
        let mut pool: Vec<(u64, f32)> = hits
            .iter()
            .filter(|h| !placed.contains(h.row as u32))
            .map(|h| (h.row, dot(file.row(h.row as usize), &mid) as f32))
            .collect();
        pool.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        wanted.push(Wanted {
            from: a,
            to: b,
            pool,
        });
    }
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut rows: Vec<u64> = wanted
        .iter()
        .flat_map(|w| w.pool.iter().map(|(r, _)| *r))
        .collect();
    rows.sort_unstable();
    rows.dedup();
    let found: HashMap<u64, TrackAnalysis> = read_analyses(library, &rows)?
        .into_iter()
        .map(|t| (t.row, t))
        .collect();
    let mut taken = RoaringBitmap::new();
    let mut bridges = HashMap::new();
    for Wanted { from, to, pool } in wanted {
        let (ta, tb) = (&analyses[&from.row], &analyses[&to.row]);
        let choice = pool.iter().find(|(row, _)| {
            !taken.contains(*row as u32)
                && found.get(row).is_some_and(|c| mixes_with_both(c, ta, tb))
        });
        if let Some(&(row, similarity)) = choice {
            taken.insert(row as u32);
            bridges.insert(
                to.first_segment,
                BridgeTrack {
                    track: found[&row].clone(),
                    similarity,
                },
            );
        }
    }
    Ok(bridges)
}

/// A switch that wants a bridge: the unplaced rows nearest its midpoint, nearest first.
struct Wanted<'r> {
    from: &'r Run,
    to: &'r Run,
    pool: Vec<(u64, f32)>,
}

/// Where a bridge sits between an outgoing track that stops at `exit` and the incoming one.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BridgePlacement {
    /// The bridge's clip (it enters at `exit − fade_in` and stops on its bar start `end`).
    pub clip: Clip,
    pub bars: usize,
}

/// Places `bridge` after an outgoing track of beat period `out_beat` that stops at `exit`,
/// with `room` seconds of it fully in before then; the bridge must be silent again by
/// `latest` (the incoming track's next change, less [`AFTER_BRIDGE_S`]). `None` when it does
/// not fit.
pub(super) fn place_bridge(
    bridge: &BridgeTrack,
    out_beat: f64,
    exit: f64,
    room: f64,
    latest: f64,
    gain_db: f64,
) -> Option<BridgePlacement> {
    let c = &bridge.track;
    let beat = c.beat_period()?;
    let bars = bars_for(c.bar_period()?);
    // The first bar start (a section start preferred) with `bars` whole bars of audio after it.
    let fits = |j: usize| {
        c.downbeats
            .get(j + bars)
            .is_some_and(|&e| c.duration <= 0.0 || e <= c.duration)
    };
    let section = |j: usize| {
        let d = c.downbeats[j];
        j == 0 || c.section_starts.iter().any(|&s| (s - d).abs() < 1e-3)
    };
    let first = (0..c.downbeats.len())
        .filter(|&j| fits(j))
        .find(|&j| section(j))
        .or_else(|| (0..c.downbeats.len()).find(|&j| fits(j)))?;
    let source_in = c.downbeats[first];
    let length = c.downbeats[first + bars] - source_in;
    let fade_in = (BRIDGE_FADE_BEATS * out_beat)
        .min(0.5 * room)
        .min(0.5 * length)
        .max(DECLICK_S);
    let fade_out = (BRIDGE_FADE_BEATS * beat).min(0.5 * length).max(DECLICK_S);
    let entry = exit - fade_in;
    let end = entry + length;
    if end > latest - AFTER_BRIDGE_S {
        return None;
    }
    Some(BridgePlacement {
        clip: Clip {
            track_id: c.track_id.clone(),
            row: c.row,
            audio_path: c.audio_path.clone(),
            role: ClipRole::Bridge,
            source_in,
            source_out: source_in + length,
            timeline_in: entry,
            timeline_out: end,
            gain_db,
            fade_in: Fade::equal_power(fade_in),
            fade_out: Fade::equal_power(fade_out),
        },
        bars,
    })
}
