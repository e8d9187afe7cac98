//! What `segue fit` learns from a set of videos and stores with the library: the reference
//! embeddings that centre the alignment term and the switch-budget model.
//!
//! Stored as the library attachment [`FIT_ATTACHMENT`] (JSON), so it is versioned with the
//! library and carried over by later ingests (neither depends on the tracks).
//!
//! # Defaults without a fit
//!
//! * Reference embeddings: none, so alignment is the plain cosine with the segment (no
//!   hub-centring; the reference term of every track is 0).
//! * Switch budget: a video's own `switch_budget` when it has one; otherwise one switch per
//!   scene change, counted as consecutive segments whose audio-space embeddings (text-space
//!   when a segment has no audio embedding) are less similar than [`SCENE_CHANGE_COSINE`].

use serde::{Deserialize, Serialize};

use segue_index::Library;

use crate::error::QueryError;
use crate::objective::{ReferenceEmbeddings, SwitchBudgetModel, cosine};
use crate::video::Video;

/// Name of the library attachment holding the fit.
pub const FIT_ATTACHMENT: &str = "soundtrack-fit";
/// Format of the stored fit this build writes and reads.
pub const FIT_FORMAT_VERSION: u32 = 1;
/// Below this cosine between consecutive segment embeddings, the default budget counts a scene
/// change (within a scene, consecutive segments of the fixture videos are ≈ 0.92 alike; across
/// a cut they drop below 0.5).
pub const SCENE_CHANGE_COSINE: f32 = 0.75;

/// The fitted soundtrack model of a library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoundtrackFit {
    pub format_version: u32,
    pub reference: ReferenceEmbeddings,
    /// `None` when no fitting video had `music_change` flags.
    pub budget: Option<SwitchBudgetModel>,
    /// Videos the references were computed from.
    pub videos: usize,
    /// Videos with `music_change` flags (the budget model's data).
    pub labelled_videos: usize,
    /// Where the videos came from (a file name).
    pub source: String,
}

impl SoundtrackFit {
    /// Fits both parts on `videos` as the reference implementation does (references over all
    /// videos, the budget model over those with `music_change` flags).
    pub fn fit(videos: &[Video], source: &str) -> Result<SoundtrackFit, QueryError> {
        if videos.is_empty() {
            return Err(QueryError::InvalidArgument(
                "cannot fit on zero videos".into(),
            ));
        }
        let labelled = videos
            .iter()
            .filter(|v| v.music_changes().is_some())
            .count();
        // The budget model needs labelled videos with a visual variability (measured in the
        // audio, video-shared space); without any, e.g. in a text-only library, the
        // references are fitted and the default budgets apply.
        let budget = if SwitchBudgetModel::can_fit(videos) {
            Some(SwitchBudgetModel::fit(videos)?)
        } else {
            None
        };
        Ok(SoundtrackFit {
            format_version: FIT_FORMAT_VERSION,
            reference: ReferenceEmbeddings::from_videos(videos)?,
            budget,
            videos: videos.len(),
            labelled_videos: labelled,
            source: source.to_string(),
        })
    }

    /// The fit stored with `library`, if any.
    pub fn load(library: &Library) -> Result<Option<SoundtrackFit>, QueryError> {
        let Some(bytes) = library.attachment(FIT_ATTACHMENT)? else {
            return Ok(None);
        };
        let path = library.dir().join(
            library
                .manifest()
                .attachments
                .get(FIT_ATTACHMENT)
                .map(String::as_str)
                .unwrap_or(FIT_ATTACHMENT),
        );
        let bad =
            |message: String| QueryError::Index(segue_index::IndexError::corrupt(&path, message));
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("the soundtrack fit is not valid JSON: {e}")))?;
        let version = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| bad("the soundtrack fit has no format_version".into()))?;
        if version != u64::from(FIT_FORMAT_VERSION) {
            return Err(QueryError::Index(segue_index::IndexError::Incompatible {
                path,
                reason: format!(
                    "soundtrack fit format {version} (this build reads {FIT_FORMAT_VERSION}); \
                     upgrade segue or run `segue fit` again"
                ),
            }));
        }
        let fit: SoundtrackFit =
            serde_json::from_value(value).map_err(|e| bad(format!("the soundtrack fit: {e}")))?;
        let dims = library.dims();
        for (what, r, d) in [
            ("audio", &fit.reference.audio, dims.audio),
            ("text", &fit.reference.text, dims.text),
        ] {
            if let (Some(r), Some(d)) = (r, d)
                && r.len() != d as usize
            {
                return Err(bad(format!(
                    "the {what} reference has dimension {}, the library {d}",
                    r.len()
                )));
            }
        }
        Ok(Some(fit))
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a fit always serialises")
    }

    /// The switch budget for `video`: its own, else the fitted model's, else the default.
    pub fn budget_for(&self, video: &Video) -> Result<i64, QueryError> {
        match (&self.budget, video.switch_budget) {
            (_, Some(b)) => Ok(i64::from(b)),
            (Some(model), None) => model.budget_for(video),
            (None, None) => Ok(default_budget(video)),
        }
    }
}

/// The budget without a fitted model: the video's own, or one switch per scene change.
pub fn default_budget(video: &Video) -> i64 {
    if let Some(b) = video.switch_budget {
        return i64::from(b);
    }
    let changes = video
        .segments
        .windows(2)
        .filter(|w| {
            let pair = match (&w[0].audio_emb, &w[1].audio_emb) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => match (&w[0].text_emb, &w[1].text_emb) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                },
            };
            pair.is_some_and(|(a, b)| a.len() == b.len() && cosine(a, b) < SCENE_CHANGE_COSINE)
        })
        .count();
    changes as i64
}
