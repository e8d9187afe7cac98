//! The beat grid of a track: beat times by dynamic programming over the onset envelope at the
//! estimated tempo (Ellis 2007, "Beat tracking by dynamic programming", as librosa's
//! `beat_track` does it), then bar starts (downbeats) from where the low-frequency onsets (the
//! kick and the bass, below about 250 Hz) are strongest in a bar of 3 or 4 beats.

use super::frontend::{FRAME_RATE, N_MELS};
use super::tempo;

/// How strongly the tracker keeps to the tempo (librosa's `tightness`): the penalty of an
/// inter-beat gap is `TIGHTNESS · ln(gap / period)²`.
const TIGHTNESS: f64 = 100.0;
/// Mel bands 0..LOW_BANDS cover 0–250 Hz (96 Slaney bands up to 8 kHz are about 31 Hz apart
/// below 1 kHz): the kick drum and the bass line, which mark the bar.
const LOW_BANDS: usize = 8;
/// Mel bands 0..BODY_BANDS cover 0–2 kHz: drums, bass and chords, but not the hi-hats and
/// shakers that subdivide the beat.
const BODY_BANDS: usize = 54;
/// The tempo doubles when the points halfway between beats carry at least this share of the
/// beats' own body onsets (a backbeat between the kicks), and halves when every other beat
/// carries less (only hi-hats between the real beats).
const SUBDIVISION_RATIO: f64 = 0.5;
/// The fastest tempo doubling may reach: listeners rarely tap faster than about 3 beats a
/// second, and dense textures (orchestral runs, strummed eighths) put body onsets halfway
/// between beats at any tempo.
const MAX_DOUBLED_BPM: f64 = 180.0;
/// Frames on either side of a beat searched for its accent (32 ms).
const ACCENT_RADIUS: usize = 2;
/// A bar of 3 is chosen over a bar of 4 only when its contrast is this much larger: 4/4 is far
/// more common, and the two tie on music without a bar-level accent.
const THREE_OVER_FOUR: f64 = 1.1;

/// Beats and bars of one track, times in seconds from the start of the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatGrid {
    /// The tempo the beats were tracked at.
    pub bpm: f32,
    /// How steady the beat is: 1 − the coefficient of variation of the inter-beat intervals,
    /// clamped to [0, 1] (1: a metronome).
    pub tempo_stability: f32,
    pub beats: Vec<f64>,
    /// The beats that start a bar.
    pub downbeats: Vec<f64>,
    /// Beats per bar: 3 or 4.
    pub beats_per_bar: u8,
}

/// The beat grid of a log-mel spectrogram in dB (`frames` × [`N_MELS`], as
/// [`super::features::mel_db`] returns it); `None` without a tempo (silence, a steady tone) or
/// with fewer than two beats.
pub fn beat_grid(db: &[f32], frames: usize) -> Option<BeatGrid> {
    let env = tempo::onset_envelope(db, frames);
    let body = band_onsets(db, frames, BODY_BANDS);
    let (bpm, beats) = metrical_level(&env, &body, f64::from(tempo::estimate_bpm(&env)?));
    if beats.len() < 2 {
        return None;
    }
    let low = band_onsets(db, frames, LOW_BANDS);
    let (beats_per_bar, phase) = bar_phase(&low, &beats);
    let time = |f: usize| f as f64 / FRAME_RATE;
    Some(BeatGrid {
        bpm: bpm as f32,
        tempo_stability: stability(&beats),
        beats: beats.iter().map(|&f| time(f)).collect(),
        downbeats: beats
            .iter()
            .skip(phase)
            .step_by(beats_per_bar as usize)
            .map(|&f| time(f))
            .collect(),
        beats_per_bar,
    })
}

