//! A small filter language over track fields, compiled to the set of allowed rows.
//!
//! ```text
//! bpm >= 90 AND bpm <= 120 AND duration_s >= 45 AND tag:mood:calm
//!     AND NOT artist:"X" AND has_vocals = false
//! ```
//!
//! - Numbers (`bpm`, `energy`, `duration_s`, `spectral_centroid`, `valence`, `danceability`,
//!   `loudness_db`): `= != < <= > >=` and a number, or `field BETWEEN low AND high` (both
//!   ends included). Literals are rounded to f32 like the columns, so `energy = 0.1` finds a
//!   stored `0.1`.
//! - `has_vocals = true|false` (or `!=`).
//! - Text (`track_id`, `title`, `artist`, `album`): `field:VALUE`, `field = VALUE` or
//!   `field != VALUE`, exact equality ignoring case. VALUE is bare or `"quoted"` (a backslash
//!   escapes the next character).
//! - `tag:VALUE`: the track's tags include VALUE, ignoring case. A bare VALUE runs to the next
//!   space or parenthesis (`tag:mood:calm`); quote it if it has spaces (`tag:"genre:hip hop"`).
//! - `NOT` binds tighter than `AND`, which binds tighter than `OR`; parentheses group.
//!   Keywords, field names, `true` and `false` are case-insensitive.
//!
//! Nulls follow SQL for comparisons: a null (or NaN) field satisfies no predicate, so
//! `has_vocals = true` and `has_vocals = false` both leave out tracks with unknown vocals and
//! `bpm != 90` leaves out tracks without a bpm. `NOT`, however, is the complement of a row
//! set, not three-valued logic: `NOT bpm >= 90` *does* include tracks without a bpm. That is
//! what "exclude these tracks" means to a user (`NOT artist:"X"` keeps tracks with no artist).

mod ast;
mod columns;
mod error;
mod eval;
mod from_library;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;

use std::str::FromStr;

use roaring::RoaringBitmap;

pub use ast::{CmpOp, Expr, NumField, Predicate, TextField};
pub use columns::{FilterColumns, FilterRow};
pub use error::FilterError;
/// How deep `NOT`s and parentheses may nest, in filters and in tag queries alike: deeper
/// input is refused before it can exhaust the stack of a recursive parser.
pub use parser::MAX_DEPTH as MAX_NESTING;

/// A parsed filter, ready to evaluate against any [`FilterColumns`].
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    source: String,
    expr: Expr,
}

impl Filter {
    /// Parses filter text; errors say what is wrong and at which column.
    pub fn parse(source: &str) -> Result<Filter, FilterError> {
        Ok(Filter {
            source: source.to_string(),
            expr: parser::parse(source)?,
        })
    }

    /// The text this filter was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed expression (for planners that want to inspect it).
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The dense row numbers of the tracks this filter allows.
    pub fn evaluate(&self, columns: &FilterColumns) -> RoaringBitmap {
        eval::eval(&self.expr, columns)
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Filter, FilterError> {
        Filter::parse(s)
    }
}

/// Parses `source` and evaluates it: the one-call form for callers working in `IndexError`.
pub fn allowed_rows(source: &str, columns: &FilterColumns) -> crate::Result<RoaringBitmap> {
    Ok(Filter::parse(source)?.evaluate(columns))
}
