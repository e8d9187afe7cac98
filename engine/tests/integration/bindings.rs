//! The facade calls made for bindings and services: many searches at once, hits and plans as
//! Arrow tables, searches from plain options, ingest progress callbacks that can cancel,
//! videos from JSON text, error kinds.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use segue::fixtures::{CatalogSpec, write_catalog_parquet};
use segue::search::{
    Diversify, Field, HitColumns, SearchRequest, SearchSpec, hits_record_batch, open_searcher,
    search_many,
};
use segue::soundtrack::{
    PlanOptions, fit_videos, open_planner, parse_video, plans_record_batch, video_anchors,
};
use segue::{EmbeddingKind, EncoderOptions, ErrorKind, IngestOptions, Library, ProgressCallback};

const AUDIO_DIM: usize = 16;

fn catalog(dir: &Path, tracks: u64, seed: u64) -> PathBuf {
    let path = dir.join(format!("cat-{seed}.parquet"));
    let spec = CatalogSpec {
        tracks,
        audio_dim: AUDIO_DIM,
        text_dim: 8,
        seed,
        ..CatalogSpec::default()
    };
    write_catalog_parquet(&spec, &path, &mut |_| {}).unwrap();
    path
}

fn library(dir: &Path) -> PathBuf {
    let lib = dir.join("lib");
    segue::ingest(&lib, &IngestOptions::new(catalog(dir, 600, 1))).unwrap();
    lib
}

fn query_vectors(n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| {
            (0..AUDIO_DIM)
                .map(|j| ((i * 7 + j * 3) % 11) as f32 - 5.0)
                .collect()
        })
        .collect()
}

#[test]
fn many_searches_at_once_answer_each_as_a_single_search_would_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let searcher = open_searcher(&library(tmp.path()), &EncoderOptions::default()).unwrap();
    let requests: Vec<SearchRequest> = query_vectors(23)
        .into_iter()
        .map(|v| {
            SearchRequest::vector(EmbeddingKind::Audio, v)
                .unwrap()
                .k(7)
                .unwrap()
        })
        .collect();
    for threads in [0, 1, 2, 5, 64] {
        let many = search_many(&searcher, &requests, threads).unwrap();
        assert_eq!(many.len(), requests.len());
        for (request, (hits, _)) in requests.iter().zip(&many) {
            assert_eq!(
                hits,
                &searcher.search(request).unwrap().0,
                "threads {threads}"
            );
        }
    }
    assert!(search_many(&searcher, &[], 2).unwrap().is_empty());
    // A bad request among good ones is the batch's error.
    let mut bad = requests.clone();
    bad[5] = SearchRequest::like(
        EmbeddingKind::Audio,
        &["no-such-track"],
        &[],
        Default::default(),
    )
    .unwrap();
    let err = search_many(&searcher, &bad, 2).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadInput, "{err}");
    assert!(err.to_string().contains("no-such-track"), "{err}");
}

#[test]
fn hits_become_one_arrow_table_whose_columns_do_not_depend_on_the_hits() {
    let tmp = tempfile::tempdir().unwrap();
    let searcher = open_searcher(&library(tmp.path()), &EncoderOptions::default()).unwrap();
    let fields = [Field::Title, Field::Bpm, Field::Tags, Field::HasVocals];
    let request = |v: Vec<f32>| {
        SearchRequest::vector(EmbeddingKind::Audio, v)
            .unwrap()
            .k(4)
            .unwrap()
            .fields(&fields)
    };
    let results: Vec<_> = query_vectors(3)
        .into_iter()
        .map(|v| searcher.search(&request(v)).unwrap().0)
        .collect();
    let columns = |query: bool, rerank: bool| HitColumns {
        fields: fields.to_vec(),
        query,
        rerank,
    };
    let batch = hits_record_batch(&results, &columns(true, false)).unwrap();
    let names: Vec<_> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "query",
            "rank",
            "track_id",
            "score",
            "row",
            "title",
            "bpm",
            "tags",
            "has_vocals"
        ]
    );
    assert_eq!(batch.num_rows(), 12);
    use arrow_array::cast::AsArray;
    let ids = batch.column(2).as_string::<i32>();
    let queries = batch
        .column(0)
        .as_primitive::<arrow_array::types::UInt32Type>();
    for (q, hits) in results.iter().enumerate() {
        for (r, hit) in hits.iter().enumerate() {
            assert_eq!(ids.value(q * 4 + r), hit.track_id);
            assert_eq!(queries.value(q * 4 + r) as usize, q);
        }
    }
    let empty = hits_record_batch(&[], &columns(false, false)).unwrap();
    assert_eq!(empty.num_rows(), 0);
    assert_eq!(empty.schema().fields().len(), names.len() - 1);

    // A reranked search: each hit's place in the pool and the reranker's score beside the
    // relevance.
    let spec = SearchSpec {
        vector: Some(query_vectors(1).remove(0)),
        k: Some(4),
        fields: Some(fields.to_vec()),
        diversify: Some(Diversify::mmr(0.5).unwrap()),
        ..SearchSpec::default()
    };
    assert!(spec.reranks());
    let (hits, _) = searcher.search(&spec.request(&searcher).unwrap()).unwrap();
    let batch = hits_record_batch(std::slice::from_ref(&hits), &spec.hit_columns(false)).unwrap();
    let schema = batch.schema();
    assert_eq!(schema.field(4).name(), "pool_rank");
    assert_eq!(schema.field(5).name(), "rerank_score");
    let pool_ranks = batch
        .column(4)
        .as_primitive::<arrow_array::types::UInt32Type>();
    for (i, hit) in hits.iter().enumerate() {
        let r = hit.rerank.expect("a reranked hit");
        assert_eq!(pool_ranks.value(i) as usize, r.pool_rank);
    }
}

