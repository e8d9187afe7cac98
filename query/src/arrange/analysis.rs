//! What the arranger knows of each planned track: its length, audio file, loudness, energy and
//! the analysis made from its audio at ingest (beats, bar starts, key, sections).

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};

use segue_index::Library;
use segue_index::schema::{ANALYSIS_COLUMNS, col};
use segue_models::audio::key::Key;

use crate::error::QueryError;

/// One track as the arranger sees it. Without analysis the lists are empty and `key` is
/// `None`: such a track enters at its start and changes happen at the video's boundaries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackAnalysis {
    pub row: u64,
    pub track_id: String,
    /// Seconds.
    pub duration: f64,
    pub audio_path: Option<String>,
    pub bpm: Option<f64>,
    /// Seconds, ascending.
    pub beats: Vec<f64>,
    /// Bar starts, seconds, ascending.
    pub downbeats: Vec<f64>,
    pub key: Option<Key>,
    /// Seconds, on downbeats.
    pub section_starts: Vec<f64>,
    /// RMS level of each bar (from each downbeat to the next), dBFS.
    pub bar_energy_db: Vec<f64>,
    /// Integrated loudness (LUFS from the analysis, or the catalogue's dB).
    pub loudness_db: Option<f64>,
    /// The catalogue's or the analysis' energy.
    pub energy: Option<f64>,
}

impl TrackAnalysis {
    /// Has a beat grid with at least two bars.
    pub fn has_grid(&self) -> bool {
        self.downbeats.len() >= 2 && self.beats.len() >= 2
    }

    /// The median beat period, seconds (from the grid, else from the BPM).
    pub fn beat_period(&self) -> Option<f64> {
        if self.beats.len() >= 2 {
            let mut gaps: Vec<f64> = self.beats.windows(2).map(|w| w[1] - w[0]).collect();
            gaps.sort_by(f64::total_cmp);
            return Some(gaps[gaps.len() / 2]);
        }
        self.bpm.filter(|b| *b > 0.0).map(|b| 60.0 / b)
    }

    /// The median bar length, seconds.
    pub fn bar_period(&self) -> Option<f64> {
        if self.downbeats.len() >= 2 {
            let mut gaps: Vec<f64> = self.downbeats.windows(2).map(|w| w[1] - w[0]).collect();
            gaps.sort_by(f64::total_cmp);
            return Some(gaps[gaps.len() / 2]);
        }
        self.beat_period().map(|b| 4.0 * b)
    }

    /// The tempo, from the grid when there is one.
    pub fn tempo(&self) -> Option<f64> {
        self.beat_period().map(|p| 60.0 / p)
    }
}

/// Reads the analysis of `rows` (in that order). Columns the library predates read as absent.
pub fn read_analyses(library: &Library, rows: &[u64]) -> Result<Vec<TrackAnalysis>, QueryError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let mut columns = vec![
        col::TRACK_ID,
        col::DURATION_S,
        col::AUDIO_PATH,
        col::BPM,
        col::ENERGY,
        col::LOUDNESS_DB,
    ];
    columns.extend(
        ANALYSIS_COLUMNS
            .iter()
            .copied()
            .filter(|c| library.has_column(c)),
    );
    let batch = library.take(rows, &columns)?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, &row) in rows.iter().enumerate() {
        let track_id = text(&batch, col::TRACK_ID, i).unwrap_or_default();
        let key = match text(&batch, col::KEY, i) {
            Some(name) => Some(name.parse::<Key>().map_err(|e| {
                QueryError::Index(segue_index::IndexError::corrupt(
                    library.dir(),
                    format!("track {track_id} (row {row}), column {}: {e}", col::KEY),
                ))
            })?),
            None => None,
        };
        out.push(TrackAnalysis {
            row,
            duration: number(&batch, col::DURATION_S, i).unwrap_or(0.0),
            audio_path: text(&batch, col::AUDIO_PATH, i),
            bpm: number(&batch, col::BPM, i),
            beats: list(&batch, col::BEATS, i),
            downbeats: list(&batch, col::DOWNBEATS, i),
            key,
            section_starts: list(&batch, col::SECTION_STARTS, i),
            bar_energy_db: list(&batch, col::BAR_ENERGY_DB, i),
            loudness_db: number(&batch, col::LOUDNESS_DB, i),
            energy: number(&batch, col::ENERGY, i),
            track_id,
        });
    }
    Ok(out)
}

fn text(batch: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let a = batch.column_by_name(name)?.as_string::<i32>();
    a.is_valid(i).then(|| a.value(i).to_string())
}

fn number(batch: &RecordBatch, name: &str, i: usize) -> Option<f64> {
    let a = batch.column_by_name(name)?.as_primitive::<Float32Type>();
    (a.is_valid(i) && a.value(i).is_finite()).then(|| f64::from(a.value(i)))
}

fn list(batch: &RecordBatch, name: &str, i: usize) -> Vec<f64> {
    let Some(a) = batch.column_by_name(name).map(|c| c.as_list::<i32>()) else {
        return vec![];
    };
    if !a.is_valid(i) {
        return vec![];
    }
    let v = a.value(i);
    v.as_primitive::<Float32Type>()
        .iter()
        .flatten()
        .map(f64::from)
        .collect()
}
