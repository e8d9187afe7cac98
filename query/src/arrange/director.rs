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
//! 4. **energy drops** (the incoming track's energy under [`ENERGY_DROP`] of the outgoing's):
//!    a `fade` out, then in.
//! 5. **soft change between clashing tracks**: a `fade`, so the clash is never heard.
//! 6. otherwise a `gap`: the outgoing track stops on its downbeat, a beat of silence, the
//!    incoming track starts on its downbeat.
//!
//! Without embeddings on both sides of a boundary the scene change counts as neither hard nor
//! soft. A crossfade needs both tempi and both keys known.

use super::analysis::TrackAnalysis;
use super::edit_list::TransitionKind;

/// Below this cosine between the segments on either side, the scene changes hard (a cut in the
/// picture: the fixture videos drop below 0.5 across cuts, stay ≈ 0.9 within a scene).
pub const HARD_CHANGE_COSINE: f32 = 0.5;
/// At or above this cosine the scene changes softly.
pub const SOFT_CHANGE_COSINE: f32 = 0.75;
/// Two tempi mix when they differ by at most this fraction (or one is about twice the other).
pub const TEMPO_TOLERANCE: f64 = 0.06;
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

/// Picks the transition from `from` to `to` at a scene change (the module's rules).
pub fn direct(change: &SceneChange, from: &TrackAnalysis, to: &TrackAnalysis) -> Direction {
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
    if let Some(kind) = change.forced {
        let beats = match kind {
            TransitionKind::Crossfade => 4.0,
            TransitionKind::Fade => 2.0,
            _ => 0.0,
        };
        return d(kind, beats, "forced by the video");
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
