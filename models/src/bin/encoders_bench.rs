//! Speed of the encoders: captions embedded per second (batch 1 and 32, fp32 and int8), the
//! latency of one text query, and audio analysis speed (seconds of audio per wall second).
//!
//! Run in release: `cargo run --release -p segue-models --bin encoders_bench [-- --threads 2]`.
//! Prints a Markdown table for `benches/RESULTS.md`.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::time::Instant;

use segue_models::{
    AudioAnalyzer, AudioAnalyzerOptions, Precision, TextEncoder, TextEncoderOptions,
};

const WORDS: [&str; 24] = [
    "calm",
    "acoustic",
    "guitar",
    "uplifting",
    "piano",
    "ambient",
    "electronic",
    "drums",
    "cinematic",
    "strings",
    "happy",
    "travel",
    "montage",
    "dark",
    "synth",
    "pop",
    "rock",
    "energetic",
    "slow",
    "warm",
    "vocals",
    "folk",
    "orchestral",
    "beat",
];

/// Catalogue-like captions of 8–20 words, deterministic.
fn captions(n: usize) -> Vec<String> {
    let mut s: u64 = 42;
    let mut next = || {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (s >> 33) as usize
    };
    (0..n)
        .map(|_| {
            let len = 8 + next() % 13;
            let words: Vec<&str> = (0..len).map(|_| WORDS[next() % WORDS.len()]).collect();
            format!("{}, {} BPM", words.join(" "), 70 + next() % 90)
        })
        .collect()
}

fn write_wav(path: &Path, left_right: &[(f32, f32)], sr: u32) -> std::io::Result<()> {
    let interleaved: Vec<f32> = left_right.iter().flat_map(|&(l, r)| [l, r]).collect();
    segue_models::audio::wav::write_pcm16_wav(path, &interleaved, 2, sr)
}

/// A 44.1 kHz stereo clip: chord plus kick at `bpm`.
fn clip(seconds: f64, bpm: f64) -> Vec<(f32, f32)> {
    let sr = 44_100.0;
    let beat = 60.0 / bpm;
    (0..(seconds * sr) as usize)
        .map(|i| {
            let t = i as f64 / sr;
            let chord: f64 = [220.0, 277.2, 329.6]
                .iter()
                .map(|f| 0.1 * (2.0 * PI * f * t).sin())
                .sum();
            let tb = t % beat;
            let kick = 0.6 * (-tb / 0.05).exp() * (2.0 * PI * 60.0 * tb).sin();
            ((chord + kick) as f32, (chord * 0.8 + kick) as f32)
        })
        .collect()
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads = arg("--threads", 2);
    let n_captions = arg("--captions", 512);
    let texts = captions(n_captions);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    println!("| measure | value |");
    println!("|---|---|");
    for precision in [Precision::Fp32, Precision::Int8] {
        let enc = TextEncoder::load(&TextEncoderOptions {
            precision,
            intra_threads: threads,
            batch_size: 32,
            ..TextEncoderOptions::default()
        })?;
        enc.embed(&refs[..32])?; // warm-up
        let t = Instant::now();
        enc.embed(&refs)?;
        let b32 = n_captions as f64 / t.elapsed().as_secs_f64();
        let n1 = n_captions.min(128);
        let t = Instant::now();
        for text in &refs[..n1] {
            enc.embed_one(text)?;
        }
        let b1 = n1 as f64 / t.elapsed().as_secs_f64();
        let mut lat: Vec<f64> = (0..60)
            .map(|_| {
                let t = Instant::now();
                enc.embed_one("uplifting acoustic travel montage")
                    .map(|_| t.elapsed().as_secs_f64() * 1000.0)
            })
            .collect::<Result<_, _>>()?;
        lat.sort_by(f64::total_cmp);
        let id = enc.id();
        println!("| {id} captions/s, batch 32 ({threads} threads) | {b32:.0} |");
        println!("| {id} captions/s, batch 1 | {b1:.0} |");
        println!(
            "| {id} text query latency, median / p95 | {:.1} ms / {:.1} ms |",
            lat[lat.len() / 2],
            lat[lat.len() * 95 / 100]
        );
    }

    let dir = std::env::temp_dir().join(format!("segue-encoders-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let n_files = arg("--audio-files", 8);
    let seconds = 30.0;
    let files: Vec<PathBuf> = (0..n_files)
        .map(|i| {
            let p = dir.join(format!("clip{i}.wav"));
            write_wav(&p, &clip(seconds, 90.0 + 7.0 * i as f64), 44_100).map(|_| p)
        })
        .collect::<Result<_, _>>()?;
    let total_audio = seconds * n_files as f64;
    for embedding in [true, false] {
        let a = AudioAnalyzer::load(&AudioAnalyzerOptions {
            threads,
            embedding,
            ..AudioAnalyzerOptions::default()
        })?;
        a.analyze(&files[0])?; // warm-up
        let t = Instant::now();
        let results = a.analyze_many(&files, &|| {});
        let wall = t.elapsed().as_secs_f64();
        for r in results {
            r?;
        }
        println!(
            "| audio analysis{} ({threads} threads, 44.1 kHz stereo WAV) | {:.0}× real time ({total_audio:.0} s of audio in {wall:.2} s) |",
            if embedding {
                " with musicnn"
            } else {
                ", signal features only"
            },
            total_audio / wall
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
