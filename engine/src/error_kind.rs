//! What kind of failure an [`Error`] is, for callers that must react differently to each
//! (the Python binding maps each kind to its own exception class; a service maps them to status
//! codes): the caller's input, a damaged library, a format from a newer Segue, the operating
//! system, a model that cannot run.

use segue_index::IndexError;
use segue_ingest::IngestError;
use segue_models::ModelError;
use segue_query::QueryError;
use segue_train::TrainError;

use crate::error::Error;

/// The kind of an [`Error`]; see [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller's input is wrong: an argument, a request, a filter, a catalogue row, a video,
    /// unknown track ids. Fix the input and try again.
    BadInput,
    /// The path is not a Segue library (missing, empty, or something else).
    NotALibrary,
    /// A file of the library does not hold what its header, checksum or manifest says.
    Corrupt,
    /// A file written by a format this build does not understand (usually a newer Segue).
    Incompatible,
    /// Another process holds the library's writer lock.
    Locked,
    /// The operating system refused a read or write.
    Io,
    /// An encoder or policy model (or ONNX Runtime) cannot be loaded or run.
    Model,
    /// An ingest stopped by its progress callback.
    Cancelled,
    /// Anything else (an internal error of a layer).
    Other,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Index(e) => index_kind(e),
            Error::Ingest(e) => ingest_kind(e),
            Error::Query(e) => query_kind(e),
            Error::Train(e) => train_kind(e),
            Error::Model(e) => model_kind(e),
            Error::Fixtures(_) => ErrorKind::BadInput,
            Error::Render(e) => render_kind(e),
            Error::Io { .. } => ErrorKind::Io,
            Error::Invalid(_) => ErrorKind::BadInput,
        }
    }
}

fn render_kind(e: &segue_render::RenderError) -> ErrorKind {
    use segue_render::RenderError as R;
    match e {
        R::Write { .. } => ErrorKind::Io,
        R::BadPlan(_)
        | R::MissingAudio { .. }
        | R::Decode { .. }
        | R::ClipBeyondAudio { .. }
        | R::UnsupportedOutput { .. } => ErrorKind::BadInput,
    }
}

fn index_kind(e: &IndexError) -> ErrorKind {
    match e {
        IndexError::Io { .. } => ErrorKind::Io,
        // A library whose manifest is lost but whose data is there: `segue repair` restores it.
        IndexError::Corrupt { .. } | IndexError::NeedsRepair { .. } => ErrorKind::Corrupt,
        IndexError::Incompatible { .. } => ErrorKind::Incompatible,
        IndexError::NotALibrary { .. } => ErrorKind::NotALibrary,
        IndexError::Locked { .. } => ErrorKind::Locked,
        IndexError::InvalidArgument(_)
        | IndexError::DimensionMismatch { .. }
        | IndexError::Filter(_)
        | IndexError::TextQuery { .. } => ErrorKind::BadInput,
        // Lance reports a damaged dataset and a failing disk alike; the path says which file.
        IndexError::Lance { .. } => ErrorKind::Corrupt,
        IndexError::Arrow(_) => ErrorKind::Other,
    }
}

fn ingest_kind(e: &IngestError) -> ErrorKind {
    match e {
        IngestError::BadRow { .. }
        | IngestError::BadFile { .. }
        | IngestError::InvalidOptions(_) => ErrorKind::BadInput,
        IngestError::Io { .. } => ErrorKind::Io,
        IngestError::Index(e) => index_kind(e),
        IngestError::Model(e) => model_kind(e),
        IngestError::Cancelled => ErrorKind::Cancelled,
    }
}

fn query_kind(e: &QueryError) -> ErrorKind {
    match e {
        QueryError::Io { .. } => ErrorKind::Io,
        QueryError::BadVideo { .. }
        | QueryError::InvalidVideo(_)
        | QueryError::DimensionMismatch { .. }
        | QueryError::RowOutOfRange { .. }
        | QueryError::NoCandidates { .. }
        | QueryError::InvalidArgument(_)
        | QueryError::InvalidRequest(_)
        | QueryError::BadFilter(_)
        | QueryError::UnknownTracks(_)
        | QueryError::MissingEmbedding(_)
        | QueryError::NoTextIndex(_)
        | QueryError::NoTextEncoder(_)
        | QueryError::EncoderMismatch { .. }
        | QueryError::Policy(_) => ErrorKind::BadInput,
        QueryError::Embedding { source, .. } => model_kind(source),
        QueryError::Onnx { .. } => ErrorKind::Model,
        QueryError::Checkpoint { .. } => ErrorKind::Corrupt,
        QueryError::Index(e) => index_kind(e),
        QueryError::EpisodeOver { .. } => ErrorKind::Other,
    }
}

fn train_kind(e: &TrainError) -> ErrorKind {
    match e {
        TrainError::Config(_) => ErrorKind::BadInput,
        TrainError::Checkpoint { .. } => ErrorKind::Corrupt,
        TrainError::Export { .. } => ErrorKind::Io,
        TrainError::Io { .. } => ErrorKind::Io,
        TrainError::Query(e) => query_kind(e),
        TrainError::Index(e) => index_kind(e),
    }
}

fn model_kind(e: &ModelError) -> ErrorKind {
    match e {
        ModelError::AudioDecode { .. }
        | ModelError::AudioUnsupported { .. }
        | ModelError::AudioEmpty { .. }
        | ModelError::InvalidArgument(_) => ErrorKind::BadInput,
        ModelError::Io { .. } => ErrorKind::Io,
        _ => ErrorKind::Model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_layer_maps_its_errors_to_the_kind_a_caller_acts_on() {
        let path = std::path::PathBuf::from("lib/vectors/audio_emb.v000001.f32");
        let corrupt = IndexError::Corrupt {
            path: path.clone(),
            reason: "crc".into(),
        };
        assert_eq!(Error::from(corrupt).kind(), ErrorKind::Corrupt);
        let newer = IndexError::Incompatible {
            path: path.clone(),
            reason: "format 9".into(),
        };
        assert_eq!(
            Error::from(QueryError::Index(newer)).kind(),
            ErrorKind::Incompatible
        );
        let missing = IndexError::NotALibrary {
            path: path.clone(),
            reason: "no MANIFEST.json".into(),
        };
        assert_eq!(
            Error::from(IngestError::Index(missing)).kind(),
            ErrorKind::NotALibrary
        );
        assert_eq!(
            Error::from(QueryError::UnknownTracks("t-9".into())).kind(),
            ErrorKind::BadInput
        );
        let row = segue_ingest::RowError::new(3, "bpm", "not a number");
        assert_eq!(
            Error::from(IngestError::BadRow {
                file: "cat.csv".into(),
                error: row
            })
            .kind(),
            ErrorKind::BadInput
        );
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            Error::from(IndexError::Io { path, source: io }).kind(),
            ErrorKind::Io
        );
        assert_eq!(
            Error::from(IngestError::Cancelled).kind(),
            ErrorKind::Cancelled
        );
        let unavailable = ModelError::ModelMissing {
            path: "models/x.onnx".into(),
            hint: "the text model".into(),
        };
        assert_eq!(
            Error::from(QueryError::Embedding {
                what: "the prompt".into(),
                source: unavailable
            })
            .kind(),
            ErrorKind::Model
        );
    }
}
