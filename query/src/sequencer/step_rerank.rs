//! The diversity/coherence knob of a soundtrack plan: before a sequencer chooses, the step's
//! new-track candidates are reranked against the tracks the plan already holds, and only the
//! best `keep` of them stay valid.
//!
//! * `mmr:λ` (diverse): `λ·relevance − (1 − λ)·max cos(track, a track of the plan)`: maximal
//!   marginal relevance (Carbonell & Goldstein 1998) with the plan as the already-chosen set.
//! * `theme:λ` (coherent): `λ·relevance + (1 − λ)·cos(track, the plan's centroid)`, the
//!   centroid being the mean of the plan's unit embeddings.
//!
//! Relevance is the alignment reward of placing the track at this step, min-max scaled over the
//! step's candidates to [0, 1] so that λ weighs it against a cosine. Similarities are taken in
//! the audio space when the tracks have one, else in the text space. Until the plan holds a
//! track there is nothing to be diverse from or coherent with, and every candidate stays.
//!
//! The objective is unchanged (its theme term stays as it is): the knob narrows the choice, and
//! the sequencer still maximises the reward among the tracks kept. What that costs in return is
//! measured in `benches/RESULTS.md`.

use serde::Serialize;

use crate::error::QueryError;
use crate::objective::{Action, Episode, Row, TrackSource, TrackVector};

/// Candidates a step keeps when the knob is on and no count is given: small enough that the
/// knob changes what a sequencer can pick (it picks the best reward among them), large enough
/// to leave the alignment a choice.
pub const DEFAULT_STEP_KEEP: usize = 8;

/// λ when `mmr` or `theme` is given without a value.
pub const DEFAULT_STEP_LAMBDA: f32 = 0.5;

/// How a step's candidates are reranked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum StepDiversity {
    /// Away from the plan's tracks (MMR).
    Mmr { lambda: f32 },
    /// Toward the plan's centroid.
    Theme { lambda: f32 },
}

impl StepDiversity {
    fn lambda(self) -> f32 {
        match self {
            StepDiversity::Mmr { lambda } | StepDiversity::Theme { lambda } => lambda,
        }
    }
}

impl std::fmt::Display for StepDiversity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepDiversity::Mmr { lambda } => write!(f, "mmr:{lambda}"),
            StepDiversity::Theme { lambda } => write!(f, "theme:{lambda}"),
        }
    }
}

impl std::str::FromStr for StepDiversity {
    type Err = QueryError;

    /// `mmr`, `mmr:LAMBDA`, `theme`, `theme:LAMBDA`, with λ in [0, 1].
    fn from_str(s: &str) -> Result<StepDiversity, QueryError> {
        let (name, value) = match s.trim().split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s.trim(), None),
        };
        let lambda = match value {
            None => DEFAULT_STEP_LAMBDA,
            Some(v) => v.parse::<f32>().map_err(|_| {
                invalid(format!(
                    "the soundtrack's diversity λ must be a number in [0, 1], got {v:?}"
                ))
            })?,
        };
        if !(0.0..=1.0).contains(&lambda) {
            return Err(invalid(format!(
                "the soundtrack's diversity λ must be in [0, 1], got {lambda}"
            )));
        }
        match name.to_ascii_lowercase().as_str() {
            "mmr" => Ok(StepDiversity::Mmr { lambda }),
            "theme" => Ok(StepDiversity::Theme { lambda }),
            "dpp" => Err(invalid(
                "a soundtrack step places one track, so its knob is mmr[:LAMBDA] (away from the \
                 plan's tracks) or theme[:LAMBDA] (toward them); dpp reranks search pools"
                    .into(),
            )),
            _ => Err(invalid(format!(
                "unknown soundtrack diversity {s:?}; expected mmr[:LAMBDA] or theme[:LAMBDA]"
            ))),
        }
    }
}

fn invalid(msg: String) -> QueryError {
    QueryError::InvalidArgument(msg)
}

/// The knob: a method and how many candidates each step keeps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepRerank {
    pub diversity: StepDiversity,
    pub keep: usize,
}

impl StepRerank {
    /// Keeps `keep` (at least 1) candidates per step.
    pub fn new(diversity: StepDiversity, keep: usize) -> Result<StepRerank, QueryError> {
        if keep == 0 {
            return Err(invalid(
                "the candidates a soundtrack step keeps must be at least 1".into(),
            ));
        }
        Ok(StepRerank { diversity, keep })
    }

