use super::*;
use crate::audio::features::mel_db;
use crate::audio::frontend::{FrontEnd, SAMPLE_RATE};

/// A drum pattern at `bpm` with `per_bar` beats per bar: a kick on every downbeat (and a softer
/// one mid-bar in 4/4), a snare on the other strong beats, closed hi-hats on the eighths, and a
/// quiet noise floor. The first beat is at `start` seconds; returns the samples and the true
/// beat times.
fn drums(bpm: f64, per_bar: usize, seconds: f64, start: f64, seed: u64) -> (Vec<f32>, Vec<f64>) {
    let sr = f64::from(SAMPLE_RATE);
    let n = (seconds * sr) as usize;
    let mut rng = seed;
    let mut noise = move || {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((rng >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    };
    let mut x: Vec<f64> = (0..n).map(|_| 0.01 * noise()).collect();
    let beat = 60.0 / bpm;
    let mut add = |at: f64, len: f64, f: &mut dyn FnMut(f64) -> f64| {
        let s0 = (at * sr) as usize;
        for i in 0..(len * sr) as usize {
            if let Some(v) = x.get_mut(s0 + i) {
                *v += f(i as f64 / sr);
            }
        }
    };
    let mut truth = Vec::new();
    let mut i = 0usize;
    while start + i as f64 * beat < seconds - beat {
        let t = start + i as f64 * beat;
        truth.push(t);
        let pos = i % per_bar;
        let kick = match (per_bar, pos) {
            (_, 0) => 0.9,
            (4, 2) => 0.45,
            _ => 0.0,
        };
        if kick > 0.0 {
            // A pitch drop from 110 to 45 Hz under a fast decay.
            add(t, 0.25, &mut |s| {
                let phase = 2.0
                    * std::f64::consts::PI
                    * (45.0 * s + 65.0 * (1.0 - (-s * 30.0).exp()) / 30.0);
                kick * (-s * 18.0).exp() * phase.sin()
            });
        }
        if pos != 0 && (per_bar == 3 || pos % 2 == 1) {
            let mut nz = noise;
            add(t, 0.15, &mut |s| 0.35 * (-s * 30.0).exp() * nz());
        }
        for half in [0.0, 0.5] {
            let mut prev = 0.0;
            let mut nz = noise;
            add(t + half * beat, 0.04, &mut |s| {
                // Differenced noise: a bright, hi-hat-like click.
                let w = nz();
                let v = w - prev;
                prev = w;
                0.12 * (-s * 120.0).exp() * v
            });
        }
        i += 1;
    }
    (x.into_iter().map(|v| v as f32).collect(), truth)
}

/// F-measure of `found` against `truth` with each true time matched at most once within
/// `tolerance` seconds (the MIREX beat evaluation's F-measure).
fn f_measure(found: &[f64], truth: &[f64], tolerance: f64) -> f64 {
    let mut used = vec![false; found.len()];
    let mut hits = 0;
    for &t in truth {
        if let Some(j) = (0..found.len())
            .filter(|&j| !used[j] && (found[j] - t).abs() <= tolerance)
            .min_by(|&a, &b| (found[a] - t).abs().total_cmp(&(found[b] - t).abs()))
        {
            used[j] = true;
            hits += 1;
        }
    }
    if hits == 0 {
        return 0.0;
    }
    let precision = hits as f64 / found.len() as f64;
    let recall = hits as f64 / truth.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

fn grid(samples: &[f32]) -> BeatGrid {
    let spec = FrontEnd::new().spectrogram(samples);
    let db = mel_db(&spec);
    beat_grid(&db, spec.frames).expect("a drum pattern has a beat grid")
}

#[test]
fn beats_and_downbeats_of_generated_drum_patterns() {
    for (seed, &bpm) in [78.0, 92.0, 105.0, 120.0, 128.0, 140.0, 160.0]
        .iter()
        .enumerate()
    {
        for per_bar in [4, 3] {
            let (x, truth) = drums(bpm, per_bar, 30.0, 0.37, seed as u64 + 1);
            let g = grid(&x);
            let beats_f = f_measure(&g.beats, &truth, 0.07);
            let bars: Vec<f64> = truth.iter().copied().step_by(per_bar).collect();
            let bars_f = f_measure(&g.downbeats, &bars, 0.07);
            assert!(
                beats_f >= 0.95,
                "{bpm} BPM {per_bar}/4: beat F {beats_f:.3} (tempo {}, {} beats for {})",
                g.bpm,
                g.beats.len(),
                truth.len()
            );
            assert_eq!(g.beats_per_bar as usize, per_bar, "{bpm} BPM {per_bar}/4");
            assert!(
                bars_f >= 0.95,
                "{bpm} BPM {per_bar}/4: downbeat F {bars_f:.3}"
            );
            assert!(
                g.tempo_stability > 0.9,
                "{bpm}: stability {}",
                g.tempo_stability
            );
        }
    }
}

#[test]
fn silence_before_and_after_the_music_has_no_beats() {
    let (drums, truth) = drums(120.0, 4, 12.0, 0.25, 9);
    let pad = vec![0f32; 5 * SAMPLE_RATE as usize];
    let x: Vec<f32> = pad.iter().chain(&drums).chain(&pad).copied().collect();
    let g = grid(&x);
    let shifted: Vec<f64> = truth.iter().map(|t| t + 5.0).collect();
    assert!(g.beats.first().unwrap() > &4.9, "{:?}", &g.beats[..3]);
    assert!(g.beats.last().unwrap() < &17.1, "{:?}", g.beats.last());
    assert!(f_measure(&g.beats, &shifted, 0.07) >= 0.95);
}

#[test]
fn silence_and_a_steady_tone_have_no_grid() {
    let frontend = FrontEnd::new();
    let silence = vec![0f32; 10 * SAMPLE_RATE as usize];
    let tone: Vec<f32> = (0..10 * SAMPLE_RATE as usize)
        .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / SAMPLE_RATE as f32).sin() * 0.5)
        .collect();
    for x in [silence, tone] {
        let spec = frontend.spectrogram(&x);
        assert_eq!(beat_grid(&mel_db(&spec), spec.frames), None);
    }
}

#[test]
fn a_wandering_tempo_is_less_stable() {
    let steady = stability(&(0..40).map(|i| i * 30).collect::<Vec<_>>());
    let mut t = 0;
    let wandering: Vec<usize> = (0..40)
        .map(|i| {
            t += if i % 2 == 0 { 24 } else { 36 };
            t
        })
        .collect();
    assert_eq!(steady, 1.0);
    assert!(stability(&wandering) < 0.85);
}
