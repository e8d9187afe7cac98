//! Reranking a search's pool (MMR, DPP, caps, exclusions) and browsing by a filter, against a
//! library whose artists repeat among near neighbours (2 clusters, ~400 artists for 3000
//! tracks), so caps bind.

use std::collections::HashMap;

use segue::fixtures::{CatalogSpec, write_catalog_parquet};
use segue::query::search::MAX_K;
use segue::search::Diversify;

use super::*;

/// 3000 tracks in 2 clusters (≈ 200 artists each), 32-d audio.
fn clustered(dir: &Path) -> PathBuf {
    let catalog = dir.join("catalog.parquet");
    let spec = CatalogSpec {
        tracks: 3000,
        audio_dim: AUDIO,
        seed: 41,
        clusters: 2,
        ..CatalogSpec::default()
    };
    write_catalog_parquet(&spec, &catalog, &mut |_| {}).unwrap();
    let lib = dir.join("lib");
    ingest(&lib, &catalog);
    lib
}

fn counts<'a>(keys: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for k in keys {
        *m.entry(k.to_lowercase()).or_insert(0) += 1;
    }
    m
}

const METHODS: [Diversify; 3] = [
    Diversify::None,
    Diversify::Mmr { lambda: 0.5 },
    Diversify::Dpp { theta: 0.5 },
];

#[test]
fn caps_and_exclusions_hold_and_k_come_back_whenever_k_qualify() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = clustered(tmp.path());
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let q = audio_row(lib, 7);
    let (plain, _) = run(&s, &audio_query(q.clone()).k(20).unwrap());
    // Exclude the plain top 3 by id and the artist of the 4th.
    let excluded_ids: Vec<String> = plain[..3].iter().map(|h| h.track_id.clone()).collect();
    let excluded_artist = all[plain[3].row as usize].artist.clone().unwrap();
    for method in METHODS {
        for (k, pool) in [(10, None), (50, Some(50))] {
            let mut r = audio_query(q.clone())
                .k(k)
                .unwrap()
                .rerank(method)
                .unwrap()
                .max_per_artist(1)
                .unwrap()
                .exclude_ids(&excluded_ids)
                .unwrap()
                .exclude_artists(&[excluded_artist.to_uppercase()])
                .unwrap();
            if let Some(p) = pool {
                r = r.pool(p).unwrap();
            }
            let (hits, stats) = run(&s, &r);
            let what = format!("{method} k={k}");
            // Enough artists qualify for k hits, so k come back.
            assert_eq!(hits.len(), k, "{what}");
            let picked: Vec<&Track> = hits.iter().map(|h| &all[h.row as usize]).collect();
            let artists = counts(picked.iter().map(|t| t.artist.as_deref().unwrap()));
            assert!(artists.values().all(|&n| n == 1), "{what}: {artists:?}");
            assert!(
                !artists.contains_key(&excluded_artist.to_lowercase()),
                "{what}: excluded artist came back"
            );
            assert!(
                hits.iter().all(|h| !excluded_ids.contains(&h.track_id)),
                "{what}: an excluded id came back"
            );
            let rerank = stats.rerank.expect("reranked");
            assert_eq!(rerank.reranker, method);
            if pool.is_some() {
                // 50 candidates of ~7 tracks per artist cannot give 50 artists.
                assert!(rerank.widenings > 0, "{what}: {rerank:?}");
            }
            // Each hit's score is its relevance before reranking.
            for h in &hits {
                let want = dot(&normalised(&q), &audio_row(lib, h.row));
                assert!((h.score - want).abs() < 1e-4, "{what}: {h:?}");
                assert!(h.rerank.is_some());
            }
        }
    }
}

