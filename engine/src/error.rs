//! The facade's error: one variant per layer, converted explicitly.

/// Errors of the `segue` facade.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The library on disk: I/O, corruption (with the path), incompatible formats, bad
    /// arguments, filters.
    #[error(transparent)]
    Index(#[from] segue_index::IndexError),
    /// Building a library: bad catalogue rows (file, row, field), bad files, options.
    #[error(transparent)]
    Ingest(#[from] segue_ingest::IngestError),
    /// Generating synthetic catalogues or videos.
    #[error(transparent)]
    Fixtures(#[from] segue_fixtures::FixturesError),
    /// Searching and planning: bad requests, bad videos, missing spaces or encoders.
    #[error(transparent)]
    Query(#[from] segue_query::QueryError),
    /// Training or exporting a policy.
    #[error(transparent)]
    Train(#[from] segue_train::TrainError),
    /// Loading or running an encoder.
    #[error(transparent)]
    Model(#[from] segue_models::ModelError),
    /// Rendering a plan: missing or undecodable audio, a bad edit list, writing the mix.
    #[error(transparent)]
    Render(#[from] segue_render::RenderError),
    /// A file the facade itself reads or writes.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// An argument or input the facade refuses, with why.
    #[error("{0}")]
    Invalid(String),
}

/// The facade's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
