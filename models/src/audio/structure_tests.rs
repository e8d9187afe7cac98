use super::*;
use crate::audio::beats::beat_grid;
use crate::audio::features::mel_db;
use crate::audio::frontend::FrontEnd;
use crate::audio::test_signals::{chord, drums};

/// 120 BPM 4/4 in three sections of 12 bars (24 s each): drums under C major chords, then the
/// drums 6 dB louder under a bright F# minor chord an octave up, then the first section again.
fn three_sections() -> Vec<f32> {
    let (beat, _) = drums(120.0, 4, 72.4, 0.0, 5);
    let low = chord(&[36, 48, 52, 55], 2.0);
    let high = chord(&[66, 69, 73, 78, 81], 2.0);
    let sr = SAMPLE_RATE as usize;
    beat.iter()
        .enumerate()
        .map(|(i, &d)| {
            let t = i / sr;
            let in_b = (24..48).contains(&t);
            let pad = if in_b { &high } else { &low };
            let gain = if in_b { 2.0 } else { 1.0 };
            gain * d + pad[i % pad.len()]
        })
        .collect()
}

#[test]
fn sections_of_a_generated_track_start_on_their_downbeats() {
    let x = three_sections();
    let spec = FrontEnd::new().spectrogram(&x);
    let db = mel_db(&spec);
    let grid = beat_grid(&db, spec.frames).unwrap();
    let starts = section_starts(&db, spec.frames, &grid);
    assert_eq!(starts.len(), 2, "{starts:?}");
    for (got, want) in starts.iter().zip([24.0, 48.0]) {
        assert!((got - want).abs() <= 0.1, "{starts:?}");
        assert!(grid.downbeats.contains(got));
    }
}

#[test]
fn bar_energy_follows_the_louder_section() {
    let x = three_sections();
    let spec = FrontEnd::new().spectrogram(&x);
    let grid = beat_grid(&mel_db(&spec), spec.frames).unwrap();
    let energy = bar_energy_db(&x, &grid);
    assert_eq!(energy.len(), grid.downbeats.len());
    let mean = |from: f64, to: f64| {
        let bars: Vec<f32> = grid
            .downbeats
            .iter()
            .zip(&energy)
            .filter(|(t, _)| (from..to).contains(*t))
            .map(|(_, e)| *e)
            .collect();
        bars.iter().sum::<f32>() / bars.len() as f32
    };
    let (a, b, c) = (mean(2.0, 22.0), mean(26.0, 46.0), mean(50.0, 70.0));
    assert!(b - a > 3.0 && b - c > 3.0, "{a} {b} {c}");
    assert!((a - c).abs() < 1.0, "{a} {c}");
}

#[test]
fn silence_is_the_floor_and_a_short_track_has_no_sections() {
    let grid = BeatGrid {
        bpm: 120.0,
        tempo_stability: 1.0,
        beats: (0..8).map(|i| i as f64 * 0.5).collect(),
        downbeats: vec![0.0, 2.0],
        beats_per_bar: 4,
    };
    let silence = vec![0f32; 4 * SAMPLE_RATE as usize];
    assert_eq!(bar_energy_db(&silence, &grid), vec![SILENT_DB, SILENT_DB]);
    let spec = FrontEnd::new().spectrogram(&silence);
    assert!(section_starts(&mel_db(&spec), spec.frames, &grid).is_empty());
}
