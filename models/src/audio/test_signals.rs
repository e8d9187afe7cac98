//! Generated music for the analysis tests: drum patterns of known tempo and metre, and chords of
//! known pitches.

use super::frontend::SAMPLE_RATE;

/// A drum pattern at `bpm` with `per_bar` beats per bar: a kick on every downbeat (and a softer
/// one mid-bar in 4/4), a snare on the other strong beats, closed hi-hats on the eighths, and a
/// quiet noise floor. The first beat is at `start` seconds; returns the samples and the true
/// beat times.
pub fn drums(
    bpm: f64,
    per_bar: usize,
    seconds: f64,
    start: f64,
    seed: u64,
) -> (Vec<f32>, Vec<f64>) {
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

/// Harmonic tones (4 partials, decaying) for MIDI notes, `seconds` long at 16 kHz.
pub fn chord(notes: &[i32], seconds: f64) -> Vec<f32> {
    let sr = f64::from(SAMPLE_RATE);
    (0..(seconds * sr) as usize)
        .map(|i| {
            let t = i as f64 / sr;
            let env = (-t * 1.5).exp();
            notes
                .iter()
                .map(|&m| {
                    let f = 440.0 * 2f64.powf((f64::from(m) - 69.0) / 12.0);
                    (1..=4)
                        .map(|h| (2.0 * std::f64::consts::PI * f * h as f64 * t).sin() / h as f64)
                        .sum::<f64>()
                })
                .sum::<f64>()
                * env
                * 0.1
        })
        .map(|v| v as f32)
        .collect()
}
