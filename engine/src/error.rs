//! The facade's error: one variant per layer, converted explicitly.

/// Errors of the `segue` facade.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Index(#[from] segue_index::IndexError),
    #[error(transparent)]
    Ingest(#[from] segue_ingest::IngestError),
    #[error(transparent)]
    Fixtures(#[from] segue_fixtures::FixturesError),
    #[error(transparent)]
    Query(#[from] segue_query::QueryError),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
