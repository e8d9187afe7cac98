//! Search at scale: HNSW build time and memory, recall@10 against exact search vs single-thread
//! QPS for several ef, filtered search at 10% and 1% selectivity — and hnswlib (Python, M=16,
//! ef_construction=200) on the same vectors in the same run, as the reference.
//!
//! ```sh
//! scripts/bench-setup                                   # hnswlib in .bench-venv (once)
//! CARGO_TARGET_DIR=/var/tmp/segue-target-release cargo build --profile search-bench -p segue-benches
//! /var/tmp/segue-target-release/search-bench/search_bench --sets 100000x384,1000000x128 --ef-construction 200
//! ```
//! Data: the clustered catalogue fixture (`segue fixtures catalog`), audio embeddings only;
//! queries are further tracks of the same generator, not in the base set. Filters are `bpm`
//! ranges (BPM follows the cluster, so a filter is correlated with the embedding: the hard case).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use clap::{Parser, Subcommand};
use roaring::RoaringBitmap;

use segue_benches::hnswlib::run_hnswlib;
use segue_benches::truth::{bpm_window, exact_top_k, random_filter, recall};
use segue_benches::{gib, measure, share_of_each};
use segue_fixtures::{CatalogSpec, catalog_batches};
use segue_index::ann::format::write_graph;
use segue_index::ann::tune::tune_search_ef;
use segue_index::ann::{
    AnnGraph, Budget, Crossing, Effort, GraphBuilder, HnswParams, RowBits, WalkFilter, build_graph,
};
use segue_index::exact::{Rows, top_k_normalised};
use segue_index::manifest::FileRef;
use segue_index::quantised::{QuantisedVectors, top_k_quantised, write_quantised};
use segue_index::vectors::{VectorFile, VectorFileWriter};
use segue_query::search::vector::{self, VectorSearch};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Data sets as ROWSxDIM.
    #[arg(long, value_delimiter = ',', default_value = "100000x384,1000000x128")]
    sets: Vec<String>,
    #[arg(long, default_value = "/var/tmp/segue-search-bench")]
    work: PathBuf,
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,16,24,32,48,64,96,128,192,256,384,512,768,1024"
    )]
    efs: Vec<usize>,
    #[arg(long, default_value_t = 16)]
    m: usize,
    #[arg(long, default_value_t = segue_index::ann::params::DEFAULT_EF_CONSTRUCTION)]
    ef_construction: usize,
    /// Graph builders to time (`segue`, `hnsw_rs`); the first one's graph is searched.
    #[arg(long, value_delimiter = ',', default_value = "segue")]
    builders: Vec<GraphBuilder>,
    /// Search the graphs an earlier run left in `--work` instead of building them again (no
    /// build table; for a wider ef sweep of the same graph).
    #[arg(long)]
    reuse_graphs: bool,
    /// Build thread counts to time, each one build of ours and one of hnswlib's (the graph of
    /// the last count is the one searched).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    build_threads: Vec<usize>,
    /// Skip hnswlib (when .bench-venv is missing).
    #[arg(long)]
    no_hnswlib: bool,
    /// Skip the int8 copy's sweep (walk and scan on int8 codes, re-rank on f32).
    #[arg(long)]
    no_int8: bool,
    /// Only the filtered searches and the planner calibration (no ef sweep, no hnswlib), on
    /// the graph an earlier run left (implies --reuse-graphs).
    #[arg(long)]
    filters_only: bool,
    /// Skip the planner calibration (every plan forced on every filter).
    #[arg(long)]
    no_calibration: bool,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// (internal) Build one graph in this process, so its time and peak RSS are measured alone.
    Build {
        #[arg(long)]
        vectors: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        threads: usize,
        #[arg(long)]
        m: usize,
        #[arg(long)]
        ef_construction: usize,
        #[arg(long)]
        builder: GraphBuilder,
    },
}

