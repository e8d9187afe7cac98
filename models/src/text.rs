//! The text encoder: all-MiniLM-L6-v2 through ONNX Runtime, 384-d sentence embeddings that are
//! mean-pooled over the attention mask and L2-normalised (as sentence-transformers does).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use crate::error::{ModelError, Result};
use crate::paths::{find_model_dir, model_file};
use crate::runtime::{check_interface, open_session};

/// Folder of the model under the models directory.
pub const MINILM_DIR: &str = "minilm-l6-v2";
/// The model's name as recorded in library manifests.
pub const MINILM_NAME: &str = "all-MiniLM-L6-v2";
/// Embedding dimension.
pub const TEXT_DIM: usize = 384;
/// Longest input in tokens (sentence-transformers' `max_seq_length`); longer texts are cut.
pub const MAX_TOKENS: usize = 256;

/// Which export of the model to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// `model.onnx`: matches sentence-transformers to cosine 0.9999999.
    #[default]
    Fp32,
    /// `model.int8.onnx`: dynamically quantised, about 4× smaller and 2× faster, cosine ≈ 0.99.
    Int8,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Precision::Fp32 => "model.onnx",
            Precision::Int8 => "model.int8.onnx",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "fp32" => Ok(Precision::Fp32),
            "int8" => Ok(Precision::Int8),
            other => Err(format!("unknown precision {other:?} (fp32, int8)")),
        }
    }
}

/// How to load the text encoder.
#[derive(Debug, Clone)]
pub struct TextEncoderOptions {
    /// The models folder (see [`crate::paths`] for the search order when `None`).
    pub models_dir: Option<PathBuf>,
    pub precision: Precision,
    /// Threads ONNX Runtime uses inside one inference (0 = one per core).
    pub intra_threads: usize,
    /// Texts per inference call.
    pub batch_size: usize,
}

impl Default for TextEncoderOptions {
    fn default() -> Self {
        TextEncoderOptions {
            models_dir: None,
            precision: Precision::Fp32,
            intra_threads: 0,
            batch_size: 32,
        }
    }
}

/// all-MiniLM-L6-v2. One session, reused for every call; calls from several threads take turns.
pub struct TextEncoder {
    tokenizer: Tokenizer,
    pad_id: u32,
    session: Mutex<Session>,
    model_path: PathBuf,
    precision: Precision,
    batch_size: usize,
}

impl std::fmt::Debug for TextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEncoder")
            .field("id", &self.id())
            .field("model", &self.model_path)
            .field("batch_size", &self.batch_size)
            .finish()
    }
}

impl TextEncoder {
    /// Loads the tokenizer and the model found through the models search order.
    pub fn load(opts: &TextEncoderOptions) -> Result<TextEncoder> {
        let dir = find_model_dir(opts.models_dir.as_deref(), MINILM_DIR)?;
        Self::load_from_dir(&dir, opts)
    }

