//! Band-limited resampling (windowed sinc, polyphase table) to the analysis rate.

use std::f64::consts::PI;

/// Zero crossings of the sinc kept on each side of the centre, at the lower of the two rates.
const ZERO_CROSSINGS: f64 = 16.0;
/// Pass band as a fraction of the lower Nyquist frequency (the rest is the transition band).
const ROLLOFF: f64 = 0.95;
/// Most phases in the table; rate pairs needing more use the nearest phase.
const MAX_PHASES: usize = 4096;

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Resamples `x` from `from` Hz to `to` Hz. The output has `ceil(len * to / from)` samples.
pub fn resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || x.is_empty() || from == 0 || to == 0 {
        return x.to_vec();
    }
    let g = gcd(u64::from(from), u64::from(to));
    let up = u64::from(to) / g; // output step in 1/up input samples
    let down = u64::from(from) / g;
    let ratio = f64::from(to) / f64::from(from);
    let cutoff = ratio.min(1.0) * ROLLOFF; // in cycles per input sample × 2
    let half = (ZERO_CROSSINGS / cutoff).ceil() as i64;
    let taps = (2 * half) as usize;
    let phases = (up as usize).min(MAX_PHASES);

    // table[p][j]: weight of input sample (base - half + 1 + j) for fractional offset p/phases.
    let mut table = vec![0f32; phases * taps];
    for p in 0..phases {
        let frac = p as f64 / phases as f64;
        let row = &mut table[p * taps..(p + 1) * taps];
        let mut sum = 0f64;
        let mut w = vec![0f64; taps];
        for (j, wj) in w.iter_mut().enumerate() {
            let t = (j as i64 - half + 1) as f64 - frac; // distance from the output instant
            let sinc = if t.abs() < 1e-12 {
                1.0
            } else {
                (PI * cutoff * t).sin() / (PI * cutoff * t)
            };
            // Blackman window over [-half, half].
            let u = (t / half as f64).clamp(-1.0, 1.0);
            let win = 0.42 + 0.5 * (PI * u).cos() + 0.08 * (2.0 * PI * u).cos();
            *wj = sinc * win;
            sum += *wj;
        }
        // Unit DC gain for every phase.
        for (r, wj) in row.iter_mut().zip(&w) {
            *r = (wj / sum) as f32;
        }
    }

    let out_len = ((x.len() as u64 * up).div_ceil(down)) as usize;
    let mut out = Vec::with_capacity(out_len);
    let n = x.len() as i64;
    for k in 0..out_len as u64 {
        let pos = k * down; // in 1/up input samples
        let base = (pos / up) as i64;
        let rem = pos % up;
        let p = if phases as u64 == up {
            rem as usize
        } else {
            ((rem as f64 / up as f64) * phases as f64).round() as usize % phases
        };
        let row = &table[p * taps..(p + 1) * taps];
        let start = base - half + 1;
        let mut acc = 0f32;
        if start >= 0 && start + taps as i64 <= n {
            let xs = &x[start as usize..start as usize + taps];
            for (a, b) in xs.iter().zip(row) {
                acc += a * b;
            }
        } else {
            for (j, w) in row.iter().enumerate() {
                let i = start + j as i64;
                if (0..n).contains(&i) {
                    acc += x[i as usize] * w;
                }
            }
        }
        out.push(acc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, sr: u32, secs: f64) -> Vec<f32> {
        (0..(f64::from(sr) * secs) as usize)
            .map(|i| (2.0 * PI * freq * i as f64 / f64::from(sr)).sin() as f32)
            .collect()
    }

    #[test]
    fn a_tone_keeps_its_frequency_and_level() {
        let x = tone(1000.0, 44_100, 1.0);
        let y = resample(&x, 44_100, 16_000);
        assert_eq!(y.len(), 16_000);
        let reference = tone(1000.0, 16_000, 1.0);
        // Away from the edges the resampled tone is the tone sampled at 16 kHz.
        let err = y[200..15_800]
            .iter()
            .zip(&reference[200..15_800])
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 2e-3, "max error {err}");
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed() {
        let x = tone(10_000.0, 48_000, 1.0);
        let y = resample(&x, 48_000, 16_000);
        let rms = (y[500..15_500].iter().map(|v| v * v).sum::<f32>() / 15_000.0).sqrt();
        assert!(rms < 0.01, "aliased energy {rms}");
    }

    #[test]
    fn upsampling_works_too() {
        let x = tone(440.0, 8_000, 0.5);
        let y = resample(&x, 8_000, 16_000);
        assert_eq!(y.len(), 8_000);
        let reference = tone(440.0, 16_000, 0.5);
        let err = y[100..7_900]
            .iter()
            .zip(&reference[100..7_900])
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 2e-3, "max error {err}");
    }
}
