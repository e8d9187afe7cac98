//! Filters of every kind return only matching rows, and `k` of them whenever `k` rows match.

use segue::query::search::vector::{filtered_ef, scan_cost, walk_cost};

use super::*;

type Pred = Box<dyn Fn(&Track) -> bool>;

#[test]
fn filtered_searches_return_only_matching_rows_and_k_of_them_whenever_k_match() {
    let tmp = tempfile::tempdir().unwrap();
    // Large enough that the broad filters are walked (the planner scans up to about 3800
    // allowed rows at ef 64) and the narrow ones scanned.
    let lib_dir = generated(tmp.path(), 6000, 23, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let n = all.len();
    let mut rng = Rng(11);
    let queries: Vec<Vec<f32>> = (0..3).map(|_| rng.near_random_row(lib, 0.05)).collect();

    // Values some track really has, for the equality operators.
    let t0 = &all[17];
    let energy0 = t0.energy.unwrap();
    let bpm0 = t0.bpm.unwrap();
    let artist = {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for t in &all {
            *counts.entry(t.artist.as_deref().unwrap()).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|c| (c.1, c.0))
            .unwrap()
            .0
            .to_string()
    };
    let title0 = all[40].title.clone().unwrap();
    let album0 = all[41].album.clone().unwrap();
    let id0 = all[42].id.clone();

    let a = artist.clone();
    let a2 = artist.clone();
    let (ti, al, id) = (title0.clone(), album0.clone(), id0.clone());
    let cases: Vec<(String, Pred)> = vec![
        (
            "bpm >= 100".into(),
            Box::new(|t: &Track| t.bpm >= Some(100.0)),
        ),
        (
            "bpm > 100 AND bpm < 120".into(),
            Box::new(|t: &Track| t.bpm.is_some_and(|b| b > 100.0 && b < 120.0)),
        ),
        (
            "energy <= 0.3".into(),
            Box::new(|t: &Track| t.energy.is_some_and(|e| e <= 0.3)),
        ),
        (
            format!("energy = {energy0}"),
            Box::new(move |t: &Track| t.energy == Some(energy0)),
        ),
        (
            format!("bpm != {bpm0}"),
            Box::new(move |t: &Track| t.bpm.is_some_and(|b| b != bpm0)),
        ),
        (
            "duration_s BETWEEN 60 AND 120".into(),
            Box::new(|t: &Track| t.duration_s.is_some_and(|d| (60.0..=120.0).contains(&d))),
        ),
        (
            "duration_s = 30".into(),
            Box::new(|t: &Track| t.duration_s == Some(30.0)),
        ),
        (
            "has_vocals = true".into(),
            Box::new(|t: &Track| t.has_vocals == Some(true)),
        ),
        (
            "has_vocals = false".into(),
            Box::new(|t: &Track| t.has_vocals == Some(false)),
        ),
        (
            "has_vocals != true".into(),
            Box::new(|t: &Track| t.has_vocals == Some(false)),
        ),
        // NOT is the complement: tracks of unknown vocals come back.
        (
            "NOT has_vocals = true".into(),
            Box::new(|t: &Track| t.has_vocals != Some(true)),
        ),
        (
            "tag:mood:calm".into(),
            Box::new(|t: &Track| t.has_tag("mood:calm")),
        ),
        (
            "tag:\"genre:ambient\" OR tag:\"genre:jazz\"".into(),
            Box::new(|t: &Track| t.has_tag("genre:ambient") || t.has_tag("genre:jazz")),
        ),
        (
            "NOT tag:mood:calm AND (bpm < 80 OR energy > 0.9)".into(),
            Box::new(|t: &Track| {
                !t.has_tag("mood:calm")
                    && (t.bpm.is_some_and(|b| b < 80.0) || t.energy.is_some_and(|e| e > 0.9))
            }),
        ),
        // Text equality ignores case; keywords and field names are case-insensitive.
        (
            format!("ARTIST:\"{}\"", artist.to_uppercase()),
            Box::new(move |t: &Track| t.artist.as_deref() == Some(a.as_str())),
        ),
        (
            format!("not artist:\"{artist}\""),
            Box::new(move |t: &Track| t.artist.as_deref() != Some(a2.as_str())),
        ),
        (
            format!("title = \"{title0}\""),
            Box::new(move |t: &Track| {
                t.title.as_deref().map(str::to_lowercase) == Some(ti.to_lowercase())
            }),
        ),
        (
            format!("album != \"{album0}\""),
            Box::new(move |t: &Track| {
                t.album
                    .as_deref()
                    .is_some_and(|x| !x.eq_ignore_ascii_case(&al))
            }),
        ),
        (
            format!("track_id:{id0}"),
            Box::new(move |t: &Track| t.id.eq_ignore_ascii_case(&id)),
        ),
        (
            "Tag:MOOD:CALM and BPM >= 70".into(),
            Box::new(|t: &Track| t.has_tag("mood:calm") && t.bpm >= Some(70.0)),
        ),
    ];
    let mut graph_planned = 0;
    for (expr, pred) in &cases {
        let expected: BTreeSet<u64> = (0..n as u64).filter(|&r| pred(&all[r as usize])).collect();
        assert!(
            !expected.is_empty(),
            "{expr} matches nothing: a useless case"
        );
        for q in &queries {
            let req = audio_query(q.clone()).filter(expr).unwrap();
            let (hits, stats) = run(&s, &req);
            assert_eq!(stats.allowed_rows, Some(expected.len() as u64), "{expr}");
            assert_eq!(hits.len(), K.min(expected.len()), "{expr}: {hits:?}");
            for h in &hits {
                assert!(
                    expected.contains(&h.row),
                    "{expr}: row {} does not match",
                    h.row
                );
                let t = &all[h.row as usize];
                assert_eq!(h.track_id, t.id);
                assert_eq!(h.fields.bpm, t.bpm);
                assert_eq!(h.fields.has_vocals, t.has_vocals);
                assert_eq!(h.fields.tags.as_deref(), Some(&t.tags[..]));
            }
            if matches!(stats.plan, Some(Plan::Graph { .. })) {
                graph_planned += 1;
            } else {
                let want = brute_force(lib, q, |r| expected.contains(&r), K);
                assert_same_ranking(&hits, &want, expr);
            }
        }
    }
    assert!(graph_planned > 0, "no case took the graph");

    // Exactly k rows match: exactly those come back. Fewer than k: all of them, no others.
    let mut by_bpm: Vec<(f32, u64)> = all
        .iter()
        .enumerate()
        .map(|(r, t)| (t.bpm.unwrap(), r as u64))
        .collect();
    by_bpm.sort_by(|a, b| b.0.total_cmp(&a.0));
    for m in [K, 7, 1] {
        assert!(by_bpm[m].0 < by_bpm[m - 1].0, "bpm ties at the cut");
        let expr = format!("bpm >= {}", by_bpm[m - 1].0);
        let want: BTreeSet<u64> = by_bpm[..m].iter().map(|x| x.1).collect();
        for q in &queries {
            for exact in [false, true] {
                let req = audio_query(q.clone()).filter(&expr).unwrap().exact(exact);
                let (hits, stats) = run(&s, &req);
                assert_eq!(stats.allowed_rows, Some(m as u64));
                let got: BTreeSet<u64> = hit_rows(&hits).into_iter().collect();
                assert_eq!(got, want, "{expr}");
                assert_best_first(&hits, &expr);
            }
        }
    }
    let ids: Vec<String> = (0..K).map(|i| all[i * 97].id.clone()).collect();
    let expr = ids
        .iter()
        .map(|id| format!("track_id = \"{id}\""))
        .collect::<Vec<_>>()
        .join(" OR ");
    let (hits, _) = run(&s, &audio_query(queries[0].clone()).filter(&expr).unwrap());
    let mut got: Vec<&str> = hit_ids(&hits);
    got.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    // No row matches: no hits, not an error.
    let (hits, stats) = run(
        &s,
        &audio_query(queries[0].clone())
            .filter("bpm > 1000")
            .unwrap(),
    );
    assert!(hits.is_empty());
    assert_eq!(stats.allowed_rows, Some(0));

    // A broad filter (about half the rows) walks the graph; a selective one (1–2%) scans.
    let broad = "energy >= 0.5";
    let broad_rows = all.iter().filter(|t| t.energy >= Some(0.5)).count();
    let selective = "tag:mood:calm AND bpm BETWEEN 70 AND 75";
    let selective_pred =
        |t: &Track| t.has_tag("mood:calm") && t.bpm.is_some_and(|b| (70.0..=75.0).contains(&b));
    let selective_rows = all.iter().filter(|t| selective_pred(t)).count();
    eprintln!("broad filter: {broad_rows} of {n} rows; selective: {selective_rows} rows");
    assert!(
        (0.35..0.65).contains(&(broad_rows as f64 / n as f64)),
        "{broad_rows}"
    );
    assert!(
        (0.005..0.025).contains(&(selective_rows as f64 / n as f64)) && selective_rows >= K,
        "{selective_rows}"
    );
    let (mut found, mut total) = (0, 0);
    for i in 0..20 {
        let q = rng.near_random_row(lib, 0.05);
        let (hits, stats) = run(&s, &audio_query(q.clone()).filter(broad).unwrap());
        // The plan the cost model gives this filter; a walk may still hand over to the scan
        // (energy follows the clusters, so a query among low-energy tracks has no allowed rows
        // near it).
        let ef = s.default_ef(EmbeddingKind::Audio);
        let walks =
            scan_cost(broad_rows as u64) > walk_cost(filtered_ef(ef, broad_rows as f64 / n as f64));
        assert_eq!(
            matches!(stats.plan, Some(Plan::Graph { .. } | Plan::GraphThenExact)),
            walks,
            "broad query {i}: {:?}",
            stats.plan
        );
        assert_eq!(hits.len(), K);
        assert!(hits.iter().all(|h| all[h.row as usize].energy >= Some(0.5)));
        let want = brute_force(lib, &q, |r| all[r as usize].energy >= Some(0.5), K);
        found += overlap(&hits, &want);
        total += K;

        let (hits, stats) = run(&s, &audio_query(q.clone()).filter(selective).unwrap());
        assert_eq!(stats.plan, Some(Plan::Exact), "selective query {i}");
        let want = brute_force(lib, &q, |r| selective_pred(&all[r as usize]), K);
        assert_same_ranking(&hits, &want, selective);
    }
    let broad_recall = found as f64 / total as f64;
    eprintln!("recall@10 with the broad filter: {broad_recall:.3}");
    assert!(broad_recall >= 0.9, "{broad_recall}");

    // A ~25% filter correlated with the vectors (BPM follows the clusters) at a narrow ef, and
    // a filter that excludes the query's own neighbourhood: whichever plan the planner takes,
    // k allowed rows, and the correlated one at the recall the planner promises.
    let mid = "bpm >= 110";
    let mid_rows = all.iter().filter(|t| t.bpm >= Some(110.0)).count();
    assert!(
        (0.15..0.45).contains(&(mid_rows as f64 / n as f64)),
        "{mid_rows}"
    );
    let calm: Vec<u64> = (0..n as u64)
        .filter(|&r| all[r as usize].has_tag("mood:calm"))
        .collect();
    let mut mid_found = 0;
    for i in 0..10 {
        let q = rng.near_random_row(lib, 0.05);
        let (hits, stats) = run(
            &s,
            &audio_query(q.clone()).filter(mid).unwrap().ef(16).unwrap(),
        );
        assert!(stats.plan.is_some(), "mid query {i}");
        assert_eq!(hits.len(), K);
        assert!(hits.iter().all(|h| all[h.row as usize].bpm >= Some(110.0)));
        let want = brute_force(lib, &q, |r| all[r as usize].bpm >= Some(110.0), K);
        mid_found += overlap(&hits, &want);

        let q = rng.near(&audio_row(lib, calm[i * 7 % calm.len()]), 0.02);
        let (hits, stats) = run(
            &s,
            &audio_query(q)
                .filter("NOT tag:\"mood:calm\"")
                .unwrap()
                .ef(10)
                .unwrap(),
        );
        assert!(stats.plan.is_some());
        assert_eq!(hits.len(), K);
        assert!(
            hits.iter()
                .all(|h| !all[h.row as usize].has_tag("mood:calm"))
        );
    }

    let mid_recall = mid_found as f64 / (10 * K) as f64;
    eprintln!("recall@10 with a {mid_rows}-row filter at ef 16: {mid_recall:.3}");
    assert!(mid_recall >= 0.95, "{mid_recall}");

    // Bad filters are clear errors that say where.
    for (expr, needle) in [
        ("bpm >= 90 AND colour = red", "column 15"),
        ("bpm >>= 3", "column"),
        ("(bpm > 3", "column"),
        ("bpm BETWEEN 5", "column"),
        ("has_vocals = maybe", "column 14"),
    ] {
        let e = audio_query(queries[0].clone()).filter(expr).unwrap_err();
        let QueryError::BadFilter(f) = &e else {
            panic!("{expr}: {e:?}");
        };
        // The position reaches the API as data, not only inside the message.
        assert_eq!(f.column, expr[..f.position].chars().count() + 1, "{f:?}");
        assert!(needle == "column" || needle == format!("column {}", f.column));
        let msg = e.to_string();
        assert!(
            msg.starts_with("bad filter: filter error at ") && msg.contains(needle),
            "{expr}: {msg}"
        );
    }
}
