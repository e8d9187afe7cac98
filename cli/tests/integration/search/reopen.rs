//! Results are identical after reopening, in process and in a new process.

use super::*;

#[test]
fn results_are_identical_after_reopening_in_process_and_in_a_new_process() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 800, 61, 0);
    let lib = Library::open(&lib_dir).unwrap();
    let all = tracks(&lib);
    let mut rng = Rng(99);
    let q = rng.near(&audio_row(&lib, 77), 0.05);
    drop(lib);
    let (a, b) = (all[10].id.clone(), all[500].id.clone());
    let requests: Vec<(SearchRequest, Vec<String>)> = {
        let p = tmp.path().join("q.json");
        write_vector(&p, &q);
        let vf = p.to_str().unwrap().to_string();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        vec![
            (audio_query(q.clone()), s(&["--vector-file", &vf])),
            (
                audio_query(q.clone())
                    .filter("bpm >= 90 AND NOT tag:\"mood:calm\"")
                    .unwrap()
                    .k(25)
                    .unwrap(),
                s(&[
                    "--vector-file",
                    &vf,
                    "--filter",
                    "bpm >= 90 AND NOT tag:\"mood:calm\"",
                    "--k",
                    "25",
                ]),
            ),
            (
                audio_query(q.clone()).exact(true),
                s(&["--vector-file", &vf, "--exact"]),
            ),
            (
                SearchRequest::words("calm AND piano")
                    .unwrap()
                    .filter("duration_s >= 60")
                    .unwrap(),
                s(&["--tags", "calm AND piano", "--filter", "duration_s >= 60"]),
            ),
            (
                audio_query(q.clone()).with_words("piano").unwrap(),
                s(&["--vector-file", &vf, "--tags", "piano"]),
            ),
            (
                SearchRequest::like(
                    EmbeddingKind::Audio,
                    &[&a, &b],
                    &[],
                    LikeStrategy::BestScore,
                )
                .unwrap(),
                s(&["--like", &format!("{a},{b}"), "--strategy", "best-score"]),
            ),
            (
                SearchRequest::like(
                    EmbeddingKind::Audio,
                    &[&a],
                    &[&b],
                    LikeStrategy::AverageVector,
                )
                .unwrap(),
                s(&["--like", &a, "--unlike", &b]),
            ),
        ]
    };
    let results = |s: &Searcher| -> Vec<Vec<SearchHit>> {
        requests.iter().map(|(r, _)| run(s, r).0).collect()
    };
    let first = results(&searcher(&lib_dir));
    for r in &first {
        assert!(!r.is_empty());
    }
    // A new Library::open, twice (the first searcher and library are dropped by now).
    assert_eq!(results(&searcher(&lib_dir)), first);
    assert_eq!(results(&searcher(&lib_dir)), first);
    // A new process: the command prints the same ids and scores.
    for ((_, args), hits) in requests.iter().zip(&first) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let v = cli_json(&lib_dir, &args);
        assert_eq!(json_ids(&v), hit_ids(hits), "{args:?}");
        assert_eq!(
            json_scores(&v),
            hits.iter().map(|h| h.score).collect::<Vec<_>>(),
            "{args:?}"
        );
    }
}
