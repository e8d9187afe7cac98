//! Fills what a catalogue lacks with the encoders: audio analysis of each track's file
//! (duration, BPM, energy, spectral centroid, MFCCs, musicnn embedding and tags), then caption
//! embeddings. A track whose audio cannot be used is a bad row; an encoder failing as a whole
//! is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use segue_index::schema::col;
use segue_models::audio::AUDIO_EXTENSIONS;
use segue_models::{AudioFeatures, TextEncoder};

use crate::caption;
use crate::error::{Result, RowError};
use crate::options::AudioIngest;
use crate::progress::IngestProgress;
use crate::record::{AnalysisRecord, TrackRecord, normalise_tags};

pub(crate) struct Enricher {
    text: Option<Arc<TextEncoder>>,
    audio: Option<AudioIngest>,
    /// Relative `audio_path` values are resolved against this without an audio folder.
    catalog_dir: PathBuf,
    pub text_embedded: u64,
    pub audio_analyzed: u64,
}

impl Enricher {
    pub fn new(text: Option<Arc<TextEncoder>>, audio: Option<AudioIngest>, catalog: &Path) -> Self {
        let catalog_dir = if catalog.is_dir() {
            catalog.to_path_buf()
        } else {
            catalog
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        Enricher {
            text,
            audio,
            catalog_dir,
            text_embedded: 0,
            audio_analyzed: 0,
        }
    }

    pub fn is_active(&self) -> bool {
        self.text.is_some() || self.audio.is_some()
    }

    /// Enriches `records` in place. Returns, per record, the reason it must be rejected.
    pub fn enrich(
        &mut self,
        records: &mut [&mut TrackRecord],
        progress: &IngestProgress,
    ) -> Result<Vec<Option<RowError>>> {
        let mut errors: Vec<Option<RowError>> = vec![None; records.len()];
        if let Some(audio) = self.audio.clone() {
            self.analyze(&audio, records, &mut errors, progress);
        }
        if let Some(enc) = self.text.clone() {
            let todo: Vec<usize> = (0..records.len())
                .filter(|&i| errors[i].is_none() && records[i].text_emb.is_none())
                .collect();
            if !todo.is_empty() {
                let texts: Vec<String> = todo
                    .iter()
                    .map(|&i| caption::text_for(records[i]))
                    .collect();
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let vectors = enc.embed(&refs)?;
                for (&i, v) in todo.iter().zip(vectors) {
                    records[i].text_emb = Some(v);
                }
                self.text_embedded += todo.len() as u64;
            }
        }
        Ok(errors)
    }

    fn analyze(
        &mut self,
        audio: &AudioIngest,
        records: &mut [&mut TrackRecord],
        errors: &mut [Option<RowError>],
        progress: &IngestProgress,
    ) {
        let wants_embedding = audio.analyzer.embedding_dim().is_some();
        let mut jobs: Vec<(usize, PathBuf)> = Vec::new();
        for (i, r) in records.iter_mut().enumerate() {
            let needs = (wants_embedding && r.audio_emb.is_none())
                || r.duration_s.is_none()
                || r.bpm.is_none()
                || r.energy.is_none()
                || r.spectral_centroid.is_none()
                || r.mfcc.is_none()
                || r.analysis.is_none();
            if !needs {
                continue;
            }
            match self.resolve(audio, r) {
                Some(path) => {
                    // The library records the file it analysed, as an absolute path: a
                    // catalogue's relative path means nothing once its folder is forgotten, and
                    // a render of the library must find the file wherever it runs from.
                    let path = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
                    r.audio_path = Some(path.display().to_string());
                    jobs.push((i, path));
                }
                None if wants_embedding && r.audio_emb.is_none() => {
                    errors[i] = Some(bad(r, self.missing_reason(audio, r)));
                }
                None => {}
            }
        }
        if jobs.is_empty() {
            return;
        }
        let paths: Vec<&Path> = jobs.iter().map(|(_, p)| p.as_path()).collect();
        let results = audio
            .analyzer
            .analyze_many(&paths, &|| progress.audio_done());
        for ((i, _), result) in jobs.into_iter().zip(results) {
            match result {
                Ok(f) => {
                    fill(records[i], f, audio.min_tag_probability);
                    self.audio_analyzed += 1;
                }
                Err(e) => errors[i] = Some(bad(records[i], e.to_string())),
            }
        }
    }

    /// The audio file of a record: its `audio_path` (relative to the audio folder, or to the
    /// catalogue's folder without one), or `DIR/<track_id>.<ext>` in the audio folder.
    fn resolve(&self, audio: &AudioIngest, r: &TrackRecord) -> Option<PathBuf> {
        let base = audio.dir.as_deref().unwrap_or(&self.catalog_dir);
        if let Some(p) = r.audio_path.as_deref().filter(|p| !p.trim().is_empty()) {
            let p = Path::new(p);
            return Some(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            });
        }
        let dir = audio.dir.as_deref()?;
        // A track id is not a path: never let one climb out of the folder.
        if r.track_id.contains(['/', '\\']) || r.track_id.starts_with('.') {
            return None;
        }
        AUDIO_EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("{}.{ext}", r.track_id)))
            .find(|p| p.is_file())
    }

    fn missing_reason(&self, audio: &AudioIngest, r: &TrackRecord) -> String {
        match &audio.dir {
            Some(d) => format!(
                "no audio file: the row names none and {} has no {}.wav/.flac/.mp3/.ogg",
                d.display(),
                r.track_id
            ),
            None => "no audio file: the row names none (give --audio-dir or an audio_path column)"
                .into(),
        }
    }
}

fn bad(r: &TrackRecord, reason: String) -> RowError {
    let mut e = RowError::new(r.row, col::AUDIO_PATH, reason);
    e.track_id = (!r.track_id.is_empty()).then(|| r.track_id.clone());
    e
}

/// Catalogue values win; the analysis fills the gaps.
fn fill(r: &mut TrackRecord, f: AudioFeatures, min_tag_probability: f32) {
    r.duration_s = r.duration_s.or(Some(f.duration_s));
    r.bpm = r.bpm.or(f.bpm.map(f64::from));
    r.energy = r.energy.or(Some(f64::from(f.rms)));
    r.loudness_db = r.loudness_db.or(f.loudness_lufs.map(f64::from));
    r.spectral_centroid = r
        .spectral_centroid
        .or(Some(f64::from(f.spectral_centroid_hz)));
    if r.mfcc.is_none() {
        r.mfcc = Some(f.mfcc.iter().map(|&x| f64::from(x)).collect());
    }
    if r.analysis.is_none() {
        r.analysis = Some(AnalysisRecord::of(&f));
    }
    if r.audio_emb.is_none() {
        r.audio_emb = f.embedding;
    }
    if r.tags.is_empty() {
        r.tags = normalise_tags(
            f.top_tags
                .into_iter()
                .filter(|(_, p)| *p >= min_tag_probability)
                .map(|(t, _)| t),
        );
    }
}
