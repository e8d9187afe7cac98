//! The switch-budget model: how many music switches a video wants, given how much its picture
//! varies (the paper's conditional Gaussian `p(C | V)`, fitted as the peer's
//! `_model_switch_budget`).
//!
//! A video's visual variability `sigma` is the mean of `1 − cos(v_t, v_{t−1})` over consecutive
//! audio-space segment embeddings. Videos are binned by the 0/20/40/60/80/100 % quantiles of
//! sigma (numpy's linear interpolation); each bin keeps the mean and standard deviation of the
//! number of `music_change` flags of its videos. Bins are `[lower, upper)`, so the video with
//! the largest sigma matches no bin and, like any unmatched sigma, falls back to the last bin.

use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use super::cosine::{cosine_with_norms, norm};
use crate::error::QueryError;
use crate::video::Video;

/// The reference's quantiles of sigma that delimit the bins.
const QUANTILES: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];

/// Added to every bin's standard deviation (the reference's `+ 1e-6`).
const STD_FLOOR: f64 = 1e-6;

/// One sigma bin: switch counts ~ N(mu, std) for videos with `lower_sigma ≤ sigma < upper_sigma`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BudgetBin {
    /// Mean number of music changes (a count, not a rate, as in the reference).
    pub mu: f64,
    /// Population standard deviation of the counts, plus 1e-6.
    pub std: f64,
    pub lower_sigma: f64,
    pub upper_sigma: f64,
    /// Videos that fell in the bin when fitting (0: the bin holds the all-video statistics,
    /// where the reference would produce NaN and fail when sampling).
    pub videos: usize,
}

/// The fitted model: five bins in sigma order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwitchBudgetModel {
    pub bins: Vec<BudgetBin>,
}

/// Which bin a sigma selects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinChoice {
    pub index: usize,
    /// No bin matched (the largest sigma, an unknown sigma, or one outside the fitted range):
    /// the last bin is used, as in the reference.
    pub fell_through: bool,
    pub bin: BudgetBin,
}

/// Mean `1 − cos` between consecutive audio-space segment embeddings (the reference's
/// `_compute_video_sigma`). `None` when the video has fewer than two segments or no audio
/// embedding at all. A single segment without one counts as the reference's zero vector
/// (cosine 0).
pub fn visual_variability(video: &Video) -> Option<f64> {
    let segs = &video.segments;
    if segs.len() < 2 || segs.iter().all(|s| s.audio_emb.is_none()) {
        return None;
    }
    let norms: Vec<f64> = segs
        .iter()
        .map(|s| s.audio_emb.as_deref().map_or(0.0, norm))
        .collect();
    let mut sum = 0.0;
    for t in 1..segs.len() {
        let c = match (&segs[t].audio_emb, &segs[t - 1].audio_emb) {
            (Some(a), Some(b)) if a.len() == b.len() => {
                cosine_with_norms(a, norms[t], norms[t], b, norms[t - 1], norms[t - 1])
            }
            _ => 0.0,
        };
        sum += 1.0 - c as f64;
    }
    Some(sum / (segs.len() - 1) as f64)
}

/// A video's training record for the budget model — (visual variability, music changes) —
/// when it is labelled (at least one `music_change` flag) and has a visual variability (≥ 2
/// segments, audio embeddings). A video without any flag is unlabelled and left out; the
/// reference's data has every video labelled.
fn budget_record(v: &Video) -> Option<(f64, f64)> {
    let changes = v.music_changes()?;
    Some((visual_variability(v)?, changes as f64))
}

impl SwitchBudgetModel {
    /// Whether [`SwitchBudgetModel::fit`] has any video to fit on.
    pub fn can_fit(videos: &[Video]) -> bool {
        videos.iter().any(|v| budget_record(v).is_some())
    }

    /// Fits the model on the videos that have a budget record (`music_change` flags).
    pub fn fit(videos: &[Video]) -> Result<Self, QueryError> {
        let records: Vec<(f64, f64)> = videos.iter().filter_map(budget_record).collect();
        if records.is_empty() {
            return Err(QueryError::InvalidArgument(
                "cannot fit the switch budget: no video has ≥ 2 segments, audio embeddings and \
                 `music_change` flags"
                    .into(),
            ));
        }
        let mut sigmas: Vec<f64> = records.iter().map(|r| r.0).collect();
        sigmas.sort_by(f64::total_cmp);
        let edges: Vec<f64> = QUANTILES.iter().map(|&q| quantile(&sigmas, q)).collect();
        let all: Vec<f64> = records.iter().map(|r| r.1).collect();
        let bins = edges
            .windows(2)
            .map(|e| {
                let counts: Vec<f64> = records
                    .iter()
                    .filter(|(s, _)| e[0] <= *s && *s < e[1])
                    .map(|r| r.1)
                    .collect();
                let used = if counts.is_empty() { &all } else { &counts };
                let (mu, std) = mean_std(used);
                BudgetBin {
                    mu,
                    std: std + STD_FLOOR,
                    lower_sigma: e[0],
                    upper_sigma: e[1],
                    videos: counts.len(),
                }
            })
            .collect();
        Ok(SwitchBudgetModel { bins })
    }

