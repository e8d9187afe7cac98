use super::*;
use crate::audio::features::mel_db;
use crate::audio::frontend::{FrontEnd, SAMPLE_RATE};
use crate::audio::test_signals::drums;

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
