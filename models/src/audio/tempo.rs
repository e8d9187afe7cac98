//! Tempo from an onset-strength envelope: spectral flux of the dB mel spectrogram (librosa's
//! `onset_strength`), autocorrelated over lags of 30–300 BPM and weighted by a log-normal prior
//! around 120 BPM (librosa's `tempo`), with the peak refined by parabolic interpolation.

use super::frontend::{FRAME_RATE, N_MELS};

pub const MIN_BPM: f64 = 30.0;
pub const MAX_BPM: f64 = 300.0;
/// Centre and width (in octaves) of the tempo prior.
const PRIOR_BPM: f64 = 120.0;
const PRIOR_OCTAVES: f64 = 1.0;

/// Onset strength per frame: mean over mel bands of the positive dB increase since the
/// previous frame. Frame 0 is 0.
pub fn onset_envelope(db: &[f32], frames: usize) -> Vec<f32> {
    let mut env = vec![0f32; frames];
    for t in 1..frames {
        let now = &db[t * N_MELS..(t + 1) * N_MELS];
        let before = &db[(t - 1) * N_MELS..t * N_MELS];
        let flux: f32 = now.iter().zip(before).map(|(a, b)| (a - b).max(0.0)).sum();
        env[t] = flux / N_MELS as f32;
    }
    env
}

/// The tempo in BPM, or `None` when the envelope has no onsets to speak of (silence, a steady
/// tone) or is shorter than two beats at the slowest tempo.
pub fn estimate_bpm(env: &[f32]) -> Option<f32> {
    let min_lag = (FRAME_RATE * 60.0 / MAX_BPM).floor().max(1.0) as usize;
    let max_lag = (FRAME_RATE * 60.0 / MIN_BPM).ceil() as usize;
    let n = env.len();
    if n < 2 * min_lag + 2 {
        return None;
    }
    let mean = env.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let x: Vec<f64> = env.iter().map(|&v| f64::from(v) - mean).collect();
    let energy: f64 = x.iter().map(|v| v * v).sum();
    if energy <= 1e-9 * n as f64 {
        return None;
    }
    let max_lag = max_lag.min(n - 1);
    // Autocorrelation normalised by the overlap length, so long lags are not penalised; up to
    // four beat periods, to refine the period from its multiples.
    let limit = (4 * max_lag + 8).min(n - 1);
    let ac: Vec<f64> = (0..=limit)
        .map(|lag| {
            if lag >= n {
                return 0.0;
            }
            let s: f64 = x[..n - lag].iter().zip(&x[lag..]).map(|(a, b)| a * b).sum();
            s / (n - lag) as f64
        })
        .collect();
    let zero = ac[0];
    let score = |lag: usize| {
        let bpm = 60.0 * FRAME_RATE / lag as f64;
        let z = (bpm / PRIOR_BPM).log2() / PRIOR_OCTAVES;
        ac[lag].max(0.0) * (-0.5 * z * z).exp()
    };
    let best = (min_lag..=max_lag).max_by(|&a, &b| score(a).total_cmp(&score(b)))?;
    // A peak below 1% of the zero-lag power is noise, not a beat.
    if ac[best] < 0.01 * zero {
        return None;
    }
    let mut lag = refine(&ac, best);
    // The peak at m beat periods pins the period down m times more finely (the frame grid is
    // 16 ms, about 2 BPM at 150 BPM).
    for m in (2..=4usize).rev() {
        let centre = (lag * m as f64).round() as usize;
        if centre + m + 1 >= ac.len() {
            continue;
        }
        let p = (centre - m..=centre + m).max_by(|&a, &b| ac[a].total_cmp(&ac[b]))?;
        if ac[p] >= 0.5 * ac[best] {
            lag = refine(&ac, p) / m as f64;
            break;
        }
    }
    Some((60.0 * FRAME_RATE / lag) as f32)
}

/// Sub-frame peak position by a parabola through the peak and its neighbours.
fn refine(ac: &[f64], i: usize) -> f64 {
    if i == 0 || i + 1 >= ac.len() {
        return i as f64;
    }
    let (a, b, c) = (ac[i - 1], ac[i], ac[i + 1]);
    let denom = a - 2.0 * b + c;
    if denom >= 0.0 {
        return i as f64;
    }
    let shift = 0.5 * (a - c) / denom;
    i as f64 + shift.clamp(-0.5, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pulses(period_frames: f64, n: usize) -> Vec<f32> {
        let mut env = vec![0f32; n];
        let mut t = 5.0f64;
        while (t as usize) < n {
            env[t.round() as usize] = 1.0;
            t += period_frames;
        }
        env
    }

    #[test]
    fn a_pulse_train_gives_its_tempo() {
        for bpm in [80.0, 100.0, 128.0, 150.0] {
            let period = 60.0 * FRAME_RATE / bpm;
            let got = estimate_bpm(&pulses(period, 2000)).unwrap();
            assert!((f64::from(got) - bpm).abs() < 1.0, "{bpm}: {got}");
        }
    }

    #[test]
    fn flat_or_short_envelopes_have_no_tempo() {
        assert_eq!(estimate_bpm(&vec![0.0; 1000]), None);
        assert_eq!(estimate_bpm(&vec![0.3; 1000]), None);
        assert_eq!(estimate_bpm(&[1.0, 0.0, 1.0]), None);
    }
}
