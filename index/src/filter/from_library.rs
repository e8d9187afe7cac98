//! Loading [`FilterColumns`] from a library's Lance table.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};

use super::ast::{HAS_VOCALS, NumField, TextField};
use super::columns::{FilterColumns, TextColumn, too_many_rows};
use crate::error::{IndexError, Result};
use crate::library::Library;
use crate::schema::col;

impl FilterColumns {
    /// Reads the filterable columns of `library`, in row order.
    ///
    /// Columns are scanned in a few groups rather than all at once, so that at most one text
    /// column's Arrow batches are in memory next to the compact result.
    pub fn from_library(library: &Library) -> Result<FilterColumns> {
        let rows = library.rows();
        let n = u32::try_from(rows).map_err(|_| too_many_rows(rows))?;
        let path = library.dir().join(&library.manifest().lance.path);
        let mut c = FilterColumns {
            rows: n,
            ..FilterColumns::default()
        };

        let mut small: Vec<&str> = NumField::ALL.iter().map(|f| f.column()).collect();
        small.push(HAS_VOCALS);
        let batches = library.scan(&small)?;
        for f in NumField::ALL {
            let out = &mut c.numbers[f.index()];
            out.reserve(n as usize);
            for array in column(&batches, f.column(), &path)? {
                let a = array
                    .as_primitive_opt::<Float32Type>()
                    .ok_or_else(|| wrong_type(&path, f.column(), &array, "Float32"))?;
                out.extend(a.iter().map(|v| v.unwrap_or(f32::NAN)));
            }
            check_len(&path, f.column(), out.len(), rows)?;
        }
        for array in column(&batches, HAS_VOCALS, &path)? {
            let a = array
                .as_boolean_opt()
                .ok_or_else(|| wrong_type(&path, HAS_VOCALS, &array, "Boolean"))?;
            c.has_vocals.extend(a.iter());
        }
        check_len(&path, HAS_VOCALS, c.has_vocals.len(), rows)?;
        drop(batches);

        for f in TextField::ALL {
            let batches = library.scan(&[f.column()])?;
            let out: &mut TextColumn = &mut c.text[f.index()];
            out.codes.reserve(n as usize);
            for array in column(&batches, f.column(), &path)? {
                let a = array
                    .as_string_opt::<i32>()
                    .ok_or_else(|| wrong_type(&path, f.column(), &array, "Utf8"))?;
                a.iter().for_each(|v| out.push(v));
            }
            check_len(&path, f.column(), out.codes.len(), rows)?;
        }

        let batches = library.scan(&[col::TAGS])?;
        let mut row: u32 = 0;
        for array in column(&batches, col::TAGS, &path)? {
            let list = array
                .as_list_opt::<i32>()
                .ok_or_else(|| wrong_type(&path, col::TAGS, &array, "List<Utf8>"))?;
            let values = list
                .values()
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong_type(&path, col::TAGS, list.values(), "List<Utf8>"))?;
            // Walk the offsets directly: `list.value(i)` would allocate an array per row.
            for (i, w) in list.value_offsets().windows(2).enumerate() {
                if row >= n {
                    return Err(too_long(&path, col::TAGS, rows));
                }
                if list.is_valid(i) {
                    let (start, end) = (w[0] as usize, w[1] as usize);
                    if start > end || end > values.len() {
                        return Err(IndexError::corrupt(&path, "tags list offsets out of range"));
                    }
                    for j in start..end {
                        if values.is_valid(j) {
                            c.add_tag(row, values.value(j));
                        }
                    }
                }
                row += 1;
            }
        }
        check_len(&path, col::TAGS, row as usize, rows)?;
        Ok(c)
    }
}

/// The arrays of one column across batches.
fn column(batches: &[RecordBatch], name: &str, path: &Path) -> Result<Vec<ArrayRef>> {
    batches
        .iter()
        .map(|b| {
            b.column_by_name(name)
                .cloned()
                .ok_or_else(|| IndexError::corrupt(path, format!("column {name} missing")))
        })
        .collect()
}

fn wrong_type(path: &Path, name: &str, array: &ArrayRef, want: &str) -> IndexError {
    IndexError::corrupt(
        path,
        format!("column {name} is {}, expected {want}", array.data_type()),
    )
}

fn check_len(path: &Path, name: &str, got: usize, rows: u64) -> Result<()> {
    if got as u64 == rows {
        Ok(())
    } else {
        Err(IndexError::corrupt(
            path,
            format!("column {name} has {got} values, the library {rows} rows"),
        ))
    }
}

fn too_long(path: &Path, name: &str, rows: u64) -> IndexError {
    IndexError::corrupt(
        path,
        format!("column {name} has more values than the library's {rows} rows"),
    )
}