#[test]
fn a_tag_cap_that_excludes_most_tracks_widens_to_every_track_and_returns_all_that_qualify() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = clustered(tmp.path());
    let s = searcher(&lib_dir);
    let all = tracks(s.library());
    // Each track has its cluster's one genre: 2 genres, so at most 2 × 3 tracks qualify.
    let genre = |t: &Track| {
        let g: Vec<&String> = t.tags.iter().filter(|x| x.starts_with("genre:")).collect();
        assert_eq!(g.len(), 1, "{t:?}");
        g[0].to_lowercase()
    };
    let genres = counts(
        all.iter()
            .map(genre)
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    assert_eq!(genres.len(), 2, "{genres:?}");
    for method in METHODS {
        let r = audio_query(audio_row(s.library(), 5))
            .k(10)
            .unwrap()
            .rerank(method)
            .unwrap()
            .max_per_tag("genre", 3)
            .unwrap();
        let (hits, stats) = run(&s, &r);
        let got = counts(
            hits.iter()
                .map(|h| genre(&all[h.row as usize]))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        assert_eq!(hits.len(), 6, "{method}: {got:?}");
        assert!(got.values().all(|&n| n == 3), "{method}: {got:?}");
        let rerank = stats.rerank.unwrap();
        assert_eq!(rerank.pool, all.len(), "{method}: widened to every track");
    }
}

#[test]
fn mmr_at_lambda_one_and_dpp_at_theta_one_are_the_plain_search_and_diversity_widens_artists() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = clustered(tmp.path());
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let q = audio_row(lib, 123);
    let (plain, _) = run(&s, &audio_query(q.clone()).exact(true));
    let (pool, _) = run(&s, &audio_query(q.clone()).exact(true).k(100).unwrap());
    for method in [Diversify::mmr(1.0).unwrap(), Diversify::dpp(1.0).unwrap()] {
        let r = audio_query(q.clone()).exact(true).rerank(method).unwrap();
        let (hits, _) = run(&s, &r);
        assert_eq!(hit_rows(&hits), hit_rows(&plain), "{method}");
    }
    let artists = |hits: &[SearchHit]| {
        counts(
            hits.iter()
                .map(|h| all[h.row as usize].artist.as_deref().unwrap()),
        )
        .len()
    };
    for method in [Diversify::mmr(0.3).unwrap(), Diversify::dpp(0.3).unwrap()] {
        let r = audio_query(q.clone()).exact(true).rerank(method).unwrap();
        let (a, _) = run(&s, &r);
        let (b, _) = run(&s, &r);
        assert_eq!(a, b, "{method}: deterministic");
        // Every hit comes from the plain search's pool of max(10·k, 100) = 100, at its rank.
        for h in &a {
            let rank = h.rerank.unwrap().pool_rank;
            assert_eq!(pool[rank - 1].row, h.row, "{method}");
        }
        assert!(
            artists(&a) >= artists(&plain),
            "{method}: {} artists, the plain search {}",
            artists(&a),
            artists(&plain)
        );
    }
}

#[test]
fn a_filter_alone_browses_the_matching_tracks_sorted_by_a_field_with_caps() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = clustered(tmp.path());
    let s = searcher(&lib_dir);
    let all = tracks(s.library());
    // A tempo band around the middle of the instrumental tracks' tempi.
    let mut tempi: Vec<f32> = all
        .iter()
        .filter(|t| t.has_vocals == Some(false))
        .filter_map(|t| t.bpm)
        .collect();
    tempi.sort_by(f32::total_cmp);
    let (lo, hi) = (
        tempi[tempi.len() / 4].floor(),
        tempi[tempi.len() / 2].ceil(),
    );
    let filter = format!("bpm >= {lo} AND bpm <= {hi} AND has_vocals = false");
    let filter = filter.as_str();
    let matching =
        |t: &Track| t.bpm.is_some_and(|b| (lo..=hi).contains(&b)) && t.has_vocals == Some(false);
    let mut want: Vec<(f32, u64)> = all
        .iter()
        .enumerate()
        .filter(|(_, t)| matching(t))
        .map(|(i, t)| (t.bpm.unwrap(), i as u64))
        .collect();
    assert!(
        want.len() > 20,
        "the fixture has {} such tracks",
        want.len()
    );
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let r = SearchRequest::browse()
        .filter(filter)
        .unwrap()
        .sort("bpm".parse().unwrap())
        .unwrap()
        .k(20)
        .unwrap();
    let (hits, stats) = run(&s, &r);
    let want_rows: Vec<u64> = want.iter().take(20).map(|w| w.1).collect();
    assert_eq!(hit_rows(&hits), want_rows);
    assert_eq!(stats.allowed_rows, Some(want.len() as u64));
    // Every matching track, when k is large enough; one per artist with a cap.
    let r = SearchRequest::browse()
        .filter(filter)
        .unwrap()
        .k(MAX_K)
        .unwrap();
    let (hits, _) = run(&s, &r);
    let mut rows = hit_rows(&hits);
    rows.sort_unstable();
    let mut every: Vec<u64> = want.iter().map(|w| w.1).collect();
    every.sort_unstable();
    assert_eq!(rows, every);
    let (capped, _) = run(&s, &r.clone().max_per_artist(1).unwrap());
    let artists = counts(
        every
            .iter()
            .map(|&r| all[r as usize].artist.as_deref().unwrap()),
    );
    assert_eq!(capped.len(), artists.len(), "one hit per matching artist");
    // Diversity needs relevance: refused on a browse.
    let e = s
        .search(&r.rerank(Diversify::mmr(0.5).unwrap()).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("browse"), "{e}");
}

