//! The director: which transition a scene change gets.
//!
//! JenBridge (section 3.3) found that choosing the transition per scene change beats any fixed
//! strategy; these are our rules, tried in order, for the switch into segment `i`:
//!
//! 1. **forced**: the segment's `transition` field in the video JSON wins.
//! 2. **hard scene change** (the segment embeddings' cosine across the boundary is below
//!    [`HARD_CHANGE_COSINE`]), or a flagged `music_change` with the energy rising: a `cut` on
//!    the downbeat: a sudden picture change wants a sudden music change.
//! 3. **compatible tracks** (tempi within [`TEMPO_TOLERANCE`] of each other or of half/double,
//!    and keys neighbours on the Camelot wheel): a `crossfade` of two bars when the scene
//!    changes softly (cosine at least [`SOFT_CHANGE_COSINE`]), of one bar otherwise.
//! 4. **far-apart tracks that clash** (their audio embeddings' cosine below [`BRIDGE_COSINE`],
//!    tempo or key incompatible) when the planner found a bridge track for them: a `bridge`, a
//!    few bars of a third track that mixes with both (JenBridge's bridge, curated from the
//!    library instead of generated: see [`super::bridge`]).
//! 5. **energy drops** (the incoming track's energy under [`ENERGY_DROP`] of the outgoing's):
//!    a `fade` out, then in.
//! 6. **soft change between clashing tracks**: a `fade`, so the clash is never heard.
//! 7. otherwise a `gap`: the outgoing track stops on its downbeat, a beat of silence, the
//!    incoming track starts on its downbeat.
//!
//! Without embeddings on both sides of a boundary the scene change counts as neither hard nor
//! soft. A crossfade needs both tempi and both keys known. A forced `bridge` for which no
//! track suits both sides becomes a `fade`.

use super::analysis::TrackAnalysis;
use super::edit_list::TransitionKind;

/// Below this cosine between the segments on either side, the scene changes hard (a cut in the
/// picture: the fixture videos drop below 0.5 across cuts, stay ≈ 0.9 within a scene).
pub const HARD_CHANGE_COSINE: f32 = 0.5;
/// At or above this cosine the scene changes softly.
pub const SOFT_CHANGE_COSINE: f32 = 0.75;
/// Two tempi mix when they differ by at most this fraction (or one is about twice the other).
pub const TEMPO_TOLERANCE: f64 = 0.06;
/// Below this cosine between two tracks' audio embeddings they are far apart, and a bridge is
/// looked for when they also clash (the real catalogue's pairs: median 0.71, a quarter below
/// 0.52).
pub const BRIDGE_COSINE: f32 = 0.5;
/// Energy ratio (incoming / outgoing) under which the energy drops, and over whose inverse it
/// rises.
pub const ENERGY_DROP: f64 = 0.8;

/// What the director knows of a scene change.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SceneChange {
    /// Cosine between the segment embeddings on either side (audio space, else text space).
    pub cosine: Option<f32>,
    /// The segment's `music_change` flag.
    pub music_change: Option<bool>,
    /// The segment's `transition` field.
    pub forced: Option<TransitionKind>,
}

/// The director's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Direction {
    pub kind: TransitionKind,
    /// Crossfade and fade length in the outgoing track's beats.
    pub beats: f64,
    pub reason: &'static str,
}

/// Tempi that mix without stretching: equal within [`TEMPO_TOLERANCE`], or half/double.
pub fn tempo_compatible(a: f64, b: f64) -> bool {
    let r = b / a;
    [0.5, 1.0, 2.0]
        .iter()
        .any(|m| (r / m - 1.0).abs() <= TEMPO_TOLERANCE)
}

/// Both tempi and both keys known and compatible.
pub fn tracks_mix(a: &TrackAnalysis, b: &TrackAnalysis) -> bool {
    let tempo = matches!((a.tempo(), b.tempo()), (Some(x), Some(y)) if tempo_compatible(x, y));
    let key = matches!((a.key, b.key), (Some(x), Some(y)) if x.is_compatible(y));
    tempo && key
}

/// Whether the planner should look for a bridge track between `from` and `to`: the video
/// forces one, or (rule 4) the scene change is not hard and the tracks are far apart
/// (`track_cosine`, of their audio embeddings) and clash. Both need a beat grid, a tempo and a
/// key, or no track can be known to mix with them.
pub fn wants_bridge(
    change: &SceneChange,
    from: &TrackAnalysis,
    to: &TrackAnalysis,
    track_cosine: Option<f32>,
) -> bool {
    let known = |t: &TrackAnalysis| t.has_grid() && t.key.is_some();
    if !known(from) || !known(to) {
        return false;
    }
    match change.forced {
        Some(kind) => kind == TransitionKind::Bridge,
        None => {
            let hard = change.cosine.is_some_and(|c| c < HARD_CHANGE_COSINE);
            !hard && !tracks_mix(from, to) && track_cosine.is_some_and(|c| c < BRIDGE_COSINE)
        }
    }
}

/// Picks the transition from `from` to `to` at a scene change (the module's rules);
/// `bridge_found`: the planner found a bridge track for this switch.
pub fn direct(
    change: &SceneChange,
    from: &TrackAnalysis,
    to: &TrackAnalysis,
    bridge_found: bool,
) -> Direction {
    let energy_ratio = match (from.energy, to.energy) {
        (Some(a), Some(b)) if a > 0.0 => Some(b / a),
        _ => None,
    };
    let rises = energy_ratio.is_some_and(|r| r > 1.0 / ENERGY_DROP);
    let drops = energy_ratio.is_some_and(|r| r < ENERGY_DROP);
    let hard = change.cosine.is_some_and(|c| c < HARD_CHANGE_COSINE);
    let soft = change.cosine.is_some_and(|c| c >= SOFT_CHANGE_COSINE);
    let d = |kind, beats, reason| Direction {
        kind,
        beats,
        reason,
    };
    match change.forced {
        Some(TransitionKind::Bridge) if !bridge_found => {
            return d(
                TransitionKind::Fade,
                2.0,
                "bridge forced by the video, but no track mixes with both sides: fade",
            );
        }
        Some(kind) => {
            let beats = match kind {
                TransitionKind::Crossfade | TransitionKind::Bridge => 4.0,
                TransitionKind::Fade => 2.0,
                _ => 0.0,
            };
            return d(kind, beats, "forced by the video");
        }
        None => {}
    }
    if hard || (change.music_change == Some(true) && rises) {
        return d(
            TransitionKind::Cut,
            0.0,
            "hard scene change: cut on the downbeat",
        );
    }
    if tracks_mix(from, to) {
        let beats = if soft { 8.0 } else { 4.0 };
        return d(
            TransitionKind::Crossfade,
            beats,
            "compatible tempo and key: crossfade",
        );
    }
    if bridge_found {
        return d(
            TransitionKind::Bridge,
            4.0,
            "far-apart tracks that clash: a bridge track that mixes with both",
        );
    }
    if drops {
        return d(TransitionKind::Fade, 2.0, "energy drops: fade out, then in");
    }
    if soft {
        return d(
            TransitionKind::Fade,
            2.0,
            "soft scene change between clashing tracks: fade",
        );
    }
    d(
        TransitionKind::Gap,
        0.0,
        "scene change between clashing tracks: a beat of silence",
    )
}
