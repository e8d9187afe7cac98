//! Which actions a sequencer considers at a segment.

use std::collections::{BTreeSet, HashSet};

use roaring::RoaringBitmap;

use super::artist_cap::ArtistCap;
use super::step_rerank::StepRerank;
use crate::error::QueryError;
use crate::objective::{Action, Episode, Row};

/// Supplies the track rows worth evaluating as NEW actions at an episode's next segment.
///
/// Exact mode ([`AllTracks`]) supplies every row; a scalable provider supplies the top rows of
/// an index for the segment's embeddings. [`Candidates`] adds the playing track and CONTINUE
/// and applies the row filter, so providers need not.
pub trait CandidateProvider {
    /// Appends candidate rows to `out` (any order; duplicates are removed afterwards). Every
    /// row must be below the track source's `len()`.
    fn candidates(&mut self, episode: &Episode<'_>, out: &mut Vec<Row>) -> Result<(), QueryError>;

    /// A new episode starts: drop anything cached for the previous one.
    fn reset(&mut self) {}
}

/// Exact mode: every row of the track source.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllTracks;

impl CandidateProvider for AllTracks {
    fn candidates(&mut self, episode: &Episode<'_>, out: &mut Vec<Row>) -> Result<(), QueryError> {
        out.extend(0..episode.objective().tracks().len());
        Ok(())
    }
}

/// The set of rows a sequencer may place.
pub trait RowFilter {
    fn allows(&self, row: Row) -> bool;
}

impl<T: RowFilter + ?Sized> RowFilter for &T {
    fn allows(&self, row: Row) -> bool {
        (**self).allows(row)
    }
}

/// Allows every row.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllRows;

impl RowFilter for AllRows {
    fn allows(&self, _row: Row) -> bool {
        true
    }
}

/// The filter language of `segue-index` compiles to a bitmap of allowed rows.
impl RowFilter for RoaringBitmap {
    fn allows(&self, row: Row) -> bool {
        u32::try_from(row).is_ok_and(|r| self.contains(r))
    }
}

impl RowFilter for HashSet<Row> {
    fn allows(&self, row: Row) -> bool {
        self.contains(&row)
    }
}

impl RowFilter for BTreeSet<Row> {
    fn allows(&self, row: Row) -> bool {
        self.contains(&row)
    }
}

/// A candidate provider and a row filter: the valid actions a sequencer chooses from.
pub struct Candidates<'p> {
    provider: Box<dyn CandidateProvider + 'p>,
    filter: Box<dyn RowFilter + 'p>,
    artist_cap: Option<ArtistCap>,
    step_rerank: Option<StepRerank>,
    rows: Vec<Row>,
    /// The rows that pass every mask at the current step.
    valid: Vec<Row>,
    whole_segments: bool,
}

impl std::fmt::Debug for Candidates<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidates").finish_non_exhaustive()
    }
}

impl<'p> Candidates<'p> {
    /// Exact mode over every row, unfiltered.
    pub fn exact() -> Self {
        Candidates::new(AllTracks)
    }

    /// Rows from `provider`, unfiltered.
    pub fn new(provider: impl CandidateProvider + 'p) -> Self {
        Candidates {
            provider: Box::new(provider),
            filter: Box::new(AllRows),
            artist_cap: None,
            step_rerank: None,
            rows: Vec::new(),
            valid: Vec::new(),
            whole_segments: false,
        }
    }

    /// Offer CONTINUE only when the playing track lasts through the whole next segment, and
    /// new tracks only when they last through their first segment.
    ///
    /// The reference's mask allows CONTINUE until a track has run out, so its last segment may
    /// outlast the track (the music stops mid-segment). A soundtrack plan should not do that:
    /// with this rule every segment a sequencer places a track on is covered by it. Off by
    /// default, because the conformance tests reproduce the reference's mask.
    pub fn whole_segments(mut self, on: bool) -> Self {
        self.whole_segments = on;
        self
    }

    /// A new episode starts (sequencers call this from [`super::Sequencer::begin`]).
    pub fn reset(&mut self) {
        self.provider.reset();
    }

    /// Whether CONTINUE is offered at the episode's next segment.
    pub fn continue_allowed(&self, episode: &Episode<'_>) -> bool {
        episode.continue_valid() && (!self.whole_segments || episode.continue_fits_segment())
    }

    /// Only rows `filter` allows are ever placed.
    pub fn with_filter(mut self, filter: impl RowFilter + 'p) -> Self {
        self.filter = Box::new(filter);
        self
    }

    /// New tracks only while their artist has fewer than the cap's tracks in the episode.
    pub fn with_artist_cap(mut self, cap: ArtistCap) -> Self {
        self.artist_cap = Some(cap);
        self
    }

    /// At each step, only the new tracks `rerank` keeps (the diversity/coherence knob).
    pub fn with_step_rerank(mut self, rerank: StepRerank) -> Self {
        self.step_rerank = Some(rerank);
        self
    }

    /// The valid actions at the episode's next segment, in the reference's action order:
    /// allowed candidate rows (plus the playing track, which a scalable provider may not
    /// return) ascending without duplicates, then CONTINUE if the mask allows it.
    pub fn actions(
        &mut self,
        episode: &Episode<'_>,
        out: &mut Vec<Action>,
    ) -> Result<(), QueryError> {
        out.clear();
        self.rows.clear();
        self.provider.candidates(episode, &mut self.rows)?;
        self.rows.extend(episode.state().playing());
        let n = episode.objective().tracks().len();
        if let Some(&bad) = self.rows.iter().find(|&&r| r >= n) {
            return Err(QueryError::RowOutOfRange { row: bad, rows: n });
        }
        self.rows.sort_unstable();
        self.rows.dedup();
        let filter = &self.filter;
        // Under the whole-segment rule a new track must also last through its first segment.
        let min_seconds = if self.whole_segments {
            episode.next_segment_seconds().unwrap_or(0.0)
        } else {
            f64::NEG_INFINITY
        };
        let tracks = episode.objective().tracks();
        let capped = self.artist_cap.as_ref().map(|c| c.at(episode.state()));
        self.valid.clear();
        self.valid.extend(
            self.rows
                .iter()
                .filter(|&&r| filter.allows(r))
                .filter(|&&r| capped.as_ref().is_none_or(|c| c.allows(r)))
                .filter(|&&r| min_seconds <= 0.0 || tracks.features(r).duration >= min_seconds),
        );
        if let Some(rerank) = &self.step_rerank {
            rerank.retain(episode, &mut self.valid)?;
        }
        out.extend(self.valid.iter().map(|&r| Action::Track(r)));
        if self.continue_allowed(episode) {
            out.push(Action::Continue);
        }
        if out.is_empty() {
            return Err(QueryError::NoCandidates {
                video: episode.video().id.clone(),
                segment: episode.t(),
            });
        }
        Ok(())
    }
}
