//! Scale curves (issue 18): the same generated catalogue (audio 128-d, text 64-d, seed 42) at
//! 10k, 100k, 1M and 10M tracks, each through the whole engine: generate, ingest, build the
//! graphs on 1 and 2 threads, search (f32 and int8, an ef sweep at recall@10 against the exact
//! top 10; filtered at 1% and 10%, random and correlated), plan soundtracks (greedy-all and
//! beam), and hnswlib on the same vectors where it fits. One record per size in `--work`:
//! a stage already recorded is not measured again (so a run split across sessions reuses the
//! built libraries), unless named in `--redo`. The report (markdown, JSON and five log-log
//! charts) is drawn from every record.
//!
//! ```sh
//! CARGO_TARGET_DIR=/var/tmp/segue-target-bench cargo build --profile search-bench -p segue-cli -p segue-benches --bins
//! B=/var/tmp/segue-target-bench/search-bench
//! $B/scale_bench --sizes 10000,100000,1000000,10000000
//! $B/scale_bench --report-only        # tables and charts from the records
//! $B/scale_bench --nested-artists --sizes 10000,100000,1000000   # artists and albums nested
//! ```
//! Every step runs alone on the machine; ingest and builds run as child processes (wall time
//! and peak RSS from `wait4`); searches and plans run in this process on one thread.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use clap::Parser;
use roaring::RoaringBitmap;

use segue::Library;
use segue::index::schema::{EmbeddingKind, col};
use segue_benches::hnswlib::run_hnswlib;
use segue_benches::planning::{ms_per_step, run_steps};
use segue_benches::scale::{
    Build, FilteredPoint, PlannerFigures, SearchFigures, SearchPoint, SizeRecord, Step,
    audio_space, draw, markdown,
};
use segue_benches::truth::{bpm_window, exact_top_k, random_filter, recall};
use segue_benches::{disk_bytes, measure, segue_bin, share_of_each};
use segue_fixtures::{Artists, BATCH_ROWS, CatalogSpec, catalog_batches};
use segue_index::ann::AnnGraph;
use segue_index::quantised::QuantisedVectors;
use segue_index::vectors::{VectorFile, VectorFileWriter};
use segue_query::search::vector::{self, Plan, VectorSearch};

const K: usize = 10;
const STAGES: [&str; 6] = ["catalog", "ingest", "build", "search", "planner", "hnswlib"];

