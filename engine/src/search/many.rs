//! Many searches at once: the requests of a batch (one per query vector, say) split over
//! threads, each answered exactly as [`Searcher::search`] answers it alone.

use segue_query::search::{SearchHit, SearchRequest, SearchStats, Searcher};

use crate::error::Result;

/// The answer to one request: its hits and how the search went.
pub type Answer = (Vec<SearchHit>, SearchStats);

/// The answer to each request of [`search_many`], in request order.
pub type ManyResults = Vec<Answer>;

/// Runs every request on `threads` threads (0: one per core), each exactly as
/// [`Searcher::search`] would; results come back in request order. The first request that
/// fails (in request order) is the error.
pub fn search_many(
    searcher: &Searcher,
    requests: &[SearchRequest],
    threads: usize,
) -> Result<ManyResults> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(requests.len())
    .max(1);
    if threads == 1 {
        return requests.iter().map(|r| Ok(searcher.search(r)?)).collect();
    }
    // Contiguous chunks, one per thread: results are concatenated back in order.
    let chunk = requests.len().div_ceil(threads);
    let answers: Vec<Vec<Result<Answer>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = requests
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|r| Ok(searcher.search(r)?))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    answers.into_iter().flatten().collect()
}