    /// Loads `tokenizer.json` and the model of `opts.precision` from one folder.
    pub fn load_from_dir(dir: &Path, opts: &TextEncoderOptions) -> Result<TextEncoder> {
        if opts.batch_size == 0 {
            return Err(ModelError::InvalidArgument(
                "text batch size must be at least 1".into(),
            ));
        }
        let tok_path = model_file(dir, "tokenizer.json", "MiniLM tokenizer")?;
        let mut tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| ModelError::invalid(&tok_path, "tokenizer.json", e))?;
        // We pad each batch ourselves after sorting by length, so the tokenizer must not.
        let pad_id = tokenizer.get_padding().map_or(0, |p| p.pad_id);
        tokenizer.with_padding(None);
        let max_length = tokenizer
            .get_truncation()
            .map_or(MAX_TOKENS, |t| t.max_length.min(MAX_TOKENS));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::invalid(&tok_path, "tokenizer.json", e))?;

        let model_path = model_file(dir, opts.precision.file(), "MiniLM ONNX model")?;
        let session = open_session(&model_path, "MiniLM ONNX model", opts.intra_threads)?;
        check_interface(
            &session,
            &model_path,
            "MiniLM ONNX model",
            &["input_ids", "attention_mask", "token_type_ids"],
            &["last_hidden_state"],
        )?;
        Ok(TextEncoder {
            tokenizer,
            pad_id,
            session: Mutex::new(session),
            model_path,
            precision: opts.precision,
            batch_size: opts.batch_size,
        })
    }

    /// `all-MiniLM-L6-v2/fp32` or `all-MiniLM-L6-v2/int8`: what a library records, and what a
    /// query's encoder must equal.
    pub fn id(&self) -> String {
        format!("{MINILM_NAME}/{}", self.precision.name())
    }

    pub fn dim(&self) -> usize {
        TEXT_DIM
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn model_path(&self) -> &Path {
        &self.model_path
    }

    /// Token ids as the model sees them (`[CLS] … [SEP]`, at most 256).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self.encode_one(text)?.get_ids().to_vec())
    }

    fn encode_one(&self, text: &str) -> Result<Encoding> {
        self.tokenizer
            .encode(text, true)
            .map_err(|e| ModelError::inference(self.id(), format!("tokenizing {text:?}: {e}")))
    }

    /// One L2-normalised 384-d vector per text, in the order given. Texts are batched
    /// (`batch_size`) by similar length so that little time goes to padding.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = if texts.len() == 1 {
            vec![self.encode_one(texts[0])?]
        } else {
            self.tokenizer
                .encode_batch(texts.to_vec(), true)
                .map_err(|e| ModelError::inference(self.id(), format!("tokenizing: {e}")))?
        };
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            for (&i, v) in chunk.iter().zip(self.run(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// One embedding (a text query).
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(&[text])?.remove(0))
    }

    fn run(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>> {
        let b = batch.len();
        let s = batch
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = vec![i64::from(self.pad_id); b * s];
        let mut mask = vec![0i64; b * s];
        let types = vec![0i64; b * s];
        for (r, e) in batch.iter().enumerate() {
            for (t, &id) in e.get_ids().iter().enumerate() {
                ids[r * s + t] = i64::from(id);
                mask[r * s + t] = 1;
            }
        }
        let err = |e: ort::Error| ModelError::inference(self.id(), e);
        let shape = [b, s];
        let inputs = ort::inputs![
            "input_ids" => Tensor::from_array((shape, ids)).map_err(err)?,
            "attention_mask" => Tensor::from_array((shape, mask.clone())).map_err(err)?,
            "token_type_ids" => Tensor::from_array((shape, types)).map_err(err)?,
        ];
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session.run(inputs).map_err(err)?;
        let (dims, hidden) = outputs["last_hidden_state"]
            .try_extract_tensor::<f32>()
            .map_err(err)?;
        if dims.len() != 3
            || dims[0] as usize != b
            || dims[1] as usize != s
            || dims[2] as usize != TEXT_DIM
        {
            return Err(ModelError::inference(
                self.id(),
                format!("last_hidden_state has shape {dims:?}, expected [{b}, {s}, {TEXT_DIM}]"),
            ));
        }
        Ok((0..b)
            .map(|r| {
                mean_pool(
                    &hidden[r * s * TEXT_DIM..(r + 1) * s * TEXT_DIM],
                    &mask[r * s..(r + 1) * s],
                )
            })
            .collect())
    }
}

/// Mean over the tokens whose mask is 1, then L2 normalisation (the model README's formula,
/// accumulated in f64).
fn mean_pool(hidden: &[f32], mask: &[i64]) -> Vec<f32> {
    let mut sum = vec![0f64; TEXT_DIM];
    let mut n = 0f64;
    for (t, &m) in mask.iter().enumerate() {
        if m == 0 {
            continue;
        }
        n += 1.0;
        for (acc, &h) in sum
            .iter_mut()
            .zip(&hidden[t * TEXT_DIM..(t + 1) * TEXT_DIM])
        {
            *acc += f64::from(h);
        }
    }
    let n = n.max(1e-9);
    let mean: Vec<f64> = sum.iter().map(|x| x / n).collect();
    let norm = mean.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
    mean.iter().map(|x| (x / norm) as f32).collect()
}
