//! The named terms of one step: what the reference reports in its `info` dict, under names of
//! our embedding spaces (`audio` = the reference's ImageBind space, `text` = its caption space).
//!
//! As in the reference, `alignment_reward` and `smoothness_reward` are unweighted while
//! `switch_reward` and `theme_reward` already include their weights; at the first step the
//! smoothness terms hold the reference's placeholders (1 for similarities, factors and rewards,
//! 0 for differences), which are reported but not added to the reward.

use serde::{Deserialize, Serialize};

macro_rules! terms {
    ($( $(#[$doc:meta])* $variant:ident => $field:ident, $peer:expr; )*) => {
        /// Every term of a step, by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Term { $($variant,)* }

        impl Term {
            /// All terms, in the reference's `info` order.
            pub const ALL: &'static [Term] = &[$(Term::$variant,)*];

            /// Our name (also the field name of [`StepTerms`]).
            pub fn name(self) -> &'static str {
                match self { $(Term::$variant => stringify!($field),)* }
            }

            /// The reference's `info` key, or `None` for a term it does not report.
            pub fn peer_name(self) -> Option<&'static str> {
                match self { $(Term::$variant => $peer,)* }
            }

            /// Looks a term up by our name or the reference's key.
            pub fn from_name(name: &str) -> Option<Term> {
                Term::ALL
                    .iter()
                    .copied()
                    .find(|t| t.name() == name || t.peer_name() == Some(name))
            }
        }

        /// Values of every term of one step.
        #[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
        pub struct StepTerms { $( $(#[$doc])* pub $field: f64, )* }

        impl StepTerms {
            /// The value of one term.
            pub fn get(&self, term: Term) -> f64 {
                match term { $(Term::$variant => self.$field,)* }
            }

            /// `(term, value)` for every term, in the reference's order.
            pub fn iter(&self) -> impl Iterator<Item = (Term, f64)> + '_ {
                Term::ALL.iter().map(move |t| (*t, self.get(*t)))
            }
        }
    };
}

terms! {
    /// Always 0 (declared but never set by the reference).
    ContinuePenalty => aa_continue_penalty, Some("aa_continue_penalty");
    /// −5 for a CONTINUE the mask forbids (which also ends the episode).
    IllegalPenalty => illegal_penalty, Some("illegal_penalty");
    /// −1 if the new track is the one just played, −1 per earlier NEW pick of it.
    SameTrackPenalty => same_track_penalty, Some("same_track_penalty");
    /// cos(segment audio embedding, track audio embedding).
    VaAudioSimilarity => va_audio_similarity, Some("va_imagebind_similarity");
    /// cos(audio reference, track audio embedding).
    VaAudioRefSimilarity => va_audio_ref_similarity, Some("va_imagebind_ref_similarity");
    /// cos(segment text embedding, track text embedding).
    VaTextSimilarity => va_text_similarity, Some("va_captions_similarity");
    /// cos(text reference, track text embedding).
    VaTextRefSimilarity => va_text_ref_similarity, Some("va_captions_ref_similarity");
    /// cos(this segment, previous segment) in the audio space.
    VvAudioSimilarity => vv_audio_similarity, Some("vv_imagebind_similarity");
    /// cos(this segment, previous segment) in the text space (reported only).
    VvTextSimilarity => vv_text_similarity, Some("vv_captions_similarity");
    /// cos(this track, previous track) in the audio space.
    AaAudioSimilarity => aa_audio_similarity, Some("aa_imagebind_similarity");
    /// cos(this track, previous track) in the text space (reported only).
    AaTextSimilarity => aa_text_similarity, Some("aa_captions_similarity");
    /// −|Δbpm| / 100.
    AaBpmDiff => aa_bpm_diff, Some("aa_bpm_diff");
    /// −|Δenergy| (reported only).
    AaEnergyDiff => aa_energy_diff, Some("aa_energy_diff");
    /// −|Δspectral centroid| / 2000.
    AaSpectralDiff => aa_spectral_diff, Some("aa_spectral_diff");
    /// (cos(mfcc, previous mfcc) − 1) / 2.
    AaMfccDiff => aa_mfcc_diff, Some("aa_mfcc_diff");
    /// exp(−5 · (1 − vv_audio_similarity)): smoothness matters less across a visual cut.
    SmoothnessGatingFactor => smoothness_gating_factor, Some("smoothness_gating_factor");
    /// Unweighted alignment (including its gate).
    AlignmentReward => alignment_reward, Some("alignment_reward");
    /// (aa_audio_similarity + 1) / 2.
    SemanticSmoothnessReward => semantic_smoothness_reward, Some("semantic_smoothness_reward");
    /// (aa_bpm_diff + aa_spectral_diff + aa_mfcc_diff) / 3 + 1.
    AcousticSmoothnessReward => acoustic_smoothness_reward, Some("acoustic_smoothness_reward");
    /// Unweighted smoothness: gate · (semantic + acoustic) / 2.
    SmoothnessReward => smoothness_reward, Some("smoothness_reward");
    /// Weighted, terminal step only: −w_switch · |switches − budget|.
    SwitchReward => switch_reward, Some("switch_reward");
    /// Weighted, terminal step only: w_theme · mean cosine of the played tracks to their centroid.
    ThemeReward => theme_reward, Some("theme_reward");
    /// The step's reward.
    Reward => reward, Some("reward");
    /// Train mode's alignment gate, exp(−0.01 · seconds already played); 1 in test mode.
    AlignmentGatingFactor => alignment_gating_factor, None;
    /// Unweighted, ours (not the reference's): 1 − |motion rank − energy rank|, the segment's
    /// motion ranked among the video's segments and the track's energy among the library's
    /// tracks, both in [0, 1]; 0 when the weight is 0 or the segment has no motion.
    MotionEnergyReward => motion_energy_reward, None;
}
