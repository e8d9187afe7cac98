//! Rows appended after the graph was built are searchable at once.

use super::*;

#[test]
fn appended_tracks_are_searchable_at_once_beside_the_carried_over_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1000, 31, 0);
    let old = Library::open(&lib_dir).unwrap();
    let mut rng = Rng(3);
    // 95 new tracks (8.7% of the rows, so the graph is carried over): the first 20
    // near-duplicates of old rows, the rest random directions.
    let mut csv = String::from("track_id,title,artist,duration_s,bpm,tags,audio_emb\n");
    let mut new_vectors = Vec::new();
    for i in 0..95u64 {
        let v = if i < 20 {
            normalised(&rng.near(&audio_row(&old, i * 50), 0.01))
        } else {
            rng.unit(AUDIO)
        };
        csv.push_str(&format!(
            "new-{i:03},Zebrafish Nocturne {i},Appendix Band,{},100,mood:calm;extra:appended,{}\n",
            90 + i,
            semicolons(&v)
        ));
        new_vectors.push(v);
    }
    drop(old);
    ingest_csv(&lib_dir, tmp.path(), "more.csv", &csv);

    let s = searcher(&lib_dir);
    let lib = s.library();
    let m = lib.manifest();
    assert_eq!((m.library_version, lib.rows()), (2, 1095));
    let ann = &m.ann["audio_emb"];
    assert_eq!((ann.rows, ann.built_in_version), (1000, 1), "{ann:?}");
    assert_eq!(lib.ann(EmbeddingKind::Audio).unwrap().rows(), 1000);
    assert_eq!(m.text_index.as_ref().unwrap().docs, 1095);

    let row_of = |id: &str| 1000 + id[4..].parse::<u64>().unwrap();
    for (i, v) in new_vectors.iter().enumerate() {
        let id = format!("new-{i:03}");
        // Its own embedding finds it first, through the graph plan (tail scanned and merged).
        // (ef 64: at the default ef, a library this small is scanned exactly.)
        let (hits, stats) = run(&s, &audio_query(v.clone()).ef(64).unwrap());
        assert_eq!(stats.plan, Some(Plan::Graph { ef: 64 }));
        assert_eq!(hits.len(), K);
        assert_eq!(hits[0].track_id, id, "{:?}", hit_ids(&hits));
        assert_eq!(hits[0].row, row_of(&id));
        assert!((hits[0].score - 1.0).abs() < 1e-5);
        assert_eq!(
            hits[0].fields.title.as_deref(),
            Some(&*format!("Zebrafish Nocturne {i}"))
        );
        let (exact, _) = run(&s, &audio_query(v.clone()).exact(true));
        assert_eq!(hits[0].row, exact[0].row);
        if i < 20 {
            // The old track it duplicates comes from the graph, the new one from the tail.
            let old_row = i as u64 * 50;
            let (hits, _) = run(&s, &audio_query(audio_row(lib, old_row)));
            let top2: BTreeSet<u64> = hit_rows(&hits[..2]).into_iter().collect();
            assert_eq!(top2, BTreeSet::from([old_row, row_of(&id)]), "{hits:?}");
            assert_same_ranking(
                &hits[..2],
                &brute_force(lib, &audio_row(lib, old_row), |_| true, 2),
                "old and new",
            );
        }
        // A filter allowing only new rows, and one allowing some of each.
        let (hits, _) = run(
            &s,
            &audio_query(v.clone())
                .filter("artist:\"appendix band\"")
                .unwrap(),
        );
        assert_eq!(hits.len(), K);
        assert_eq!(hits[0].track_id, id);
        assert!(hits.iter().all(|h| h.row >= 1000));
        let (hits, stats) = run(
            &s,
            &audio_query(v.clone())
                .filter("bpm >= 100 OR energy >= 0.3")
                .unwrap(),
        );
        // A filtered query on a library this small is scanned (the planner's cost model), so
        // the appended rows are found either way.
        assert!(stats.plan.is_some(), "{stats:?}");
        assert_eq!(hits[0].track_id, id);
        // A filter allowing only new rows scans them: none of the graph's rows pass, so walking
        // the graph could find nothing.
        let (hits, stats) = run(
            &s,
            &audio_query(v.clone())
                .filter("tag:extra:appended")
                .unwrap()
                .ef(1)
                .unwrap(),
        );
        assert_eq!(stats.plan, Some(Plan::Exact), "{stats:?}");
        assert_eq!(hits[0].track_id, id);
        let tail_only = brute_force(lib, v, |r| r >= 1000, K);
        assert_same_ranking(&hits, &tail_only, "tail only");
    }
    // Nulls: the new rows have no energy, so no comparison holds for them, but NOT keeps them.
    let q = new_vectors[30].clone();
    let (hits, _) = run(&s, &audio_query(q.clone()).filter("energy < 0.3").unwrap());
    assert!(hits.iter().all(|h| h.row < 1000));
    let (hits, _) = run(&s, &audio_query(q).filter("NOT energy >= 0.3").unwrap());
    assert_eq!(hits[0].track_id, "new-030");
    // The text index covers the new rows too.
    let (hits, _) = run(
        &s,
        &SearchRequest::words("zebrafish").unwrap().k(100).unwrap(),
    );
    assert_eq!(hits.len(), 95);
    assert!(hits.iter().all(|h| h.track_id.starts_with("new-")));
    let (hits, _) = run(
        &s,
        &SearchRequest::words("tag:\"extra:appended\"")
            .unwrap()
            .filter("duration_s < 100")
            .unwrap(),
    );
    assert_eq!(hits.len(), K);
    assert!(hits.iter().all(|h| h.fields.duration_s < Some(100.0)));
    drop(s);

    // Past 10% of rows outside the graph, the next version rebuilds it over every row.
    let mut csv = String::from("track_id,duration_s,audio_emb\n");
    for i in 0..80 {
        csv.push_str(&format!(
            "late-{i:03},120,{}\n",
            semicolons(&rng.unit(AUDIO))
        ));
    }
    ingest_csv(&lib_dir, tmp.path(), "late.csv", &csv);
    let s = searcher(&lib_dir);
    let ann = &s.library().manifest().ann["audio_emb"];
    assert_eq!((ann.rows, ann.built_in_version), (1175, 3), "{ann:?}");
    let (hits, _) = run(&s, &audio_query(new_vectors[25].clone()));
    assert_eq!(hits[0].track_id, "new-025");
}
