//! The key of a track (24 classes): a pitch-class profile of the whole track from a long-window
//! spectrum, correlated with the Krumhansl–Kessler major and minor key profiles rotated to
//! each tonic (the Krumhansl–Schmuckler key-finding algorithm).

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

use super::frontend::{SAMPLE_RATE, periodic_hann};

/// 8192 samples at 16 kHz: 2 Hz per bin, fine enough to tell semitones apart from C2 up.
const N_FFT: usize = 8192;
const HOP: usize = 4096;
/// The pitch range counted: C2 (65 Hz) to B6 (1976 Hz), where melody, chords and bass are and
/// partials above them do not yet dominate.
const LOW_HZ: f64 = 65.0;
const HIGH_HZ: f64 = 2000.0;

/// Probe-tone ratings of the 12 pitch classes above the tonic (Krumhansl & Kessler 1982).
const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

const NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Major,
    Minor,
}

/// A key: tonic pitch class (0 = C … 11 = B) and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub tonic: u8,
    pub mode: Mode,
}

impl Key {
    /// "A minor", "Eb major".
    pub fn name(self) -> String {
        let mode = match self.mode {
            Mode::Major => "major",
            Mode::Minor => "minor",
        };
        format!("{} {mode}", NAMES[self.tonic as usize % 12])
    }

    /// The Camelot wheel position DJs mix by: (1..=12, 'A' minor / 'B' major); neighbours on
    /// the wheel share all but one note.
    pub fn camelot(self) -> (u8, char) {
        // Minor keys sit beside their relative major (three semitones up); the wheel steps by
        // fifths (7 semitones) and puts C major at 8B.
        let (major_tonic, letter) = match self.mode {
            Mode::Major => (self.tonic, 'B'),
            Mode::Minor => ((self.tonic + 3) % 12, 'A'),
        };
        ((7 * major_tonic as u32 + 7) as u8 % 12 + 1, letter)
    }

    /// The Camelot code as DJs write it: "8A", "11B".
    pub fn camelot_code(self) -> String {
        let (number, letter) = self.camelot();
        format!("{number}{letter}")
    }

    /// Keys a DJ mixes between without a clash: the same key, its relative major/minor, or
    /// one step round the Camelot wheel in the same mode.
    pub fn is_compatible(self, other: Key) -> bool {
        let ((a, la), (b, lb)) = (self.camelot(), other.camelot());
        let step = (a as i32 - b as i32).rem_euclid(12);
        a == b || (la == lb && (step == 1 || step == 11))
    }
}

impl std::str::FromStr for Key {
    type Err = String;

    /// Reads what [`Key::name`] writes ("A minor", "Eb major"); sharps and flats are both
    /// accepted for every black key ("D# minor" is "Eb minor").
    fn from_str(s: &str) -> Result<Key, String> {
        let bad = || format!("{s:?} is not a key (write e.g. \"A minor\" or \"Eb major\")");
        let (tonic, mode) = s.trim().split_once(' ').ok_or_else(bad)?;
        let mode = match mode.trim().to_ascii_lowercase().as_str() {
            "major" => Mode::Major,
            "minor" => Mode::Minor,
            _ => return Err(bad()),
        };
        let mut chars = tonic.chars();
        let letter = chars.next().ok_or_else(bad)?.to_ascii_uppercase();
        let natural = match letter {
            'C' => 0,
            'D' => 2,
            'E' => 4,
            'F' => 5,
            'G' => 7,
            'A' => 9,
            'B' => 11,
            _ => return Err(bad()),
        };
        let shift = match chars.as_str() {
            "" => 0,
            "#" => 1,
            "b" => 11,
            _ => return Err(bad()),
        };
        Ok(Key {
            tonic: (natural + shift) % 12,
            mode,
        })
    }
}

/// A detected key and how clearly it won.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyEstimate {
    pub key: Key,
    /// Correlation of the track's profile with the key's (−1..1).
    pub correlation: f32,
    /// Its lead over the runner-up key's correlation (0 when two keys tie).
    pub margin: f32,
}

