//! More like these, unlike those: both strategies, and examples never returned.

use super::*;

#[test]
fn like_and_unlike_rank_by_both_strategies_and_never_return_the_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1500, 47, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let (p1, p2, neg) = (5u64, 900u64, 333u64);
    let ids = |rows: &[u64]| -> Vec<String> {
        rows.iter().map(|&r| all[r as usize].id.clone()).collect()
    };
    let (pos_ids, neg_ids) = (ids(&[p1, p2]), ids(&[neg]));
    let pos: Vec<&str> = pos_ids.iter().map(String::as_str).collect();
    let negs: Vec<&str> = neg_ids.iter().map(String::as_str).collect();
    let examples = [p1, p2, neg];
    let like = |negatives: &[&str], strategy: LikeStrategy, exact: bool| {
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, negatives, strategy)
            .unwrap()
            .exact(exact);
        let (hits, _) = run(&s, &r);
        assert_eq!(hits.len(), K);
        assert_best_first(&hits, "like");
        assert!(hits.iter().all(|h| !examples.contains(&h.row)), "{hits:?}");
        hits
    };
    let not_examples = |r: u64| !examples[..2].contains(&r);
    // Average vector: the normalised mean of the positives (minus half the negatives' mean).
    let mean = |rows: &[u64]| -> Vec<f32> {
        let mut m = vec![0f32; AUDIO];
        for &r in rows {
            for (a, b) in m.iter_mut().zip(audio_row(lib, r)) {
                *a += b / rows.len() as f32;
            }
        }
        m
    };
    let avg = mean(&[p1, p2]);
    let exact = like(&[], LikeStrategy::AverageVector, true);
    assert_same_ranking(&exact, &brute_force(lib, &avg, not_examples, K), "average");
    let graph = like(&[], LikeStrategy::AverageVector, false);
    assert!(overlap(&graph, &brute_force(lib, &avg, not_examples, K)) >= 8);
    let rocchio: Vec<f32> = avg
        .iter()
        .zip(mean(&[neg]))
        .map(|(p, n)| p - 0.5 * n)
        .collect();
    let exact = like(&negs, LikeStrategy::AverageVector, true);
    assert_same_ranking(
        &exact,
        &brute_force(lib, &rocchio, |r| !examples.contains(&r), K),
        "average with a negative",
    );
    // Best score: each candidate's best similarity to a positive.
    let best = |r: u64| {
        let v = audio_row(lib, r);
        dot(&v, &audio_row(lib, p1)).max(dot(&v, &audio_row(lib, p2)))
    };
    let mut want: Vec<(u64, f32)> = (0..all.len() as u64)
        .filter(|&r| not_examples(r))
        .map(|r| (r, best(r)))
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(K);
    let exact = like(&[], LikeStrategy::BestScore, true);
    assert_same_ranking(&exact, &want, "best score");
    let graph = like(&[], LikeStrategy::BestScore, false);
    assert!(overlap(&graph, &want) >= 8, "{graph:?} vs {want:?}");
    let with_neg = like(&negs, LikeStrategy::BestScore, false);
    assert!(with_neg.iter().all(|h| h.score <= want[0].1 + 1e-5));

    // With a filter: only matching rows, and k of them when k match besides the examples.
    let mood = all[p1 as usize]
        .tags
        .iter()
        .find(|t| t.starts_with("mood:"))
        .unwrap()
        .clone();
    let filter = format!("tag:\"{mood}\"");
    for strategy in [LikeStrategy::AverageVector, LikeStrategy::BestScore] {
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, &[], strategy)
            .unwrap()
            .filter(&filter)
            .unwrap();
        let (hits, _) = run(&s, &r);
        assert_eq!(hits.len(), K);
        assert!(
            hits.iter()
                .all(|h| all[h.row as usize].has_tag(&mood) && not_examples(h.row))
        );
        // The examples and exactly k others pass: the k others come back.
        let others: Vec<u64> = (100..100 + K as u64).collect();
        let expr = [p1, p2]
            .iter()
            .chain(&others)
            .map(|&r| format!("track_id:{}", all[r as usize].id))
            .collect::<Vec<_>>()
            .join(" OR ");
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, &[], strategy)
            .unwrap()
            .filter(&expr)
            .unwrap();
        let (hits, _) = run(&s, &r);
        let got: BTreeSet<u64> = hit_rows(&hits).into_iter().collect();
        assert_eq!(
            got,
            others.iter().copied().collect::<BTreeSet<_>>(),
            "{strategy:?}"
        );
    }

    // Made hybrid with a word query that matches the examples themselves: they still never
    // come back (the word side is searched without them too).
    let exact_ids = format!("track_id:\"{}\" OR track_id:\"{}\"", pos[0], pos[1]);
    for strategy in [LikeStrategy::AverageVector, LikeStrategy::BestScore] {
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, &negs, strategy)
            .unwrap()
            .with_words(&exact_ids)
            .unwrap();
        let (hits, _) = run(&s, &r);
        assert_eq!(hits.len(), K);
        assert!(hits.iter().all(|h| !examples.contains(&h.row)), "{hits:?}");
    }

    // Unknown ids are a clear error listing them.
    let e = s
        .search(
            &SearchRequest::like(
                EmbeddingKind::Audio,
                &[pos[0], "nope", "nada"],
                &[],
                LikeStrategy::BestScore,
            )
            .unwrap(),
        )
        .unwrap_err();
    match &e {
        QueryError::UnknownTracks(m) => assert_eq!(m, "nope, nada"),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.to_string(), "no such track in the library: nope, nada");
    let e = s
        .search(
            &SearchRequest::like(
                EmbeddingKind::Audio,
                &[pos[0]],
                &["gone"],
                LikeStrategy::AverageVector,
            )
            .unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(&e, QueryError::UnknownTracks(m) if m == "gone"),
        "{e:?}"
    );
}

