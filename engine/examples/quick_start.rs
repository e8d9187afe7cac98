//! The README's "Using the library from Rust" example, compiled by `cargo test` (and checked to
//! be the README's text by `tests/integration/readme.rs`). Run it with a library and a video:
//! `cargo run -p segue --example quick_start -- my-library video.json`.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(video_file)) = (args.next(), args.next()) else {
        eprintln!("usage: quick_start LIBRARY VIDEO.json");
        std::process::exit(2);
    };
    let (dir, video_file) = (Path::new(&dir), Path::new(&video_file));
    // README begin
    use segue::search::{SearchRequest, open_searcher};
    use segue::soundtrack::{PlanOptions, PolicyChoice, open_planner, read_videos_for};
    use segue::{EmbeddingKind, EncoderOptions, Library};

    // A library built by `segue ingest` (or `segue::ingest`), searched with filters:
    let library = Library::open(dir)?;
    println!(
        "version {} with {} tracks",
        library.version(),
        library.rows()
    );
    let searcher = open_searcher(dir, &EncoderOptions::default())?;
    let request =
        SearchRequest::like(EmbeddingKind::Audio, &["track-42"], &[], Default::default())?
            .filter("bpm >= 90 AND NOT tag:vocals")?
            .k(10)?;
    for hit in searcher.search(&request)?.0 {
        println!("{:.3} {} {:?}", hit.score, hit.track_id, hit.fields.title);
    }
    // Text prompts use the library's own text encoder, loaded on first use:
    let (hits, _stats) = searcher.search(&SearchRequest::text("calm piano at dawn")?.k(5)?)?;
    println!("{} hits for the prompt", hits.len());

    // A soundtrack for a video (segments with captions or embeddings):
    let planner = open_planner(dir, &EncoderOptions::default())?;
    let video = &read_videos_for(&planner, video_file)?[0];
    let plan = planner.plan(video, &PlanOptions::default())?; // beam search
    println!(
        "{} switches, return {:.2}",
        plan.switches, plan.total_reward
    );
    // A trained policy: one ONNX session per file, reused by the planner for every video.
    let trained = PlanOptions {
        policy: PolicyChoice::Trained("policy.onnx".into()),
        ..PlanOptions::default()
    };
    let plan = planner.plan(video, &trained)?;
    // README end
    println!(
        "{} segments planned by {}",
        plan.segments.len(),
        plan.policy
    );
    Ok(())
}
