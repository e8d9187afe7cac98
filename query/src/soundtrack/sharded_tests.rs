use proptest::prelude::*;

use super::*;
use crate::objective::percentile_ranks;

proptest! {
    /// Counts summed over any split of the tracks give each track the rank the single
    /// library's `percentile_ranks` gives it, to the bit of the f32 it keeps.
    #[test]
    fn energy_ranks_from_shard_counts_are_the_single_librarys(
        values in prop::collection::vec(0u8..12, 1..60),
        shards in 1usize..5,
    ) {
        let energies: Vec<f64> = values.iter().map(|&v| f64::from(v) * 0.25).collect();
        let single: Vec<f32> = percentile_ranks(&energies).iter().map(|&r| r as f32).collect();
        let mut split: Vec<Vec<f64>> = vec![Vec::new(); shards];
        for (i, &e) in energies.iter().enumerate() {
            split[i % shards].push(e);
        }
        for s in &mut split {
            s.sort_by(f64::total_cmp);
        }
        let n = energies.len() as u64;
        for (i, &e) in energies.iter().enumerate() {
            let (less, equal) = split.iter().fold((0u64, 0u64), |(l, q), s| {
                let less = s.partition_point(|&x| x < e);
                let not_more = s.partition_point(|&x| x <= e);
                (l + less as u64, q + (not_more - less) as u64)
            });
            prop_assert_eq!(energy_rank_from_counts(less, equal, n), f64::from(single[i]));
        }
    }
}

#[test]
fn merged_candidates_keep_each_querys_best_with_ties_to_the_lower_global_row() {
    // Two shards, one segment with two queries and one without (its lists score 0).
    let shard_a = vec![
        vec![vec![(10, 0.9), (12, 0.5)], vec![(12, 0.7)]],
        vec![vec![(1, 0.0), (3, 0.0)]],
    ];
    let shard_b = vec![
        vec![vec![(11, 0.5), (13, 0.4)], vec![(13, 0.8), (11, 0.1)]],
        vec![vec![(0, 0.0), (2, 0.0)]],
    ];
    let merged = merge_candidate_hits(&[shard_a, shard_b], 2).unwrap();
    // Query 0: 10 (0.9), then 11 and 12 tie at 0.5: 11. Query 1: 13, 12.
    assert_eq!(merged[0], vec![10, 11, 12, 13]);
    assert_eq!(merged[1], vec![0, 1]);
}

#[test]
fn shards_that_answer_different_shapes_are_refused() {
    let a = vec![vec![vec![(1, 0.5)]]];
    let b = vec![vec![vec![(2, 0.5)], vec![(3, 0.1)]]];
    let err = merge_candidate_hits(&[a, b], 2).unwrap_err().to_string();
    assert!(err.contains("shard 1"), "{err}");
    assert!(merge_candidate_hits(&[], 2).is_err());
}

#[test]
fn gathered_tracks_are_in_global_row_order_and_refuse_duplicates() {
    let track = |global_row: u64, artist: &str| GatheredTrack {
        global_row,
        id: format!("t{global_row}"),
        fields: crate::search::TrackFields {
            artist: Some(artist.into()),
            ..Default::default()
        },
        audio: Some(StoredVector {
            unit: vec![1.0, 0.0],
            raw_norm: 2.0,
        }),
        text: None,
        features: crate::objective::TrackFeatures {
            bpm: 0.0,
            energy: 0.0,
            spectral_centroid: 0.0,
            mfcc: [0.0; crate::objective::MFCC_LEN],
            duration: 60.0,
        },
        energy_rank: None,
    };
    let dims = EmbeddingDims {
        audio: Some(2),
        text: None,
    };
    let tracks = GatheredTracks::new(
        vec![track(40, "Ann"), track(7, "ANN"), track(9, "Bo")],
        dims,
    )
    .unwrap();
    assert_eq!(tracks.row_of(7), Some(0));
    assert_eq!(tracks.row_of(40), Some(2));
    assert_eq!(tracks.row_of(8), None);
    let codes = tracks.artist_codes();
    assert_eq!(codes[0], codes[2], "artists are compared case-folded");
    assert_ne!(codes[0], codes[1]);
    assert!(!tracks.has_energy_ranks());
    let err = GatheredTracks::new(vec![track(3, "a"), track(3, "b")], dims)
        .unwrap_err()
        .to_string();
    assert!(err.contains("global row 3"), "{err}");
    let wrong = GatheredTracks::new(
        vec![track(1, "a")],
        EmbeddingDims {
            audio: Some(3),
            text: None,
        },
    );
    assert!(wrong.is_err());
}
