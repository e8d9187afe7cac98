//! The HNSW graph against exact search and a brute-force reference.

use super::*;

#[test]
fn graph_search_recalls_the_exact_top_k_and_exact_search_is_the_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 3000, 21, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    assert_eq!(lib.manifest().ann["audio_emb"].rows, 3000);
    // The ef measured at build time is the default, and it is what the graph needs.
    let tuned = s.default_ef(EmbeddingKind::Audio);
    assert_eq!(
        lib.manifest().ann["audio_emb"].search_ef,
        Some(tuned as u32)
    );
    let mut rng = Rng(7);
    let queries = 50;
    let (mut found, mut found_wide) = (0, 0);
    for i in 0..queries {
        // Half the queries near a track, half far from any (between the clusters).
        let q = rng.near_random_row(lib, if i % 2 == 0 { 0.05 } else { 0.3 });
        let req = audio_query(q.clone()).fields(&[]);
        let (graph, gs) = run(&s, &req);
        let (exact, es) = run(&s, &req.clone().exact(true));
        let (wide, ws) = run(&s, &req.clone().ef(256).unwrap());
        assert_eq!(gs.plan, Some(Plan::Graph { ef: tuned }), "query {i}");
        assert_eq!(ws.plan, Some(Plan::Graph { ef: 256 }), "query {i}");
        assert_eq!(es.plan, Some(Plan::Exact), "query {i}");
        assert_eq!(gs.allowed_rows, None);
        assert_eq!((graph.len(), exact.len(), wide.len()), (K, K, K));
        assert_best_first(&graph, "graph");
        // Exact search is the scalar reference's ranking.
        let reference = brute_force(lib, &q, |_| true, K);
        assert_same_ranking(&exact, &reference, &format!("exact query {i}"));
        // The graph's scores are true similarities, never better than the exact k-th.
        for (h, e) in graph.iter().zip(&exact) {
            assert!(
                h.score <= e.score + 1e-5,
                "query {i}: {graph:?} vs {exact:?}"
            );
            let true_score = dot(&normalised(&q), &audio_row(lib, h.row));
            assert!((h.score - true_score).abs() < 1e-5);
        }
        found += overlap(&graph, &reference);
        found_wide += overlap(&wide, &reference);
    }
    let recall = found as f64 / (queries * K) as f64;
    let recall_wide = found_wide as f64 / (queries * K) as f64;
    eprintln!(
        "recall@10 over {queries} queries: tuned ef {tuned} {recall:.3}, ef 256 {recall_wide:.3}"
    );
    assert!(recall >= 0.95, "recall@10 at the default ef: {recall}");
    assert!(recall_wide >= 0.95, "recall@10 at ef 256: {recall_wide}");
}
