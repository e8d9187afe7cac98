//! The checks of [`crate::Library::verify`] that read Lance, the system of record: every column
//! of the version decodes, the row count and track ids are what the manifest and the vector
//! files say, and each vector file holds exactly the normalised Lance vectors.

use std::collections::HashSet;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};
use futures::TryStreamExt;
use lance::Dataset;

use crate::error::{IndexError, Result};
use crate::library::{Library, string_column};
use crate::runtime::block_on;
use crate::schema::{EmbeddingKind, col};
use crate::vectors::VectorFile;

/// Streams the given columns of the dataset in row order, batch by batch (bounded memory).
pub(crate) fn for_each_batch(
    dataset: &Dataset,
    columns: &[&str],
    mut f: impl FnMut(&RecordBatch) -> Result<()> + Send,
) -> Result<()> {
    let path = Path::new(dataset.uri());
    block_on(async {
        let mut scanner = dataset.scan();
        scanner
            .project(columns)
            .map_err(|e| IndexError::lance(path, e))?;
        scanner.scan_in_order(true);
        let mut stream = scanner
            .try_into_stream()
            .await
            .map_err(|e| IndexError::lance(path, e))?;
        while let Some(batch) = stream
            .try_next()
            .await
            .map_err(|e| IndexError::lance(path, e))?
        {
            f(&batch)?;
        }
        Ok(())
    })
}

/// Reads every column of `lib`'s Lance version and checks it against the manifest and the
/// vector files (see the module docs).
pub(crate) fn check_lance(lib: &Library) -> Result<()> {
    let lance_path = lib.dir().join(&lib.manifest().lance.path);
    let schema = arrow_schema::Schema::from(lib.dataset().schema());
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut ids = HashSet::new();
    let mut row = 0u64;
    for_each_batch(lib.dataset(), &columns, |batch| {
        let track_ids = string_column(batch, col::TRACK_ID, &lance_path)?;
        for i in 0..batch.num_rows() {
            let r = row + i as u64;
            if track_ids.is_null(i) || !ids.insert(track_ids.value(i).to_string()) {
                return Err(IndexError::corrupt(
                    &lance_path,
                    format!("row {r}: track_id is missing or repeated"),
                ));
            }
        }
        for kind in EmbeddingKind::ALL {
            if let Some(vectors) = lib.vectors(kind) {
                check_vectors(batch, kind, vectors, row, &lance_path)?;
            }
        }
        row += batch.num_rows() as u64;
        Ok(())
    })?;
    if row != lib.rows() {
        return Err(IndexError::corrupt(
            &lance_path,
            format!("{row} rows read, the manifest says {}", lib.rows()),
        ));
    }
    Ok(())
}

/// Each Lance vector of the batch, normalised as the writer normalises it, must equal the
/// vector file's row bit for bit, and its norm the stored norm.
fn check_vectors(
    batch: &RecordBatch,
    kind: EmbeddingKind,
    vectors: &VectorFile,
    first_row: u64,
    lance_path: &Path,
) -> Result<()> {
    let column = batch
        .column_by_name(kind.column())
        .and_then(|c| c.as_fixed_size_list_opt())
        .ok_or_else(|| {
            IndexError::corrupt(lance_path, format!("{} missing from Lance", kind.column()))
        })?;
    let norms = vectors.norms();
    for i in 0..column.len() {
        let row = first_row + i as u64;
        let differs = |what: &str| {
            IndexError::corrupt(
                vectors.path(),
                format!("row {row}: {what} differs from the Lance vector; run `segue repair`"),
            )
        };
        if row >= vectors.rows() || column.is_null(i) {
            return Err(differs("the row"));
        }
        let values = column.value(i);
        let raw = values
            .as_primitive_opt::<Float32Type>()
            .ok_or_else(|| differs("the type"))?
            .values();
        let norm = raw
            .iter()
            .map(|x| f64::from(*x) * f64::from(*x))
            .sum::<f64>()
            .sqrt();
        let inv = (1.0 / norm) as f32;
        let stored = vectors.row(row as usize);
        let same = raw.len() == stored.len()
            && raw
                .iter()
                .zip(stored)
                .all(|(x, s)| (x * inv).to_bits() == s.to_bits());
        if !same {
            return Err(differs("the vector"));
        }
        if let Some(n) = norms
            && n[row as usize].to_bits() != (norm as f32).to_bits()
        {
            return Err(differs("the norm"));
        }
    }
    Ok(())
}
