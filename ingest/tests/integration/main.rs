//! Integration tests of `segue-ingest`: one test binary, one module per topic.

mod analysis_columns;
mod async_callers;
mod bad_input;
mod crash;
mod duplicates;
mod embedding_files;
mod encoders;
mod formats;
mod fuzz;
mod helpers;
mod hostile_input;
mod model;
mod readers_during_publish;
mod real_catalogs;
mod repair;
mod skip_bad_rows;
mod versions;
