//! A folder of audio files as a catalogue (`segue ingest --audio-dir DIR` without `--catalog`):
//! one track per WAV/FLAC/MP3/OGG file, found recursively and taken in path order. The track id
//! is the path below the folder without its extension (`album1/01-intro`), the title the file
//! name without extension; everything else comes from the audio analysis.

use std::path::{Path, PathBuf};

use segue_index::EmbeddingKind;
use segue_models::audio::AUDIO_EXTENSIONS;

use super::{Progress, Source};
use crate::error::{IngestError, Result, SourceItem};
use crate::record::TrackRecord;

#[derive(Debug)]
pub struct AudioDirSource {
    /// Paths relative to the folder, sorted.
    files: Vec<PathBuf>,
    next: usize,
}

impl AudioDirSource {
    pub fn open(dir: &Path) -> Result<Self> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(IngestError::bad_file(
                dir,
                format!(
                    "no audio files ({}) in this folder or below",
                    AUDIO_EXTENSIONS.join(", ")
                ),
            ));
        }
        Ok(AudioDirSource { files, next: 0 })
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| IngestError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| IngestError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| IngestError::io(&path, e))?;
        if kind.is_dir() {
            collect(root, &path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            out.push(rel);
        }
    }
    Ok(())
}

impl Source for AudioDirSource {
    fn next_item(&mut self) -> Result<Option<SourceItem>> {
        let Some(rel) = self.files.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let id = rel.with_extension("").to_string_lossy().replace('\\', "/");
        let title = rel.file_stem().map(|s| s.to_string_lossy().into_owned());
        Ok(Some(SourceItem::Record(Box::new(TrackRecord {
            row: self.next as u64,
            track_id: id,
            title,
            audio_path: Some(rel.to_string_lossy().replace('\\', "/")),
            ..Default::default()
        }))))
    }

    fn has_embedding(&self, _kind: EmbeddingKind) -> Option<bool> {
        Some(false)
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.next as u64,
            total: self.files.len() as u64,
        }
    }

    fn format_name(&self) -> &'static str {
        "audio-dir"
    }
}
