//! `segue fixtures catalog` and `segue fixtures videos`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use segue::Library;
use segue::fixtures::{Artists, CatalogSpec, VideoSpec};

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// A deterministic synthetic catalogue (Parquet), streamed in bounded memory.
    Catalog {
        #[arg(long)]
        tracks: u64,
        /// 0 for none.
        #[arg(long, default_value_t = 512)]
        audio_dim: usize,
        /// 0 for none.
        #[arg(long, default_value_t = 384)]
        text_dim: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 24)]
        clusters: usize,
        /// How many artists, each track's audio embedding then sitting by its album's and its
        /// artist's (as real audio embeddings do). Without it: about 3000 artists at any size,
        /// and embeddings that know only their cluster. A realistic count is tracks / 16
        /// (MTG-Jamendo has 15.6 tracks per artist).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        artists: Option<u64>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Synthetic videos (JSON Lines) whose segments wander near tracks of a library.
    Videos {
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        library: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// How many library tracks serve as scene anchors.
        #[arg(long, default_value_t = 64)]
        anchors: usize,
    },
}

pub fn run(cmd: FixturesCommand) -> anyhow::Result<()> {
    match cmd {
        FixturesCommand::Catalog {
            tracks,
            audio_dim,
            text_dim,
            seed,
            clusters,
            artists,
            out,
        } => {
            let spec = CatalogSpec {
                tracks,
                audio_dim,
                text_dim,
                seed,
                clusters,
                artists: artists.map_or(Artists::ClusterOnly, Artists::Nested),
            };
            let bar = crate::progress::bar(
                tracks,
                "{spinner} catalogue [{bar:30}] {pos}/{len} rows {per_sec} ETA {eta}",
            );
            let s =
                segue::fixtures::write_catalog_parquet(&spec, &out, &mut |n| bar.set_position(n))?;
            bar.finish_and_clear();
            println!(
                "wrote {} tracks ({} clusters, {} bytes) to {}",
                s.tracks,
                s.clusters,
                s.bytes,
                out.display()
            );
            Ok(())
        }
        FixturesCommand::Videos {
            count,
            seed,
            library,
            out,
            anchors,
        } => {
            let lib = Library::open(&library)?;
            let anchors = segue::soundtrack::video_anchors(&lib, anchors)?;
            let spec = VideoSpec {
                count,
                seed,
                ..VideoSpec::default()
            };
            let s = segue::fixtures::write_videos_jsonl(&spec, &anchors, &out)
                .with_context(|| format!("writing videos for {}", library.display()))?;
            println!(
                "wrote {} videos ({} segments) to {}",
                s.videos,
                s.segments,
                out.display()
            );
            Ok(())
        }
    }
}
