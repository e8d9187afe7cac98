//! Command-line definitions and dispatch. Each subcommand lives in its own file.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{
    analyze, fixtures, ingest, library, mixdown, policy, repair, search, segment, soundtrack,
};

/// Segue chooses background music for video from stock-music catalogues.
#[derive(Debug, Parser)]
#[command(name = "segue", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a demo library from the shipped fixtures and show what it can do.
    Demo {
        /// Where to build the demo library (rebuilt on every run).
        #[arg(long, default_value = "segue-demo-library")]
        dir: PathBuf,
        /// Which catalogue to build from: auto (real when ../shared/data is present), real, generated.
        #[arg(long, default_value = "auto")]
        source: String,
    },
    /// Create a library from a catalogue, or append a catalogue to one (a new version).
    Ingest(ingest::IngestArgs),
    /// Show a library's version, tracks, dimensions, sizes and what is built.
    Info {
        #[arg(long)]
        library: PathBuf,
        #[arg(long)]
        json: bool,
        /// Re-read every derived file and check its checksum.
        #[arg(long)]
        verify: bool,
    },
    /// Find tracks: by vector, like/unlike track ids, tag/word query, or hybrid; with filters.
    Search(search::SearchArgs),
    /// Rebuild a library's derived indexes (HNSW graphs, text index) as a new version.
    Reindex(search::ReindexArgs),
    /// Rebuild a damaged library's vector files, graphs, text index and manifest from its
    /// Lance data (a new version with the same tracks).
    Repair(repair::RepairArgs),
    /// What the engine hears in audio files: tempo, beats, bars, key, sections, loudness per
    /// bar (no library needed).
    Analyze(analyze::AnalyzeArgs),
    /// Cut a video file into music segments (shots, change points, motion, subtitles as
    /// captions) and write the video JSON `segue soundtrack` reads.
    Segment(segment::SegmentArgs),
    /// Play a plan: its edit list rendered from the library's audio to a loudness-normalised
    /// WAV or FLAC file (and exported as OpenTimelineIO with --otio).
    Render(mixdown::RenderArgs),
    /// Fit the soundtrack model (reference embeddings, switch budget) on videos; a new version.
    Fit(soundtrack::FitArgs),
    /// Plan the soundtrack of a video (or of each video of a JSON Lines file).
    Soundtrack(soundtrack::SoundtrackArgs),
    /// Compare policies on many videos: returns per video (CSV), CDF plot, summary.
    Eval(soundtrack::EvalArgs),
    /// Train the masked policy (Maskable PPO) on a library and videos; export it as ONNX.
    TrainPolicy(policy::TrainPolicyArgs),
    /// Write deterministic synthetic catalogues and videos.
    #[command(subcommand)]
    Fixtures(fixtures::FixturesCommand),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo { dir, source } => library::demo(dir, &source),
        Command::Ingest(args) => ingest::run(args),
        Command::Info {
            library,
            json,
            verify,
        } => library::info(&library, json, verify),
        Command::Fixtures(cmd) => fixtures::run(cmd),
        Command::Search(args) => search::search(args),
        Command::Reindex(args) => search::reindex(args),
        Command::Repair(args) => repair::run(args),
        Command::Analyze(args) => analyze::analyze(args),
        Command::Render(args) => mixdown::render(args),
        Command::Segment(args) => segment::segment(args),
        Command::Fit(args) => soundtrack::fit(args),
        Command::Soundtrack(args) => soundtrack::soundtrack(args),
        Command::Eval(args) => soundtrack::eval(args),
        Command::TrainPolicy(args) => policy::train_policy(args),
    }
}
