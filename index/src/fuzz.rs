//! Property-based fuzzing of every parser of `segue-index` that reads what users type or what
//! a disk holds: the filter language, tag queries, the manifest, and the headers and bodies of
//! vector and graph files. Each must return a value or an error for any input: no panic, no
//! hang, no allocation sized by a number read from the input.
//!
//! Cases are built from the grammar's own tokens mixed with arbitrary characters (so they
//! reach deep into the parsers), and files are valid files with a few random edits (so they
//! get past the magic number). `SEGUE_FUZZ_CASES` sets the number of cases per property (CI's
//! short budget is the default; `scripts/fuzz-long` runs a long one).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

mod files;
mod queries;

/// Cases per property: `SEGUE_FUZZ_CASES`, or a short default that keeps the module within
/// seconds in a debug build.
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("SEGUE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn runner(default_cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default_cases),
        failure_persistence: None,
        ..Config::default()
    })
}

/// One edit of a byte string: overwrite, insert or delete at a position.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
}

pub(crate) fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Delete),
    ];
    prop::collection::vec(edit, 1..=max)
}

/// `base` with `edits` applied; positions restricted to `range` of the original when given.
pub(crate) fn edited(base: &[u8], edits: &[Edit], range: std::ops::Range<usize>) -> Vec<u8> {
    let mut out = base.to_vec();
    for e in edits {
        let span = range.end.min(out.len()).saturating_sub(range.start).max(1);
        let at = |i: &prop::sample::Index| (range.start + i.index(span)).min(out.len());
        match e {
            Edit::Set(i, b) => {
                let p = at(i);
                if p < out.len() {
                    out[p] = *b;
                }
            }
            Edit::Insert(i, b) => {
                let p = at(i);
                out.insert(p, *b);
            }
            Edit::Delete(i) => {
                let p = at(i);
                if p < out.len() {
                    out.remove(p);
                }
            }
        }
    }
    out
}
