//! Integration tests of `segue-ingest`: one test binary, one module per topic.

mod async_callers;
mod bad_input;
mod crash;
mod duplicates;
mod embedding_files;
mod encoders;
mod formats;
mod helpers;
mod model;
mod real_catalogs;
mod skip_bad_rows;
mod versions;
