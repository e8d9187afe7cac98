//! The large-scale shape of a track on its beat grid: loudness per bar, and section starts where
//! the music changes character (Foote 2000, "Automatic audio segmentation using a measure of
//! audio novelty": a checkerboard kernel slid along the diagonal of the beat-by-beat
//! self-similarity matrix).

use super::beats::BeatGrid;
use super::frontend::{FRAME_RATE, N_MELS, SAMPLE_RATE};

/// Half-width of the checkerboard kernel in beats: two bars of 4 on either side.
const KERNEL_BEATS: usize = 8;
/// Sections shorter than this many beats are merged into their neighbour.
const MIN_SECTION_BEATS: usize = 16;
/// A novelty peak counts when it stands this many standard deviations above the mean.
const PEAK_SIGMAS: f64 = 1.0;
/// Loudness floor of a silent bar, dBFS.
const SILENT_DB: f32 = -100.0;

/// RMS level in dBFS of each bar of mono 16 kHz `samples`: from each downbeat to the next (the
/// last bar runs one bar length past its downbeat, or to the end of the audio).
pub fn bar_energy_db(samples: &[f32], grid: &BeatGrid) -> Vec<f32> {
    let sr = f64::from(SAMPLE_RATE);
    let bar_s = f64::from(grid.beats_per_bar) * 60.0 / f64::from(grid.bpm);
    grid.downbeats
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = grid.downbeats.get(i + 1).copied().unwrap_or(start + bar_s);
            let (a, b) = (
                ((start * sr) as usize).min(samples.len()),
                ((end * sr) as usize).min(samples.len()),
            );
            let bar = &samples[a..b];
            if bar.is_empty() {
                return SILENT_DB;
            }
            let ms = bar
                .iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                / bar.len() as f64;
            if ms <= 0.0 {
                SILENT_DB
            } else {
                ((10.0 * ms.log10()) as f32).max(SILENT_DB)
            }
        })
        .collect()
}

/// Times (seconds, each on a downbeat) where a new section starts, the first bar excluded:
/// peaks of the novelty of the beat-synchronous dB mel spectrogram (`db`, `frames` × 96).
pub fn section_starts(db: &[f32], frames: usize, grid: &BeatGrid) -> Vec<f64> {
    let beat_frames: Vec<usize> = grid
        .beats
        .iter()
        .map(|&t| ((t * FRAME_RATE).round() as usize).min(frames))
        .collect();
    let n = beat_frames.len();
    if n < 2 * MIN_SECTION_BEATS {
        return Vec::new();
    }
    let features = beat_features(db, &beat_frames, frames);
    let similarity = |i: usize, j: usize| dot(&features[i], &features[j]);
    let novelty = novelty(n, &similarity);
    let mean = novelty.iter().sum::<f64>() / n as f64;
    let sd = (novelty.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let threshold = mean + PEAK_SIGMAS * sd;
    // Strongest peaks first, each keeping its neighbourhood clear of weaker ones.
    let mut candidates: Vec<usize> = (1..n - 1)
        .filter(|&i| {
            novelty[i] >= threshold && novelty[i] >= novelty[i - 1] && novelty[i] >= novelty[i + 1]
        })
        .collect();
    candidates.sort_by(|&a, &b| novelty[b].total_cmp(&novelty[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = Vec::new();
    for c in candidates {
        let c = nearest_downbeat(c, grid);
        if c < MIN_SECTION_BEATS
            || n - c < MIN_SECTION_BEATS
            || chosen.iter().any(|&s| s.abs_diff(c) < MIN_SECTION_BEATS)
        {
            continue;
        }
        chosen.push(c);
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| grid.beats[i]).collect()
}

/// Per beat: the mean dB mel spectrum from the beat to the next, centred and scaled to unit
/// length (so the dot product is the cosine similarity of two beats' timbre and harmony).
fn beat_features(db: &[f32], beat_frames: &[usize], frames: usize) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = beat_frames
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let b = beat_frames
                .get(i + 1)
                .copied()
                .unwrap_or(frames)
                .max(a + 1)
                .min(frames);
            let a = a.min(b.saturating_sub(1));
            let mut v = vec![0f64; N_MELS];
            for t in a..b {
                for (acc, &x) in v.iter_mut().zip(&db[t * N_MELS..(t + 1) * N_MELS]) {
                    *acc += f64::from(x);
                }
            }
            let len = (b - a).max(1) as f64;
            v.iter_mut().for_each(|x| *x /= len);
            v
        })
        .collect();
    // Centre each band over the track: what is common to every beat says nothing of change.
    for d in 0..N_MELS {
        let mean = out.iter().map(|v| v[d]).sum::<f64>() / out.len() as f64;
        out.iter_mut().for_each(|v| v[d] -= mean);
    }
    for v in &mut out {
        let norm = dot(v, v).sqrt();
        if norm > 1e-9 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }
    out
}

/// Foote novelty: at each beat, similarity within the past and within the future minus
/// similarity across, under a Gaussian-tapered checkerboard of [`KERNEL_BEATS`] each side.
fn novelty(n: usize, similarity: &dyn Fn(usize, usize) -> f64) -> Vec<f64> {
    let w = KERNEL_BEATS as isize;
    let taper = |k: isize| (-0.5 * (k as f64 / (0.5 * w as f64)).powi(2)).exp();
    (0..n as isize)
        .map(|c| {
            let mut sum = 0.0;
            for a in -w..w {
                for b in -w..w {
                    let (i, j) = (c + a, c + b);
                    if i < 0 || j < 0 || i >= n as isize || j >= n as isize {
                        continue;
                    }
                    // Same side of the centre: +; across it: −.
                    let sign = if (a < 0) == (b < 0) { 1.0 } else { -1.0 };
                    sum += sign * taper(a) * taper(b) * similarity(i as usize, j as usize);
                }
            }
            sum
        })
        .collect()
}

/// The index (into the beats) of the downbeat nearest to beat `i`.
fn nearest_downbeat(i: usize, grid: &BeatGrid) -> usize {
    let t = grid.beats[i];
    grid.downbeats
        .iter()
        .min_by(|a, b| (*a - t).abs().total_cmp(&(*b - t).abs()))
        .and_then(|&d| grid.beats.iter().position(|&b| b == d))
        .unwrap_or(i)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
#[path = "structure_tests.rs"]
mod tests;