#[derive(Debug, Parser)]
struct Cli {
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10000,100000,1000000,10000000"
    )]
    sizes: Vec<u64>,
    /// Records, libraries and query files.
    #[arg(
        long,
        default_value = "/var/tmp/segue-scale-curves",
        default_value_if("nested_artists", "true", "/var/tmp/segue-scale-nested")
    )]
    work: PathBuf,
    /// Where the report (scale.md, scale.json) and the charts go.
    #[arg(
        long,
        default_value = "benches/results/scale",
        default_value_if("nested_artists", "true", "benches/results/scale-nested")
    )]
    out: PathBuf,
    /// Generate catalogues with an artist per 16 tracks whose audio embeddings nest album in
    /// artist in cluster (`segue fixtures catalog --artists`), instead of the cluster-only ones.
    #[arg(long)]
    nested_artists: bool,
    /// The graphs' ef_construction (`segue reindex --ef-construction`; default the engine's).
    #[arg(long)]
    ef_construction: Option<usize>,
    /// The graphs' links per node (`segue reindex --m`; default the engine's).
    #[arg(long)]
    m: Option<usize>,
    #[arg(long, default_value_t = 128)]
    audio_dim: usize,
    #[arg(long, default_value_t = 64)]
    text_dim: usize,
    /// Held-out query tracks (generated after the library's last row).
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Search efs swept on f32 and int8 (the sweep stops past recall 0.99).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "16,32,64,96,128,192,256,384,512,640,768,1024,1536,2048,3072,4096,6144"
    )]
    efs: Vec<usize>,
    /// Stages to run, in this order: catalog, ingest, build, search, planner, hnswlib.
    #[arg(long, value_delimiter = ',', default_values_t = STAGES.map(String::from))]
    stages: Vec<String>,
    /// Stages to measure again even though the record has them.
    #[arg(long, value_delimiter = ',')]
    redo: Vec<String>,
    /// Build thread counts; 1 thread only up to --one-thread-max tracks.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    build_threads: Vec<usize>,
    #[arg(long, default_value_t = 1_000_000)]
    one_thread_max: u64,
    /// hnswlib runs up to this many tracks (its build takes as long as ours, on top).
    #[arg(long, default_value_t = 1_000_000)]
    hnswlib_max: u64,
    /// Builds walk the f32 vectors instead of the int8 copy (`segue reindex --build-on-f32`).
    #[arg(long)]
    build_on_f32: bool,
    /// The search stage reads the held-out queries and their exact top 10 back from an
    /// earlier run's files instead of generating and scanning for them again (at 10M that
    /// is 3 minutes of each run: for comparing two binaries on one library).
    #[arg(long)]
    reuse_queries: bool,
    /// Keep the generated catalogue after ingest (10M tracks: about 8 GB).
    #[arg(long)]
    keep_catalogs: bool,
    /// Only print the report and draw the charts from the records in --work.
    #[arg(long)]
    report_only: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    for s in cli.stages.iter().chain(&cli.redo) {
        if !STAGES.contains(&s.as_str()) {
            bail!(
                "--stages/--redo: unknown stage {s:?} (known: {})",
                STAGES.join(", ")
            );
        }
    }
    std::fs::create_dir_all(&cli.work)?;
    if !cli.report_only {
        for &n in &cli.sizes {
            run_size(&cli, n)?;
        }
    }
    report(&cli)
}

impl Cli {
    /// The catalogue's artists at `n` tracks (the held-out queries use the same count).
    fn artists(&self, n: u64) -> Artists {
        if self.nested_artists {
            Artists::nested_like_jamendo(n)
        } else {
            Artists::ClusterOnly
        }
    }
}