/// Beat frames of `env` at `bpm`: the frame sequence that maximises the onset strength at the
/// beats minus the penalty for gaps that stray from the beat period.
pub fn track_beats(env: &[f32], bpm: f64) -> Vec<usize> {
    let n = env.len();
    if n == 0 || !(bpm.is_finite() && bpm > 0.0) {
        return Vec::new();
    }
    let period = 60.0 * FRAME_RATE / bpm;
    let local = local_score(env, period);
    let Some(max_local) = local.iter().copied().reduce(f64::max) else {
        return Vec::new();
    };
    if max_local <= 0.0 {
        return Vec::new();
    }
    let (lo, hi) = (
        (period / 2.0).round().max(1.0) as usize,
        (2.0 * period).round() as usize,
    );
    let penalty: Vec<f64> = (0..=hi)
        .map(|gap| match gap {
            0 => f64::NEG_INFINITY,
            _ => -TIGHTNESS * (gap as f64 / period).ln().powi(2),
        })
        .collect();
    // Before the first real onset a frame starts a chain rather than continuing one, so
    // silence at the start does not drag beats into it.
    let threshold = 0.01 * max_local;
    let mut cumulative = vec![0f64; n];
    let mut back = vec![None; n];
    let mut started = false;
    for t in 0..n {
        let best = (lo..=hi.min(t))
            .map(|gap| (cumulative[t - gap] + penalty[gap], t - gap))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        cumulative[t] = local[t] + best.map_or(0.0, |b| b.0);
        if started || local[t] >= threshold {
            back[t] = best.map(|b| b.1);
            started = true;
        }
    }
    let Some(mut t) = last_beat(&cumulative) else {
        return Vec::new();
    };
    let mut beats = vec![t];
    while let Some(p) = back[t] {
        beats.push(p);
        t = p;
    }
    beats.reverse();
    trim_weak_ends(beats, &local)
}

/// The envelope normalised by its standard deviation and smoothed by a Gaussian of 1/32 beat:
/// the evidence for a beat at each frame.
fn local_score(env: &[f32], period: f64) -> Vec<f64> {
    let n = env.len() as f64;
    let mean = env.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = env
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    let scale = if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 };
    let half = period.round() as isize;
    let kernel: Vec<f64> = (-half..=half)
        .map(|i| (-0.5 * (i as f64 * 32.0 / period).powi(2)).exp())
        .collect();
    (0..env.len() as isize)
        .map(|t| {
            kernel
                .iter()
                .enumerate()
                .filter_map(|(j, w)| {
                    let i = t + j as isize - half;
                    (0..env.len() as isize)
                        .contains(&i)
                        .then(|| w * f64::from(env[i as usize]) * scale)
                })
                .sum()
        })
        .collect()
}

/// The last local maximum of the cumulative score that reaches half the median of all local
/// maxima: the chain's end, before any trailing silence or fade.
fn last_beat(cumulative: &[f64]) -> Option<usize> {
    let n = cumulative.len();
    let peaks: Vec<usize> = (0..n)
        .filter(|&t| {
            let left = t == 0 || cumulative[t] > cumulative[t - 1];
            let right = t + 1 == n || cumulative[t] >= cumulative[t + 1];
            left && right
        })
        .collect();
    let mut values: Vec<f64> = peaks.iter().map(|&t| cumulative[t]).collect();
    values.sort_by(f64::total_cmp);
    let median = *values.get(values.len() / 2)?;
    peaks
        .into_iter()
        .rev()
        .find(|&t| cumulative[t] >= 0.5 * median)
}

/// Drops leading and trailing beats whose evidence is under half the beats' RMS: the chain
/// runs on through an intro or outro without onsets, where there is no beat to hear.
fn trim_weak_ends(beats: Vec<usize>, local: &[f64]) -> Vec<usize> {
    let rms = (beats.iter().map(|&t| local[t].powi(2)).sum::<f64>() / beats.len() as f64).sqrt();
    let strong = |t: &usize| local[*t] >= 0.5 * rms;
    let (Some(first), Some(last)) = (
        beats.iter().position(strong),
        beats.iter().rposition(strong),
    ) else {
        return Vec::new();
    };
    beats[first..=last].to_vec()
}

