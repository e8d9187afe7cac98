//! The arrangement of a plan: its transitions and its edit list, as the plan JSON carries them
//! and `segue render` plays them.

use serde::{Deserialize, Serialize};

/// How one track hands over to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionKind {
    /// The outgoing track stops and the incoming one starts at the same instant (with a
    /// [`DECLICK_S`] ramp each side so the edit does not click).
    Cut,
    /// Equal-power crossfade: the incoming track enters on its downbeat while the outgoing one
    /// fades out to its own downbeat.
    Crossfade,
    /// The outgoing track fades out to silence on its downbeat, then the incoming one fades in
    /// from its downbeat.
    Fade,
    /// The outgoing track stops on its downbeat, a short silence, then the incoming track
    /// starts on its downbeat.
    Gap,
    /// A few bars of a third track that mixes with both sides link them: the outgoing track
    /// crossfades into the bridge, the bridge into the incoming track, each on bar starts.
    Bridge,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 5] = [
        TransitionKind::Cut,
        TransitionKind::Crossfade,
        TransitionKind::Fade,
        TransitionKind::Gap,
        TransitionKind::Bridge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TransitionKind::Cut => "cut",
            TransitionKind::Crossfade => "crossfade",
            TransitionKind::Fade => "fade",
            TransitionKind::Gap => "gap",
            TransitionKind::Bridge => "bridge",
        }
    }
}

impl std::str::FromStr for TransitionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        TransitionKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("unknown transition {s:?} (cut, crossfade, fade, gap or bridge)")
            })
    }
}

/// The ramp, seconds, that every hard start or stop gets so no edit clicks.
pub const DECLICK_S: f64 = 0.005;

/// The curve of a fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FadeShape {
    /// Gain `sin(π/2·x)` in, `cos(π/2·x)` out: two such fades crossing keep the summed power
    /// of uncorrelated signals constant.
    EqualPower,
}

/// A fade at one end of a clip, on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fade {
    /// Seconds.
    pub seconds: f64,
    pub shape: FadeShape,
}

impl Fade {
    pub fn equal_power(seconds: f64) -> Fade {
        Fade {
            seconds,
            shape: FadeShape::EqualPower,
        }
    }

    /// The fade-in gain `x` of the way through it (0..1).
    pub fn gain_in(&self, x: f64) -> f64 {
        match self.shape {
            FadeShape::EqualPower => (x.clamp(0.0, 1.0) * std::f64::consts::FRAC_PI_2).sin(),
        }
    }
}

/// Why a clip is in the edit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipRole {
    /// A planned track over its segments.
    Main,
    /// The excerpt of a bridge transition.
    Bridge,
}

/// One piece of one track placed on the video's timeline. The source span and the timeline
/// span have the same length (no time stretching).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub track_id: String,
    /// Dense row in the plan's library version.
    pub row: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_path: Option<String>,
    pub role: ClipRole,
    /// Seconds into the track.
    pub source_in: f64,
    pub source_out: f64,
    /// Seconds on the video's timeline.
    pub timeline_in: f64,
    pub timeline_out: f64,
    /// Level matching: added to the whole clip, dB (brings the track to the others' loudness).
    pub gain_db: f64,
    /// Reaches full level at `timeline_in + fade_in.seconds`.
    pub fade_in: Fade,
    /// Starts at `timeline_out − fade_out.seconds` and reaches silence at `timeline_out`.
    pub fade_out: Fade,
}

impl Clip {
    pub fn duration(&self) -> f64 {
        self.timeline_out - self.timeline_in
    }

    /// The clip's fade gain (linear, without `gain_db`) at timeline time `t`; 0 outside it.
    pub fn envelope(&self, t: f64) -> f64 {
        if t < self.timeline_in || t > self.timeline_out {
            return 0.0;
        }
        let mut g = 1.0;
        if self.fade_in.seconds > 0.0 {
            g *= self
                .fade_in
                .gain_in((t - self.timeline_in) / self.fade_in.seconds);
        }
        if self.fade_out.seconds > 0.0 {
            g *= self
                .fade_out
                .gain_in((self.timeline_out - t) / self.fade_out.seconds);
        }
        g
    }

    /// The source time heard at timeline time `t`.
    pub fn source_time(&self, t: f64) -> f64 {
        self.source_in + (t - self.timeline_in)
    }
}

/// One hand-over from a track to the next, with its exact times on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The plan segment the incoming track starts at.
    pub segment: usize,
    pub kind: TransitionKind,
    /// The director's rule that chose it (see [`super::director`]).
    pub reason: String,
    pub from_track: String,
    pub to_track: String,
    /// The video's segment boundary, seconds.
    pub boundary: f64,
    /// When the outgoing track starts fading and when it is silent.
    pub out_fade_start: f64,
    pub out_end: f64,
    /// When the incoming track starts sounding and when it is at full level.
    pub in_start: f64,
    pub in_full: f64,
    /// The fade or crossfade length in the outgoing track's beats (`None` for cuts and gaps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beats: Option<f64>,
    /// The outgoing track stops on one of its own bar starts (else on a beat, or at the
    /// boundary for a track without a beat grid).
    pub out_on_downbeat: bool,
    /// The incoming track starts on one of its own bar starts.
    pub in_on_downbeat: bool,
    /// The excerpt a `bridge` plays between the two tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
}

/// The excerpt of a third track that a `bridge` transition plays: it crossfades in under the
/// outgoing track (ending on the outgoing track's bar start), plays whole bars of its own, and
/// crossfades into the incoming track, which enters on its own bar start. Its clip is the one
/// with [`ClipRole::Bridge`] between the two tracks' clips in the edit list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bridge {
    pub track_id: String,
    pub row: u64,
    /// Cosine between its audio embedding and `slerp(a, b, 0.5)` of the two sides'.
    pub similarity: f32,
    /// When it starts sounding and when it is silent again, seconds on the timeline.
    pub start: f64,
    pub end: f64,
    /// Its own bars from the first bar start to the last (crossfades included).
    pub bars: usize,
}

/// A plan made playable: its transitions and edit list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrangement {
    /// The video's length, seconds: the mix is exactly this long.
    pub duration: f64,
    pub transitions: Vec<Transition>,
    pub clips: Vec<Clip>,
    /// The last track's fade reaches silence at the video's end on one of its bar starts.
    pub ends_on_bar: bool,
}
