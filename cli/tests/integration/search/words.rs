//! Tag and word queries (BM25) and hybrid fusion with a vector query.

use super::*;

#[test]
fn tag_and_word_queries_find_exactly_the_matching_rows_within_the_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1500, 41, 0);
    let s = searcher(&lib_dir);
    let all = tracks(s.library());
    let n = all.len() as u64;
    let with_caption =
        |r: SearchRequest| r.fields(&[Field::Title, Field::Tags, Field::Bpm, Field::Caption]);
    // Asked deep enough, a query returns exactly the rows that match it.
    let set = |q: &str, filter: &str| -> (Vec<SearchHit>, BTreeSet<u64>) {
        let req = with_caption(SearchRequest::words(q).unwrap())
            .filter(filter)
            .unwrap()
            .k(2000)
            .unwrap();
        let (hits, stats) = run(&s, &req);
        assert_eq!(stats.plan, None);
        assert_best_first(&hits, q);
        let rows = hit_rows(&hits).into_iter().collect();
        (hits, rows)
    };
    let expect = |pred: &dyn Fn(&Track) -> bool| -> BTreeSet<u64> {
        (0..n).filter(|&r| pred(&all[r as usize])).collect()
    };

    let calm = expect(&|t| t.has_tag("mood:calm"));
    assert!(calm.len() > K, "{}", calm.len());
    assert_eq!(set("tag:\"mood:calm\"", "").1, calm);
    assert_eq!(
        set("tag:\"MOOD:Calm\"", "").1,
        calm,
        "whole tags ignore case"
    );
    // Tags are also indexed word by word: the phrase "mood calm" in `tags` is the same rows.
    assert_eq!(set("tags:\"mood calm\"", "").1, calm);

    let both = expect(&|t| {
        let w = t.words();
        w.contains("calm") && w.contains("piano") && t.bpm >= Some(70.0)
    });
    assert!(both.len() > K, "{}", both.len());
    let (hits, rows) = set("calm AND piano", "bpm >= 70");
    assert_eq!(rows, both);
    for h in &hits {
        assert!(h.fields.bpm >= Some(70.0));
        assert!(h.fields.caption.is_some());
    }
    // The first k are the top of the deep list (BM25 ranking, ties by row).
    let (top, _) = run(
        &s,
        &SearchRequest::words("calm AND piano")
            .unwrap()
            .filter("bpm >= 70")
            .unwrap(),
    );
    assert_eq!(hit_rows(&top), hit_rows(&hits[..K]));

    let either = expect(&|t| {
        let w = t.words();
        w.contains("calm") || w.contains("piano")
    });
    let (hits, rows) = set("calm piano", "");
    assert_eq!(rows, either);
    let w0 = all[hits[0].row as usize].words();
    assert!(
        w0.contains("calm") && w0.contains("piano"),
        "rows with both words come first"
    );

    let without = expect(&|t| {
        let w = t.words();
        w.contains("piano") && !w.contains("vocals")
    });
    assert_eq!(set("piano -vocals", "").1, without);
    assert_eq!(set("piano AND NOT vocals", "").1, without);

    // k results whenever k rows match the filter: a filter leaving exactly k (and fewer) calm rows.
    let mut calm_bpm: Vec<(f32, u64)> = calm
        .iter()
        .map(|&r| (all[r as usize].bpm.unwrap(), r))
        .collect();
    calm_bpm.sort_by(|a, b| b.0.total_cmp(&a.0));
    for m in [K, 3] {
        assert!(calm_bpm[m].0 < calm_bpm[m - 1].0);
        let filter = format!("bpm >= {}", calm_bpm[m - 1].0);
        let (hits, _) = run(
            &s,
            &SearchRequest::words("tag:\"mood:calm\"")
                .unwrap()
                .filter(&filter)
                .unwrap(),
        );
        let got: BTreeSet<u64> = hit_rows(&hits).into_iter().collect();
        assert_eq!(
            got,
            calm_bpm[..m].iter().map(|x| x.1).collect::<BTreeSet<_>>()
        );
    }

    // Bad word queries are clear errors naming the query.
    for (q, needle) in [("calm AND (piano", "syntax error"), ("-vocals", "")] {
        let e = s.search(&SearchRequest::words(q).unwrap()).unwrap_err();
        assert!(
            matches!(e, QueryError::Index(IndexError::TextQuery { .. })),
            "{q}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{q:?}")) && msg.contains(needle),
            "{q}: {msg}"
        );
    }
}

