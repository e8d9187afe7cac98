//! `segue ingest`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use segue::ingest_crate::AudioIngest;
use segue::models::audio::musicnn::MUSICNN_ENCODER_ID;
use segue::models::text::MINILM_NAME;
use segue::models::{
    AudioAnalyzer, AudioAnalyzerOptions, Precision, TextEncoder, TextEncoderOptions,
};
use segue::{CatalogFormat, IngestOptions, OnDuplicate};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The library directory (created if it does not exist).
    #[arg(long)]
    library: PathBuf,
    /// The catalogue: CSV, TSV, JSON Lines or Parquet. Without it, --audio-dir is the catalogue:
    /// one track per audio file.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// auto, generic, jamendo or spotify.
    #[arg(long, default_value = "auto")]
    format: CatalogFormat,
    /// What a track id already in the library does: error, skip or replace.
    #[arg(long, default_value = "error")]
    on_duplicate: OnDuplicate,
    /// Ingest the good rows; write the bad ones with their reasons to a rejects file.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Where the rejects file goes (default: LIBRARY/reports/ingest-vNNNNNN-rejects.jsonl).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Audio-space embeddings in catalogue row order (.npy, or raw little-endian f32 with --audio-dim).
    #[arg(long)]
    audio_emb: Option<PathBuf>,
    /// Caption text embeddings in catalogue row order (.npy, or raw f32 with --text-dim).
    #[arg(long)]
    text_emb: Option<PathBuf>,
    #[arg(long)]
    audio_dim: Option<u32>,
    #[arg(long)]
    text_dim: Option<u32>,
    /// Rows per batch (bounds memory).
    #[arg(long, default_value_t = 8192)]
    batch_rows: usize,
    /// Embed captions (or captions composed of title, artist, tags, BPM and mood) for tracks
    /// without text_emb: fp32 or int8 all-MiniLM-L6-v2, off, or auto: on when the library's
    /// text space was made by all-MiniLM-L6-v2, and for a new library whose catalogue brings
    /// no text embeddings (so text prompts work on tag-only catalogues); off otherwise.
    #[arg(long, default_value = "auto")]
    embed_text: String,
    /// Analyse audio: duration, BPM, energy, centroid, MFCCs and the musicnn embedding and tags.
    /// Relative audio_path values resolve here; tracks without one use DIR/<track_id>.<ext>.
    #[arg(long)]
    audio_dir: Option<PathBuf>,
    /// Analyse the files the catalogue's audio_path column names (relative to its folder).
    #[arg(long)]
    analyze_audio: bool,
    /// The models folder (default: $SEGUE_MODELS_DIR, then ../shared/models).
    #[arg(long)]
    models_dir: Option<PathBuf>,
    /// Threads for audio analysis and model inference.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Build no new HNSW graph or text index (run `segue reindex` later); what the previous
    /// version had and is still valid is carried over.
    #[arg(long)]
    no_index: bool,
    /// HNSW links per node of the graphs this ingest builds (default 16; 32 doubles the
    /// graphs' memory and serves wide walks, such as a DPP's pool, much faster).
    #[arg(long, conflicts_with = "no_index")]
    m: Option<usize>,
    /// HNSW candidate list size while building (default 200).
    #[arg(long, conflicts_with = "no_index")]
    ef_construction: Option<usize>,
    /// Keep an int8 copy of each space's vectors for searching (`int8`: a quarter of the
    /// memory, candidates re-ranked on f32) or not (`none`); the library keeps its choice until
    /// told otherwise (new libraries: none).
    #[arg(long, value_name = "none|int8")]
    quantise: Option<segue::index::quantised::Quantisation>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// The encoders that made an existing library's spaces, from its manifest.
fn library_encoders(library: &Path) -> (Option<String>, Option<String>) {
    if !library.join("MANIFEST.json").is_file() {
        return (None, None);
    }
    match segue::Library::open_with(library, segue::WalkMemory::Mapped) {
        Ok(lib) => {
            let get = |k: segue::EmbeddingKind| {
                lib.manifest()
                    .embeddings
                    .get(k.column())
                    .and_then(|e| e.encoder.clone())
            };
            (
                get(segue::EmbeddingKind::Audio),
                get(segue::EmbeddingKind::Text),
            )
        }
        // The ingest itself reports what is wrong with the library.
        Err(_) => (None, None),
    }
}

fn text_encoder(
    a: &IngestArgs,
    catalog: &Path,
    library_text: Option<&str>,
) -> anyhow::Result<Option<Arc<TextEncoder>>> {
    let precision = match a.embed_text.as_str() {
        "off" => return Ok(None),
        "auto" => match library_text.and_then(|id| id.strip_prefix(MINILM_NAME)) {
            Some(variant) => variant
                .trim_start_matches('/')
                .parse::<Precision>()
                .map_err(|e| anyhow::anyhow!("the library's text encoder {library_text:?}: {e}"))?,
            None if catalogue_lacks_text(a, catalog) => {
                return Ok(default_text_encoder(a));
            }
            None => return Ok(None),
        },
        other => other
            .parse::<Precision>()
            .map_err(|e| anyhow::anyhow!("--embed-text: {e} (or auto, off)"))?,
    };
    Ok(Some(load_text_encoder(a, precision)?))
}

