//! Audio analysis: decode → mono 16 kHz → STFT/mel front end → duration, tempo and beat grid,
//! key, integrated loudness, loudness per bar and section starts, RMS energy, spectral centroid, 13 MFCCs, and (with the model) the musicnn embedding and top
//! tags.

pub mod beats;
pub mod decode;
pub mod features;
pub mod frontend;
pub mod key;
pub mod musicnn;
pub mod resample;
pub mod structure;
pub mod tempo;
#[cfg(test)]
mod test_signals;
pub mod wav;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{ModelError, Result};
use frontend::{FrontEnd, SAMPLE_RATE};
use musicnn::{EMBEDDING_DIM, MTT_LABELS, MUSICNN_ENCODER_ID, Musicnn};

pub use decode::AUDIO_EXTENSIONS;
pub use features::N_MFCC;

/// RMS below which a track has no beat grid or key: −60 dBFS.
const AUDIBLE_RMS: f32 = 1e-3;

/// What one track's audio says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFeatures {
    /// Seconds, from the decoded samples at the file's own rate.
    pub duration_s: f64,
    /// The file's sample rate and channel count (analysis runs on a mono 16 kHz version).
    pub sample_rate: u32,
    pub channels: u16,
    /// Tempo in BPM (the beat grid's when there is one); `None` when there are no onsets
    /// (silence, a steady tone).
    pub bpm: Option<f32>,
    /// Beats, bar starts and tempo stability ([`beats::beat_grid`]).
    pub beat_grid: Option<beats::BeatGrid>,
    /// Key and mode ([`key::KeyFinder`]); `None` for silence or under half a second.
    pub key: Option<key::KeyEstimate>,
    /// Integrated loudness (EBU R128), LUFS: of the file's own channels for [`AudioAnalyzer::analyze`],
    /// of the mono samples (as dual mono) for [`AudioAnalyzer::analyze_samples`]; `None` for
    /// silence.
    pub loudness_lufs: Option<f32>,
    /// RMS level per bar in dBFS, one per downbeat ([`structure::bar_energy_db`]).
    pub bar_energy_db: Vec<f32>,
    /// Section starts in seconds, on downbeats ([`structure::section_starts`]).
    pub section_starts: Vec<f64>,
    /// Root mean square of the mono signal (full scale = 1).
    pub rms: f32,
    /// Mean spectral centroid in Hz over non-silent frames (0 for silence; at most 8 kHz).
    pub spectral_centroid_hz: f32,
    /// Mean over frames of the 13 MFCCs of the dB mel spectrogram.
    pub mfcc: [f32; N_MFCC],
    /// musicnn MTT `penultimate`, mean over 3 s patches (with the model only).
    pub embedding: Option<Vec<f32>>,
    /// musicnn MTT tag probabilities (mean over patches), in [`MTT_LABELS`] order.
    pub tag_probabilities: Option<Vec<f32>>,
    /// The most probable tags, best first.
    pub top_tags: Vec<(String, f32)>,
}

/// How to build an [`AudioAnalyzer`].
#[derive(Debug, Clone)]
pub struct AudioAnalyzerOptions {
    /// The models folder (see [`crate::paths`] for the search order when `None`).
    pub models_dir: Option<PathBuf>,
    /// Run musicnn (embedding and tags). Without it only the signal features are computed.
    pub embedding: bool,
    /// Tracks analysed at once by [`AudioAnalyzer::analyze_many`]; also the number of musicnn
    /// sessions.
    pub threads: usize,
    /// ONNX Runtime threads inside one musicnn inference.
    pub intra_threads: usize,
    /// How many tags `top_tags` keeps.
    pub top_tags: usize,
}

impl Default for AudioAnalyzerOptions {
    fn default() -> Self {
        AudioAnalyzerOptions {
            models_dir: None,
            embedding: true,
            threads: 2,
            intra_threads: 1,
            top_tags: 5,
        }
    }
}

/// Decodes and analyses audio files. Build once, reuse for every track (the front end and the
/// ONNX sessions are built at load time).
#[derive(Debug)]
pub struct AudioAnalyzer {
    frontend: FrontEnd,
    key_finder: key::KeyFinder,
    musicnn: Option<Musicnn>,
    threads: usize,
    top_tags: usize,
}

impl AudioAnalyzer {
    pub fn load(opts: &AudioAnalyzerOptions) -> Result<AudioAnalyzer> {
        if opts.threads == 0 {
            return Err(ModelError::InvalidArgument(
                "audio analysis needs at least 1 thread".into(),
            ));
        }
        let musicnn = if opts.embedding {
            Some(Musicnn::load(
                opts.models_dir.as_deref(),
                opts.threads,
                opts.intra_threads,
            )?)
        } else {
            None
        };
        Ok(AudioAnalyzer {
            frontend: FrontEnd::new(),
            key_finder: key::KeyFinder::new(),
            musicnn,
            threads: opts.threads,
            top_tags: opts.top_tags,
        })
    }

    /// Signal features only (no model needed): duration, tempo, RMS, centroid, MFCCs.
    pub fn features_only(threads: usize) -> AudioAnalyzer {
        AudioAnalyzer {
            frontend: FrontEnd::new(),
            key_finder: key::KeyFinder::new(),
            musicnn: None,
            threads: threads.max(1),
            top_tags: 0,
        }
    }

    /// The encoder id of the embeddings this analyser produces (`None` without the model).
    pub fn embedding_id(&self) -> Option<String> {
        self.musicnn
            .as_ref()
            .map(|_| MUSICNN_ENCODER_ID.to_string())
    }

