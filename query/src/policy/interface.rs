//! The interface of a policy file: what an ONNX policy takes and gives, and the metadata that
//! declares its layout. Training (`segue-train`) writes files of this interface; planning
//! ([`super::PolicyModel`]) reads them, so a policy trained elsewhere loads too when it keeps it.
//!
//! Inputs (all `float32`; `B` = batch, `K` = slots, `F` = [`SLOT_FEATURES`], `C` = context
//! length `2·audio_dim + text_dim + CONTEXT_SCALARS`):
//!
//! | name | shape | meaning |
//! |---|---|---|
//! | `context` | `[B, C]` | segment audio and text embeddings (unit), previous track's audio embedding (unit; 0 at the first segment), then the scalars of [`CONTEXT_SCALAR_NAMES`] |
//! | `slots` | `[B, K, F]` | one row of [`SLOT_FEATURE_NAMES`] per candidate, best immediate reward first; empty slots 0 |
//! | `continue_features` | `[B, F]` | the same features for CONTINUE (0 when masked) |
//! | `mask` | `[B, K + 1]` | 1 = valid, 0 = masked; slots first, CONTINUE last |
//!
//! Outputs:
//!
//! | name | shape | meaning |
//! |---|---|---|
//! | `logits` | `[B, K + 1]` | masked logits: the network's logit where `mask` is 1, exactly [`MASKED_LOGIT`] where it is 0 |
//! | `value` | `[B]` | the value estimate (expected return from this segment on) |
//!
//! `metadata_props` carry the layout (`segue.policy.*` keys, see [`PolicyMeta`]); a loader
//! refuses a file whose feature version or dimensions differ from what it would feed.

use super::obs::{
    CONTEXT_SCALAR_NAMES, FEATURE_VERSION, ObsDims, SLOT_FEATURE_NAMES, SLOT_FEATURES,
};

/// The model's inputs, in this order.
pub const INPUTS: [&str; 4] = ["context", "slots", "continue_features", "mask"];
/// The model's outputs (any order).
pub const OUTPUTS: [&str; 2] = ["logits", "value"];

/// What a masked logit becomes (the paper's "large negative constant"): its probability
/// after the softmax is exactly 0.
pub const MASKED_LOGIT: f32 = -1e8;

/// Metadata keys.
pub mod keys {
    pub const FEATURE_VERSION: &str = "segue.policy.feature_version";
    pub const AUDIO_DIM: &str = "segue.policy.audio_dim";
    pub const TEXT_DIM: &str = "segue.policy.text_dim";
    pub const SLOTS: &str = "segue.policy.slots";
    pub const CONTEXT_DIM: &str = "segue.policy.context_dim";
    pub const SLOT_FEATURES: &str = "segue.policy.slot_features";
    pub const SLOT_FEATURE_NAMES: &str = "segue.policy.slot_feature_names";
    pub const CONTEXT_SCALAR_NAMES: &str = "segue.policy.context_scalar_names";
    pub const MASKED_LOGIT: &str = "segue.policy.masked_logit";
}

/// What a policy file declares about its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyMeta {
    pub feature_version: u32,
    pub dims: ObsDims,
    pub context_dim: usize,
    pub slot_features: usize,
}

impl PolicyMeta {
    pub fn of(dims: ObsDims) -> Self {
        PolicyMeta {
            feature_version: FEATURE_VERSION,
            dims,
            context_dim: dims.context(),
            slot_features: SLOT_FEATURES,
        }
    }

    /// Reads the keys through `get` (a model's custom metadata); a missing or malformed key
    /// is an error naming it.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let num = |k: &str| -> Result<usize, String> {
            let v = get(k).ok_or_else(|| {
                format!("metadata key `{k}` is missing (not a Segue policy file?)")
            })?;
            v.trim()
                .parse()
                .map_err(|_| format!("metadata key `{k}` is `{v}`, not a count"))
        };
        Ok(PolicyMeta {
            feature_version: num(keys::FEATURE_VERSION)? as u32,
            dims: ObsDims {
                audio: num(keys::AUDIO_DIM)?,
                text: num(keys::TEXT_DIM)?,
                slots: num(keys::SLOTS)?,
            },
            context_dim: num(keys::CONTEXT_DIM)?,
            slot_features: num(keys::SLOT_FEATURES)?,
        })
    }

    /// Whether observations built for `expected` (audio/text dims of a library; any K) fit
    /// this model.
    pub fn check(&self, audio: usize, text: usize) -> Result<(), String> {
        if self.feature_version != FEATURE_VERSION {
            return Err(format!(
                "the model uses observation features v{}, this build v{FEATURE_VERSION}",
                self.feature_version
            ));
        }
        if self.slot_features != SLOT_FEATURES {
            return Err(format!(
                "the model has {} features per slot, this build {SLOT_FEATURES}",
                self.slot_features
            ));
        }
        if self.dims.audio != audio || self.dims.text != text {
            return Err(format!(
                "the model was trained for audio/text embeddings of {}/{} dimensions, the \
                 tracks have {audio}/{text}",
                self.dims.audio, self.dims.text
            ));
        }
        if self.context_dim != self.dims.context() {
            return Err(format!(
                "the model's context has {} values, expected {} for its dimensions",
                self.context_dim,
                self.dims.context()
            ));
        }
        if self.dims.slots == 0 {
            return Err("the model declares 0 slots".into());
        }
        Ok(())
    }
}

/// The metadata a policy file of `dims` carries: its layout for [`PolicyMeta::parse`], and
/// the feature names for people reading the file.
pub fn metadata(dims: ObsDims) -> Vec<(&'static str, String)> {
    vec![
        (keys::FEATURE_VERSION, FEATURE_VERSION.to_string()),
        (keys::AUDIO_DIM, dims.audio.to_string()),
        (keys::TEXT_DIM, dims.text.to_string()),
        (keys::SLOTS, dims.slots.to_string()),
        (keys::CONTEXT_DIM, dims.context().to_string()),
        (keys::SLOT_FEATURES, SLOT_FEATURES.to_string()),
        (keys::SLOT_FEATURE_NAMES, SLOT_FEATURE_NAMES.join(",")),
        (keys::CONTEXT_SCALAR_NAMES, CONTEXT_SCALAR_NAMES.join(",")),
        (keys::MASKED_LOGIT, format!("{MASKED_LOGIT:e}")),
    ]
}
