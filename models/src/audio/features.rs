//! Track-level acoustic features from the front end: RMS energy, spectral centroid, MFCCs.

use super::frontend::{N_MELS, Spectrogram};

/// Number of MFCCs kept (the library's `mfcc` column).
pub const N_MFCC: usize = 13;
/// librosa's `power_to_db` floor and dynamic range.
const AMIN: f32 = 1e-10;
const TOP_DB: f32 = 80.0;

/// Root mean square of the samples (0 for silence).
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    (sum / samples.len() as f64).sqrt() as f32
}

/// Mean spectral centroid (Hz) over the frames that are not silent; 0 when all are.
pub fn mean_centroid(spec: &Spectrogram) -> f32 {
    let (sum, n) = spec
        .centroid
        .iter()
        .flatten()
        .fold((0f64, 0usize), |(s, n), &c| (s + f64::from(c), n + 1));
    if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
}

/// librosa `power_to_db(S, ref=1.0, amin=1e-10, top_db=80)`, over the whole spectrogram.
pub fn mel_db(spec: &Spectrogram) -> Vec<f32> {
    let mut db: Vec<f32> = spec
        .mel
        .iter()
        .map(|&p| 10.0 * p.max(AMIN).log10())
        .collect();
    let max = db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let floor = max - TOP_DB;
    for x in &mut db {
        *x = x.max(floor);
    }
    db
}

/// The orthonormal DCT-II rows 0..N_MFCC over N_MELS inputs (scipy `dct(type=2, norm="ortho")`).
fn dct_matrix() -> Vec<f32> {
    let n = N_MELS as f64;
    let mut m = vec![0f32; N_MFCC * N_MELS];
    for k in 0..N_MFCC {
        let scale = if k == 0 {
            (1.0 / n).sqrt()
        } else {
            (2.0 / n).sqrt()
        };
        for i in 0..N_MELS {
            let angle = std::f64::consts::PI * k as f64 * (2.0 * i as f64 + 1.0) / (2.0 * n);
            m[k * N_MELS + i] = (scale * angle.cos()) as f32;
        }
    }
    m
}

/// Mean over frames of the 13 MFCCs of the (dB) mel spectrogram, as
/// `librosa.feature.mfcc(S=power_to_db(mel), n_mfcc=13).mean(axis=1)`.
pub fn mean_mfcc(db: &[f32], frames: usize) -> [f32; N_MFCC] {
    let dct = dct_matrix();
    let mut acc = [0f64; N_MFCC];
    for t in 0..frames {
        let row = &db[t * N_MELS..(t + 1) * N_MELS];
        for (k, a) in acc.iter_mut().enumerate() {
            let c: f32 = dct[k * N_MELS..(k + 1) * N_MELS]
                .iter()
                .zip(row)
                .map(|(w, x)| w * x)
                .sum();
            *a += f64::from(c);
        }
    }
    let mut out = [0f32; N_MFCC];
    for (o, a) in out.iter_mut().zip(acc) {
        *o = (a / frames.max(1) as f64) as f32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_rows_are_orthonormal() {
        let m = dct_matrix();
        for a in 0..N_MFCC {
            for b in 0..N_MFCC {
                let dot: f32 = (0..N_MELS)
                    .map(|i| m[a * N_MELS + i] * m[b * N_MELS + i])
                    .sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "rows {a},{b}: {dot}");
            }
        }
    }

    #[test]
    fn rms_of_a_full_scale_square_wave_is_one() {
        let x: Vec<f32> = (0..1000)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!((rms(&x) - 1.0).abs() < 1e-6);
        assert_eq!(rms(&[]), 0.0);
    }
}
