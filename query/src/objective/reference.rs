//! The dataset reference embeddings that centre the alignment term.
//!
//! Alignment rewards `cos(segment, track) − cos(reference, track)`: a track that is close to
//! every video ("hub") gains nothing. The reference is computed as the peer's
//! `_calc_video_ref_emb`: the mean of each video's segment embeddings, the mean of those over
//! videos (so long videos do not dominate), L2-normalised.

use serde::{Deserialize, Serialize};

use super::cosine::ZERO_NORM;
use crate::error::QueryError;
use crate::video::Video;

/// Reference embedding per space (`None`: no video has an embedding in that space, and every
/// reference cosine is 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceEmbeddings {
    pub audio: Option<Vec<f32>>,
    pub text: Option<Vec<f32>>,
}

impl ReferenceEmbeddings {
    /// Fits the references to a set of videos (the peer fits them on the whole dataset, before
    /// its train/test split). Segments without an embedding in a space are left out of that
    /// space's means; a video with none is left out entirely.
    pub fn from_videos(videos: &[Video]) -> Result<Self, QueryError> {
        Ok(ReferenceEmbeddings {
            audio: reference(videos, "audio_emb", |s| s.audio_emb.as_deref())?,
            text: reference(videos, "text_emb", |s| s.text_emb.as_deref())?,
        })
    }
}

fn reference(
    videos: &[Video],
    field: &str,
    get: impl Fn(&crate::video::Segment) -> Option<&[f32]>,
) -> Result<Option<Vec<f32>>, QueryError> {
    let mut total: Option<Vec<f64>> = None;
    let mut n_videos = 0usize;
    for video in videos {
        let mut sum: Option<Vec<f64>> = None;
        let mut n = 0usize;
        for seg in &video.segments {
            let Some(e) = get(seg) else { continue };
            let acc = sum.get_or_insert_with(|| vec![0.0; e.len()]);
            if acc.len() != e.len() {
                return Err(QueryError::DimensionMismatch {
                    what: format!("video `{}` {field}", video.id),
                    expected: acc.len(),
                    got: e.len(),
                });
            }
            acc.iter_mut().zip(e).for_each(|(a, x)| *a += *x as f64);
            n += 1;
        }
        let Some(sum) = sum else { continue };
        let tot = total.get_or_insert_with(|| vec![0.0; sum.len()]);
        if tot.len() != sum.len() {
            return Err(QueryError::DimensionMismatch {
                what: format!("video `{}` {field}", video.id),
                expected: tot.len(),
                got: sum.len(),
            });
        }
        tot.iter_mut()
            .zip(&sum)
            .for_each(|(t, s)| *t += s / n as f64);
        n_videos += 1;
    }
    let Some(mut mean) = total else {
        return Ok(None);
    };
    mean.iter_mut().for_each(|x| *x /= n_videos as f64);
    let norm = mean.iter().map(|x| x * x).sum::<f64>().sqrt();
    // The reference's guard: a (near-)zero mean becomes the zero vector.
    let scale = if norm > ZERO_NORM { 1.0 / norm } else { 0.0 };
    Ok(Some(mean.iter().map(|x| (x * scale) as f32).collect()))
}
