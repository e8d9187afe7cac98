//! Training checkpoints: the whole [`TrainState`] (weights, Adam moments, generator position,
//! step counters, history) in one file.
//!
//! Layout: magic `SEGUEPPO`, format version (u32 LE), CRC-32 of the payload (u32 LE), payload
//! length (u64 LE), payload (bincode 2, standard configuration, via serde). Written atomically,
//! so a crash leaves the previous checkpoint.

use std::path::Path;

use crate::error::TrainError;
use crate::ppo::TrainState;
use segue_index::atomic::atomic_write;

const MAGIC: &[u8; 8] = b"SEGUEPPO";
/// Bumped whenever `TrainState`'s serialised form changes (v2: `PpoConfig::step_reward_prior`).
pub const FORMAT_VERSION: u32 = 2;
const HEADER: usize = 8 + 4 + 4 + 8;

fn bad(path: &Path, reason: impl Into<String>) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Serialises a state (header included).
pub fn to_bytes(state: &TrainState) -> Result<Vec<u8>, String> {
    let payload = bincode::serde::encode_to_vec(state, bincode::config::standard())
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Writes `state` to `path` atomically.
pub fn save(state: &TrainState, path: &Path) -> Result<(), TrainError> {
    let bytes = to_bytes(state).map_err(|e| bad(path, e))?;
    atomic_write(path, &bytes).map_err(|e| bad(path, e.to_string()))
}

/// Reads a checkpoint, checking magic, version, length and checksum.
pub fn load(path: &Path) -> Result<TrainState, TrainError> {
    let bytes = std::fs::read(path).map_err(|e| TrainError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    from_bytes(&bytes).map_err(|e| bad(path, e))
}

pub fn from_bytes(bytes: &[u8]) -> Result<TrainState, String> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err("not a Segue training checkpoint (bad magic)".into());
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(format!(
            "checkpoint format v{version}, this build reads v{FORMAT_VERSION}"
        ));
    }
    let crc = u32_at(12);
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes")) as usize;
    let payload = &bytes[HEADER..];
    if payload.len() != len {
        return Err(format!(
            "truncated or padded: payload of {} bytes, header says {len}",
            payload.len()
        ));
    }
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch (corrupt file)".into());
    }
    let (state, used): (TrainState, usize) =
        bincode::serde::decode_from_slice(payload, bincode::config::standard())
            .map_err(|e| format!("cannot decode: {e}"))?;
    if used != payload.len() {
        return Err("trailing bytes after the state".into());
    }
    Ok(state)
}