#[test]
fn an_unliked_tracks_near_duplicates_are_pushed_down() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = like_library(tmp.path());
    let s = searcher(&lib);
    let rank = |hits: &[SearchHit], prefix: &str| -> Vec<usize> {
        hits.iter()
            .enumerate()
            .filter(|(_, h)| h.track_id.starts_with(prefix))
            .map(|(i, _)| i)
            .collect()
    };
    for strategy in [LikeStrategy::AverageVector, LikeStrategy::BestScore] {
        let like = |neg: &[&str]| {
            let r = SearchRequest::like(EmbeddingKind::Audio, &["liked"], neg, strategy)
                .unwrap()
                .k(20)
                .unwrap();
            let (hits, _) = run(&s, &r);
            assert_eq!(hits.len(), 14 - 1 - neg.len(), "{strategy:?}");
            assert!(
                hits.iter()
                    .all(|h| h.track_id != "liked" && !neg.contains(&h.track_id.as_str()))
            );
            hits
        };
        // Liked alone: the unliked track and its duplicates are the nearest.
        let plain = like(&[]);
        assert_eq!(rank(&plain, "unliked").len(), 1);
        let mut top4: Vec<&str> = hit_ids(&plain[..4]);
        top4.sort_unstable();
        assert_eq!(top4, ["dup-1", "dup-2", "dup-3", "unliked"], "{strategy:?}");
        // Unliking it sinks its duplicates below every good track.
        let hits = like(&["unliked"]);
        let (dups, goods) = (rank(&hits, "dup-"), rank(&hits, "good-"));
        assert_eq!((dups.len(), goods.len()), (3, 3));
        assert!(
            goods.iter().max() < dups.iter().min(),
            "{strategy:?}: {:?}",
            hit_ids(&hits)
        );
        assert!(
            goods.iter().all(|&g| g < 3),
            "{strategy:?}: {:?}",
            hit_ids(&hits)
        );
        if strategy == LikeStrategy::BestScore {
            // Closer to a negative than to any positive: below every other candidate.
            assert_eq!(dups, vec![hits.len() - 3, hits.len() - 2, hits.len() - 1]);
            assert!(hits[hits.len() - 3..].iter().all(|h| h.score < 0.0));
        }
    }
    // Through the command line, too.
    let v = cli_json(
        &lib,
        &[
            "--like",
            "liked",
            "--unlike",
            "unliked",
            "--strategy",
            "best-score",
            "--k",
            "3",
        ],
    );
    let mut got = json_ids(&v);
    got.sort_unstable();
    assert_eq!(got, ["good-1", "good-2", "good-3"]);
    let out = cli_search(&lib, &["--like", "liked,missing"]);
    let (_, err) = out_text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("no such track in the library: missing"),
        "{err}"
    );
}

