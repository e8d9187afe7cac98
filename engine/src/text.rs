//! Text prompts and captions embedded with the library's text encoder (MiniLM through ONNX
//! Runtime), for search (`--text`) and soundtrack captions.

use std::path::PathBuf;
use std::sync::Arc;

use segue_index::{EmbeddingKind, Library};
use segue_models::text::MINILM_NAME;
use segue_models::{Precision, TextEncoder, TextEncoderOptions};
use segue_query::search::TextEmbedder;

use crate::error::{Error, Result};

/// [`TextEncoder`] as the query crate's [`TextEmbedder`].
#[derive(Debug)]
pub struct MiniLmEmbedder(pub Arc<TextEncoder>);

impl TextEmbedder for MiniLmEmbedder {
    fn encoder_id(&self) -> String {
        self.0.id()
    }

    fn embed_query(&self, text: &str) -> std::result::Result<Vec<f32>, String> {
        self.0.embed_one(text).map_err(|e| e.to_string())
    }
}

/// Where to find models and how many threads to give them.
#[derive(Debug, Clone, Default)]
pub struct EncoderOptions {
    /// The models folder (default: `$SEGUE_MODELS_DIR`, then `../shared/models`).
    pub models_dir: Option<PathBuf>,
    /// Intra-op threads (0: one per core).
    pub threads: usize,
}

/// The encoder a library's text space was made with, loaded; `Ok(None)` when the library has
/// no text space or its vectors came from elsewhere (then prompts and captions cannot be
/// embedded into its space, and the caller says so when it needs them).
pub fn library_text_embedder(
    library: &Library,
    opts: &EncoderOptions,
) -> Result<Option<Arc<dyn TextEmbedder>>> {
    let Some(id) = library
        .manifest()
        .embeddings
        .get(EmbeddingKind::Text.column())
        .and_then(|e| e.encoder.clone())
    else {
        return Ok(None);
    };
    let Some(variant) = id.strip_prefix(MINILM_NAME) else {
        return Ok(None);
    };
    let precision: Precision = variant
        .trim_start_matches('/')
        .parse()
        .map_err(|e| Error::Invalid(format!("the library's text encoder {id:?}: {e}")))?;
    let encoder = TextEncoder::load(&TextEncoderOptions {
        models_dir: opts.models_dir.clone(),
        precision,
        intra_threads: opts.threads,
        ..TextEncoderOptions::default()
    })
    .map_err(|e| Error::Invalid(format!("loading the library's text encoder {id}: {e}")))?;
    Ok(Some(Arc::new(MiniLmEmbedder(Arc::new(encoder)))))
}
