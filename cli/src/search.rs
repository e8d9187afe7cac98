//! `segue search` and `segue reindex`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::list_arg::{self, ListArg};
use segue::EmbeddingKind;
use segue::search::{Caps, HnswParams, IndexPlan, SearchSpec};

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[arg(long)]
    library: PathBuf,
    /// Query vector: a JSON array (.json), a 1-d .npy, or raw little-endian f32.
    #[arg(long, value_name = "FILE")]
    vector_file: Option<PathBuf>,
    /// More like these tracks: track ids separated by commas (`\,` is a comma inside an id);
    /// repeatable.
    #[arg(long, value_name = "ID[,ID]")]
    like: Vec<ListArg>,
    /// ...and unlike these (with --like); written as --like.
    #[arg(long, value_name = "ID[,ID]")]
    unlike: Vec<ListArg>,
    /// How --like ranks: average-vector or best-score.
    #[arg(long, default_value = "average-vector")]
    strategy: String,
    /// A text prompt, embedded with the library's text encoder, e.g. "uplifting acoustic
    /// travel montage".
    #[arg(long, value_name = "PROMPT")]
    text: Option<String>,
    /// The models folder for --text (default: $SEGUE_MODELS_DIR, then ../shared/models).
    #[arg(long)]
    models_dir: Option<PathBuf>,
    /// Tag/word query (BM25), e.g. "calm AND piano", "tag:\"mood:calm\"". With a vector, a
    /// text prompt or --like it makes the search hybrid (reciprocal rank fusion).
    #[arg(long, value_name = "QUERY")]
    tags: Option<String>,
    /// Embedding space of the vector or --like: audio or text (default: from the dimension;
    /// audio for --like).
    #[arg(long)]
    space: Option<String>,
    /// Only tracks matching this filter, e.g. "bpm >= 90 AND tag:mood:calm".
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Graph search candidate list size (recall vs speed; default: the ef measured for the
    /// library's graph when it was built, see `segue info`).
    #[arg(long)]
    ef: Option<usize>,
    /// Scan every allowed track instead of searching the graph.
    #[arg(long)]
    exact: bool,
    /// Reciprocal rank fusion constant for hybrid searches.
    #[arg(long, default_value_t = 60.0)]
    rrf_k: f32,
    /// Rerank a pool of candidates for diversity: mmr[:LAMBDA] (maximal marginal relevance,
    /// λ in [0, 1], default 0.7) or dpp[:THETA] (determinantal point process, θ in [0, 1],
    /// default 0.9); 1 is the relevance order.
    #[arg(long, value_name = "METHOD")]
    diversify: Option<String>,
    /// Candidates reranked (default max(10·k, 100); widened when caps leave fewer than k).
    #[arg(long, value_name = "N")]
    pool: Option<usize>,
    /// Embedding space diversity is measured in (default: audio, else text).
    #[arg(long, value_name = "SPACE")]
    diversity_space: Option<String>,
    /// At most N tracks of one artist.
    #[arg(long, value_name = "N")]
    max_per_artist: Option<u32>,
    /// At most N tracks of one album.
    #[arg(long, value_name = "N")]
    max_per_album: Option<u32>,
    /// At most N tracks per value of a tag prefix, e.g. genre:3 (3 rock, 3 jazz, ...) or
    /// genre:rock:2. Repeatable.
    #[arg(long, value_name = "PREFIX:N")]
    max_per_tag: Vec<String>,
    /// Never return the tracks listed in FILE (one id per line; `#` comments; the first
    /// column of a CSV/TSV).
    #[arg(long, value_name = "FILE")]
    exclude_ids: Option<PathBuf>,
    /// Never return tracks of these artists: names separated by commas (`\,` is a comma inside
    /// a name, as in "Crosby\, Stills & Nash"); repeatable.
    #[arg(long, value_name = "NAME[,NAME]")]
    exclude_artists: Vec<ListArg>,
    /// Order a browse (a --filter alone) or a --tags query by a numeric field: bpm, -bpm
    /// (descending), bpm:desc, duration_s, ...
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
    sort: Option<String>,
    /// Print {"hits": [...]} as JSON.
    #[arg(long)]
    json: bool,
}

pub fn search(args: SearchArgs) -> anyhow::Result<()> {
    let encoders = segue::EncoderOptions {
        models_dir: args.models_dir.clone(),
        threads: 0,
    };
    let searcher = segue::search::open_searcher(&args.library, &encoders)?;
    let request = spec(&args)?.request(&searcher)?;
    let (hits, stats) = searcher.search(&request)?;
    if args.json {
        let out = serde_json::json!({ "hits": hits, "stats": stats });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", crate::render::hits(&hits));
        let allowed = stats
            .allowed_rows
            .map(|n| format!(", {n} tracks pass the filter"))
            .unwrap_or_default();
        let reranked = stats
            .rerank
            .as_ref()
            .map(|r| format!(", reranked ({}) from a pool of {}", r.reranker, r.pool))
            .unwrap_or_default();
        println!(
            "{} hits in {:.1} ms{allowed}{reranked}",
            hits.len(),
            stats.micros as f64 / 1000.0
        );
    }
    if stats.excluded_unknown > 0 {
        eprintln!(
            "note: {} excluded track ids are not in this library (ignored)",
            stats.excluded_unknown
        );
    }
    Ok(())
}

