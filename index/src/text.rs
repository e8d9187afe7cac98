//! The full-text index of a library version: tantivy over each track's tags, caption, title,
//! artist and album.
//!
//! One tantivy document per track. The track's dense row number is kept in a `u64` fast field
//! and is what a search returns: tantivy's document ids stop being row numbers as soon as an
//! index has several segments. The index is a folder of write-once files; [`TextIndexWriter`]
//! builds it (from scratch, or by extending the previous version's index through hard links
//! so an append only indexes the new rows) and [`TextIndex`] reads it without writing anything.
//!
//! # Query syntax
//!
//! Queries use tantivy's query language:
//!
//! | query                    | matches                                                        |
//! |--------------------------|----------------------------------------------------------------|
//! | `calm piano`             | either word (ranked by BM25; documents with both come first)    |
//! | `calm AND piano`, `+calm +piano` | both words                                             |
//! | `calm OR piano`          | either word                                                    |
//! | `piano -vocals`, `piano AND NOT vocals` | `piano` but not `vocals`                        |
//! | `"slow piano"`           | the phrase: the words next to each other, in this order         |
//! | `artist:"Foo Bar"`       | a phrase in one field                                          |
//! | `title:(night OR day)`   | a group in one field                                           |
//! | `tags:calm`              | a word of any tag (`mood:calm`, `calm-ambient`, ...)            |
//! | `tag:"mood:calm"`        | one whole tag, exactly (but ignoring case)                     |
//! | `track_id:"abc-123"`     | one track id, exactly (case matters)                           |
//! | `piano^2 calm`           | boosts a term                                                  |
//!
//! Without a field the words are looked up in `tags`, `caption`, `title`, `artist` and
//! `album` (boosts in [`schema::DEFAULT_FIELDS`]: a word in a curated tag counts more than the
//! same word in free text). Words are split on anything that is not a letter or digit, lower-cased
//! and folded to ASCII (`Beyoncé` matches `beyonce`); there is no stemming, so `pianos` does not
//! match `piano`. Tags are indexed twice: word by word in `tags` (`mood:calm` and
//! `genre---rock` become `mood calm` and `genre rock`, so `calm` and the phrase `"mood calm"`
//! match; a phrase never spans two tags) and whole in `tag`, where a value must be quoted when it
//! contains `:` or spaces. `AND`, `OR` and `NOT` must be upper case; a query of only excluded
//! terms (`-vocals`) is an error, as is any syntax error ([`IndexError::TextQuery`] with the
//! query and the problem).
//!
//! [`IndexError::TextQuery`]: crate::IndexError::TextQuery

mod directory;
mod errors;
mod query;
mod reader;
pub mod schema;
mod statistics;
mod top_rows;
mod writer;

#[cfg(test)]
mod tests;

pub use reader::TextIndex;
pub use statistics::TextStatistics;
pub use writer::{TextDoc, TextIndexWriter};
