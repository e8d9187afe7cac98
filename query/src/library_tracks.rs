//! A [`TrackSource`] over a published library version: what the soundtrack objective reads of
//! a million-track library without holding its vectors in memory.
//!
//! * Embeddings: the memory-mapped vector files (L2-normalised rows) with the raw norm of each
//!   row beside them (the vector file's norms section), so the objective sees the raw vector
//!   as direction × norm. A library written before vector files kept norms (vector format 1)
//!   gets them once from the raw vectors in Lance, which costs one scan of that column.
//! * Acoustic features: one scan of the scalar columns at open (17 f32 per track: 68 MB for a
//!   million tracks). Missing values read as 0, as the reference fills absent features.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};

use segue_index::schema::col;
use segue_index::vectors::VectorFile;
use segue_index::{EmbeddingKind, IndexError, Library};

use crate::error::QueryError;
use crate::objective::{MFCC_LEN, Row, TrackFeatures, TrackSource, TrackVector};
use crate::video::EmbeddingDims;

/// Scalar feature columns, in the order of [`FEATURES`] slots.
const BPM: usize = 0;
const ENERGY: usize = 1;
const CENTROID: usize = 2;
const DURATION: usize = 3;
const MFCC0: usize = 4;
/// f32 values kept per track.
const FEATURES: usize = MFCC0 + MFCC_LEN;

/// The tracks of one library version, as the objective reads them.
pub struct LibraryTracks {
    library: Arc<Library>,
    audio: Option<Space>,
    text: Option<Space>,
    /// `FEATURES` values per row, row-major.
    features: Vec<f32>,
    energy_ranks: std::sync::OnceLock<Vec<f32>>,
}

/// One embedding space: its vector file and the raw norms of its rows.
struct Space {
    kind: EmbeddingKind,
    norms: Norms,
}

enum Norms {
    /// Read from the vector file's norms section.
    InFile,
    /// Computed from the raw vectors in Lance (vector files of format 1).
    Computed(Vec<f32>),
}

impl std::fmt::Debug for LibraryTracks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibraryTracks")
            .field("library", &self.library.dir())
            .field("version", &self.library.version())
            .field("rows", &self.library.rows())
            .finish_non_exhaustive()
    }
}

impl LibraryTracks {
    /// Reads the features of every track (and, for old vector files, the raw norms).
    pub fn open(library: Arc<Library>) -> Result<LibraryTracks, QueryError> {
        let features = read_features(&library)?;
        let space = |kind: EmbeddingKind| -> Result<Option<Space>, QueryError> {
            let Some(v) = library.vectors(kind) else {
                return Ok(None);
            };
            let norms = match v.norms() {
                Some(_) => Norms::InFile,
                None => Norms::Computed(raw_norms(&library, kind, v)?),
            };
            Ok(Some(Space { kind, norms }))
        };
        Ok(LibraryTracks {
            audio: space(EmbeddingKind::Audio)?,
            text: space(EmbeddingKind::Text)?,
            features,
            energy_ranks: std::sync::OnceLock::new(),
            library,
        })
    }

    pub fn library(&self) -> &Arc<Library> {
        &self.library
    }

    fn vector(&self, space: &Option<Space>, row: Row) -> Option<TrackVector<'_>> {
        let space = space.as_ref()?;
        let file = self.library.vectors(space.kind)?;
        if row >= file.rows() {
            return None;
        }
        let norms = match &space.norms {
            Norms::InFile => file.norms()?,
            Norms::Computed(n) => n,
        };
        Some(TrackVector {
            values: file.row(row as usize),
            values_norm: 1.0,
            raw_norm: f64::from(norms[row as usize]),
        })
    }
}

impl TrackSource for LibraryTracks {
    fn len(&self) -> u64 {
        self.library.rows()
    }

    fn dims(&self) -> EmbeddingDims {
        self.library.dims().into()
    }

