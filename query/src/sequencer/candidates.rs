//! Which actions a sequencer considers at a segment.

use std::collections::{BTreeSet, HashSet};

use roaring::RoaringBitmap;

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
    rows: Vec<Row>,
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
            rows: Vec::new(),
        }
    }

    /// Only rows `filter` allows are ever placed.
    pub fn with_filter(mut self, filter: impl RowFilter + 'p) -> Self {
        self.filter = Box::new(filter);
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
        out.extend(
            self.rows
                .iter()
                .filter(|&&r| filter.allows(r))
                .map(|&r| Action::Track(r)),
        );
        if episode.continue_valid() {
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