fn run_size(cli: &Cli, n: u64) -> anyhow::Result<()> {
    let path = SizeRecord::path(&cli.work, n, cli.audio_dim, cli.text_dim);
    let nested_artists = match cli.artists(n) {
        Artists::Nested(a) => Some(a),
        Artists::ClusterOnly => None,
    };
    let mut rec = SizeRecord::load(&path)?.unwrap_or_else(|| SizeRecord {
        tracks: n,
        audio_dim: cli.audio_dim,
        text_dim: cli.text_dim,
        nested_artists,
        ..SizeRecord::default()
    });
    if rec.nested_artists != nested_artists {
        bail!(
            "{} records a catalogue with artists {:?}, this run asks for {nested_artists:?}: \
             use another --work",
            path.display(),
            rec.nested_artists
        );
    }
    rec.machine = machine();
    let stem = format!("{n}-a{}-t{}", cli.audio_dim, cli.text_dim);
    let catalog = cli.work.join(format!("catalog-{stem}.parquet"));
    let lib = SizeRecord::library_dir(&cli.work, n, cli.audio_dim, cli.text_dim);
    let want = |stage: &str, done: bool| {
        cli.stages.iter().any(|s| s == stage) && (!done || cli.redo.iter().any(|s| s == stage))
    };
    let segue = segue_bin()?;
    eprintln!("== {n} tracks ==");

    let ingest_wanted = want("ingest", rec.ingest.is_some());
    if want("catalog", rec.catalog.is_some()) || (ingest_wanted && !catalog.exists()) {
        eprintln!("generating {}", catalog.display());
        let mut generate = Command::new(&segue);
        generate
            .args(["fixtures", "catalog", "--seed", "42"])
            .args(["--tracks", &n.to_string()])
            .args(["--audio-dim", &cli.audio_dim.to_string()])
            .args(["--text-dim", &cli.text_dim.to_string()])
            .arg("--out")
            .arg(&catalog)
            .stdout(Stdio::null());
        if let Some(a) = nested_artists {
            generate.args(["--artists", &a.to_string()]);
        }
        let m = measure(&mut generate)?;
        rec.catalog = Some(step(m, disk_bytes(&catalog)));
        rec.save(&path)?;
    }
    if ingest_wanted {
        if lib.exists() {
            std::fs::remove_dir_all(&lib)?;
        }
        // Everything a later stage measured belongs to the library being replaced.
        rec.builds.clear();
        rec.search = None;
        rec.planner = None;
        eprintln!("ingesting {n} tracks");
        let m = measure(
            Command::new(&segue)
                .args(["ingest", "--no-index", "--quantise", "int8", "--library"])
                .arg(&lib)
                .arg("--catalog")
                .arg(&catalog)
                .stdout(Stdio::null()),
        )?;
        rec.ingest = Some(step(m, disk_bytes(&lib)));
        rec.save(&path)?;
        if !cli.keep_catalogs {
            std::fs::remove_file(&catalog)?;
        }
    }
    if cli.stages.iter().any(|s| s == "build") {
        for &t in &cli.build_threads {
            if t == 1 && n > cli.one_thread_max {
                continue;
            }
            if rec.builds.contains_key(&t) && !cli.redo.iter().any(|s| s == "build") {
                continue;
            }
            eprintln!("building {n} tracks' graphs on {t} thread(s)");
            let mut reindex = Command::new(&segue);
            reindex
                .args(["reindex", "--no-text", "--threads", &t.to_string()])
                .arg("--library")
                .arg(&lib)
                .stdout(Stdio::null());
            if cli.build_on_f32 {
                reindex.arg("--build-on-f32");
            }
            if let Some(ef) = cli.ef_construction {
                reindex.args(["--ef-construction", &ef.to_string()]);
            }
            if let Some(m) = cli.m {
                reindex.args(["--m", &m.to_string()]);
            }
            let m = measure(&mut reindex)?;
            // Searches and plans measured on the graphs being replaced no longer hold.
            rec.search = None;
            rec.planner = None;
            let l = Library::open(&lib)?;
            let graph_seconds = l
                .manifest()
                .ann
                .iter()
                .map(|(k, a)| (k.clone(), a.build_seconds))
                .collect();
            let audio_graph = l.manifest().ann.get(EmbeddingKind::Audio.column());
            let tuned_ef = audio_graph.and_then(|a| a.search_ef);
            let ef_construction = audio_graph.map(|a| a.ef_construction);
            let links = audio_graph.map(|a| a.m);
            rec.builds.insert(
                t,
                Build {
                    step: step(m, disk_bytes(&lib)),
                    graph_seconds,
                    tuned_ef,
                    walked_on: if cli.build_on_f32 { "f32" } else { "int8" }.into(),
                    ef_construction,
                    m: links,
                },
            );
            rec.save(&path)?;
        }
    }
    let query_files = (
        cli.work.join(format!("queries-{stem}.f32")),
        cli.work.join(format!("truth-{stem}.i32")),
    );
    if want("search", rec.search.is_some()) {
        rec.search = Some(search(cli, n, &lib, &query_files)?);
        rec.save(&path)?;
    }
    if want("planner", rec.planner.is_some()) {
        rec.planner = Some(planner(&lib)?);
        rec.save(&path)?;
    }
    if n <= cli.hnswlib_max && want("hnswlib", rec.hnswlib.is_some()) {
        if !query_files.1.exists() {
            bail!("hnswlib needs the search stage's queries and truth first");
        }
        let l = Library::open(&lib)?;
        let v = l.vectors(EmbeddingKind::Audio).context("no audio space")?;
        rec.hnswlib = Some(run_hnswlib(
            v.path(),
            &query_files.0,
            &query_files.1,
            K,
            &cli.efs,
            &cli.build_threads,
        )?);
        rec.save(&path)?;
    }
    Ok(())
}

fn step(m: segue_benches::Measured, disk: u64) -> Step {
    Step {
        seconds: m.seconds,
        peak_rss_bytes: m.peak_rss_bytes,
        disk_bytes: disk,
        finished: now(),
    }
}

