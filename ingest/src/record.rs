//! One track as read from a catalogue, before validation.

/// A catalogue row in the library's vocabulary. Every format maps onto this.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackRecord {
    /// 1-based data row in the source file (first occurrence for merged formats).
    pub row: u64,
    pub track_id: String,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub duration_s: Option<f64>,
    pub tags: Vec<String>,
    pub caption: Option<String>,
    pub has_vocals: Option<bool>,
    pub bpm: Option<f64>,
    pub energy: Option<f64>,
    pub spectral_centroid: Option<f64>,
    pub mfcc: Option<Vec<f64>>,
    pub valence: Option<f64>,
    pub danceability: Option<f64>,
    pub loudness_db: Option<f64>,
    pub audio_path: Option<String>,
    pub audio_emb: Option<Vec<f32>>,
    pub text_emb: Option<Vec<f32>>,
    /// Made from the track's audio file at ingest; `None` without one.
    pub analysis: Option<AnalysisRecord>,
}

/// The track analysis stored in the library's analysis columns
/// ([`segue_index::schema::ANALYSIS_COLUMNS`]). Empty lists and `None` mean the audio was
/// analysed and has none (silence has no beats, no key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisRecord {
    /// Seconds, ascending.
    pub beats: Vec<f64>,
    /// Bar starts, seconds, ascending (a subset of `beats`).
    pub downbeats: Vec<f64>,
    pub tempo_stability: Option<f32>,
    /// "D minor", "Eb major".
    pub key: Option<String>,
    /// dBFS, one per downbeat.
    pub bar_energy_db: Vec<f32>,
    /// Seconds, on downbeats.
    pub section_starts: Vec<f64>,
}

impl AnalysisRecord {
    pub fn of(f: &segue_models::AudioFeatures) -> AnalysisRecord {
        let grid = f.beat_grid.as_ref();
        AnalysisRecord {
            beats: grid.map(|g| g.beats.clone()).unwrap_or_default(),
            downbeats: grid.map(|g| g.downbeats.clone()).unwrap_or_default(),
            tempo_stability: grid.map(|g| g.tempo_stability),
            key: f.key.map(|k| k.key.name()),
            bar_energy_db: f.bar_energy_db.clone(),
            section_starts: f.section_starts.clone(),
        }
    }
}

/// Normalises a tag: trimmed, lower case, inner whitespace as `-` (`Dance Pop` → `dance-pop`).
pub fn normalise_tag(tag: &str) -> String {
    tag.split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

/// Sorted, deduplicated, normalised, empty ones dropped.
pub fn normalise_tags(tags: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = tags
        .into_iter()
        .map(|t| normalise_tag(&t))
        .filter(|t| !t.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}
