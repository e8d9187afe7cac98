//! The `segue` command-line program as a library: every subcommand over the `segue` facade,
//! plus what only people at a terminal need (tables, progress bars, charts, the demo). The
//! benchmark programs reuse its tables and report files.

mod analyze;
mod app;
pub mod demo;
mod demo_music;
mod fixtures;
mod ingest;
mod library;
mod list_arg;
mod mixdown;
mod policy;
pub mod progress;
pub mod render;
mod repair;
pub mod report;
mod search;
mod segment;
mod soundtrack;

pub use app::{Cli, run};