fn now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or("?".into(), |s| s.trim().to_string())
}

/// CPU model, core count and the similarity kernel this build selected.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{cpu}, {} cores, kernel {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        segue_index::kernels::selected().name()
    )
}

/// `count` query tracks' audio vectors: the rows after the library's last one in the same
/// generated catalogue, normalised.
fn held_out_queries(cli: &Cli, n: u64) -> anyhow::Result<Vec<Vec<f32>>> {
    let spec = CatalogSpec {
        tracks: n + cli.queries as u64,
        audio_dim: cli.audio_dim,
        text_dim: cli.text_dim,
        seed: 42,
        artists: cli.artists(n),
        ..CatalogSpec::default()
    };
    let first_batch = n / BATCH_ROWS as u64;
    let mut row = first_batch * BATCH_ROWS as u64;
    let mut out = Vec::with_capacity(cli.queries);
    for batch in catalog_batches(&spec)?.starting_at_batch(first_batch) {
        let batch = batch?;
        let emb = batch
            .column_by_name(col::AUDIO_EMB)
            .context("the catalogue has no audio_emb")?
            .as_fixed_size_list();
        let values = emb.values().as_primitive::<Float32Type>().values();
        for i in 0..batch.num_rows() {
            if row >= n {
                let v = &values[i * cli.audio_dim..(i + 1) * cli.audio_dim];
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                out.push(v.iter().map(|x| x / norm).collect());
            }
            row += 1;
        }
    }
    Ok(out)
}

fn bpm_column(lib: &Library) -> anyhow::Result<Vec<f32>> {
    let mut bpm = Vec::with_capacity(lib.rows() as usize);
    for batch in lib.scan(&[col::BPM])? {
        let b = batch.column(0).as_primitive::<Float32Type>();
        bpm.extend((0..b.len()).map(|i| if b.is_valid(i) { b.value(i) } else { f32::NAN }));
    }
    Ok(bpm)
}

/// One thread, `queries` one at a time after a warm-up of 100: recall@10, QPS, p50, p99, and
/// how the planner answered each timed query.
fn time_queries(
    queries: &[Vec<f32>],
    truth: &[Vec<u64>],
    ef: usize,
    mut search: impl FnMut(&[f32]) -> (Vec<u64>, Plan),
) -> (SearchPoint, Vec<Plan>) {
    for q in queries.iter().take(100) {
        std::hint::black_box(search(q));
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut plans = Vec::with_capacity(queries.len());
    let got: Vec<Vec<u64>> = queries
        .iter()
        .map(|q| {
            let t = Instant::now();
            let (hits, plan) = search(q);
            times.push(t.elapsed().as_secs_f64());
            plans.push(plan);
            hits
        })
        .collect();
    let total: f64 = times.iter().sum();
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize] * 1e3;
    let point = SearchPoint {
        ef,
        recall: recall(truth, &got),
        qps: times.len() as f64 / total,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    };
    (point, plans)
}