/// Best-score with anti-similar candidates: a candidate nearer the unliked track than the liked
/// one sinks below every other, even when all similarities are negative.
#[test]
fn best_score_sinks_tracks_nearer_a_negative_even_at_negative_similarity() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    ingest_csv(
        &lib,
        tmp.path(),
        "anti.csv",
        "track_id,duration_s,audio_emb\n\
         liked,100,1;0;0\n\
         unliked,100,0;1;0\n\
         a,100,-0.9;-0.436;0\n\
         b,100,-0.5;-0.866;0\n\
         c,100,0;0;1\n",
    );
    let s = Searcher::new(std::sync::Arc::new(Library::open(&lib).unwrap()));
    let req = SearchRequest::like(
        EmbeddingKind::Audio,
        &["liked"],
        &["unliked"],
        LikeStrategy::BestScore,
    )
    .unwrap()
    .exact(true);
    let (hits, _) = s.search(&req).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.track_id.as_str()).collect();
    // c: 0 (orthogonal to both); b: −0.5 (nearer liked); a: nearer unliked, so last.
    assert_eq!(ids, ["c", "b", "a"], "{hits:?}");
    assert!(hits[2].score < -1.0, "{hits:?}");
}

/// Ids and artist names are the user's own strings and may contain commas: `\,` keeps a comma
/// inside a value, a plain comma separates values, and the options repeat.
#[test]
fn ids_and_artists_with_commas_are_given_with_an_escaped_comma() {
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("track_id,title,artist,album,duration_s,audio_emb\n");
    let rows: &[(&str, &str, [f32; 3])] = &[
        ("album-1,track-1", "Crosby, Stills & Nash", [1.0, 0.0, 0.0]),
        ("album-1,track-2", "Crosby, Stills & Nash", [0.99, 0.1, 0.0]),
        ("plain-1", "Other", [0.98, 0.0, 0.2]),
        ("plain-2", "Other", [0.9, 0.3, 0.3]),
        ("far", "Third", [0.0, 0.0, 1.0]),
    ];
    for (id, artist, v) in rows {
        csv.push_str(&format!("\"{id}\",T,\"{artist}\",A,60,{}\n", semicolons(v)));
    }
    let lib = tmp.path().join("commas");
    ingest_csv(&lib, tmp.path(), "commas.csv", &csv);

    let ids = json_ids(&cli_json(
        &lib,
        &["--like", "album-1\\,track-1", "--k", "4"],
    ));
    assert_eq!(ids[0], "album-1,track-2", "{ids:?}");
    assert!(!ids.contains(&"album-1,track-1".to_string()), "{ids:?}");

    let ids = json_ids(&cli_json(
        &lib,
        &[
            "--like",
            "album-1\\,track-1",
            "--exclude-artists",
            "Crosby\\, Stills & Nash,Third",
            "--k",
            "4",
        ],
    ));
    assert_eq!(ids, ["plain-1", "plain-2"]);

    // Separated by a comma, or by repeating the option: the same two examples.
    let joined = cli_json(&lib, &["--like", "plain-1,plain-2", "--k", "3"]);
    let repeated = cli_json(
        &lib,
        &["--like", "plain-1", "--like", "plain-2", "--k", "3"],
    );
    assert_eq!(json_ids(&joined), json_ids(&repeated));
    assert!(!json_ids(&joined).contains(&"plain-1".to_string()));

    // The unescaped form names two ids that do not exist, and says which.
    let out = cli_search(&lib, &["--like", "album-1,track-1"]);
    let (_, stderr) = out_text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("album-1") && stderr.contains("track-1"),
        "{stderr}"
    );
    let out = cli_search(&lib, &["--like", "a,,b"]);
    let (_, stderr) = out_text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("value 2 of the list is empty"), "{stderr}");
}