/// The search the flags describe; the facade's [`SearchSpec`] checks it as it checks every
/// front end's.
fn spec(args: &SearchArgs) -> anyhow::Result<SearchSpec> {
    let vector = match &args.vector_file {
        Some(path) => Some(segue::search::read_vector_file(path)?),
        None => None,
    };
    let max_per_tag = args
        .max_per_tag
        .iter()
        .map(|spec| Caps::parse_tag_cap(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let exclude_ids = match &args.exclude_ids {
        Some(path) => segue::search::read_id_list(path)?,
        None => Vec::new(),
    };
    Ok(SearchSpec {
        vector,
        text: args.text.clone(),
        like: list_arg::flatten(&args.like),
        unlike: list_arg::flatten(&args.unlike),
        like_strategy: args.strategy.parse().map_err(anyhow::Error::msg)?,
        words: args.tags.clone(),
        filter: args.filter.clone(),
        space: args.space.as_deref().map(parse_space).transpose()?,
        k: Some(args.k),
        ef: args.ef,
        exact: args.exact,
        rrf_k: Some(args.rrf_k),
        fields: None,
        diversify: args.diversify.as_deref().map(str::parse).transpose()?,
        pool: args.pool,
        diversity_space: args
            .diversity_space
            .as_deref()
            .map(parse_space)
            .transpose()?,
        max_per_artist: args.max_per_artist,
        max_per_album: args.max_per_album,
        max_per_tag,
        exclude_ids,
        exclude_artists: list_arg::flatten(&args.exclude_artists),
        sort: args.sort.as_deref().map(str::parse).transpose()?,
        // Shard statistics are gathered by a sharded deployment's router (python/segue/cluster).
        text_statistics: None,
    })
}

fn parse_space(s: &str) -> anyhow::Result<EmbeddingKind> {
    match s {
        "audio" | "audio_emb" => Ok(EmbeddingKind::Audio),
        "text" | "text_emb" => Ok(EmbeddingKind::Text),
        other => bail!("unknown --space {other:?} (audio or text)"),
    }
}

#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[arg(long)]
    library: PathBuf,
    /// HNSW links per node (layer 0 keeps twice as many).
    #[arg(long, default_value_t = segue::index::ann::params::DEFAULT_M)]
    m: usize,
    /// HNSW candidate list size while building.
    #[arg(long, default_value_t = segue::index::ann::params::DEFAULT_EF_CONSTRUCTION)]
    ef_construction: usize,
    /// Build threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Graph builder: `segue` (ours, hnswlib's algorithm) or `hnsw_rs` (the reference crate,
    /// about 3x slower to build).
    #[arg(long, default_value = "segue")]
    builder: segue::index::ann::GraphBuilder,
    /// Do not build HNSW graphs (searches scan exactly).
    #[arg(long)]
    no_ann: bool,
    /// Do not build the text index.
    #[arg(long)]
    no_text: bool,
    /// Keep an int8 copy of each space's vectors for searching (`int8`: a quarter of the
    /// memory, candidates re-ranked on f32) or not (`none`); the library keeps its choice until
    /// told otherwise (new libraries: none).
    #[arg(long, value_name = "none|int8")]
    quantise: Option<segue::index::quantised::Quantisation>,
    /// Walk the f32 vectors while building the graphs even where the library keeps int8
    /// copies (by default a build walks the int8 copy and chooses links on f32: faster, the
    /// same quality; this is for comparing the two).
    #[arg(long)]
    build_on_f32: bool,
}

pub fn reindex(args: ReindexArgs) -> anyhow::Result<()> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let params = HnswParams {
        m: args.m,
        ef_construction: args.ef_construction,
        threads,
        builder: args.builder,
    };
    params.validate()?;
    let plan = IndexPlan {
        ann: (!args.no_ann).then_some(params),
        text: !args.no_text,
        threads,
        quantisation: args.quantise,
        build_on_f32: args.build_on_f32,
        ..IndexPlan::default()
    };
    let progress = crate::progress::wanted().then(index_progress_bar);
    let m = segue::search::reindex(&args.library, plan, progress)
        .with_context(|| format!("reindexing {}", args.library.display()))?;
    println!(
        "{}: version {} with {} tracks; graphs: {}; text index: {}; vectors: {}",
        args.library.display(),
        m.library_version,
        m.rows,
        if m.ann.is_empty() {
            "none".to_string()
        } else {
            m.ann
                .iter()
                .map(|(k, a)| format!("{k} ({} rows, {:.1} s)", a.rows, a.build_seconds))
                .collect::<Vec<_>>()
                .join(", ")
        },
        m.text_index
            .as_ref()
            .map_or("none".to_string(), |t| format!(
                "{} docs, {:.1} s",
                t.docs, t.build_seconds
            )),
        match m.quantisation {
            segue::index::quantised::Quantisation::Int8 => "f32 and int8",
            segue::index::quantised::Quantisation::None => "f32",
        }
    );
    Ok(())
}

/// A progress bar for index builds, relabelled per step.
pub fn index_progress_bar() -> segue::index::writer::ProgressFn {
    let bar = crate::progress::bar(0, "{msg:>24} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})");
    let label = std::sync::Mutex::new(String::new());
    Box::new(move |what: &str, done: u64, total: u64| {
        if let Ok(mut l) = label.lock()
            && *l != what
        {
            *l = what.to_string();
            bar.reset();
            bar.set_message(what.to_string());
        }
        bar.set_length(total);
        bar.set_position(done);
        if done >= total {
            bar.finish();
        }
    })
}
