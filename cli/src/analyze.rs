//! `segue analyze`: what the engine hears in audio files (tempo, beat grid, bars, key, sections,
//! integrated loudness and loudness per bar), without a library: for checking a track before ingest, or for an editor
//! who wants a track's beats.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use serde_json::{Value, json};

use segue::models::AudioAnalyzer;
use segue::models::AudioFeatures;

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Audio files (WAV, FLAC, MP3, Ogg Vorbis).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// One JSON object per file (JSON Lines) with every beat, downbeat and section time,
    /// instead of a table.
    #[arg(long)]
    json: bool,
    /// Files analysed at once.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

pub fn analyze(args: AnalyzeArgs) -> anyhow::Result<()> {
    let analyzer = AudioAnalyzer::features_only(args.threads.max(1));
    let results = analyzer.analyze_many(&args.files, &|| {});
    if !args.json {
        println!(
            "{:<32}  {:>7}  {:>6}  {:>6}  {:>5}  {:>3}  {:<16}  {:>8}  {:>6}",
            "file", "dur_s", "bpm", "stable", "beats", "bar", "key", "sections", "lufs"
        );
    }
    let mut failed = 0;
    for (path, result) in args.files.iter().zip(results) {
        let f = match result {
            Ok(f) => f,
            Err(e) => {
                // The error names the file; the other files are still analysed.
                eprintln!("segue analyze: {e}");
                failed += 1;
                continue;
            }
        };
        if args.json {
            println!("{}", to_json(&path.display().to_string(), &f));
        } else {
            println!("{}", table_row(&path.display().to_string(), &f));
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} files could not be analysed",
            args.files.len()
        );
    }
    Ok(())
}

fn to_json(file: &str, f: &AudioFeatures) -> Value {
    let grid = f.beat_grid.as_ref();
    json!({
        "file": file,
        "duration_s": f.duration_s,
        "sample_rate": f.sample_rate,
        "channels": f.channels,
        "bpm": f.bpm,
        "tempo_stability": grid.map(|g| g.tempo_stability),
        "beats_per_bar": grid.map(|g| g.beats_per_bar),
        "beats": grid.map_or(&[][..], |g| &g.beats[..]),
        "downbeats": grid.map_or(&[][..], |g| &g.downbeats[..]),
        "key": f.key.map(|k| k.key.name()),
        "camelot": f.key.map(|k| k.key.camelot_code()),
        "key_correlation": f.key.map(|k| k.correlation),
        "loudness_lufs": f.loudness_lufs,
        "section_starts": f.section_starts,
        "bar_energy_db": f.bar_energy_db,
        "rms": f.rms,
        "spectral_centroid_hz": f.spectral_centroid_hz,
    })
}

fn table_row(file: &str, f: &AudioFeatures) -> String {
    let grid = f.beat_grid.as_ref();
    let name: String = if file.chars().count() > 32 {
        let tail: String = file
            .chars()
            .rev()
            .take(31)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        file.to_string()
    };
    format!(
        "{:<32}  {:>7.1}  {:>6}  {:>6}  {:>5}  {:>3}  {:<16}  {:>8}  {:>6}",
        name,
        f.duration_s,
        f.bpm.map_or("-".into(), |b| format!("{b:.1}")),
        grid.map_or("-".into(), |g| format!("{:.3}", g.tempo_stability)),
        grid.map_or(0, |g| g.beats.len()),
        grid.map_or("-".into(), |g| g.beats_per_bar.to_string()),
        f.key.map_or("-".into(), |k| format!(
            "{} {}",
            k.key.name(),
            k.key.camelot_code()
        )),
        f.section_starts.len() + usize::from(grid.is_some()),
        f.loudness_lufs.map_or("-".into(), |l| format!("{l:.1}")),
    )
}