#[test]
fn hybrid_search_is_rrf_of_both_lists_with_the_filter_applied_to_both() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1500, 43, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let calm = (0..all.len())
        .find(|&r| all[r].has_tag("mood:calm"))
        .unwrap() as u64;
    let q = audio_row(lib, calm);
    let words = "piano";
    let filter = "bpm >= 65 AND NOT tag:\"genre:jazz\"";
    let ok = |r: u64| {
        let t = &all[r as usize];
        t.bpm >= Some(65.0) && !t.has_tag("genre:jazz")
    };
    // The two lists the hybrid search fuses: each side alone, as deep as the fusion reads them
    // (4k, at least 100).
    let depth = |k: usize| (4 * k).max(100);
    let vector_side = |filter: &str, depth: usize| {
        let r = audio_query(q.clone())
            .exact(true)
            .k(depth)
            .unwrap()
            .filter(filter)
            .unwrap();
        hit_rows(&run(&s, &r).0)
    };
    let word_side = |filter: &str, depth: usize| {
        let r = SearchRequest::words(words)
            .unwrap()
            .k(depth)
            .unwrap()
            .filter(filter)
            .unwrap();
        hit_rows(&run(&s, &r).0)
    };
    let (v, w) = (vector_side(filter, 100), word_side(filter, 100));
    assert!(v.iter().chain(&w).all(|&r| ok(r)));
    // Without the filter the lists hold rows the filter removes: it really applies to both.
    assert!(vector_side("", 100).iter().any(|&r| !ok(r)));
    assert!(word_side("", 100).iter().any(|&r| !ok(r)));
    let in_both: Vec<u64> = v.iter().copied().filter(|r| w.contains(r)).collect();
    assert!(!in_both.is_empty());

    let hybrid = |rrf_k: f32, k: usize| {
        let r = audio_query(q.clone())
            .exact(true)
            .with_words(words)
            .unwrap()
            .filter(filter)
            .unwrap()
            .rrf_k(rrf_k)
            .unwrap()
            .k(k)
            .unwrap();
        assert!(r.is_hybrid());
        let (hits, stats) = run(&s, &r);
        assert_eq!(stats.plan, Some(Plan::Exact));
        hits
    };
    let mut orders = Vec::new();
    for rrf_k in [60.0, 0.0, 5.0] {
        for k in [K, 30] {
            let hits = hybrid(rrf_k, k);
            let (v, w) = (vector_side(filter, depth(k)), word_side(filter, depth(k)));
            let fused = reciprocal_rank_fusion(&[&v, &w], rrf_k, k);
            assert_eq!(hits.len(), k);
            assert_eq!(
                hit_rows(&hits),
                fused.iter().map(|f| f.0).collect::<Vec<_>>(),
                "rrf_k {rrf_k}"
            );
            for (h, f) in hits.iter().zip(&fused) {
                assert!((h.score - f.1).abs() < 1e-6);
                assert!(ok(h.row));
            }
            if k == K {
                orders.push(hit_rows(&hits));
            }
        }
    }
    // The default constant (60) rewards agreement: the first hit is a row of both lists (so
    // the vector side's best comes first only if the words vote for it too). With rrf_k = 0 a
    // first place in one list (score 1) beats anything ranked lower in both.
    let at60 = hybrid(60.0, K);
    assert!(in_both.contains(&at60[0].row), "{at60:?}");
    if !w.contains(&v[0]) {
        assert_ne!(at60[0].row, v[0]);
    }
    let at0 = hybrid(0.0, K);
    assert!(at0[0].score >= 1.0 - 1e-6, "{at0:?}");
    assert_ne!(orders[0], orders[1], "rrf_k changes the order");
    // Through the default (graph-planned) vector side too: k hits, every one allowed.
    let r = audio_query(q.clone())
        .with_words(words)
        .unwrap()
        .filter(filter)
        .unwrap();
    let (hits, stats) = run(&s, &r);
    assert!(matches!(
        stats.plan,
        Some(Plan::Graph { .. }) | Some(Plan::Exact)
    ));
    assert_eq!(hits.len(), K);
    assert!(hits.iter().all(|h| ok(h.row)));
}
