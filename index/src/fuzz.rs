//! Property-based fuzzing of every parser of `segue-index` that reads what users type or what
//! a disk holds: the filter language, tag queries, the manifest, and the headers and bodies of
//! vector and graph files. Each must return a value or an error for any input: no panic, no
//! hang, no allocation sized by a number read from the input.
//!
//! Cases are built from the grammar's own tokens mixed with arbitrary characters (so they
//! reach deep into the parsers), and files are valid files with a few random edits (so they
//! get past the magic number). `SEGUE_FUZZ_CASES` sets the number of cases per property (CI's
//! short budget is the default; `scripts/fuzz-long` runs a long one); the runner and the edits
//! are `segue_fixtures::fuzz`, shared with the other crates' fuzz tests.

mod files;
mod queries;

pub(crate) use segue_fixtures::fuzz::{edited, edits, runner};
