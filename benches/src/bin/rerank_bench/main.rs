//! Reranking speed: MMR, greedy DPP and caps alone over pools of 100 / 200 / 1000 candidates for
//! k = 10 and 50 (`pools`), and whole searches with and without reranking on a library
//! (`search`), with the recall of the graph's pool against the exact pool. Reranking quality:
//! relevance against diversity for MMR and DPP sweeps on a real catalogue (`quality`).
//!
//! ```sh
//! CARGO_TARGET_DIR=/var/tmp/segue-target-release cargo build --release -p segue-benches --bin rerank_bench
//! /var/tmp/segue-target-release/release/rerank_bench pools --dim 128
//! /var/tmp/segue-target-release/release/rerank_bench search --library LIB --queries 200
//! /var/tmp/segue-target-release/release/rerank_bench quality --library JAMENDO_LIB --out DIR
//! ```
//! Pools are generated: unit vectors spread around a query (relevance = cosine to it, best
//! first), five candidates per artist, so caps and diversity both have work to do.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod quality;

use segue_index::EmbeddingKind;
use segue_query::rerank::{self, CapGroups, CapGroupsBuilder, Diversify};
use segue_query::search::{Field, SearchRequest};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Rerank time on generated pools.
    Pools {
        #[arg(long, default_value_t = 128)]
        dim: usize,
        #[arg(long, value_delimiter = ',', default_value = "100,200,1000")]
        pools: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_value = "10,50")]
        ks: Vec<usize>,
        /// Reranks timed per configuration (the median is reported).
        #[arg(long, default_value_t = 2000)]
        repeats: usize,
    },
    /// Search + rerank on a library: time per query and the graph pool's recall.
    Search {
        #[arg(long)]
        library: PathBuf,
        #[arg(long, default_value_t = 200)]
        queries: usize,
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Search efs to compare (0: the searcher's default, the graph's tuned ef).
        #[arg(long, value_delimiter = ',', default_value = "0")]
        efs: Vec<usize>,
        /// Search the f32 vectors even where the library keeps int8 copies.
        #[arg(long)]
        f32: bool,
    },
    /// Relevance against diversity on a real library with a text space (MTG-Jamendo): text
    /// prompts from the catalogue's tag pairs, plain and reranked.
    Quality {
        #[arg(long)]
        library: PathBuf,
        /// Prompts (the most frequent tag pairs).
        #[arg(long, default_value_t = 200)]
        prompts: usize,
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// The models folder (default: $SEGUE_MODELS_DIR, then ../shared/models).
        #[arg(long)]
        models_dir: Option<PathBuf>,
        /// Folder for quality.csv, quality-per-prompt.csv and the trade-off chart.
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Pools {
            dim,
            pools,
            ks,
            repeats,
        } => pools_bench(dim, &pools, &ks, repeats),
        Cmd::Search {
            library,
            queries,
            k,
            efs,
            f32,
        } => {
            for ef in efs {
                search_bench(&library, queries, k, ef, f32)?;
            }
            Ok(())
        }
        Cmd::Quality {
            library,
            prompts,
            k,
            models_dir,
            out,
        } => {
            let encoders = segue::EncoderOptions {
                models_dir,
                threads: 0,
            };
            let searcher = segue::search::open_searcher(&library, &encoders)
                .with_context(|| format!("opening {}", library.display()))?;
            quality::run(&searcher, prompts, k, &out)
        }
    }
}

/// splitmix64: a seeded stream without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn normal(&mut self) -> f32 {
        let u1 = ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.into_iter().map(|x| x / n).collect()
}

/// A pool of `n` candidates around a random query: (relevance best first, vectors, artists).
fn pool(n: usize, dim: usize, seed: u64) -> (Vec<f32>, Vec<Vec<f32>>, Vec<u32>) {
    let mut rng = Rng(seed);
    let q = unit((0..dim).map(|_| rng.normal()).collect());
    let mut items: Vec<(f32, Vec<f32>)> = (0..n)
        .map(|_| {
            let v = unit(q.iter().map(|x| x + 0.08 * rng.normal()).collect());
            (v.iter().zip(&q).map(|(a, b)| a * b).sum(), v)
        })
        .collect();
    items.sort_by(|a, b| b.0.total_cmp(&a.0));
    let artists = (0..n)
        .map(|_| (rng.next() % (n as u64 / 5).max(1)) as u32)
        .collect();
    let (relevance, vectors) = items.into_iter().unzip();
    (relevance, vectors, artists)
}

