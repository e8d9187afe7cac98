//! The spectral front end shared by every audio feature: musicnn's log-mel spectrogram, exactly
//! as its README describes (librosa 0.11 `melspectrogram(sr=16000, n_fft=512, hop_length=256,
//! n_mels=96)`: periodic Hann window, centred frames zero-padded by `n_fft/2`, power 2, Slaney
//! mel scale and area normalisation, fmin 0, fmax 8000; then `log10(10000·mel + 1)` in f32),
//! plus the per-frame spectral centroid computed from the same STFT.

use std::f64::consts::PI;
use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Analysis sample rate (musicnn's).
pub const SAMPLE_RATE: u32 = 16_000;
pub const N_FFT: usize = 512;
pub const HOP: usize = 256;
pub const N_MELS: usize = 96;
/// Frames per second of every frame-level feature.
pub const FRAME_RATE: f64 = SAMPLE_RATE as f64 / HOP as f64;
const N_BINS: usize = N_FFT / 2 + 1;

/// Slaney-style Hz → mel (librosa's default, `htk=False`).
pub fn hz_to_mel(f: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

/// Inverse of [`hz_to_mel`].
pub fn mel_to_hz(m: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// A triangular mel filterbank as librosa's `filters.mel(norm="slaney")`, stored sparsely.
#[derive(Debug, Clone)]
pub struct MelFilterbank {
    /// Per band: first FFT bin and the weights from there on.
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelFilterbank {
    pub fn slaney(sample_rate: u32, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> Self {
        let n_bins = n_fft / 2 + 1;
        let fft_freqs: Vec<f64> = (0..n_bins)
            .map(|k| k as f64 * f64::from(sample_rate) / n_fft as f64)
            .collect();
        let (mmin, mmax) = (hz_to_mel(fmin), hz_to_mel(fmax));
        let mel_f: Vec<f64> = (0..n_mels + 2)
            .map(|i| mel_to_hz(mmin + (mmax - mmin) * i as f64 / (n_mels + 1) as f64))
            .collect();
        let bands = (0..n_mels)
            .map(|i| {
                let (lo, mid, hi) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
                let enorm = 2.0 / (hi - lo);
                let w: Vec<f32> = fft_freqs
                    .iter()
                    .map(|&f| {
                        let lower = (f - lo) / (mid - lo);
                        let upper = (hi - f) / (hi - mid);
                        (lower.min(upper).max(0.0) * enorm) as f32
                    })
                    .collect();
                let first = w.iter().position(|&x| x > 0.0).unwrap_or(0);
                let last = w.iter().rposition(|&x| x > 0.0).map_or(first, |l| l + 1);
                (first, w[first..last].to_vec())
            })
            .collect();
        MelFilterbank { bands }
    }

    pub fn n_mels(&self) -> usize {
        self.bands.len()
    }

    /// `out[m] = Σ_k W[m, k] · power[k]`.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        for ((start, w), o) in self.bands.iter().zip(out.iter_mut()) {
            *o = w.iter().zip(&power[*start..]).map(|(a, b)| a * b).sum();
        }
    }
}

/// Frame-level output of the front end for one signal at [`SAMPLE_RATE`].
#[derive(Debug, Clone)]
pub struct Spectrogram {
    pub frames: usize,
    /// frames × [`N_MELS`] mel power, row-major (one frame per row).
    pub mel: Vec<f32>,
    /// Spectral centroid of each frame in Hz (magnitude-weighted); `None` for silent frames.
    pub centroid: Vec<Option<f32>>,
}

impl Spectrogram {
    /// musicnn's input: `log10(10000 · mel + 1)`, same layout as `mel`.
    pub fn log_mel(&self) -> Vec<f32> {
        self.mel
            .iter()
            .map(|&m| (10_000.0 * m + 1.0).log10())
            .collect()
    }

    pub fn mel_frame(&self, t: usize) -> &[f32] {
        &self.mel[t * N_MELS..(t + 1) * N_MELS]
    }
}

/// The periodic Hann window of `n` points (scipy `get_window("hann", n, fftbins=True)`), the
/// window of every STFT here.
pub fn periodic_hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos()) as f32)
        .collect()
}

/// The STFT plan, window and filterbank, built once and shared.
#[derive(Clone)]
pub struct FrontEnd {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    filterbank: MelFilterbank,
    bin_hz: Vec<f32>,
}

impl std::fmt::Debug for FrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrontEnd(n_fft=512, hop=256, n_mels=96, 16 kHz)")
    }
}

impl Default for FrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl FrontEnd {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        let window = periodic_hann(N_FFT);
        let bin_hz = (0..N_BINS)
            .map(|k| (k as f64 * f64::from(SAMPLE_RATE) / N_FFT as f64) as f32)
            .collect();
        FrontEnd {
            fft,
            window,
            filterbank: MelFilterbank::slaney(SAMPLE_RATE, N_FFT, N_MELS, 0.0, 8000.0),
            bin_hz,
        }
    }

    /// Runs the STFT over `samples` (mono, [`SAMPLE_RATE`]): `1 + len / HOP` centred frames.
    pub fn spectrogram(&self, samples: &[f32]) -> Spectrogram {
        let pad = N_FFT / 2;
        let frames = 1 + samples.len() / HOP;
        let mut mel = vec![0f32; frames * N_MELS];
        let mut centroid = Vec::with_capacity(frames);
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0f32; N_BINS];
        for t in 0..frames {
            // Frame t covers padded[t·HOP .. t·HOP + N_FFT], i.e. samples from t·HOP − pad.
            let start = (t * HOP) as i64 - pad as i64;
            for (j, slot) in input.iter_mut().enumerate() {
                let i = start + j as i64;
                let x = if i >= 0 && (i as usize) < samples.len() {
                    samples[i as usize]
                } else {
                    0.0
                };
                *slot = x * self.window[j];
            }
            // Lengths come from the plan itself, so this cannot fail.
            let _ = self
                .fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch);
            let mut mag_sum = 0f64;
            let mut weighted = 0f64;
            for (k, c) in spectrum.iter().enumerate() {
                let p = c.re * c.re + c.im * c.im;
                power[k] = p;
                let m = f64::from(p.sqrt());
                mag_sum += m;
                weighted += m * f64::from(self.bin_hz[k]);
            }
            centroid.push((mag_sum > 1e-6).then(|| (weighted / mag_sum) as f32));
            self.filterbank
                .apply(&power, &mut mel[t * N_MELS..(t + 1) * N_MELS]);
        }
        Spectrogram {
            frames,
            mel,
            centroid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips_and_is_linear_below_1khz() {
        for f in [0.0, 200.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(f)) - f).abs() < 1e-6);
        }
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn frame_count_matches_librosa_centering() {
        let fe = FrontEnd::new();
        assert_eq!(fe.spectrogram(&vec![0.0; 56_000]).frames, 219);
        assert_eq!(fe.spectrogram(&[0.5]).frames, 1);
    }

    #[test]
    fn slaney_filters_have_unit_area_in_hz() {
        // Slaney normalisation makes each triangle's area (in Hz) equal to 1.
        let fb = MelFilterbank::slaney(16_000, 512, 96, 0.0, 8000.0);
        let bin = 16_000.0 / 512.0;
        for (i, (_, w)) in fb.bands.iter().enumerate().skip(70) {
            let area: f32 = w.iter().sum::<f32>() * bin;
            assert!((area - 1.0).abs() < 0.05, "band {i} area {area}");
        }
    }
}