fn search(
    cli: &Cli,
    n: u64,
    lib_dir: &Path,
    (queries_path, truth_path): &(PathBuf, PathBuf),
) -> anyhow::Result<SearchFigures> {
    let lib = Library::open(lib_dir)?;
    let (v, graph) = audio_space(&lib)?;
    let q8 = lib
        .quantised(EmbeddingKind::Audio)
        .context("no int8 copy: the library was not ingested with --quantise int8")?;
    let tuned = graph_tuned_ef(&lib);
    let (queries, truth) = if cli.reuse_queries && truth_path.exists() {
        let queries = read_queries(queries_path)?;
        let truth = read_truth(truth_path, queries.len())?;
        eprintln!(
            "search at {n}: {} queries and their exact top {K} read back",
            queries.len()
        );
        (queries, truth)
    } else {
        eprintln!("search at {n}: generating {} queries", cli.queries);
        let queries = held_out_queries(cli, n)?;
        write_queries(&queries, v.dim(), queries_path)?;
        let t = Instant::now();
        let truth = exact_top_k(v, &queries, None, K, 2);
        eprintln!(
            "exact top {K} of {} queries in {:.1} s",
            queries.len(),
            t.elapsed().as_secs_f64()
        );
        write_truth(&truth, truth_path)?;
        (queries, truth)
    };

    let mut sweeps = [Vec::new(), Vec::new()];
    for (sweep, quantised) in sweeps.iter_mut().zip([None, Some(q8)]) {
        for &ef in &cli.efs {
            let (p, _) = time_queries(
                &queries,
                &truth,
                ef,
                searcher(v, graph, quantised, ef, None),
            );
            eprintln!(
                "{} ef {ef}: recall {:.4}, {:.0} QPS, p99 {:.2} ms",
                if quantised.is_some() { "int8" } else { "f32" },
                p.recall,
                p.qps,
                p.p99_ms
            );
            let done = p.recall >= 0.99;
            sweep.push(p);
            if done {
                break;
            }
        }
    }
    let [f32_points, int8_points] = sweeps;

    let bpm = bpm_column(&lib)?;
    let mut filtered = Vec::new();
    for fraction in [0.01, 0.1] {
        let filters = [
            ("random", random_filter(v.rows(), fraction)),
            ("bpm", bpm_window(&bpm, fraction).0),
        ];
        for (kind, set) in filters {
            let t_truth = exact_top_k(v, &queries, Some(&set), K, 2);
            let (point, plans) = time_queries(
                &queries,
                &t_truth,
                tuned,
                searcher(v, graph, Some(q8), tuned, Some(&set)),
            );
            eprintln!(
                "{kind} {}%: recall {:.4}, {:.0} QPS, p99 {:.2} ms",
                fraction * 100.0,
                point.recall,
                point.qps,
                point.p99_ms
            );
            filtered.push(FilteredPoint {
                kind: kind.into(),
                fraction,
                allowed: set.len(),
                plans: share_of_each(&plans),
                point,
            });
        }
    }
    let file_bytes = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let graph_file = lib_dir.join(&lib.manifest().ann[EmbeddingKind::Audio.column()].file);
    let q8_file = lib_dir.join(&lib.manifest().quantised[EmbeddingKind::Audio.column()].file);
    Ok(SearchFigures {
        finished: now(),
        kernel: segue_index::kernels::selected().name().into(),
        queries: queries.len(),
        walked_bytes_int8: file_bytes(&q8_file) + file_bytes(&graph_file),
        walked_bytes_f32: file_bytes(v.path()) + file_bytes(&graph_file),
        f32: f32_points,
        int8: int8_points,
        filtered,
    })
}

/// One search as a library runs it (the planner picks a walk or a scan), returning the rows.
fn searcher<'a>(
    vectors: &'a VectorFile,
    graph: &'a AnnGraph,
    quantised: Option<&'a QuantisedVectors>,
    ef: usize,
    allowed: Option<&'a RoaringBitmap>,
) -> impl FnMut(&[f32]) -> (Vec<u64>, Plan) + 'a {
    move |q: &[f32]| {
        let (hits, plan) = vector::search(&VectorSearch {
            vectors,
            quantised,
            graph: Some(graph),
            query: q,
            k: K,
            ef,
            allowed,
            exact: false,
            threads: 1,
        })
        .expect("queries have the vectors' dimension");
        (hits.iter().map(|h| h.row).collect(), plan)
    }
}

fn graph_tuned_ef(lib: &Library) -> usize {
    lib.manifest()
        .ann
        .get(EmbeddingKind::Audio.column())
        .and_then(|a| a.search_ef)
        .map_or(segue_index::ann::params::DEFAULT_EF_SEARCH, |e| e as usize)
}

fn write_queries(queries: &[Vec<f32>], dim: u32, path: &Path) -> anyhow::Result<()> {
    let mut w = VectorFileWriter::create(path, dim)?;
    for q in queries {
        w.push(q)?;
    }
    w.finish("queries")?;
    Ok(())
}

fn read_queries(path: &Path) -> anyhow::Result<Vec<Vec<f32>>> {
    let file = segue_benches::truth::open_vectors(path)?;
    Ok((0..file.rows() as usize)
        .map(|i| file.row(i).to_vec())
        .collect())
}