#[test]
fn a_search_spec_means_what_the_command_line_means_and_refuses_what_it_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let searcher = open_searcher(&library(tmp.path()), &EncoderOptions::default()).unwrap();
    let v = query_vectors(1).remove(0);
    let spec = SearchSpec {
        vector: Some(v.clone()),
        k: Some(5),
        filter: Some("bpm >= 0".into()),
        ..SearchSpec::default()
    };
    let direct = SearchRequest::vector(EmbeddingKind::Audio, v.clone())
        .unwrap()
        .k(5)
        .unwrap()
        .filter("bpm >= 0")
        .unwrap();
    assert_eq!(spec.request(&searcher).unwrap(), direct);
    let refused = |spec: SearchSpec, says: &str| {
        let err = spec.request(&searcher).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadInput, "{err}");
        assert!(err.to_string().contains(says), "{err} should say {says}");
    };
    refused(SearchSpec::default(), "nothing to search for");
    refused(
        SearchSpec {
            vector: Some(v.clone()),
            like: vec!["a".into()],
            ..SearchSpec::default()
        },
        "give one of",
    );
    refused(
        SearchSpec {
            unlike: vec!["a".into()],
            ..SearchSpec::default()
        },
        "needs `like`",
    );
    refused(
        SearchSpec {
            vector: Some(vec![1.0; 3]),
            ..SearchSpec::default()
        },
        "dimension 3",
    );
    refused(
        SearchSpec {
            vector: Some(v.clone()),
            filter: Some("bpm >>= 3".into()),
            ..SearchSpec::default()
        },
        "bpm",
    );
    refused(
        SearchSpec {
            vector: Some(v),
            k: Some(0),
            ..SearchSpec::default()
        },
        "k must be",
    );
}

#[test]
fn an_ingest_reports_progress_and_a_callback_can_cancel_it_without_publishing() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = library(tmp.path());
    let before = Library::open(&lib).unwrap().version();
    let more = catalog(tmp.path(), 3000, 2);
    let reports = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    let mut opts = IngestOptions::new(&more);
    opts.batch_rows = 500;
    opts.on_duplicate = segue::OnDuplicate::Skip;
    opts.on_progress = Some(ProgressCallback::new(move |r| {
        seen.lock().unwrap().push(*r);
        if r.rows_read >= 1000 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }));
    let err = segue::Error::from(segue::ingest(&lib, &opts).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    let reports = reports.lock().unwrap().clone();
    assert!(reports.len() >= 2, "{reports:?}");
    assert!(reports.windows(2).all(|w| w[0].rows_read <= w[1].rows_read));
    assert!(reports.iter().all(|r| r.done <= r.total));
    let after = Library::open(&lib).unwrap();
    assert_eq!(after.version(), before, "a cancelled ingest published");

    // Uncancelled, the last report counts everything as read.
    let last = std::sync::Arc::new(Mutex::new(None));
    let keep = last.clone();
    opts.on_progress = Some(ProgressCallback::new(move |r| {
        *keep.lock().unwrap() = Some(*r);
        ControlFlow::Continue(())
    }));
    let summary = segue::ingest(&lib, &opts).unwrap();
    let last = last.lock().unwrap().unwrap();
    assert_eq!(last.rows_read, summary.rows_read);
    assert_eq!(last.done, last.total);
}

#[test]
fn videos_from_json_text_are_checked_like_video_files_and_fit_and_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = library(tmp.path());
    let library = Library::open(&lib).unwrap();
    let dims = library.dims().into();
    let err = parse_video(
        r#"{"id": "v", "segments": [{"start": 0, "end": "x"}]}"#,
        dims,
    )
    .unwrap_err();
    assert!(err.to_string().contains("end"), "{err}");
    let err = parse_video(
        r#"{"id": "v", "segments": [{"start": 0, "end": 5, "audio_emb": [1, 2]}]}"#,
        dims,
    )
    .unwrap_err();
    assert!(err.to_string().contains("audio_emb"), "{err}");

    let anchors = video_anchors(&library, 8).unwrap();
    let spec = segue::fixtures::VideoSpec {
        count: 4,
        seed: 3,
        ..Default::default()
    };
    let videos: Vec<_> = segue::fixtures::generate_videos(&spec, &anchors)
        .unwrap()
        .iter()
        .map(|v| parse_video(&serde_json::to_string(v).unwrap(), dims).unwrap())
        .collect();
    drop(library);
    let (manifest, summary) = fit_videos(&lib, &videos, "memory").unwrap();
    assert_eq!(summary.videos, 4);
    assert_eq!(summary.library_version, manifest.library_version);
    let planner = open_planner(&lib, &EncoderOptions::default()).unwrap();
    let plan = planner.plan(&videos[0], &PlanOptions::default()).unwrap();
    let table = plans_record_batch(std::slice::from_ref(&plan)).unwrap();
    assert_eq!(table.num_rows(), plan.segments.len());
}