    /// Dimension of [`AudioFeatures::embedding`] (`None` without the model).
    pub fn embedding_dim(&self) -> Option<usize> {
        self.musicnn.as_ref().map(|_| EMBEDDING_DIM)
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    pub fn musicnn(&self) -> Option<&Musicnn> {
        self.musicnn.as_ref()
    }

    /// The shared front end (for callers that want the log-mel spectrogram itself).
    pub fn frontend(&self) -> &FrontEnd {
        &self.frontend
    }

    /// Decodes and analyses one file.
    pub fn analyze(&self, path: &Path) -> Result<AudioFeatures> {
        let decoded = decode::decode_file(path)?;
        let mut f = self.analyze_mono(&decoded.samples, decoded.sample_rate, || {
            decoded.loudness_lufs
        })?;
        f.channels = decoded.channels;
        Ok(f)
    }

    /// Analyses mono samples at `sample_rate`.
    pub fn analyze_samples(&self, samples: &[f32], sample_rate: u32) -> Result<AudioFeatures> {
        self.analyze_mono(samples, sample_rate, || {
            decode::mono_loudness_lufs(samples, sample_rate)
        })
    }

    /// Analyses mono samples; `loudness` measures the integrated loudness (from the file's own
    /// channels when there was a file), once the samples are known to be usable.
    fn analyze_mono(
        &self,
        samples: &[f32],
        sample_rate: u32,
        loudness: impl FnOnce() -> Option<f64>,
    ) -> Result<AudioFeatures> {
        if sample_rate == 0 {
            return Err(ModelError::InvalidArgument("sample rate 0".into()));
        }
        if samples.is_empty() {
            return Err(ModelError::InvalidArgument("no samples".into()));
        }
        let duration_s = samples.len() as f64 / f64::from(sample_rate);
        let x = resample::resample(samples, sample_rate, SAMPLE_RATE);
        let spec = self.frontend.spectrogram(&x);
        let db = features::mel_db(&spec);
        let rms = features::rms(&x);
        // The spectrogram is in dB relative to its own peak, so near-silence (dither, room
        // tone) would show onsets and pitches; below −60 dBFS there is no music to analyse.
        let audible = rms > AUDIBLE_RMS;
        let beat_grid = audible
            .then(|| beats::beat_grid(&db, spec.frames))
            .flatten();
        let bpm = match &beat_grid {
            Some(grid) => Some(grid.bpm),
            None => tempo::estimate_bpm(&tempo::onset_envelope(&db, spec.frames)),
        };
        let mut out = AudioFeatures {
            duration_s,
            sample_rate,
            channels: 1,
            bpm,
            key: audible.then(|| self.key_finder.estimate(&x)).flatten(),
            loudness_lufs: loudness().map(|l| l as f32),
            bar_energy_db: beat_grid
                .as_ref()
                .map_or_else(Vec::new, |g| structure::bar_energy_db(&x, g)),
            section_starts: beat_grid
                .as_ref()
                .map_or_else(Vec::new, |g| structure::section_starts(&db, spec.frames, g)),
            beat_grid,
            rms,
            spectral_centroid_hz: features::mean_centroid(&spec),
            mfcc: features::mean_mfcc(&db, spec.frames),
            embedding: None,
            tag_probabilities: None,
            top_tags: Vec::new(),
        };
        if let Some(model) = &self.musicnn {
            let (patches, n) = musicnn::patches(&spec.log_mel(), spec.frames);
            let o = model.infer(&patches, n)?;
            let embedding = mean_rows(&o.penultimate, EMBEDDING_DIM);
            let probs = mean_rows(&o.tags, MTT_LABELS.len());
            let mut ranked: Vec<(String, f32)> = MTT_LABELS
                .iter()
                .zip(&probs)
                .map(|(l, &p)| (l.to_string(), p))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked.truncate(self.top_tags);
            out.embedding = Some(embedding);
            out.tag_probabilities = Some(probs);
            out.top_tags = ranked;
        }
        Ok(out)
    }

    /// Analyses many files on `threads` threads, calling `done` after each (for a progress
    /// bar). One result per path, in order; a bad file fails only its own entry.
    pub fn analyze_many<P: AsRef<Path> + Sync>(
        &self,
        paths: &[P],
        done: &(dyn Fn() + Sync),
    ) -> Vec<Result<AudioFeatures>> {
        let work = || {
            paths
                .par_iter()
                .map(|p| {
                    let r = self.analyze(p.as_ref());
                    done();
                    r
                })
                .collect()
        };
        match rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .thread_name(|i| format!("segue-audio-{i}"))
            .build()
        {
            Ok(pool) => pool.install(work),
            // No pool (thread creation refused): analyse on the current thread.
            Err(_) => paths
                .iter()
                .map(|p| {
                    let r = self.analyze(p.as_ref());
                    done();
                    r
                })
                .collect(),
        }
    }
}

/// Column means of a row-major matrix with `width` columns.
fn mean_rows(data: &[f32], width: usize) -> Vec<f32> {
    let rows = data.len() / width;
    let mut acc = vec![0f64; width];
    for row in data.chunks_exact(width) {
        for (a, &x) in acc.iter_mut().zip(row) {
            *a += f64::from(x);
        }
    }
    acc.iter()
        .map(|a| (a / rows.max(1) as f64) as f32)
        .collect()
}