    /// Narrows `rows` (the step's valid new tracks, ascending) to the best `keep` by the
    /// knob's score, still ascending. Ties go to the lower row.
    pub fn retain(&self, episode: &Episode<'_>, rows: &mut Vec<Row>) -> Result<(), QueryError> {
        if rows.len() <= self.keep {
            return Ok(());
        }
        let tracks = episode.objective().tracks();
        let mut plan: Vec<Row> = episode.state().picked_rows().collect();
        // The picks come from a hash map: a fixed order keeps the sums below bit-identical.
        plan.sort_unstable();
        let space = Space::of(tracks);
        let plan_vectors: Vec<TrackVector<'_>> = plan
            .iter()
            .filter_map(|&r| space.vector(tracks, r))
            .collect();
        if plan_vectors.is_empty() {
            return Ok(());
        }
        let eval = episode.evaluator()?;
        let mut relevance = Vec::with_capacity(rows.len());
        for &r in rows.iter() {
            relevance.push(eval.evaluate(Action::Track(r))?.terms.alignment_reward);
        }
        let (lo, hi) = relevance
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let lambda = self.diversity.lambda() as f64;
        let centroid = match self.diversity {
            StepDiversity::Theme { .. } => Some(unit_centroid(&plan_vectors)),
            StepDiversity::Mmr { .. } => None,
        };
        let mut scored: Vec<(f64, Row)> = rows
            .iter()
            .zip(&relevance)
            .map(|(&r, &rel)| {
                let rel = (rel - lo) / span;
                let v = space.vector(tracks, r);
                let score = match &centroid {
                    None => {
                        let closest = plan_vectors
                            .iter()
                            .map(|p| cosine(v, p))
                            .fold(f64::NEG_INFINITY, f64::max);
                        lambda * rel - (1.0 - lambda) * closest
                    }
                    Some(c) => {
                        let toward = v.map_or(0.0, |v| cosine_with_f64(v, c));
                        lambda * rel + (1.0 - lambda) * toward
                    }
                };
                (score, r)
            })
            .collect();
        let best_first = |a: &(f64, Row), b: &(f64, Row)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        scored.select_nth_unstable_by(self.keep - 1, best_first);
        scored.truncate(self.keep);
        rows.clear();
        rows.extend(scored.iter().map(|&(_, r)| r));
        rows.sort_unstable();
        Ok(())
    }
}

/// The embedding space the knob compares tracks in.
#[derive(Debug, Clone, Copy)]
enum Space {
    Audio,
    Text,
}

impl Space {
    fn of(tracks: &dyn TrackSource) -> Space {
        if tracks.dims().audio.is_some() {
            Space::Audio
        } else {
            Space::Text
        }
    }

    fn vector<'t>(self, tracks: &'t dyn TrackSource, row: Row) -> Option<TrackVector<'t>> {
        let v = match self {
            Space::Audio => tracks.audio(row),
            Space::Text => tracks.text(row),
        };
        v.filter(|v| v.values_norm > 0.0)
    }
}

/// Cosine of two tracks (0 when `a` has no vector in the space).
fn cosine(a: Option<TrackVector<'_>>, b: &TrackVector<'_>) -> f64 {
    match a {
        Some(a) if a.values.len() == b.values.len() => {
            crate::objective::dot(a.values, b.values) / (a.values_norm * b.values_norm)
        }
        _ => 0.0,
    }
}