/// Computes pitch-class profiles; build once, reuse.
#[derive(Clone)]
pub struct KeyFinder {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Per FFT bin in range: its pitch class.
    bins: Vec<(usize, usize)>,
}

impl std::fmt::Debug for KeyFinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyFinder(n_fft=8192, 16 kHz, 65–2000 Hz)")
    }
}

impl Default for KeyFinder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyFinder {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        let window = periodic_hann(N_FFT);
        let bin_hz = f64::from(SAMPLE_RATE) / N_FFT as f64;
        let bins = (1..=N_FFT / 2)
            .filter_map(|k| {
                let hz = k as f64 * bin_hz;
                (LOW_HZ..=HIGH_HZ).contains(&hz).then(|| {
                    // MIDI note 69 is A4 = 440 Hz; pitch class 0 is C.
                    let midi = 69.0 + 12.0 * (hz / 440.0).log2();
                    (k, (midi.round() as i64).rem_euclid(12) as usize)
                })
            })
            .collect();
        KeyFinder { fft, window, bins }
    }

    /// The pitch-class profile of mono 16 kHz `samples`: spectral magnitude per pitch class,
    /// summed over the track (each frame's spectrum scaled to sum 1, so loud passages do not
    /// outweigh quiet ones), normalised to sum 1. `None` for silence or under one window.
    pub fn chroma(&self, samples: &[f32]) -> Option<[f64; 12]> {
        if samples.len() < N_FFT {
            return None;
        }
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut total = [0f64; 12];
        for start in (0..=samples.len() - N_FFT).step_by(HOP) {
            for ((slot, &x), &w) in input
                .iter_mut()
                .zip(&samples[start..start + N_FFT])
                .zip(&self.window)
            {
                *slot = x * w;
            }
            // Lengths come from the plan itself, so this cannot fail.
            let _ = self
                .fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch);
            let mut frame = [0f64; 12];
            for &(k, pc) in &self.bins {
                frame[pc] += f64::from(spectrum[k].norm());
            }
            let sum: f64 = frame.iter().sum();
            if sum > 1e-6 {
                for (t, f) in total.iter_mut().zip(frame) {
                    *t += f / sum;
                }
            }
        }
        let sum: f64 = total.iter().sum();
        (sum > 0.0).then(|| total.map(|t| t / sum))
    }

    /// The key of mono 16 kHz `samples`; `None` for silence or under one window (0.5 s).
    pub fn estimate(&self, samples: &[f32]) -> Option<KeyEstimate> {
        key_of_chroma(&self.chroma(samples)?)
    }
}

/// The key whose rotated profile correlates best with `chroma`.
pub fn key_of_chroma(chroma: &[f64; 12]) -> Option<KeyEstimate> {
    let mut scored: Vec<(f64, Key)> = Vec::with_capacity(24);
    for tonic in 0..12u8 {
        for (mode, profile) in [(Mode::Major, &MAJOR_PROFILE), (Mode::Minor, &MINOR_PROFILE)] {
            let rotated: [f64; 12] =
                std::array::from_fn(|pc| profile[(pc + 12 - tonic as usize) % 12]);
            scored.push((pearson(chroma, &rotated)?, Key { tonic, mode }));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, key) = scored[0];
    Some(KeyEstimate {
        key,
        correlation: best as f32,
        margin: (best - scored[1].0) as f32,
    })
}

/// Pearson correlation; `None` when either side is constant.
fn pearson(a: &[f64; 12], b: &[f64; 12]) -> Option<f64> {
    let (ma, mb) = (a.iter().sum::<f64>() / 12.0, b.iter().sum::<f64>() / 12.0);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma).powi(2);
        bb += (y - mb).powi(2);
    }
    (aa > 1e-12 && bb > 1e-12).then(|| ab / (aa * bb).sqrt())
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