/// The tempo and beats at the level a listener taps. The envelope's periodicity cannot tell a
/// beat from its half or double (a kick–snare pattern under eighth-note hi-hats repeats at both),
/// so the level is settled by where the body of the sound (below 2 kHz) has onsets: double
/// while the halfway points carry a backbeat, else halve when every other beat carries only
/// subdivisions.
fn metrical_level(env: &[f32], body: &[f32], bpm: f64) -> (f64, Vec<usize>) {
    let beats = track_beats(env, bpm);
    let ratio = |beats: &[usize]| halfway_ratio(body, beats);
    if bpm * 2.0 <= MAX_DOUBLED_BPM && ratio(&beats) >= SUBDIVISION_RATIO {
        let faster = track_beats(env, bpm * 2.0);
        if faster.len() >= 2 {
            return (bpm * 2.0, faster);
        }
    }
    if bpm / 2.0 >= tempo::MIN_BPM {
        let slower = track_beats(env, bpm / 2.0);
        if slower.len() >= 2 && ratio(&slower) < SUBDIVISION_RATIO {
            return (bpm / 2.0, slower);
        }
    }
    (bpm, beats)
}

/// Mean body onset strength halfway between consecutive beats over the mean at the beats.
fn halfway_ratio(body: &[f32], beats: &[usize]) -> f64 {
    let (mut at_beats, mut halfway) = (0.0, 0.0);
    for w in beats.windows(2) {
        at_beats += peak_near(body, w[0]);
        halfway += peak_near(body, (w[0] + w[1]) / 2);
    }
    if at_beats <= 0.0 {
        0.0
    } else {
        halfway / at_beats
    }
}

/// The largest value of `x` within [`ACCENT_RADIUS`] frames of `t`.
fn peak_near(x: &[f32], t: usize) -> f64 {
    let lo = t.saturating_sub(ACCENT_RADIUS);
    let hi = (t + ACCENT_RADIUS + 1).min(x.len());
    x.get(lo..hi)
        .unwrap_or_default()
        .iter()
        .copied()
        .fold(0f32, f32::max)
        .into()
}

/// Onset strength of the lowest `bands` mel bands: the positive dB rise per frame, summed.
fn band_onsets(db: &[f32], frames: usize, bands: usize) -> Vec<f32> {
    let mut env = vec![0f32; frames];
    for t in 1..frames {
        let now = &db[t * N_MELS..t * N_MELS + bands];
        let before = &db[(t - 1) * N_MELS..(t - 1) * N_MELS + bands];
        env[t] = now.iter().zip(before).map(|(a, b)| (a - b).max(0.0)).sum();
    }
    env
}

/// Beats per bar (3 or 4) and the index of the first downbeat among `beats`: the grouping
/// whose bar-start beats carry the strongest low-frequency accent relative to the other beats.
fn bar_phase(low: &[f32], beats: &[usize]) -> (u8, usize) {
    let accent: Vec<f64> = beats.iter().map(|&b| peak_near(low, b)).collect();
    let contrast = |per_bar: usize, phase: usize| {
        let (mut on, mut n_on, mut off, mut n_off) = (0.0, 0usize, 0.0, 0usize);
        for (i, a) in accent.iter().enumerate() {
            if i % per_bar == phase {
                on += a;
                n_on += 1;
            } else {
                off += a;
                n_off += 1;
            }
        }
        if n_on == 0 || n_off == 0 {
            return 0.0;
        }
        on / n_on as f64 - off / n_off as f64
    };
    let best = |per_bar: usize| {
        (0..per_bar)
            .map(|phase| (contrast(per_bar, phase), phase))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .unwrap_or((0.0, 0))
    };
    let (four, four_phase) = best(4);
    let (three, three_phase) = best(3);
    if three > 0.0 && three > THREE_OVER_FOUR * four.max(0.0) {
        (3, three_phase)
    } else {
        (4, four_phase)
    }
}

/// 1 − the coefficient of variation of the inter-beat intervals, in [0, 1].
fn stability(beats: &[usize]) -> f32 {
    let gaps: Vec<f64> = beats.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    if gaps.is_empty() {
        return 0.0;
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64).sqrt();
    (1.0 - sd / mean).clamp(0.0, 1.0) as f32
}

#[cfg(test)]
#[path = "beats_tests.rs"]
mod tests;
