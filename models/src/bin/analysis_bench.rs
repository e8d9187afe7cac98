//! Track analysis over a folder of audio files: per file the tempo, its stability, beats, bar
//! length, key, sections and the range of its bar loudness, and the analysis speed in seconds of audio per wall second (signal features
//! only, no musicnn), on `--threads` threads.
//!
//! `cargo run --release -p segue-models --bin analysis_bench -- DIR [--threads 2] [--csv FILE]
//! [--beats FILE]` (`--beats`: one line per file, `name<TAB>beat times<TAB>downbeat times`,
//! times in seconds separated by spaces, for comparing with a reference tracker)
//! (DIR: e.g. `/usr/share/games/wesnoth/1.16/data/core/music` from Debian's
//! `wesnoth-1.16-music`). Prints a Markdown table for `benches/RESULTS.md`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use segue_models::AudioAnalyzer;
use segue_models::audio::AUDIO_EXTENSIONS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut threads = 2;
    let mut csv = None;
    let mut beats_file = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().ok_or("--threads N")?.parse()?,
            "--csv" => csv = Some(PathBuf::from(args.next().ok_or("--csv FILE")?)),
            "--beats" => beats_file = Some(PathBuf::from(args.next().ok_or("--beats FILE")?)),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.ok_or("usage: analysis_bench DIR [--threads N] [--csv FILE]")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no audio files", dir.display()).into());
    }
    let analyzer = AudioAnalyzer::features_only(threads);
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    let results = analyzer.analyze_many(&files, &|| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        eprint!("\r{n}/{} analysed", files.len());
    });
    let wall = started.elapsed().as_secs_f64();
    eprintln!();
    let mut out = csv.map(std::fs::File::create).transpose()?;
    let mut beats_out = beats_file.map(std::fs::File::create).transpose()?;
    if let Some(f) = out.as_mut() {
        writeln!(
            f,
            "file,duration_s,bpm,tempo_stability,beats,beats_per_bar,key,camelot,key_correlation,sections,bar_db_min,bar_db_max,lufs"
        )?;
    }
    println!(
        "| file | duration s | BPM | stability | beats | per bar | key (Camelot) | sections | bar dBFS | LUFS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|---:|---|---:|");
    let mut audio_s = 0.0;
    for (path, r) in files.iter().zip(&results) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let f = match r {
            Ok(f) => f,
            Err(e) => {
                println!("| {name} | error: {e} | | | | | | | | |");
                continue;
            }
        };
        audio_s += f.duration_s;
        if let Some(b) = beats_out.as_mut() {
            let times = |ts: &[f64]| {
                ts.iter()
                    .map(|t| format!("{t:.4}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let (beats, downbeats) = f
                .beat_grid
                .as_ref()
                .map_or((String::new(), String::new()), |g| {
                    (times(&g.beats), times(&g.downbeats))
                });
            writeln!(b, "{name}\t{beats}\t{downbeats}")?;
        }
        let (bpm, stability, beats, per_bar) = match &f.beat_grid {
            Some(g) => (
                format!("{:.1}", g.bpm),
                format!("{:.3}", g.tempo_stability),
                g.beats.len().to_string(),
                g.beats_per_bar.to_string(),
            ),
            None => ("—".into(), "—".into(), "0".into(), "—".into()),
        };
        let key = f.key.map_or("—".to_string(), |k| {
            format!("{} ({})", k.key.name(), k.key.camelot_code())
        });
        let sections = f.section_starts.len() + 1;
        let (lo, hi) = f
            .bar_energy_db
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &e| {
                (lo.min(e), hi.max(e))
            });
        let range = if f.bar_energy_db.is_empty() {
            "—".to_string()
        } else {
            format!("{lo:.0} … {hi:.0}")
        };
        println!(
            "| {name} | {:.1} | {bpm} | {stability} | {beats} | {per_bar} | {key} | {sections} | {range} | {} |",
            f.duration_s,
            f.loudness_lufs
                .map_or("—".to_string(), |l| format!("{l:.1}"))
        );
        if let Some(out) = out.as_mut() {
            writeln!(
                out,
                "{name},{:.3},{bpm},{stability},{beats},{per_bar},{},{},{},{sections},{lo:.1},{hi:.1},{}",
                f.duration_s,
                f.key.map_or(String::new(), |k| k.key.name()),
                f.key.map_or(String::new(), |k| k.key.camelot_code()),
                f.key
                    .map_or(String::new(), |k| format!("{:.3}", k.correlation)),
                f.loudness_lufs.map_or(String::new(), |l| format!("{l:.2}")),
            )?;
        }
    }
    println!();
    println!(
        "{} files, {:.0} s of audio analysed in {wall:.1} s on {threads} threads: {:.1}× real time",
        files.len(),
        audio_s,
        audio_s / wall
    );
    Ok(())
}