fn pools_bench(dim: usize, pools: &[usize], ks: &[usize], repeats: usize) -> anyhow::Result<()> {
    println!("| pool | k | method | median µs | p99 µs |");
    println!("|---:|---:|---|---:|---:|");
    for &n in pools {
        let (relevance, vectors, artists) = pool(n, dim, n as u64);
        let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        let mut b = CapGroupsBuilder::new(n);
        for (i, a) in artists.iter().enumerate() {
            b.assign(i, *a, 2);
        }
        let capped = b.build();
        let none = CapGroups::none(n);
        for &k in ks {
            let runs: [(&str, Diversify, &CapGroups); 4] = [
                ("caps only (2/artist)", Diversify::None, &capped),
                ("mmr λ=0.7", Diversify::Mmr { lambda: 0.7 }, &none),
                ("dpp θ=0.9", Diversify::Dpp { theta: 0.9 }, &none),
                ("dpp θ=0.9 + caps", Diversify::Dpp { theta: 0.9 }, &capped),
            ];
            for (name, method, caps) in runs {
                let mut micros: Vec<f64> = (0..repeats)
                    .map(|_| {
                        let t = Instant::now();
                        let picks = rerank::rerank(method, &relevance, &refs, caps, k);
                        std::hint::black_box(picks);
                        t.elapsed().as_secs_f64() * 1e6
                    })
                    .collect();
                micros.sort_by(f64::total_cmp);
                let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
                println!("| {n} | {k} | {name} | {:.1} | {:.1} |", at(0.5), at(0.99));
            }
        }
    }
    Ok(())
}

/// One table of search (+ rerank) times and recalls at search ef `ef` (0: the default).
fn search_bench(
    dir: &std::path::Path,
    queries: usize,
    k: usize,
    ef: usize,
    f32_only: bool,
) -> anyhow::Result<()> {
    let library =
        segue::Library::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    let quantised = library.quantised(EmbeddingKind::Audio).is_some() && !f32_only;
    let library = if f32_only {
        library.without_quantised()
    } else {
        library
    };
    let searcher = segue::search::searcher_for(
        std::sync::Arc::new(library),
        &segue::EncoderOptions::default(),
    );
    println!(
        "vectors searched: {}",
        if quantised {
            "int8, re-ranked on f32"
        } else {
            "f32"
        }
    );
    let lib = searcher.library();
    let vectors = lib
        .vectors(EmbeddingKind::Audio)
        .context("the library has no audio embeddings")?;
    let rows = vectors.rows().max(1);
    let mut rng = Rng(7);
    // Hits carry their track ids only (the search and the rerank); the last row adds the
    // scalar fields a listing shows, read from Lance for the 10 hits.
    let methods = [
        ("plain", None, false),
        ("mmr λ=0.7", Some(Diversify::Mmr { lambda: 0.7 }), false),
        ("dpp θ=0.9", Some(Diversify::Dpp { theta: 0.9 }), false),
        (
            "mmr λ=0.7 + scalar fields",
            Some(Diversify::Mmr { lambda: 0.7 }),
            true,
        ),
    ];
    let mut times = vec![Vec::new(); methods.len()];
    let mut recall = 0.0;
    // Per method: the share of its top k from the graph's pool that the same method returns
    // from the exact pool (for "plain", the ordinary recall@k).
    let mut recall_at_k = vec![0.0; methods.len()];
    for _ in 0..queries {
        let q = vectors.row((rng.next() % rows) as usize).to_vec();
        let base = SearchRequest::vector(EmbeddingKind::Audio, q)?
            .k(k)?
            .fields(&[]);
        let base = if ef > 0 { base.ef(ef)? } else { base };
        for (i, (_, m, fields)) in methods.iter().enumerate() {
            let r = match m {
                None => base.clone(),
                Some(m) => base.clone().rerank(*m)?,
            };
            let r = if *fields {
                r.fields(&Field::SCALARS)
            } else {
                r
            };
            let t = Instant::now();
            let (hits, _) = searcher.search(&r)?;
            times[i].push(t.elapsed().as_secs_f64() * 1e3);
            let exact = searcher.search(&r.clone().exact(true))?.0;
            let exact: std::collections::HashSet<u64> = exact.iter().map(|h| h.row).collect();
            recall_at_k[i] += hits.iter().filter(|h| exact.contains(&h.row)).count() as f64
                / exact.len().max(1) as f64;
        }
        // The pool the reranker sees, from the graph and from an exact scan.
        let pool = base.pool_size();
        let graph = searcher.search(&base.clone().k(pool)?)?.0;
        let exact = searcher.search(&base.clone().k(pool)?.exact(true))?.0;
        let exact: std::collections::HashSet<u64> = exact.iter().map(|h| h.row).collect();
        recall += graph.iter().filter(|h| exact.contains(&h.row)).count() as f64
            / exact.len().max(1) as f64;
    }
    let ef = if ef > 0 {
        ef.to_string()
    } else {
        format!(
            "default ({} tuned)",
            searcher.default_ef(EmbeddingKind::Audio)
        )
    };
    println!(
        "{} rows, {queries} queries, k = {k}, ef {ef}; recall of the graph's pool: {:.3}",
        lib.rows(),
        recall / queries as f64
    );
    println!(
        "| search | median ms | p99 ms | recall@{k} against the same search over the exact pool |"
    );
    println!("|---|---:|---:|---:|");
    for (((name, _, _), mut t), r) in methods.iter().zip(times).zip(recall_at_k) {
        t.sort_by(f64::total_cmp);
        let at = |q: f64| t[((t.len() - 1) as f64 * q) as usize];
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            at(0.5),
            at(0.99),
            r / queries as f64
        );
    }
    Ok(())
}
