//! The track fields filters read, held in memory in row order.
//!
//! Only what filters need is kept, in the form they need it: numbers as `f32` with NaN for
//! null (4 bytes a row), text dictionary-encoded and lowercased (equality is all filters do
//! with text), and tags as an inverted index from lowercased tag to the rows that have it.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::ast::{NumField, TextField, fold};
use crate::error::{IndexError, Result};

/// Code of a null text value; real codes are below the row count, which is at most this.
pub(crate) const NULL_CODE: u32 = u32::MAX;

/// One track, for building [`FilterColumns`] by hand (tests, small catalogues).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterRow {
    pub track_id: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub duration_s: Option<f32>,
    pub has_vocals: Option<bool>,
    pub bpm: Option<f32>,
    pub energy: Option<f32>,
    pub spectral_centroid: Option<f32>,
    pub valence: Option<f32>,
    pub danceability: Option<f32>,
    pub loudness_db: Option<f32>,
    pub tags: Vec<String>,
}

impl FilterRow {
    pub fn number(&self, field: NumField) -> Option<f32> {
        match field {
            NumField::Bpm => self.bpm,
            NumField::Energy => self.energy,
            NumField::DurationS => self.duration_s,
            NumField::SpectralCentroid => self.spectral_centroid,
            NumField::Valence => self.valence,
            NumField::Danceability => self.danceability,
            NumField::LoudnessDb => self.loudness_db,
        }
    }

    pub fn text(&self, field: TextField) -> Option<&str> {
        match field {
            TextField::TrackId => self.track_id.as_deref(),
            TextField::Title => self.title.as_deref(),
            TextField::Artist => self.artist.as_deref(),
            TextField::Album => self.album.as_deref(),
        }
    }
}

/// A text column: one dictionary code per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextColumn {
    pub codes: Vec<u32>,
    pub dict: HashMap<String, u32>,
}

impl TextColumn {
    pub(crate) fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => NULL_CODE,
            Some(v) => {
                let key = fold(v);
                match self.dict.get(key.as_ref()) {
                    Some(&code) => code,
                    None => {
                        // At most one new code per row and rows ≤ u32::MAX, so this never
                        // reaches NULL_CODE.
                        let code = self.dict.len() as u32;
                        self.dict.insert(key.into_owned(), code);
                        code
                    }
                }
            }
        };
        self.codes.push(code);
    }
}

/// The filterable fields of every track of a library, in row order.
#[derive(Debug, Clone, Default)]
pub struct FilterColumns {
    pub(crate) rows: u32,
    /// Indexed by `NumField::index`; NaN is null (a stored NaN is treated as null too).
    pub(crate) numbers: [Vec<f32>; 7],
    pub(crate) has_vocals: Vec<Option<bool>>,
    /// Indexed by `TextField::index`.
    pub(crate) text: [TextColumn; 4],
    pub(crate) tags: HashMap<String, RoaringBitmap>,
}

impl FilterColumns {
    /// Number of rows (tracks).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Every row: what a filter that excludes nothing selects.
    pub fn all_rows(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.rows);
        all
    }

    /// Distinct tags (lowercased) and how many tracks carry each.
    pub fn tag_counts(&self) -> impl Iterator<Item = (&str, u64)> {
        self.tags.iter().map(|(t, rows)| (t.as_str(), rows.len()))
    }

    /// The number in `field` at `row` (`None`: null, or no such row).
    pub fn number(&self, field: NumField, row: u32) -> Option<f32> {
        self.numbers[field.index()]
            .get(row as usize)
            .copied()
            .filter(|x| !x.is_nan())
    }

    /// A code for the case-folded value of `field` at `row`, equal for equal values (`None`:
    /// null, or no such row). Lets callers group rows by artist or album without strings.
    pub fn text_code(&self, field: TextField, row: u32) -> Option<u32> {
        self.text[field.index()]
            .codes
            .get(row as usize)
            .copied()
            .filter(|&c| c != NULL_CODE)
    }

    /// The code [`FilterColumns::text_code`] gives rows whose `field` equals `value`, ignoring
    /// case (`None`: no row has it).
    pub fn code_of(&self, field: TextField, value: &str) -> Option<u32> {
        self.text[field.index()]
            .dict
            .get(fold(value).as_ref())
            .copied()
    }

    /// The rows carrying `tag` (lowercased), if any.
    pub fn rows_with_tag(&self, tag: &str) -> Option<&RoaringBitmap> {
        self.tags.get(fold(tag).as_ref())
    }

    /// Every tag equal to `prefix` or starting with `prefix:` (both lowercased), with its rows,
    /// sorted by tag.
    pub fn tags_under(&self, prefix: &str) -> Vec<(&str, &RoaringBitmap)> {
        let prefix = fold(prefix);
        let mut out: Vec<(&str, &RoaringBitmap)> = self
            .tags
            .iter()
            .filter(|(t, _)| {
                t.strip_prefix(prefix.as_ref())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
            })
            .map(|(t, rows)| (t.as_str(), rows))
            .collect();
        out.sort_unstable_by_key(|(t, _)| *t);
        out
    }

    /// Builds the columns from rows given by hand.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a FilterRow>) -> Result<FilterColumns> {
        let mut c = FilterColumns::default();
        for row in rows {
            let r = c.next_row()?;
            for f in NumField::ALL {
                c.numbers[f.index()].push(row.number(f).unwrap_or(f32::NAN));
            }
            c.has_vocals.push(row.has_vocals);
            for f in TextField::ALL {
                c.text[f.index()].push(row.text(f));
            }
            for tag in &row.tags {
                c.add_tag(r, tag);
            }
        }
        Ok(c)
    }

    /// Claims the next row number, refusing more rows than a `u32` bitmap can address.
    fn next_row(&mut self) -> Result<u32> {
        let r = self.rows;
        if r == u32::MAX {
            return Err(too_many_rows(u64::from(r) + 1));
        }
        self.rows += 1;
        Ok(r)
    }

    pub(crate) fn add_tag(&mut self, row: u32, tag: &str) {
        let key = fold(tag);
        // Rows arrive in increasing order, so `push` (append) is enough; a repeated tag on
        // the same row is refused by `push` and harmlessly ignored.
        match self.tags.get_mut(key.as_ref()) {
            Some(rows) => {
                rows.push(row);
            }
            None => {
                let mut rows = RoaringBitmap::new();
                rows.push(row);
                self.tags.insert(key.into_owned(), rows);
            }
        }
    }
}

pub(crate) fn too_many_rows(rows: u64) -> IndexError {
    IndexError::InvalidArgument(format!(
        "{rows} rows: filters address rows with u32 numbers, so at most {} rows",
        u32::MAX
    ))
}
