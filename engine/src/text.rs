//! The library's own text encoder (all-MiniLM-L6-v2 through ONNX Runtime) as the query layer's
//! [`TextEmbedder`], for text prompts in search and captions in soundtracks.
//!
//! The encoder is loaded on the first text it embeds, not when the library is opened: opening
//! stays cheap for searches and plans that need no text, and a model that cannot be loaded is
//! reported, with its own error, by the request that needed it.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use segue_index::{EmbeddingKind, Library};
use segue_models::text::MINILM_NAME;
use segue_models::{ModelError, Precision, TextEncoder, TextEncoderOptions};
use segue_query::search::TextEmbedder;

/// Where to find models and how many threads to give them.
#[derive(Debug, Clone, Default)]
pub struct EncoderOptions {
    /// The models folder (default: `$SEGUE_MODELS_DIR`, then `../shared/models`).
    pub models_dir: Option<PathBuf>,
    /// Intra-op threads (0: one per core).
    pub threads: usize,
}

/// A [`TextEncoder`] already loaded, as a [`TextEmbedder`].
#[derive(Debug)]
pub struct MiniLmEmbedder(pub Arc<TextEncoder>);

impl TextEmbedder for MiniLmEmbedder {
    fn encoder_id(&self) -> String {
        self.0.id()
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, ModelError> {
        self.0.embed_one(text)
    }
}

/// The encoder a library's text space records, loaded on first use.
#[derive(Debug)]
pub struct LibraryTextEmbedder {
    id: String,
    options: TextEncoderOptions,
    loaded: OnceLock<Result<Arc<TextEncoder>, Arc<ModelError>>>,
}

impl LibraryTextEmbedder {
    /// The embedder of `library`'s text space, or `None` when the library has no text space or
    /// its vectors came with the catalogue from an encoder Segue does not know (then text
    /// cannot be embedded into its space, and a request that needs it says so).
    pub fn for_library(library: &Library, opts: &EncoderOptions) -> Option<LibraryTextEmbedder> {
        let id = library
            .manifest()
            .embeddings
            .get(EmbeddingKind::Text.column())?
            .encoder
            .clone()?;
        let precision: Precision = id
            .strip_prefix(MINILM_NAME)?
            .trim_start_matches('/')
            .parse()
            .ok()?;
        Some(LibraryTextEmbedder {
            id,
            options: TextEncoderOptions {
                models_dir: opts.models_dir.clone(),
                precision,
                intra_threads: opts.threads,
                ..TextEncoderOptions::default()
            },
            loaded: OnceLock::new(),
        })
    }

    /// The encoder, loading it on the first call; a failed load is kept and reported again.
    pub fn encoder(&self) -> Result<&Arc<TextEncoder>, ModelError> {
        match self.loaded.get_or_init(|| {
            TextEncoder::load(&self.options)
                .map(Arc::new)
                .map_err(Arc::new)
        }) {
            Ok(e) => Ok(e),
            Err(e) => Err(ModelError::Unavailable {
                model: self.id.clone(),
                cause: Arc::clone(e),
            }),
        }
    }
}

impl TextEmbedder for LibraryTextEmbedder {
    fn encoder_id(&self) -> String {
        self.id.clone()
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, ModelError> {
        self.encoder()?.embed_one(text)
    }
}

/// [`LibraryTextEmbedder::for_library`] as the trait object searchers and planners take.
pub fn library_text_embedder(
    library: &Library,
    opts: &EncoderOptions,
) -> Option<Arc<dyn TextEmbedder>> {
    LibraryTextEmbedder::for_library(library, opts).map(|e| Arc::new(e) as Arc<dyn TextEmbedder>)
}
