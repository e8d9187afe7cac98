//! Request validation. Searches against real libraries are tested in `engine/tests/integration/search.rs`
//! (building a library needs the ingest crate, which this crate does not depend on).

use segue_index::EmbeddingKind;

use crate::rerank::Diversify;

use super::*;

#[test]
fn setters_refuse_bad_values_with_the_reason() {
    let v = || SearchRequest::vector(EmbeddingKind::Audio, vec![1.0, 0.0]).unwrap();
    for (r, needle) in [
        (v().k(0), "k must be"),
        (v().k(MAX_K + 1), "k must be"),
        (v().ef(0), "ef"),
        (v().filter("bpm >>= 3"), "bad filter"),
        (v().filter("colour = red"), "bad filter"),
        (v().with_words("   "), "empty"),
        (v().rrf_k(f32::NAN), "rrf_k"),
    ] {
        let e = r.unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
    assert!(SearchRequest::vector(EmbeddingKind::Audio, vec![]).is_err());
    assert!(SearchRequest::vector(EmbeddingKind::Audio, vec![0.0, 0.0]).is_err());
    assert!(SearchRequest::vector(EmbeddingKind::Audio, vec![f32::NAN, 1.0]).is_err());
    assert!(SearchRequest::text("  ").is_err());
    assert!(SearchRequest::words("").is_err());
    let e = SearchRequest::like(
        EmbeddingKind::Audio,
        &["a"],
        &["a"],
        LikeStrategy::BestScore,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("both liked and unliked"), "{e}");
    assert!(SearchRequest::like(EmbeddingKind::Audio, &[], &[], LikeStrategy::default()).is_err());
}

#[test]
fn a_vector_request_with_words_is_hybrid() {
    let r = SearchRequest::vector(EmbeddingKind::Text, vec![0.5, 0.5])
        .unwrap()
        .with_words("calm AND piano")
        .unwrap()
        .filter("bpm >= 90")
        .unwrap()
        .k(5)
        .unwrap();
    assert!(r.is_hybrid());
    assert_eq!(r.k_value(), 5);
    assert!(!SearchRequest::words("calm").unwrap().is_hybrid());
    // An empty filter means no filter.
    let r = SearchRequest::words("calm").unwrap().filter("  ").unwrap();
    assert!(r.filter.is_none());
}

#[test]
fn like_strategies_parse() {
    assert_eq!(
        "best-score".parse::<LikeStrategy>(),
        Ok(LikeStrategy::BestScore)
    );
    assert_eq!(
        "average-vector".parse::<LikeStrategy>(),
        Ok(LikeStrategy::AverageVector)
    );
    assert!("median".parse::<LikeStrategy>().is_err());
}

#[test]
fn a_dpp_pool_is_walked_wider_unless_the_request_sets_ef() {
    let v = || SearchRequest::vector(EmbeddingKind::Audio, vec![1.0, 0.0]).unwrap();
    let dpp = Diversify::Dpp { theta: 0.9 };
    // Plain and MMR searches keep the searcher's default.
    assert_eq!(v().walk_ef(384, 16), None);
    assert_eq!(
        v().rerank(Diversify::Mmr { lambda: 0.7 })
            .unwrap()
            .walk_ef(384, 16),
        None
    );
    // A DPP's default pool of 100: 13 graph candidates per pool track on a graph of M 16,
    // half as many on M 32.
    assert_eq!(v().rerank(dpp).unwrap().walk_ef(384, 16), Some(1300));
    assert_eq!(v().rerank(dpp).unwrap().walk_ef(384, 32), Some(650));
    assert_eq!(
        v().rerank(dpp).unwrap().walk_ef(384, 0),
        Some(DPP_MAX_WALK_EF)
    );
    // Never below the tuned ef, never above the cap, and a set ef always wins.
    assert_eq!(v().rerank(dpp).unwrap().walk_ef(2000, 16), Some(2000));
    let big = v().rerank(dpp).unwrap().pool(5000).unwrap();
    assert_eq!(big.walk_ef(384, 16), Some(DPP_MAX_WALK_EF));
    assert_eq!(
        v().rerank(dpp).unwrap().ef(200).unwrap().walk_ef(384, 16),
        Some(200)
    );
    assert_eq!(v().ef(50).unwrap().walk_ef(384, 16), Some(50));
}