    /// The bin for a visual variability (`None` or unmatched: the last bin).
    pub fn bin_for(&self, sigma: Option<f64>) -> Result<BinChoice, QueryError> {
        let last = self.bins.len().checked_sub(1).ok_or_else(|| {
            QueryError::InvalidArgument("the switch-budget model has no bins".into())
        })?;
        let hit = sigma.and_then(|s| {
            self.bins
                .iter()
                .position(|b| b.lower_sigma <= s && s < b.upper_sigma)
        });
        let index = hit.unwrap_or(last);
        Ok(BinChoice {
            index,
            fell_through: hit.is_none(),
            bin: self.bins[index],
        })
    }

    /// The budget without noise: `round(mu)` with Python's rounding (ties to even).
    pub fn expected_budget(&self, sigma: Option<f64>) -> Result<i64, QueryError> {
        Ok(self.bin_for(sigma)?.bin.mu.round_ties_even() as i64)
    }

    /// A budget drawn as the reference's `sample_switch_budget`:
    /// `round(mu + kappa · N(0, std))`. The draws come from `rng`, not numpy's generator, so
    /// they do not repeat the reference's numbers.
    pub fn sample_budget(
        &self,
        sigma: Option<f64>,
        kappa: f64,
        rng: &mut impl Rng,
    ) -> Result<i64, QueryError> {
        let bin = self.bin_for(sigma)?.bin;
        let normal = Normal::new(0.0, bin.std).map_err(|e| {
            QueryError::InvalidArgument(format!("switch-budget std {}: {e}", bin.std))
        })?;
        Ok((bin.mu + kappa * normal.sample(rng)).round_ties_even() as i64)
    }

    /// The budget for `video`: its own `switch_budget` when given, else [`Self::expected_budget`].
    pub fn budget_for(&self, video: &Video) -> Result<i64, QueryError> {
        match video.switch_budget {
            Some(b) => Ok(b as i64),
            None => self.expected_budget(visual_variability(video)),
        }
    }
}

/// numpy's default (`linear`) quantile of sorted data, including its two-sided interpolation.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let pos = q * (n - 1) as f64;
    let lo = (pos.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    // numpy's `_lerp` interpolates from the nearer end to stay monotonic.
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Mean and population standard deviation (numpy's defaults).
fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mu = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n;
    (mu, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy_linear() {
        let x = [1.0, 2.0, 4.0, 8.0];
        // numpy.quantile([1,2,4,8], [0, .25, .5, .9, 1]) = [1, 1.75, 3, 6.8, 8]
        let got: Vec<f64> = [0.0, 0.25, 0.5, 0.9, 1.0]
            .iter()
            .map(|&q| quantile(&x, q))
            .collect();
        let want = [1.0, 1.75, 3.0, 6.8, 8.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        assert_eq!(quantile(&[3.0], 0.4), 3.0);
    }

    fn video(segments: &[(Option<Vec<f32>>, Option<bool>)]) -> Video {
        Video {
            id: "v".into(),
            segments: segments
                .iter()
                .enumerate()
                .map(|(i, (audio, change))| crate::video::Segment {
                    start: i as f64,
                    end: i as f64 + 1.0,
                    audio_emb: audio.clone(),
                    text_emb: Some(vec![1.0, 0.0]),
                    caption: None,
                    music_change: *change,
                    ..Default::default()
                })
                .collect(),
            switch_budget: None,
        }
    }

    #[test]
    fn only_labelled_videos_with_a_visual_variability_can_be_fitted_on() {
        let (a, b) = (Some(vec![1.0, 0.0]), Some(vec![0.0, 1.0]));
        let text_only = video(&[(None, Some(false)), (None, Some(true))]);
        let one_segment = video(&[(a.clone(), Some(true))]);
        let unlabelled = video(&[(a.clone(), None), (b.clone(), None)]);
        for bad in [&text_only, &one_segment, &unlabelled] {
            assert!(!SwitchBudgetModel::can_fit(std::slice::from_ref(bad)));
            assert!(SwitchBudgetModel::fit(std::slice::from_ref(bad)).is_err());
        }
        let good = video(&[(a, Some(false)), (b, Some(true))]);
        let all = [text_only, one_segment, unlabelled, good];
        assert!(SwitchBudgetModel::can_fit(&all));
        assert!(SwitchBudgetModel::fit(&all).is_ok());
    }

    #[test]
    fn mean_std_is_population() {
        assert_eq!(mean_std(&[3.0, 4.0]), (3.5, 0.5));
    }
}
