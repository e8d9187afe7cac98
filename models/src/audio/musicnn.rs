//! musicnn (MagnaTagATune) through ONNX Runtime: 3-second log-mel patches → 50 tag
//! probabilities and the 200-d `penultimate` embedding.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ort::session::Session;
use ort::value::Tensor;

use super::frontend::N_MELS;
use crate::error::{ModelError, Result};
use crate::paths::{find_model_dir, model_file};
use crate::runtime::{check_interface, open_session};

/// Folder of the model under the models directory.
pub const MUSICNN_DIR: &str = "musicnn";
/// The MagnaTagATune model file.
pub const MTT_FILE: &str = "MTT_musicnn.onnx";
/// Frames per patch (3 s at 16 kHz, hop 256).
pub const PATCH_FRAMES: usize = 187;
/// Embedding dimension of `penultimate`.
pub const EMBEDDING_DIM: usize = 200;
/// What a library records as the encoder of musicnn audio embeddings.
pub const MUSICNN_ENCODER_ID: &str = "musicnn-MTT/penultimate-mean";
/// Patches per inference call (bounds the input tensor of long tracks).
const PATCHES_PER_RUN: usize = 32;

/// The MTT model's 50 labels in output order (musicnn's `config.MTT_LABELS`).
pub const MTT_LABELS: [&str; 50] = [
    "guitar",
    "classical",
    "slow",
    "techno",
    "strings",
    "drums",
    "electronic",
    "rock",
    "fast",
    "piano",
    "ambient",
    "beat",
    "violin",
    "vocal",
    "synth",
    "female",
    "indian",
    "opera",
    "male",
    "singing",
    "vocals",
    "no vocals",
    "harpsichord",
    "loud",
    "quiet",
    "flute",
    "woman",
    "male vocal",
    "no vocal",
    "pop",
    "soft",
    "sitar",
    "solo",
    "man",
    "classic",
    "choir",
    "voice",
    "new age",
    "dance",
    "male voice",
    "female vocal",
    "beats",
    "harp",
    "cello",
    "no voice",
    "weird",
    "country",
    "metal",
    "female voice",
    "choral",
];

/// Outputs for a batch of patches, row-major.
#[derive(Debug, Clone)]
pub struct PatchOutputs {
    pub patches: usize,
    /// patches × 50 sigmoid probabilities.
    pub tags: Vec<f32>,
    /// patches × 200.
    pub penultimate: Vec<f32>,
}

/// The MTT musicnn model: a small pool of sessions (one per analysis thread), reused for every
/// track, so that parallel analyses do not queue behind one session.
pub struct Musicnn {
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
    path: PathBuf,
}

impl std::fmt::Debug for Musicnn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Musicnn")
            .field("model", &self.path)
            .field("sessions", &self.sessions.len())
            .finish()
    }
}

impl Musicnn {
    /// Loads `MTT_musicnn.onnx` from the models search order.
    pub fn load(models_dir: Option<&Path>, sessions: usize, intra_threads: usize) -> Result<Self> {
        let dir = find_model_dir(models_dir, MUSICNN_DIR)?;
        let path = model_file(&dir, MTT_FILE, "musicnn MTT model")?;
        Self::load_file(&path, sessions, intra_threads)
    }

    pub fn load_file(path: &Path, sessions: usize, intra_threads: usize) -> Result<Self> {
        let sessions = (0..sessions.max(1))
            .map(|_| {
                let s = open_session(path, "musicnn ONNX model", intra_threads)?;
                check_interface(
                    &s,
                    path,
                    "musicnn ONNX model",
                    &["log_mel"],
                    &["tags", "penultimate"],
                )?;
                Ok(Mutex::new(s))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Musicnn {
            sessions,
            next: AtomicUsize::new(0),
            path: path.to_path_buf(),
        })
    }

    pub fn model_path(&self) -> &Path {
        &self.path
    }

    /// Runs `patches` patches of `PATCH_FRAMES × N_MELS` log-mel values (row-major).
    pub fn infer(&self, log_mel: &[f32], patches: usize) -> Result<PatchOutputs> {
        let per = PATCH_FRAMES * N_MELS;
        if log_mel.len() != patches * per {
            return Err(ModelError::InvalidArgument(format!(
                "{} log-mel values for {patches} patches of {PATCH_FRAMES}×{N_MELS}",
                log_mel.len()
            )));
        }
        let mut out = PatchOutputs {
            patches,
            tags: Vec::with_capacity(patches * MTT_LABELS.len()),
            penultimate: Vec::with_capacity(patches * EMBEDDING_DIM),
        };
        for chunk in log_mel.chunks(PATCHES_PER_RUN * per) {
            let n = chunk.len() / per;
            self.run(chunk, n, &mut out)?;
        }
        Ok(out)
    }

    fn run(&self, chunk: &[f32], n: usize, out: &mut PatchOutputs) -> Result<()> {
        let model = || self.path.display().to_string();
        let err = |e: ort::Error| ModelError::inference(model(), e);
        let input = Tensor::from_array(([n, PATCH_FRAMES, N_MELS], chunk.to_vec())).map_err(err)?;
        let mut session = self.pick();
        let outputs = session.run(ort::inputs!["log_mel" => input]).map_err(err)?;
        for (name, width, dst) in [
            ("tags", MTT_LABELS.len(), &mut out.tags),
            ("penultimate", EMBEDDING_DIM, &mut out.penultimate),
        ] {
            let (shape, data) = outputs[name].try_extract_tensor::<f32>().map_err(err)?;
            if shape.len() != 2 || shape[0] as usize != n || shape[1] as usize != width {
                return Err(ModelError::inference(
                    model(),
                    format!("output {name} has shape {shape:?}, expected [{n}, {width}]"),
                ));
            }
            dst.extend_from_slice(data);
        }
        Ok(())
    }

    /// A free session if there is one, else waits for the next in turn.
    fn pick(&self) -> std::sync::MutexGuard<'_, Session> {
        let k = self.sessions.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % k;
        for i in 0..k {
            if let Ok(g) = self.sessions[(start + i) % k].try_lock() {
                return g;
            }
        }
        self.sessions[start]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// Cuts a log-mel spectrogram (frames × N_MELS) into non-overlapping patches as musicnn does;
/// the frames after the last whole patch are dropped, and a track shorter than one patch is
/// zero-padded (log10(1) = silence) to one patch.
pub fn patches(log_mel: &[f32], frames: usize) -> (Vec<f32>, usize) {
    let per = PATCH_FRAMES * N_MELS;
    let n = frames / PATCH_FRAMES;
    if n == 0 {
        let mut one = vec![0f32; per];
        one[..log_mel.len()].copy_from_slice(log_mel);
        return (one, 1);
    }
    (log_mel[..n * per].to_vec(), n)
}
