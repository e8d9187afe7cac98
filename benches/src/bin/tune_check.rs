//! Does the build's tuning pass pick the ef new tracks need? For a library that `scale_bench`
//! built and searched, prints the tuning sample's recall@10 at each ef of the pass's ladder,
//! its rows posed both ways (left in the graph; hidden from their own walks), beside the
//! held-out queries' recall at the same ef from the size's record, and the ef each would
//! choose at a few targets.
//!
//! ```sh
//! B=/var/tmp/segue-target-bench/search-bench
//! $B/tune_check --work /var/tmp/segue-scale-nested-m32 --tracks 1000000
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use segue::Library;
use segue::index::schema::EmbeddingKind;
use segue_benches::scale::{SearchPoint, SizeRecord, audio_space};
use segue_index::ann::tune::{LADDER, SamplePoint, sample_recall};

#[derive(Parser)]
struct Cli {
    /// A `scale_bench --work` folder.
    #[arg(long)]
    work: PathBuf,
    #[arg(long)]
    tracks: u64,
    #[arg(long, default_value_t = 128)]
    audio_dim: usize,
    #[arg(long, default_value_t = 64)]
    text_dim: usize,
    /// Threads for the exact scans that find the sample's true neighbours.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

const TARGETS: [f64; 4] = [0.95, 0.96, 0.97, 0.98];

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let lib_dir = SizeRecord::library_dir(&cli.work, cli.tracks, cli.audio_dim, cli.text_dim);
    let lib = Library::open(&lib_dir).with_context(|| format!("{}", lib_dir.display()))?;
    let (vectors, graph) = audio_space(&lib)?;
    let record_path = SizeRecord::path(&cli.work, cli.tracks, cli.audio_dim, cli.text_dim);
    let record = SizeRecord::load(&record_path)?;
    let search = record.as_ref().and_then(|r| r.search.as_ref());
    let held_out = |points: Option<&Vec<SearchPoint>>, ef: usize| {
        points
            .and_then(|p| p.iter().find(|p| p.ef == ef))
            .map_or("-".to_string(), |p| format!("{:.3}", p.recall))
    };

    let t = Instant::now();
    let points = sample_recall(graph, vectors, cli.threads, LADDER)?;
    eprintln!(
        "sample recall at {} efs: {:.1} s",
        LADDER.len(),
        t.elapsed().as_secs_f64()
    );
    println!(
        "{} tracks, graph M {}, ef_construction {}, tuned ef in the manifest {:?}\n",
        cli.tracks,
        graph.m(),
        graph.ef_construction(),
        lib.manifest()
            .ann
            .get(EmbeddingKind::Audio.column())
            .and_then(|a| a.search_ef)
    );
    println!(
        "| ef | sample, in graph | sample, hidden | held-out f32 | held-out int8 |\n|---:|---:|---:|---:|---:|"
    );
    for p in &points {
        println!(
            "| {} | {:.3} | {:.3} | {} | {} |",
            p.ef,
            p.in_graph,
            p.hidden,
            held_out(search.map(|s| &s.f32), p.ef),
            held_out(search.map(|s| &s.int8), p.ef)
        );
    }
    println!(
        "\n| target | ef, in graph | ef, hidden | held-out f32: first ef of the sweep at the target |\n|---:|---:|---:|---:|"
    );
    for target in TARGETS {
        let first = |recall: fn(&SamplePoint) -> f64| {
            points
                .iter()
                .find(|p| recall(p) >= target)
                .map_or("-".to_string(), |p| p.ef.to_string())
        };
        let sweep = search
            .and_then(|s| s.f32.iter().find(|p| p.recall >= target))
            .map_or("-".to_string(), |p| p.ef.to_string());
        println!(
            "| {target} | {} | {} | {sweep} |",
            first(|p| p.in_graph),
            first(|p| p.hidden)
        );
    }
    Ok(())
}
