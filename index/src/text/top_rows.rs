//! BM25 top-k by row number, with the allowed-rows filter applied while matching.
//!
//! Filtering inside the scan (instead of taking tantivy's top k and filtering them) is what
//! guarantees k results whenever k allowed documents match. The scan still uses tantivy's
//! block-max pruning: the pruning threshold only ever comes from allowed documents.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use roaring::RoaringBitmap;
use tantivy::error::DataCorruption;
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::{Score, Searcher, TantivyError};

use super::schema::ROW;
use crate::exact::Hit;

/// The `k` best allowed rows matching `query`: score descending, then row ascending. BM25
/// takes its corpus statistics from `statistics` when given, else from this index.
pub(super) fn top_rows(
    searcher: &Searcher,
    query: &dyn Query,
    statistics: Option<&dyn Bm25StatisticsProvider>,
    allowed: Option<&RoaringBitmap>,
    k: usize,
) -> tantivy::Result<Vec<Hit>> {
    if k == 0 || allowed.is_some_and(|a| a.is_empty()) {
        return Ok(Vec::new());
    }
    let scoring = match statistics {
        Some(s) => EnableScoring::enabled_from_statistics_provider(s, searcher),
        None => EnableScoring::enabled_from_searcher(searcher),
    };
    let weight = query.weight(scoring)?;
    let mut top = TopRows::new(k);
    for segment in searcher.segment_readers() {
        let rows = segment.fast_fields().u64(ROW)?;
        let alive = segment.alive_bitset();
        let mut without_row = None;
        let threshold = top.threshold();
        weight.for_each_pruning(threshold, segment, &mut |doc, score| {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                return top.threshold();
            }
            match rows.first(doc) {
                Some(row) if is_allowed(allowed, row) => top.push(row, score),
                Some(_) => {}
                None => without_row = Some(doc),
            }
            top.threshold()
        })?;
        if let Some(doc) = without_row {
            return Err(TantivyError::DataCorruption(DataCorruption::comment_only(
                format!(
                    "document {doc} of segment {} has no row number",
                    segment.segment_id().uuid_string()
                ),
            )));
        }
    }
    Ok(top.into_sorted())
}

fn is_allowed(allowed: Option<&RoaringBitmap>, row: u64) -> bool {
    allowed.is_none_or(|a| u32::try_from(row).is_ok_and(|r| a.contains(r)))
}

/// A result ordered by quality: higher score, then lower row, is greater.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ranked(Hit);

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .score
            .total_cmp(&other.0.score)
            .then(other.0.row.cmp(&self.0.row))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `k` hits so far, the worst of them on top.
struct TopRows {
    k: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl TopRows {
    fn new(k: usize) -> TopRows {
        TopRows {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    fn push(&mut self, row: u64, score: Score) {
        let hit = Ranked(Hit { row, score });
        if self.heap.len() < self.k {
            self.heap.push(Reverse(hit));
        } else if self.heap.peek().is_some_and(|Reverse(worst)| hit > *worst) {
            self.heap.pop();
            self.heap.push(Reverse(hit));
        }
    }

    /// Tantivy skips documents scoring at or below this. It sits a little below the k-th score
    /// so that a tie with it (which may win on row number) is still seen even if tantivy's
    /// block upper bounds differ from the exact score in the last bits.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.heap.len() == self.k => {
                let s = worst.0.score;
                s - (s.abs() * 1e-5 + f32::MIN_POSITIVE)
            }
            _ => Score::MIN,
        }
    }

    fn into_sorted(self) -> Vec<Hit> {
        // Ascending `Reverse` order is best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(r)| r.0)
            .collect()
    }
}