/// The mean of the vectors' directions.
fn unit_centroid(vectors: &[TrackVector<'_>]) -> Vec<f64> {
    let dim = vectors[0].values.len();
    let mut sum = vec![0.0; dim];
    for v in vectors.iter().filter(|v| v.values.len() == dim) {
        let inv = 1.0 / v.values_norm;
        for (s, x) in sum.iter_mut().zip(v.values) {
            *s += inv * *x as f64;
        }
    }
    sum
}

fn cosine_with_f64(v: TrackVector<'_>, c: &[f64]) -> f64 {
    let norm_c = c.iter().map(|x| x * x).sum::<f64>().sqrt();
    if v.values.len() != c.len() || norm_c == 0.0 {
        return 0.0;
    }
    let dot: f64 = c.iter().zip(v.values).map(|(a, b)| a * *b as f64).sum();
    dot / (norm_c * v.values_norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{
        MFCC_LEN, Objective, ObjectiveConfig, ReferenceEmbeddings, Track, TrackFeatures, TrackTable,
    };
    use crate::sequencer::Candidates;
    use crate::video::{Segment, Video};

    /// Track `i` points at `10·i` degrees in a 2-d audio space; every segment at 47 degrees,
    /// so alignment falls with the distance from 47 and the plan's first track (row 0, at 0
    /// degrees) is far from the best-aligned ones.
    fn tracks() -> TrackTable {
        let at = |deg: f32| {
            let r = deg.to_radians();
            Track {
                audio_emb: Some(vec![r.cos(), r.sin()]),
                text_emb: None,
                features: TrackFeatures {
                    bpm: 100.0,
                    energy: 0.1,
                    spectral_centroid: 1500.0,
                    mfcc: [0.0; MFCC_LEN],
                    duration: 200.0,
                },
            }
        };
        TrackTable::new((0..=10).map(|i| at(10.0 * i as f32)).collect()).unwrap()
    }

    fn video() -> Video {
        let r = 47f32.to_radians();
        Video {
            id: "v".into(),
            segments: (0..4)
                .map(|i| Segment {
                    start: 10.0 * i as f64,
                    end: 10.0 * (i + 1) as f64,
                    audio_emb: Some(vec![r.cos(), r.sin()]),
                    ..Default::default()
                })
                .collect(),
            switch_budget: None,
        }
    }

    fn kept(method: &str, keep: usize, place_first: bool) -> Vec<Row> {
        let tracks = tracks();
        let reference = ReferenceEmbeddings::default();
        let objective = Objective::new(&tracks, &reference, ObjectiveConfig::default()).unwrap();
        let video = video();
        let mut ep = objective.start(&video, 2).unwrap();
        if place_first {
            ep.step(Action::Track(0)).unwrap();
        }
        let mut rows: Vec<Row> = (1..=10).collect();
        StepRerank::new(method.parse().unwrap(), keep)
            .unwrap()
            .retain(&ep, &mut rows)
            .unwrap();
        rows
    }

    #[test]
    fn lambda_one_keeps_the_best_aligned_in_row_order() {
        // 50, 40 and 60 degrees are the closest to 47.
        assert_eq!(kept("mmr:1", 3, true), vec![4, 5, 6]);
        assert_eq!(kept("theme:1", 3, true), vec![4, 5, 6]);
    }

    #[test]
    fn mmr_moves_away_from_the_plan_and_theme_toward_it() {
        assert_eq!(kept("mmr:0", 3, true), vec![8, 9, 10]);
        assert_eq!(kept("theme:0", 3, true), vec![1, 2, 3]);
        // In between, relevance and distance from row 0 both count: the kept rows lie
        // between the best aligned and the farthest.
        let mid = kept("mmr:0.5", 3, true);
        assert!(mid.iter().all(|&r| (5..=10).contains(&r)), "{mid:?}");
    }

    #[test]
    fn nothing_is_narrowed_before_the_plan_holds_a_track_or_when_few_remain() {
        assert_eq!(kept("mmr:0", 3, false), (1..=10).collect::<Vec<_>>());
        assert_eq!(kept("mmr:0", 10, true), (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn candidates_offer_only_the_kept_tracks_and_continue() {
        let tracks = tracks();
        let reference = ReferenceEmbeddings::default();
        let objective = Objective::new(&tracks, &reference, ObjectiveConfig::default()).unwrap();
        let video = video();
        let mut ep = objective.start(&video, 2).unwrap();
        ep.step(Action::Track(0)).unwrap();
        let mut candidates = Candidates::exact()
            .with_step_rerank(StepRerank::new("mmr:0".parse().unwrap(), 1).unwrap());
        let mut actions = Vec::new();
        candidates.actions(&ep, &mut actions).unwrap();
        assert_eq!(actions, vec![Action::Track(10), Action::Continue]);
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        for (spec, needle) in [
            ("mmr:1.5", "[0, 1]"),
            ("theme:-0.1", "[0, 1]"),
            ("mmr:x", "number"),
            ("dpp:0.5", "search pools"),
            ("shuffle", "unknown"),
        ] {
            let err = spec.parse::<StepDiversity>().unwrap_err().to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
        assert!(StepRerank::new(StepDiversity::Mmr { lambda: 0.5 }, 0).is_err());
        assert_eq!(
            "Theme".parse::<StepDiversity>().unwrap(),
            StepDiversity::Theme {
                lambda: DEFAULT_STEP_LAMBDA
            }
        );
    }
}
