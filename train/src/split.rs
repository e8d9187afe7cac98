//! The train/test split of the videos: by a stable hash of each video's id, so a video stays
//! on its side whatever the file order or the other videos.

use crate::error::TrainError;
use segue_query::hash::fnv1a;
use segue_query::video::Video;

/// Splits `videos` into (train, test) with about `test_fraction` of them held out (at least
/// one on each side when there are two or more videos).
pub fn split_videos(
    videos: &[Video],
    test_fraction: f64,
) -> Result<(Vec<Video>, Vec<Video>), TrainError> {
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(TrainError::Config(format!(
            "the test fraction must be in [0, 1), got {test_fraction}"
        )));
    }
    let key = |v: &Video| (fnv1a(v.id.as_bytes()) % 1_000_000) as f64 / 1_000_000.0;
    let (mut train, mut test): (Vec<Video>, Vec<Video>) = videos
        .iter()
        .cloned()
        .partition(|v| key(v) >= test_fraction);
    // Tiny sets: move the extreme-key video so that neither side is empty.
    let by_key = |a: &Video, b: &Video| key(a).total_cmp(&key(b)).then(a.id.cmp(&b.id));
    if test_fraction > 0.0 && test.is_empty() && train.len() >= 2 {
        let i = (0..train.len())
            .min_by(|&a, &b| by_key(&train[a], &train[b]))
            .expect("non-empty");
        test.push(train.remove(i));
    }
    if train.is_empty() && test.len() >= 2 {
        let i = (0..test.len())
            .max_by(|&a, &b| by_key(&test[a], &test[b]))
            .expect("non-empty");
        train.push(test.remove(i));
    }
    Ok((train, test))
}
