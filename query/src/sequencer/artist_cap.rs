//! At most `max` tracks of one artist in a plan: a mask that depends on what the episode has
//! already placed, so it is applied at each step (filters and exclusions are fixed sets of rows
//! and go in the allowed rows instead).

use std::sync::Arc;

use crate::error::QueryError;
use crate::objective::{EpisodeState, Row};

/// The artist code of a row without an artist (never capped).
pub const NO_ARTIST: u32 = u32::MAX;

/// At most `max` distinct tracks per artist within one plan.
#[derive(Debug, Clone)]
pub struct ArtistCap {
    /// An artist code per row (equal codes: the same artist), [`NO_ARTIST`] for none.
    artist_of: Arc<[u32]>,
    max: u32,
}

impl ArtistCap {
    /// `max` (at least 1) tracks per artist, with `artist_of[row]` the row's artist code.
    pub fn new(artist_of: Arc<[u32]>, max: u32) -> Result<ArtistCap, QueryError> {
        if max == 0 {
            return Err(QueryError::InvalidArgument(
                "the per-artist cap must be at least 1 (a cap of 0 would exclude every track)"
                    .into(),
            ));
        }
        Ok(ArtistCap { artist_of, max })
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    /// The artist code of `row`.
    pub fn artist(&self, row: Row) -> u32 {
        usize::try_from(row)
            .ok()
            .and_then(|i| self.artist_of.get(i))
            .copied()
            .unwrap_or(NO_ARTIST)
    }

    /// The mask at the episode's next segment: artists already at the cap are full.
    pub fn at(&self, state: &EpisodeState) -> ArtistStep<'_> {
        let placed: Vec<Row> = state.picked_rows().collect();
        let mut per_artist: Vec<(u32, u32)> = Vec::new();
        for &r in &placed {
            let a = self.artist(r);
            if a == NO_ARTIST {
                continue;
            }
            match per_artist.iter_mut().find(|(x, _)| *x == a) {
                Some((_, n)) => *n += 1,
                None => per_artist.push((a, 1)),
            }
        }
        ArtistStep {
            cap: self,
            full: per_artist
                .into_iter()
                .filter(|&(_, n)| n >= self.max)
                .map(|(a, _)| a)
                .collect(),
            placed,
        }
    }
}

/// [`ArtistCap`] at one step.
#[derive(Debug)]
pub struct ArtistStep<'c> {
    cap: &'c ArtistCap,
    full: Vec<u32>,
    placed: Vec<Row>,
}

impl ArtistStep<'_> {
    /// `row` may be placed: its artist is below the cap, or it is already in the plan (placing
    /// it again adds no track of that artist).
    pub fn allows(&self, row: Row) -> bool {
        self.placed.contains(&row) || !self.full.contains(&self.cap.artist(row))
    }
}