const K: usize = 10;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Cmd::Build {
        vectors,
        out,
        threads,
        m,
        ef_construction,
        builder,
    }) = &cli.cmd
    {
        let params = HnswParams {
            m: *m,
            ef_construction: *ef_construction,
            threads: *threads,
            builder: *builder,
        };
        return build_child(vectors, out, &params);
    }
    std::fs::create_dir_all(&cli.work)?;
    println!(
        "kernel: {}, cores: {}",
        segue_index::kernels::selected().name(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for set in &cli.sets {
        let (rows, dim) = parse_set(set)?;
        run_set(&cli, rows, dim)?;
    }
    Ok(())
}

fn parse_set(s: &str) -> anyhow::Result<(u64, usize)> {
    let (a, b) = s.split_once('x').context("sets look like 100000x384")?;
    Ok((a.parse()?, b.parse()?))
}

struct Data {
    vectors: VectorFile,
    vectors_path: PathBuf,
    queries: Vec<Vec<f32>>,
    queries_path: PathBuf,
    bpm: Vec<f32>,
}

/// Writes (once) the base vectors, the query vectors and the bpm of every base row.
fn prepare(work: &Path, rows: u64, dim: usize, nq: usize) -> anyhow::Result<Data> {
    let stem = work.join(format!("set-{rows}x{dim}-q{nq}"));
    let vectors_path = stem.with_extension("base.f32");
    let queries_path = stem.with_extension("queries.f32");
    let bpm_path = stem.with_extension("bpm.f32");
    if !(vectors_path.exists() && queries_path.exists() && bpm_path.exists()) {
        eprintln!("generating {rows} x {dim} (+{nq} queries)");
        let spec = CatalogSpec {
            tracks: rows + nq as u64,
            audio_dim: dim,
            text_dim: 0,
            seed: 42,
            ..CatalogSpec::default()
        };
        let mut base = VectorFileWriter::create(&vectors_path, dim as u32)?;
        let mut queries = VectorFileWriter::create(&queries_path, dim as u32)?;
        let mut bpm = Vec::with_capacity(rows as usize);
        let mut n = 0u64;
        for batch in catalog_batches(&spec)? {
            let batch = batch?;
            let emb = batch
                .column_by_name("audio_emb")
                .context("no audio_emb")?
                .as_fixed_size_list();
            let values = emb.values().as_primitive::<Float32Type>();
            let b = batch
                .column_by_name("bpm")
                .context("no bpm")?
                .as_primitive::<Float32Type>();
            for i in 0..batch.num_rows() {
                let v = &values.values()[i * dim..(i + 1) * dim];
                if n < rows {
                    base.push(v)?;
                    bpm.push(if b.is_valid(i) { b.value(i) } else { f32::NAN });
                } else {
                    queries.push(v)?;
                }
                n += 1;
            }
        }
        base.finish("base")?;
        queries.finish("queries")?;
        let bytes: Vec<u8> = bpm.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(&bpm_path, bytes)?;
    }
    let vectors = segue_benches::truth::open_vectors(&vectors_path)?;
    let qf = segue_benches::truth::open_vectors(&queries_path)?;
    let queries = (0..qf.rows() as usize)
        .map(|i| qf.row(i).to_vec())
        .collect();
    let bpm = std::fs::read(&bpm_path)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok(Data {
        vectors,
        vectors_path,
        queries,
        queries_path,
        bpm,
    })
}

fn build_child(vectors: &Path, out: &Path, params: &HnswParams) -> anyhow::Result<()> {
    let v = segue_benches::truth::open_vectors(vectors)?;
    let t = Instant::now();
    let g = build_graph(&v, v.rows(), params, &|_| {})?;
    let secs = t.elapsed().as_secs_f64();
    write_graph(out, "graph", &g, v.data_crc32())?;
    eprintln!(
        "{} built {} rows with {} threads in {secs:.1} s",
        params.builder.name(),
        v.rows(),
        params.threads
    );
    Ok(())
}

fn open_graph(path: &Path, v: &VectorFile) -> anyhow::Result<AnnGraph> {
    let bytes = std::fs::read(path)?;
    let crc = u32::from_le_bytes(bytes[44..48].try_into()?);
    let fref = FileRef {
        path: "graph".into(),
        bytes: bytes.len() as u64,
        crc32: crc,
    };
    Ok(AnnGraph::open(path, &fref, v, v.data_crc32())?)
}

fn run_set(cli: &Cli, rows: u64, dim: usize) -> anyhow::Result<()> {
    let data = prepare(&cli.work, rows, dim, cli.queries)?;
    let v = &data.vectors;
    println!(
        "\n## {rows} x {dim}, {} queries, k = {K}\n",
        data.queries.len()
    );
    let t = Instant::now();
    let exact_truth = exact_top_k(v, &data.queries, None, K, 2);
    let exact_secs = t.elapsed().as_secs_f64();
    println!(
        "exact scan (2 threads): {:.0} QPS",
        data.queries.len() as f64 / exact_secs
    );
    // Ground truth for hnswlib: raw little-endian int32, queries x K.
    let truth_path = cli.work.join(format!("truth-{rows}x{dim}.i32"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&truth_path)?);
    for t in &exact_truth {
        for r in t {
            f.write_all(&(*r as i32).to_le_bytes())?;
        }
    }
    f.flush()?;
    drop(f);

    // Builds, each in a child process: wall time and peak RSS of the build alone. The first
    // builder's graph is the one searched below, so it is built last.
    let exe = std::env::current_exe()?;
    let graph_path = cli.work.join(format!("graph-{rows}x{dim}.hnsw"));
    let reuse = (cli.reuse_graphs || cli.filters_only) && graph_path.exists();
    if reuse {
        println!("\nreusing {} (not rebuilt)", graph_path.display());
    } else {
        println!("\n| build | threads | seconds | peak RSS |\n|---|---:|---:|---:|");
    }
    for builder in cli.builders.iter().rev().filter(|_| !reuse) {
        for &threads in &cli.build_threads {
            let m = measure(
                Command::new(&exe)
                    .arg("build")
                    .arg("--vectors")
                    .arg(&data.vectors_path)
                    .arg("--out")
                    .arg(&graph_path)
                    .args(["--threads", &threads.to_string()])
                    .args(["--m", &cli.m.to_string()])
                    .args(["--ef-construction", &cli.ef_construction.to_string()])
                    .args(["--builder", builder.name()]),
            )?;
            println!(
                "| {} build, M={}, efC={} | {threads} | {:.1} | {:.2} GiB |",
                builder.name(),
                cli.m,
                cli.ef_construction,
                m.seconds,
                gib(m.peak_rss_bytes)
            );
        }
    }
    let graph = open_graph(&graph_path, v)?;

    // Single-thread QPS and recall per ef.
    println!("\n| ef | recall@10 | QPS (1 thread) |\n|---:|---:|---:|");
    // The ef the library would give this graph (leave-one-out on its own rows), checked here
    // against the held-out queries.
    let t = Instant::now();
    let tuned = tune_search_ef(&graph, v, 2)?;
    let tune_secs = t.elapsed().as_secs_f64();
    let mut efs = cli.efs.clone();
    if !efs.contains(&tuned) {
        efs.push(tuned);
        efs.sort_unstable();
    }
    let mut ours_at_095: Option<(usize, f64)> = None;
    for &ef in efs.iter().filter(|_| !cli.filters_only) {
        // Warm-up, as on hnswlib's side: the first timed queries should not pay for page
        // faults and cold caches.
        for q in data.queries.iter().take(100) {
            std::hint::black_box(
                graph
                    .search(v, q, K, ef, None)
                    .expect("queries have the vectors' dimension"),
            );
        }
        let t = Instant::now();
        let got: Vec<Vec<u64>> = data
            .queries
            .iter()
            .map(|q| {
                graph
                    .search(v, q, K, ef, None)
                    .expect("queries have the vectors' dimension")
                    .iter()
                    .map(|h| h.row)
                    .collect()
            })
            .collect();
        let qps = data.queries.len() as f64 / t.elapsed().as_secs_f64();
        let r = recall(&exact_truth, &got);
        let mark = if ef == tuned { " (tuned)" } else { "" };
        println!("| {ef}{mark} | {r:.4} | {qps:.0} |");
        if r >= 0.95 && ours_at_095.is_none_or(|(_, q)| qps > q) {
            ours_at_095 = Some((ef, qps));
        }
    }
    match ours_at_095 {
        Some((ef, qps)) => println!("\nsegue: {qps:.0} QPS at recall@10 >= 0.95 (ef {ef})"),
        None => println!("\nsegue: recall@10 >= 0.95 not reached at these ef"),
    }
    println!("tuned search ef: {tuned} (measured in {tune_secs:.1} s on 2 threads)");

    let q8 = if cli.no_int8 {
        None
    } else {
        Some(int8_sweep(
            cli,
            &data,
            &graph,
            &graph_path,
            &efs,
            &exact_truth,
        )?)
    };
    filtered_table(&data, &graph, None, tuned)?;
    if let Some(q8) = &q8 {
        filtered_table(&data, &graph, Some(q8), tuned)?;
    }

    // The walk through rejected rows only at the default ef: at a million rows and the tuned
    // ef it takes up to a second per query under the most selective filters.
    if !cli.no_calibration {
        calibrate_planner(
            &data,
            &graph,
            segue_index::ann::params::DEFAULT_EF_SEARCH,
            true,
        );
        calibrate_planner(&data, &graph, tuned, false);
    }

    if !cli.no_hnswlib && !cli.filters_only {
        hnswlib(cli, &data, &truth_path)?;
    }
    Ok(())
}

/// The same ef sweep and filters over the int8 copy of the vectors (written once under
/// `--work`): the walk computes int8 similarities, and its `ef` best are re-ranked on the f32
/// rows. Also the bytes each side's search keeps resident.
fn int8_sweep(
    cli: &Cli,
    data: &Data,
    graph: &AnnGraph,
    graph_path: &Path,
    efs: &[usize],
    exact_truth: &[Vec<u64>],
) -> anyhow::Result<QuantisedVectors> {
    let v = &data.vectors;
    let path = cli
        .work
        .join(format!("quantised-{}x{}.i8", v.rows(), v.dim()));
    let t = Instant::now();
    let fref = write_quantised(&path, "quantised", v)?;
    let write_secs = t.elapsed().as_secs_f64();
    let q8 = QuantisedVectors::open(&path, &fref, v)?;
    let graph_bytes = std::fs::metadata(graph_path)?.len();
    let f32_bytes = v.rows() * u64::from(v.dim()) * 4;
    println!(
        "\nint8 copy: {:.1} MiB written in {write_secs:.2} s; searched bytes: int8 codes + \
         graph {:.1} MiB, f32 + graph {:.1} MiB (the f32 rows are read only to re-rank \
         the best few of each walk)",
        fref.bytes as f64 / 1048576.0,
        (fref.bytes + graph_bytes) as f64 / 1048576.0,
        (f32_bytes + graph_bytes) as f64 / 1048576.0,
    );
    if cli.filters_only {
        return Ok(q8);
    }
    println!("\n| ef | int8 recall@10 | int8 QPS (1 thread) |\n|---:|---:|---:|");
    let mut best: Option<(usize, f64)> = None;
    for &ef in efs {
        let search = |q: &Vec<f32>| {
            let mut budget = Budget::unlimited();
            graph
                .search_quantised_within(v, &q8, q, K, ef, None, &mut budget)
                .expect("queries have the vectors' dimension")
                .unwrap_or_default()
        };
        for q in data.queries.iter().take(100) {
            std::hint::black_box(search(q));
        }
        let t = Instant::now();
        let got: Vec<Vec<u64>> = data
            .queries
            .iter()
            .map(|q| search(q).iter().map(|h| h.row).collect())
            .collect();
        let qps = data.queries.len() as f64 / t.elapsed().as_secs_f64();
        let r = recall(exact_truth, &got);
        println!("| {ef} | {r:.4} | {qps:.0} |");
        if r >= 0.95 && best.is_none_or(|(_, q)| qps > q) {
            best = Some((ef, qps));
        }
    }
    match best {
        Some((ef, qps)) => println!(
            "
segue int8: {qps:.0} QPS at recall@10 >= 0.95 (ef {ef})"
        ),
        None => println!(
            "
segue int8: recall@10 >= 0.95 not reached at these ef"
        ),
    }
    let t = Instant::now();
    let got: Vec<Vec<u64>> = data
        .queries
        .iter()
        .map(|q| {
            top_k_quantised(v, &q8, q, K, Rows::All, 2)
                .expect("queries have the vectors' dimension")
                .iter()
                .map(|h| h.row)
                .collect()
        })
        .collect();
    println!(
        "int8 scan (2 threads) with f32 re-rank: recall@10 {:.4} at {:.0} QPS",
        recall(exact_truth, &got),
        data.queries.len() as f64 / t.elapsed().as_secs_f64()
    );
    Ok(q8)
}

/// Filtered search through the query planner (exact scan or graph walk, chosen per query) at
/// the tuned ef, as a library search that sets no ef would run: random and correlated (BPM
/// window) filters from 0.1% to 50% of the rows.
fn filtered_table(
    data: &Data,
    graph: &AnnGraph,
    quantised: Option<&QuantisedVectors>,
    ef: usize,
) -> anyhow::Result<()> {
    let v = &data.vectors;
    println!(
        "\nfiltered, planner at ef {ef}, {} vectors\n\n\
         | filter | rows allowed | plan | recall@10 | QPS (1 thread) | p50 ms | p99 ms |\n\
         |---|---:|---|---:|---:|---:|---:|",
        if quantised.is_some() { "int8" } else { "f32" }
    );
    for fraction in [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5] {
        let (bpm, lo, hi) = bpm_window(&data.bpm, fraction);
        let filters = [
            (
                format!("random {}%", fraction * 100.0),
                random_filter(v.rows(), fraction),
            ),
            (
                format!("bpm {lo:.1}..={hi:.1} ({}%)", fraction * 100.0),
                bpm,
            ),
        ];
        for (name, set) in &filters {
            let t_truth = exact_top_k(v, &data.queries, Some(set), K, 2);
            let mut plans = Vec::with_capacity(data.queries.len());
            let mut times = Vec::with_capacity(data.queries.len());
            let got: Vec<Vec<u64>> = data
                .queries
                .iter()
                .map(|q| {
                    let t = Instant::now();
                    let (hits, p) = vector::search(&VectorSearch {
                        vectors: v,
                        quantised,
                        graph: Some(graph),
                        query: q,
                        k: K,
                        ef,
                        allowed: Some(set),
                        exact: false,
                        threads: 1,
                    })
                    .expect("queries have the vectors' dimension");
                    times.push(t.elapsed().as_secs_f64());
                    plans.push(p);
                    hits.iter().map(|h| h.row).collect()
                })
                .collect();
            let short = got.iter().filter(|g| g.len() < K).count();
            if short > 0 && set.len() >= K as u64 {
                bail!("{short} filtered queries returned fewer than k results");
            }
            let total: f64 = times.iter().sum();
            times.sort_by(f64::total_cmp);
            let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize] * 1e3;
            println!(
                "| {name} | {} | {} | {:.4} | {:.0} | {:.2} | {:.2} |",
                set.len(),
                share_of_each(&plans),
                recall(&t_truth, &got),
                times.len() as f64 / total,
                pct(0.5),
                pct(0.99)
            );
        }
    }
    Ok(())
}