#[test]
fn bad_rerank_values_are_refused_with_the_reason() {
    let q = audio_query(vec![1.0; AUDIO]);
    for (r, needle) in [
        (q.clone().max_per_artist(0).map(|_| ()), "at least 1"),
        (q.clone().max_per_album(0).map(|_| ()), "at least 1"),
        (q.clone().max_per_tag("genre", 0).map(|_| ()), "at least 1"),
        (q.clone().pool(0).map(|_| ()), "pool"),
        (
            q.clone().rerank(Diversify::Mmr { lambda: 1.5 }).map(|_| ()),
            "[0, 1]",
        ),
        (
            q.clone().rerank(Diversify::Dpp { theta: -0.1 }).map(|_| ()),
            "[0, 1]",
        ),
        (q.clone().exclude_ids(&[" "]).map(|_| ()), "empty"),
        (
            q.clone().sort("bpm".parse().unwrap()).map(|_| ()),
            "sorting",
        ),
    ] {
        let e = r.unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
}

#[test]
fn segue_search_reranks_and_browses_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = clustered(tmp.path());
    let excl = tmp.path().join("last-videos.txt");
    let seed = tracks(searcher(&lib_dir).library())[0].id.clone();
    let seed = seed.as_str();
    let run_json = |extra: &[&str]| -> serde_json::Value {
        let out = segue_cmd()
            .arg("search")
            .arg("--library")
            .arg(&lib_dir)
            .args(extra)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plain = run_json(&["--like", seed]);
    let first = plain["hits"][0]["track_id"].as_str().unwrap().to_string();
    std::fs::write(&excl, format!("# my last videos\n{first},title\n")).unwrap();
    let out = run_json(&[
        "--like",
        seed,
        "--diversify",
        "dpp:0.6",
        "--max-per-artist",
        "1",
        "--max-per-tag",
        "genre:8",
        "--exclude-ids",
        excl.to_str().unwrap(),
    ]);
    assert_eq!(out["stats"]["rerank"]["reranker"]["method"], "dpp");
    let hits = out["hits"].as_array().unwrap();
    assert_eq!(hits.len(), K);
    assert!(hits.iter().all(|h| h["track_id"] != first.as_str()));
    assert!(
        hits.iter()
            .all(|h| h["rerank"]["pool_rank"].as_u64().unwrap() >= 1)
    );
    assert!(hits.iter().all(|h| h["score"].is_number()));

    let browse = run_json(&["--filter", "bpm >= 90", "--sort", "-bpm", "--k", "5"]);
    let bpms: Vec<f64> = browse["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["bpm"].as_f64().unwrap())
        .collect();
    assert_eq!(bpms.len(), 5);
    assert!(bpms.windows(2).all(|w| w[0] >= w[1]), "{bpms:?}");

    for (args, needle) in [
        (vec!["--like", seed, "--diversify", "mmr:2"], "[0, 1]"),
        (vec!["--like", seed, "--max-per-artist", "0"], "at least 1"),
        (
            vec!["--like", seed, "--exclude-ids", "/nonexistent/ids.txt"],
            "/nonexistent/ids.txt",
        ),
    ] {
        let out = segue_cmd()
            .arg("search")
            .arg("--library")
            .arg(&lib_dir)
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