fn load_text_encoder(a: &IngestArgs, precision: Precision) -> anyhow::Result<Arc<TextEncoder>> {
    let enc = TextEncoder::load(&TextEncoderOptions {
        models_dir: a.models_dir.clone(),
        precision,
        intra_threads: a.threads,
        ..TextEncoderOptions::default()
    })
    .context("loading the text encoder")?;
    Ok(Arc::new(enc))
}

/// A new library from a catalogue file without text embeddings (and none given beside it):
/// `--embed-text auto` gives it a text space.
fn catalogue_lacks_text(a: &IngestArgs, catalog: &Path) -> bool {
    let new_library = !a
        .library
        .join(segue::index::manifest::MANIFEST_FILE)
        .exists();
    let given = a.text_emb.is_some() || a.text_dim.is_some();
    new_library
        && !given
        && catalog.is_file()
        // A catalogue that cannot be opened is reported by the ingest itself.
        && segue::ingest_crate::sources::open(catalog, a.format)
            .is_ok_and(|source| source.has_embedding(segue::EmbeddingKind::Text) == Some(false))
}

/// all-MiniLM-L6-v2 (fp32) for a catalogue without text embeddings, said on stderr; without
/// the model files the library is built without a text space, also said.
fn default_text_encoder(a: &IngestArgs) -> Option<Arc<TextEncoder>> {
    match load_text_encoder(a, Precision::Fp32) {
        Ok(enc) => {
            eprintln!(
                "note: the catalogue has no text embeddings; embedding each track's caption (or \
                 one composed of its title, artist, tags and BPM) with {MINILM_NAME}, so text \
                 prompts work (--embed-text off skips this)"
            );
            Some(enc)
        }
        Err(e) => {
            eprintln!(
                "note: the catalogue has no text embeddings and {e:#}: the library gets no text \
                 space (give --models-dir, or --embed-text off to silence this)"
            );
            None
        }
    }
}

fn audio(a: &IngestArgs, library_audio: Option<&str>) -> anyhow::Result<Option<AudioIngest>> {
    let wanted =
        a.audio_dir.is_some() || a.analyze_audio || library_audio == Some(MUSICNN_ENCODER_ID);
    if !wanted {
        return Ok(None);
    }
    let analyzer = AudioAnalyzer::load(&AudioAnalyzerOptions {
        models_dir: a.models_dir.clone(),
        threads: a.threads.max(1),
        ..AudioAnalyzerOptions::default()
    })
    .context("loading the audio analyser")?;
    Ok(Some(AudioIngest::new(
        Arc::new(analyzer),
        a.audio_dir.clone(),
    )))
}

pub fn run(a: IngestArgs) -> anyhow::Result<()> {
    let catalog = match (&a.catalog, &a.audio_dir) {
        (Some(c), _) => c.clone(),
        (None, Some(dir)) => dir.clone(),
        (None, None) => anyhow::bail!("give --catalog FILE, --audio-dir DIR, or both"),
    };
    let index = index_plan(&a)?;
    let (library_audio, library_text) = library_encoders(&a.library);
    let text_encoder = text_encoder(&a, &catalog, library_text.as_deref())?;
    let audio = audio(&a, library_audio.as_deref())?;
    let opts = IngestOptions {
        format: a.format,
        on_duplicate: a.on_duplicate,
        skip_bad_rows: a.skip_bad_rows,
        rejects_path: a.rejects,
        audio_emb_file: a.audio_emb,
        text_emb_file: a.text_emb,
        audio_dim: a.audio_dim,
        text_dim: a.text_dim,
        batch_rows: a.batch_rows,
        progress: crate::progress::wanted(),
        text_encoder,
        audio,
        index,
        ..IngestOptions::new(catalog)
    };
    let s = segue::ingest(&a.library, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    if s.published {
        println!(
            "published version {} of {}: {} tracks in all",
            s.library_version,
            a.library.display(),
            s.total_tracks
        );
    } else {
        println!(
            "nothing new to ingest: {} stays at version {}",
            a.library.display(),
            s.library_version
        );
    }
    println!(
        "{} ({}): {} rows read, {} added, {} replaced, {} duplicates skipped, {} rejected in {:.1} s ({:.0} rows/s)",
        opts.catalog.display(),
        s.format,
        s.rows_read,
        s.rows_added,
        s.rows_replaced,
        s.rows_skipped_duplicate,
        s.rows_rejected,
        s.seconds,
        s.rows_read as f64 / s.seconds.max(1e-9)
    );
    if s.audio_analyzed > 0 || s.text_embedded > 0 {
        println!(
            "{} audio files analysed, {} captions embedded",
            s.audio_analyzed, s.text_embedded
        );
    }
    for (space, encoder) in &s.encoders {
        println!("{space}: {encoder}");
    }
    if let Some(r) = &s.rejects_file {
        println!("rejected rows and their reasons: {}", r.display());
    }
    if !s.ignored_columns.is_empty() {
        println!("ignored columns: {}", s.ignored_columns.join(", "));
    }
    Ok(())
}

/// The derived indexes an ingest builds: none with `--no-index`, else every graph with the
/// parameters asked for.
fn index_plan(a: &IngestArgs) -> anyhow::Result<segue::IndexPlan> {
    let mut plan = if a.no_index {
        segue::IndexPlan::none()
    } else {
        segue::IndexPlan::default()
    };
    plan.quantisation = a.quantise;
    if let Some(params) = plan.ann.as_mut() {
        if let Some(m) = a.m {
            params.m = m;
        }
        if let Some(ef) = a.ef_construction {
            params.ef_construction = ef;
        }
        params.validate()?;
    }
    Ok(plan)
}