    fn audio(&self, row: Row) -> Option<TrackVector<'_>> {
        self.vector(&self.audio, row)
    }

    fn text(&self, row: Row) -> Option<TrackVector<'_>> {
        self.vector(&self.text, row)
    }

    fn features(&self, row: Row) -> TrackFeatures {
        let f = &self.features[row as usize * FEATURES..(row as usize + 1) * FEATURES];
        let mut mfcc = [0.0; MFCC_LEN];
        for (m, x) in mfcc.iter_mut().zip(&f[MFCC0..]) {
            *m = f64::from(*x);
        }
        TrackFeatures {
            bpm: f64::from(f[BPM]),
            energy: f64::from(f[ENERGY]),
            spectral_centroid: f64::from(f[CENTROID]),
            mfcc,
            duration: f64::from(f[DURATION]),
        }
    }

    fn energy_rank(&self, row: Row) -> f64 {
        let ranks = self.energy_ranks.get_or_init(|| {
            crate::objective::energy_ranks(self.len(), |r| {
                f64::from(self.features[r as usize * FEATURES + ENERGY])
            })
        });
        f64::from(ranks[row as usize])
    }
}

fn lance_error(library: &Library, message: String) -> QueryError {
    QueryError::Index(IndexError::corrupt(
        library.dir().join(&library.manifest().lance.path),
        message,
    ))
}

fn read_features(library: &Library) -> Result<Vec<f32>, QueryError> {
    let rows = library.rows() as usize;
    let mut out = vec![0.0f32; rows * FEATURES];
    let batches = library.scan(&[
        col::BPM,
        col::ENERGY,
        col::SPECTRAL_CENTROID,
        col::DURATION_S,
        col::MFCC,
    ])?;
    let mut row = 0usize;
    for batch in &batches {
        let n = batch.num_rows();
        if row + n > rows {
            return Err(lance_error(
                library,
                format!("scan returned more than the version's {rows} rows"),
            ));
        }
        for (slot, name) in [
            (BPM, col::BPM),
            (ENERGY, col::ENERGY),
            (CENTROID, col::SPECTRAL_CENTROID),
            (DURATION, col::DURATION_S),
        ] {
            let a = f32_column(library, batch, name)?;
            for i in 0..n {
                if a.is_valid(i) {
                    out[(row + i) * FEATURES + slot] = finite_or_zero(a.value(i));
                }
            }
        }
        let mfcc = batch
            .column_by_name(col::MFCC)
            .and_then(|c| c.as_fixed_size_list_opt())
            .ok_or_else(|| lance_error(library, "column mfcc is not a fixed-size list".into()))?;
        let values = mfcc
            .values()
            .as_primitive_opt::<Float32Type>()
            .ok_or_else(|| lance_error(library, "column mfcc does not hold f32".into()))?;
        let width = mfcc.value_length() as usize;
        for i in 0..n {
            if mfcc.is_valid(i) {
                let start = (mfcc.offset() + i) * width;
                for k in 0..width.min(MFCC_LEN) {
                    out[(row + i) * FEATURES + MFCC0 + k] = finite_or_zero(values.value(start + k));
                }
            }
        }
        row += n;
    }
    if row != rows {
        return Err(lance_error(
            library,
            format!("scan returned {row} rows, the version has {rows}"),
        ));
    }
    Ok(out)
}

fn f32_column<'b>(
    library: &Library,
    batch: &'b RecordBatch,
    name: &str,
) -> Result<&'b arrow_array::Float32Array, QueryError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Float32Type>())
        .ok_or_else(|| lance_error(library, format!("column {name} is not f32")))
}

fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// The raw norm of every row, from the raw vectors in Lance (for vector files without norms).
fn raw_norms(
    library: &Library,
    kind: EmbeddingKind,
    file: &VectorFile,
) -> Result<Vec<f32>, QueryError> {
    let mut norms = Vec::with_capacity(file.rows() as usize);
    for batch in library.scan(&[kind.column()])? {
        let list = batch
            .column_by_name(kind.column())
            .and_then(|c| c.as_fixed_size_list_opt())
            .ok_or_else(|| {
                lance_error(
                    library,
                    format!("column {} is not a fixed-size list", kind.column()),
                )
            })?;
        let values = list
            .values()
            .as_primitive_opt::<Float32Type>()
            .ok_or_else(|| {
                lance_error(
                    library,
                    format!("column {} does not hold f32", kind.column()),
                )
            })?;
        let width = list.value_length() as usize;
        for i in 0..list.len() {
            let start = (list.offset() + i) * width;
            let v = &values.values()[start..start + width];
            norms.push(crate::objective::norm(v) as f32);
        }
    }
    if norms.len() as u64 != file.rows() {
        return Err(lance_error(
            library,
            format!(
                "{} has {} rows in Lance, {} in {}",
                kind.column(),
                norms.len(),
                file.rows(),
                file.path().display()
            ),
        ));
    }
    Ok(norms)
}
