//! Row validation, the same for every format: what a track must satisfy to enter a library.

use segue_index::schema::{MFCC_LEN, col};
use segue_index::{Dims, EmbeddingKind};

use crate::error::RowError;
use crate::record::TrackRecord;

/// Longest accepted track id, in bytes.
pub const MAX_TRACK_ID_BYTES: usize = 512;

/// Checks one record against the library's embedding dimensions.
pub fn validate(r: &TrackRecord, dims: Dims) -> Result<(), RowError> {
    let bad = |field: &str, reason: String| {
        let mut e = RowError::new(r.row, field, reason);
        e.track_id = (!r.track_id.is_empty()).then(|| r.track_id.clone());
        e
    };
    if r.track_id.is_empty() {
        return Err(bad(col::TRACK_ID, "missing track id".into()));
    }
    if r.track_id.len() > MAX_TRACK_ID_BYTES {
        return Err(bad(
            col::TRACK_ID,
            format!("longer than {MAX_TRACK_ID_BYTES} bytes"),
        ));
    }
    if r.track_id.chars().any(char::is_control) {
        return Err(bad(col::TRACK_ID, "contains control characters".into()));
    }
    match r.duration_s {
        None => return Err(bad(col::DURATION_S, "missing".into())),
        Some(d) if d <= 0.0 => {
            return Err(bad(col::DURATION_S, format!("must be positive, got {d}")));
        }
        Some(d) if d > 86_400.0 => {
            return Err(bad(col::DURATION_S, format!("{d} s is longer than a day")));
        }
        Some(_) => {}
    }
    if let Some(b) = r.bpm
        && !(b > 0.0 && b <= 1000.0)
    {
        return Err(bad(col::BPM, format!("{b} is outside (0, 1000]")));
    }
    // Energy is an RMS level of a signal in [-1, 1] (or Spotify's 0..1 energy).
    if let Some(e) = r.energy
        && !(0.0..=1.0).contains(&e)
    {
        return Err(bad(col::ENERGY, format!("{e} is outside [0, 1]")));
    }
    if let Some(x) = r.spectral_centroid
        && x < 0.0
    {
        return Err(bad(
            col::SPECTRAL_CENTROID,
            format!("must not be negative, got {x}"),
        ));
    }
    if let Some(m) = &r.mfcc {
        if m.len() != MFCC_LEN as usize {
            return Err(bad(
                col::MFCC,
                format!("{} coefficients, expected {MFCC_LEN}", m.len()),
            ));
        }
        if let Some(i) = m.iter().position(|x| !x.is_finite()) {
            return Err(bad(col::MFCC, format!("element {i} is {}", m[i])));
        }
    }
    for kind in EmbeddingKind::ALL {
        let v = match kind {
            EmbeddingKind::Audio => &r.audio_emb,
            EmbeddingKind::Text => &r.text_emb,
        };
        let field = kind.column();
        match (dims.get(kind), v) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(bad(field, "the library has no such embedding space".into()));
            }
            (Some(d), None) => {
                return Err(bad(
                    field,
                    format!("missing (the library has {d}-d {field})"),
                ));
            }
            (Some(d), Some(v)) => check_vector(v, d).map_err(|reason| bad(field, reason))?,
        }
    }
    Ok(())
}

/// Dimension, finiteness and non-zero norm of one embedding.
pub fn check_vector(v: &[f32], dim: u32) -> Result<(), String> {
    if v.len() != dim as usize {
        return Err(format!("dimension {}, expected {dim}", v.len()));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(format!("element {i} is {}", v[i]));
    }
    let norm2: f64 = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    if norm2 <= f64::from(f32::MIN_POSITIVE) {
        return Err("zero vector (cannot be normalised)".into());
    }
    // Every element is finite but the length is not, as an f32 (the norm is stored as one):
    // such a vector would turn into NaN scores later.
    if norm2.sqrt() > f64::from(f32::MAX) {
        return Err(format!(
            "its length {:e} is too large (not a finite f32)",
            norm2.sqrt()
        ));
    }
    Ok(())
}
