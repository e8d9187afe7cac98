//! Text through the facade: searchers and planners opened by the facade embed prompts and
//! captions with the library's own encoder, and when the encoder cannot be loaded or fails,
//! the error says why instead of a misleading "needs an encoder".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use segue::models::{ModelError, Precision, TextEncoder, TextEncoderOptions};
use segue::query::QueryError;
use segue::query::search::TextEmbedder;
use segue::search::{SearchRequest, open_searcher};
use segue::soundtrack::{PlanOptions, Video, open_planner};
use segue::{EncoderOptions, Error, IngestOptions};

/// The MiniLM model folder, which these tests need to build a library with a text space.
fn models() -> Option<PathBuf> {
    segue::fixtures::shared::shared_path("models")
}

/// A library of a few captioned tracks whose text space was made by MiniLM (fp32).
fn captioned_library(dir: &Path) -> PathBuf {
    let csv = dir.join("cat.csv");
    std::fs::write(
        &csv,
        "track_id,title,duration_s,caption\n\
         a,Dawn,200,calm piano for a quiet sunrise\n\
         b,Riot,180,loud distorted punk guitars\n\
         c,Drift,240,soft ambient pads and rain\n",
    )
    .unwrap();
    let encoder = TextEncoder::load(&TextEncoderOptions {
        precision: Precision::Fp32,
        ..TextEncoderOptions::default()
    })
    .unwrap();
    let mut o = IngestOptions::new(&csv);
    o.progress = false;
    o.text_encoder = Some(Arc::new(encoder));
    let lib = dir.join("lib");
    segue::ingest(&lib, &o).unwrap();
    lib
}

fn caption_video() -> Video {
    serde_json::from_value(serde_json::json!({
        "id": "v",
        "segments": [
            {"start": 0, "end": 60, "caption": "a quiet sunrise over the lake"},
            {"start": 60, "end": 120, "caption": "rain on the window"}
        ]
    }))
    .unwrap()
}

#[test]
fn the_facades_searcher_embeds_text_prompts_with_the_librarys_encoder() {
    if models().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = captioned_library(tmp.path());
    let searcher = open_searcher(&lib, &EncoderOptions::default()).unwrap();
    let request = SearchRequest::text("gentle piano at sunrise")
        .unwrap()
        .k(1)
        .unwrap();
    let (hits, _) = searcher.search(&request).unwrap();
    assert_eq!(hits[0].track_id, "a");
    let plan = open_planner(&lib, &EncoderOptions::default())
        .unwrap()
        .plan(&caption_video(), &PlanOptions::default())
        .unwrap();
    assert_eq!(plan.segments.len(), 2);
}

#[test]
fn an_encoder_that_cannot_be_loaded_is_reported_with_its_own_error() {
    if models().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = captioned_library(tmp.path());
    let empty = tmp.path().join("no-models");
    std::fs::create_dir(&empty).unwrap();
    let encoders = EncoderOptions {
        models_dir: Some(empty),
        threads: 0,
    };
    // Opening does not load the model: searches without text still work.
    let searcher = open_searcher(&lib, &encoders).unwrap();
    let err = searcher
        .search(&SearchRequest::text("piano").unwrap())
        .unwrap_err();
    let QueryError::Embedding { source, .. } = &err else {
        panic!("{err:?}");
    };
    let ModelError::Unavailable { cause, .. } = source else {
        panic!("{source:?}");
    };
    assert!(
        matches!(**cause, ModelError::ModelMissing { .. }),
        "{cause:?}"
    );
    assert!(err.to_string().contains("no-models"), "{err}");
    let planner = open_planner(&lib, &encoders).unwrap();
    let err = planner
        .plan(&caption_video(), &PlanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("caption of video `v` segment 0") && err.contains("no-models"),
        "{err}"
    );
}

/// An embedder whose model fails at run time.
#[derive(Debug)]
struct Broken(String);

impl TextEmbedder for Broken {
    fn encoder_id(&self) -> String {
        self.0.clone()
    }

    fn embed_query(&self, _text: &str) -> Result<Vec<f32>, ModelError> {
        Err(ModelError::Inference {
            model: self.0.clone(),
            reason: "the session crashed".into(),
        })
    }
}

#[test]
fn a_model_fault_is_a_model_error_not_a_bad_request() {
    if models().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = captioned_library(tmp.path());
    let library = Arc::new(segue::Library::open(&lib).unwrap());
    let id = library.manifest().embeddings["text_emb"]
        .encoder
        .clone()
        .unwrap();
    let searcher = segue::search::Searcher::new(library).with_text_embedder(Arc::new(Broken(id)));
    let err = searcher
        .search(&SearchRequest::text("piano").unwrap())
        .unwrap_err();
    assert!(
        matches!(
            &err,
            QueryError::Embedding {
                source: ModelError::Inference { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let facade: Error = err.into();
    assert!(
        facade.to_string().contains("the session crashed"),
        "{facade}"
    );
}

#[test]
fn a_library_without_a_known_encoder_says_why_text_cannot_be_searched() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("cat.csv");
    std::fs::write(
        &csv,
        "track_id,duration_s,text_emb\na,100,1;0;0\nb,120,0;1;0\n",
    )
    .unwrap();
    let mut o = IngestOptions::new(&csv);
    o.progress = false;
    let lib = tmp.path().join("lib");
    segue::ingest(&lib, &o).unwrap();
    let searcher = open_searcher(&lib, &EncoderOptions::default()).unwrap();
    let err = searcher
        .search(&SearchRequest::text("piano").unwrap())
        .unwrap_err();
    assert!(matches!(err, QueryError::NoTextEncoder(_)), "{err:?}");
    assert!(err.to_string().contains("came with the catalogue"), "{err}");
}
