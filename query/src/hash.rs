//! The one stable hash of the crate: FNV-1a, the same on every platform and Rust version, so
//! per-video seeds and the train/test split of videos are reproducible everywhere.

/// FNV-1a (64-bit) of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The seed of one video's draws: `seed` mixed with the hash of the video id, so a video's
/// plan does not depend on which videos were planned before it.
pub fn video_seed(seed: u64, video_id: &str) -> u64 {
    seed ^ fnv1a(video_id.as_bytes())
}