/// The measurements behind the planner's constants (`segue_query::search::vector`): for each
/// filter, every plan forced on one thread — an exact scan of the allowed rows, a filtered walk
/// through rejected rows from the entry point (the walk before ACORN), and the planner's walk
/// (two hops past rejected rows, from seeds) — at `ef`, with no budget: time per query, recall,
/// and the effort the cost model counts (similarities, hops).
fn calibrate_planner(data: &Data, graph: &AnnGraph, ef: usize, through: bool) {
    let v = &data.vectors;
    let queries = &data.queries[..data.queries.len().min(200)];
    println!(
        "\nplanner calibration (forced plans, ef {ef}, {} queries, 1 thread; walk = through \
         rejected rows from the entry, acorn = two hops from {} seeds)\n\n\
         | filter | allowed | scan µs | walk µs | walk recall | acorn µs | acorn recall | acorn sims | acorn hops | scan ns/row | acorn ns/sim |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        queries.len(),
        vector::SEEDS
    );
    let mut filters: Vec<(String, RoaringBitmap)> = [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
        .iter()
        .map(|&f| (format!("random {}%", f * 100.0), random_filter(v.rows(), f)))
        .collect();
    for f in [0.001, 0.01, 0.1, 0.5] {
        let (set, _, _) = bpm_window(&data.bpm, f);
        filters.push((format!("bpm {}%", f * 100.0), set));
    }
    for (name, set) in &filters {
        let t_truth = exact_top_k(v, queries, Some(set), K, 2);
        let t = Instant::now();
        for q in queries {
            std::hint::black_box(
                top_k_normalised(v, q, K, Rows::Set(set), 1)
                    .expect("queries have the vectors' dimension"),
            );
        }
        let scan_us = t.elapsed().as_secs_f64() * 1e6 / queries.len() as f64;
        let bits = RowBits::new(set, v.rows());
        let allows = |r: u32| bits.contains(r);
        let seeds = vector::seeds(set, set.len());
        let run = |filter: &WalkFilter<'_>| {
            let mut effort = Effort::default();
            let t = Instant::now();
            let got: Vec<Vec<u64>> = queries
                .iter()
                .map(|q| {
                    let mut budget = Budget::unlimited();
                    let hits = graph
                        .search_within(v, q, K, ef, Some(filter), &mut budget)
                        .expect("queries have the vectors' dimension")
                        .unwrap_or_default();
                    effort.sims += budget.spent.sims;
                    effort.hops += budget.spent.hops;
                    hits.iter().map(|h| h.row).collect()
                })
                .collect();
            let us = t.elapsed().as_secs_f64() * 1e6 / queries.len() as f64;
            (us, recall(&t_truth, &got), effort)
        };
        let (walk_us, walk_recall, _) = if through {
            run(&WalkFilter::through(&allows))
        } else {
            (f64::NAN, f64::NAN, Effort::default())
        };
        let (acorn_us, acorn_recall, effort) = run(&WalkFilter {
            allows: &allows,
            crossing: Crossing::TwoHop,
            seeds: &seeds,
            least_nearby_share: 0.0,
        });
        let n = queries.len() as f64;
        let (sims, hops) = (effort.sims as f64 / n, effort.hops as f64 / n);
        println!(
            "| {name} | {} | {scan_us:.0} | {walk_us:.0} | {walk_recall:.4} | {acorn_us:.0} | {acorn_recall:.4} | {sims:.0} | {hops:.0} | {:.1} | {:.1} |",
            set.len(),
            scan_us * 1e3 / set.len().max(1) as f64,
            acorn_us * 1e3 / (sims + hops * vector::HOP_WEIGHT).max(1.0),
        );
    }
}

fn hnswlib(cli: &Cli, data: &Data, truth_path: &Path) -> anyhow::Result<()> {
    let run = run_hnswlib(
        &data.vectors_path,
        &data.queries_path,
        truth_path,
        K,
        &cli.efs,
        &cli.build_threads,
    )?;
    let builds: Vec<String> = run
        .build_s
        .iter()
        .map(|(t, secs)| format!("{secs:.1} s ({t} thread{})", if *t == 1 { "" } else { "s" }))
        .collect();
    println!(
        "\nhnswlib {} (M=16, efC=200): build {}, peak RSS {:.2} GiB",
        run.version,
        builds.join(", "),
        gib(run.peak_rss_bytes)
    );
    println!("\n| ef | hnswlib recall@10 | hnswlib QPS (1 thread) |\n|---:|---:|---:|");
    for r in &run.runs {
        println!("| {} | {:.4} | {:.0} |", r.ef, r.recall, r.qps);
    }
    match run.best_at(0.95) {
        Some(r) => println!(
            "\nhnswlib: {:.0} QPS at recall@10 >= 0.95 (ef {})",
            r.qps, r.ef
        ),
        None => println!("\nhnswlib: recall@10 >= 0.95 not reached at these ef"),
    }
    Ok(())
}
