//! The Rust side of the Python binding's overhead benchmark (`benches/python/overhead.py` runs
//! it on the same library and queries in the same session): the facade's `Searcher::search`
//! for single queries and `search_many` for a batch, timed in-process.
//!
//! `binding_overhead --library DIR --queries FILE.f32 --dim D [--k 10] [--singles 2000]
//! [--batches 5] [--batch 1000] [--no-fields]` prints one JSON object of timings.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use segue::search::{SearchRequest, open_searcher, search_many};
use segue::{EmbeddingKind, EncoderOptions};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    library: PathBuf,
    /// Query vectors, raw little-endian f32, `dim` per query.
    #[arg(long)]
    queries: PathBuf,
    #[arg(long)]
    dim: usize,
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Single searches timed (one at a time, cycling over the queries).
    #[arg(long, default_value_t = 2000)]
    singles: usize,
    /// Batches timed.
    #[arg(long, default_value_t = 5)]
    batches: usize,
    /// Queries per batch.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Hits carry no track fields (no Lance read per query): times the search and the
    /// binding alone.
    #[arg(long)]
    no_fields: bool,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let bytes = std::fs::read(&a.queries).with_context(|| a.queries.display().to_string())?;
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let queries: Vec<&[f32]> = values.chunks_exact(a.dim).collect();
    anyhow::ensure!(
        queries.len() >= a.batch,
        "need at least {} queries",
        a.batch
    );
    let searcher = open_searcher(&a.library, &EncoderOptions::default())?;
    let request = |q: &[f32]| -> anyhow::Result<SearchRequest> {
        let r = SearchRequest::vector(EmbeddingKind::Audio, q.to_vec())?.k(a.k)?;
        Ok(if a.no_fields { r.fields(&[]) } else { r })
    };

    // Warm-up: page in the vectors and the graph.
    for q in queries.iter().take(200) {
        searcher.search(&request(q)?)?;
    }
    let mut singles = Vec::with_capacity(a.singles);
    for i in 0..a.singles {
        let q = queries[i % queries.len()];
        let started = Instant::now();
        // What a caller does per query: build the request, search.
        let hits = searcher.search(&request(q)?)?;
        singles.push(started.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(hits);
    }
    let mut batches = Vec::with_capacity(a.batches);
    for _ in 0..a.batches {
        let started = Instant::now();
        let requests = queries[..a.batch]
            .iter()
            .map(|q| request(q))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let results = search_many(&searcher, &requests, 0)?;
        batches.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(results);
    }
    println!(
        "{}",
        serde_json::json!({
            "single_us_median": median(&mut singles),
            "single_us_mean": singles.iter().sum::<f64>() / singles.len() as f64,
            "batch_ms_median": median(&mut batches),
            "batch_ms_min": batches.iter().cloned().fold(f64::INFINITY, f64::min),
        })
    );
    Ok(())
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}
