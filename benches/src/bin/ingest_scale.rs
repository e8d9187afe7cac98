//! Ingest at scale: generates catalogues of growing size (Parquet, audio 512-d, text 384-d) and
//! times `segue ingest --no-index` on each as a separate process, reporting tracks/s and peak
//! RSS; then, with `--reindex`, the derived indexes (HNSW graphs of both spaces and the text
//! index) built by `segue reindex` as another process.
//!
//! ```sh
//! cargo build --release -p segue -p segue-benches
//! target/release/ingest_scale --sizes 100000,1000000 --work /var/tmp/segue-bench [--reindex]
//! ```
//! Goal (issue 2): 1M tracks in at most 90 s with peak RSS under 2 GiB on a 2-core machine. The
//! index builds are measured apart because they are a different job with its own goals (issue 3:
//! HNSW build time against hnswlib) and take minutes for a million rows on two cores.

use std::path::PathBuf;
use std::process::Command;

use clap::Parser;
use segue_benches::{disk_bytes, gib, measure, segue_bin};

#[derive(Debug, Parser)]
struct Args {
    /// Catalogue sizes (tracks).
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    sizes: Vec<u64>,
    #[arg(long, default_value_t = 512)]
    audio_dim: usize,
    #[arg(long, default_value_t = 384)]
    text_dim: usize,
    /// Scratch directory for catalogues (kept between runs) and libraries (rebuilt).
    #[arg(long, default_value = "/var/tmp/segue-bench")]
    work: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also time `segue reindex` (graphs and text index) on each ingested library.
    #[arg(long)]
    reindex: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let segue = segue_bin()?;
    std::fs::create_dir_all(&args.work)?;
    println!("| tracks | catalogue (Parquet) | ingest s | tracks/s | peak RSS | library on disk |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut reindexed = Vec::new();
    for &n in &args.sizes {
        let catalog = args.work.join(format!(
            "catalog-{n}-a{}-t{}-s{}.parquet",
            args.audio_dim, args.text_dim, args.seed
        ));
        if !catalog.exists() {
            eprintln!("generating {}", catalog.display());
            measure(
                Command::new(&segue)
                    .args(["fixtures", "catalog"])
                    .args([
                        "--tracks",
                        &n.to_string(),
                        "--audio-dim",
                        &args.audio_dim.to_string(),
                        "--text-dim",
                        &args.text_dim.to_string(),
                        "--seed",
                        &args.seed.to_string(),
                        "--out",
                    ])
                    .arg(&catalog),
            )?;
        }
        let library = args.work.join(format!("library-{n}"));
        if library.exists() {
            std::fs::remove_dir_all(&library)?;
        }
        eprintln!("ingesting {n} tracks");
        let m = measure(
            Command::new(&segue)
                .args(["ingest", "--no-index", "--library"])
                .arg(&library)
                .arg("--catalog")
                .arg(&catalog)
                .stdout(std::process::Stdio::null()),
        )?;
        println!(
            "| {n} | {:.2} GiB | {:.1} | {:.0} | {:.2} GiB | {:.2} GiB |",
            gib(disk_bytes(&catalog)),
            m.seconds,
            n as f64 / m.seconds,
            gib(m.peak_rss_bytes),
            gib(disk_bytes(&library)),
        );
        if args.reindex {
            eprintln!("reindexing {n} tracks");
            let r = measure(
                Command::new(&segue)
                    .args(["reindex", "--library"])
                    .arg(&library)
                    .stdout(std::process::Stdio::null()),
            )?;
            reindexed.push((n, r.seconds, r.peak_rss_bytes, disk_bytes(&library)));
        }
    }
    if !reindexed.is_empty() {
        println!("\n| tracks | reindex s (2 graphs + text index) | peak RSS | library on disk |");
        println!("|---:|---:|---:|---:|");
        for (n, s, rss, disk) in reindexed {
            println!(
                "| {n} | {s:.1} | {:.2} GiB | {:.2} GiB |",
                gib(rss),
                gib(disk)
            );
        }
    }
    Ok(())
}