/// What [`write_truth`] wrote for `queries` queries.
fn read_truth(path: &Path, queries: usize) -> anyhow::Result<Vec<Vec<u64>>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() != queries * K * 4 {
        bail!(
            "{}: {} bytes, not the top {K} of {queries} queries",
            path.display(),
            bytes.len()
        );
    }
    Ok(bytes
        .chunks_exact(K * 4)
        .map(|q| {
            q.chunks_exact(4)
                .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")) as u64)
                .collect()
        })
        .collect())
}

/// Raw little-endian int32, queries × k, as hnswlib_ref.py reads it.
fn write_truth(truth: &[Vec<u64>], path: &Path) -> anyhow::Result<()> {
    let bytes: Vec<u8> = truth
        .iter()
        .flat_map(|t| t.iter().flat_map(|r| (*r as i32).to_le_bytes()))
        .collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Greedy-all and beam on 30 generated videos (5–60 segments), and beam on 10 of exactly 20
/// segments, after fitting the library on the 30.
fn planner(lib: &Path) -> anyhow::Result<PlannerFigures> {
    let runs = run_steps(lib, 30)?;
    let ms: Vec<f64> = runs.beam20.iter().map(|p| p.timing.total_ms).collect();
    Ok(PlannerFigures {
        finished: now(),
        fit_seconds: runs.fit_seconds,
        videos: runs.videos.len(),
        steps: runs.greedy.iter().map(|p| p.segments.len()).sum(),
        greedy_ms_per_step: ms_per_step(&runs.greedy),
        beam_ms_per_step: ms_per_step(&runs.beam),
        beam20_ms_mean: ms.iter().sum::<f64>() / ms.len().max(1) as f64,
        beam20_ms_max: ms.iter().copied().fold(0.0, f64::max),
    })
}

fn report(cli: &Cli) -> anyhow::Result<()> {
    let mut records = Vec::new();
    for entry in std::fs::read_dir(&cli.work)? {
        let p = entry?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("scale-")
            && name.ends_with(".json")
            && let Some(r) = SizeRecord::load(&p)?
            && r.audio_dim == cli.audio_dim
            && r.text_dim == cli.text_dim
        {
            records.push(r);
        }
    }
    records.sort_by_key(|r| r.tracks);
    if records.is_empty() {
        bail!("no scale records in {}", cli.work.display());
    }
    let md = markdown(&records);
    println!("{md}");
    std::fs::create_dir_all(&cli.out)?;
    std::fs::write(cli.out.join("scale.md"), &md)?;
    std::fs::write(
        cli.out.join("scale.json"),
        serde_json::to_vec_pretty(&records)?,
    )?;
    for f in draw(&records, &cli.out)? {
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_truth_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let (qp, tp) = (dir.path().join("q.f32"), dir.path().join("t.i32"));
        // Unit rows, as the held-out queries are (the vector file keeps rows normalised).
        let queries: Vec<Vec<f32>> = (0..3)
            .map(|i| (0..4).map(|d| if d == i { 1.0 } else { 0.0 }).collect())
            .collect();
        let truth: Vec<Vec<u64>> = (0..3)
            .map(|i| (0..K as u64).map(|r| i * 1000 + r).collect())
            .collect();
        write_queries(&queries, 4, &qp).unwrap();
        write_truth(&truth, &tp).unwrap();
        assert_eq!(read_queries(&qp).unwrap(), queries);
        assert_eq!(read_truth(&tp, 3).unwrap(), truth);
        // Another run's count of queries: refused, not misread.
        let err = read_truth(&tp, 4).unwrap_err().to_string();
        assert!(err.contains("t.i32") && err.contains("4 queries"), "{err}");
        // A queries file cut short before its header ends: refused by name.
        let short = dir.path().join("short.f32");
        std::fs::write(&short, b"SEGUE").unwrap();
        let err = read_queries(&short).unwrap_err().to_string();
        assert!(err.contains("short.f32"), "{err}");
    }
}
