//! `segue demo`: the main job on an embedded default. Builds a library from the shipped
//! fixtures (a real catalogue from `../shared/data` when present, else a generated one) and
//! shows what it built and one sample search.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};

use segue_index::schema::col;
use segue_index::{EmbeddingKind, Library};
use segue_ingest::{IngestOptions, IngestSummary};

use crate::error::{Error, Result};
use crate::info::LibraryInfo;

/// Which catalogue the demo builds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemoSource {
    /// The real Spotify catalogue when `../shared/data` is present, else a generated one.
    #[default]
    Auto,
    Real,
    Generated,
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub source: DemoSource,
    /// Tracks of the generated catalogue.
    pub generated_tracks: u64,
    pub progress: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            dir: PathBuf::from("segue-demo-library"),
            source: DemoSource::Auto,
            generated_tracks: 5_000,
            progress: true,
        }
    }
}

/// Builds the demo library and returns the report to print.
pub fn run(opts: &DemoOptions) -> Result<String> {
    prepare_dir(&opts.dir)?;
    let real = match opts.source {
        DemoSource::Generated => None,
        DemoSource::Real => Some(crate::paths::spotify_csv().ok_or_else(|| {
            Error::Invalid("the real catalogue (../shared/data/tidytuesday-spotify/spotify_songs.csv) is not present; set SEGUE_SHARED_DATA".into())
        })?),
        DemoSource::Auto => crate::paths::spotify_csv(),
    };
    let mut out = String::new();
    let summary = match &real {
        Some(csv) => {
            writeln!(
                out,
                "Building a library from the real Spotify catalogue {}",
                csv.display()
            )
            .ok();
            ingest(&opts.dir, csv, opts.progress)?
        }
        None => {
            let catalog = generated_catalog(&opts.dir, opts.generated_tracks)?;
            writeln!(
                out,
                "Building a library from a generated catalogue ({} tracks, seed 7)",
                opts.generated_tracks
            )
            .ok();
            let s = ingest(&opts.dir, &catalog, opts.progress);
            let _ = std::fs::remove_file(&catalog);
            s?
        }
    };
    writeln!(
        out,
        "Ingested {} of {} rows in {:.1} s ({} rejected).\n",
        summary.rows_added, summary.rows_read, summary.seconds, summary.rows_rejected
    )
    .ok();
    let lib = Library::open(&opts.dir)?;
    out.push_str(&LibraryInfo::of(&lib, false)?.render());
    out.push('\n');
    if lib.vectors(EmbeddingKind::Audio).is_some() {
        out.push_str(&similar_tracks(&lib)?);
    } else {
        out.push_str(&tag_search(&lib)?);
    }
    Ok(out)
}

fn ingest(dir: &Path, catalog: &Path, progress: bool) -> Result<IngestSummary> {
    let mut o = IngestOptions::new(catalog);
    o.progress = progress;
    Ok(segue_ingest::ingest(dir, &o)?)
}

/// The demo directory is rebuilt each run, but only if it is ours (or empty).
fn prepare_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let is_library = dir.join(segue_index::manifest::MANIFEST_FILE).exists();
    let empty = std::fs::read_dir(dir)
        .map_err(|e| Error::Io {
            path: dir.into(),
            source: e,
        })?
        .next()
        .is_none();
    if !(is_library || empty) {
        return Err(Error::Invalid(format!(
            "{} exists and is not a Segue library; choose another --dir",
            dir.display()
        )));
    }
    std::fs::remove_dir_all(dir).map_err(|e| Error::Io {
        path: dir.into(),
        source: e,
    })
}

fn generated_catalog(dir: &Path, tracks: u64) -> Result<PathBuf> {
    let path = PathBuf::from(format!("{}.catalog.parquet", dir.display()));
    let spec = segue_fixtures::CatalogSpec {
        tracks,
        audio_dim: 128,
        text_dim: 384,
        seed: 7,
        clusters: 24,
    };
    segue_fixtures::write_catalog_parquet(&spec, &path, &mut |_| {})?;
    Ok(path)
}

/// Exact nearest neighbours of the first track in the audio space.
fn similar_tracks(lib: &Library) -> Result<String> {
    let vectors = lib
        .vectors(EmbeddingKind::Audio)
        .expect("checked by caller");
    let query = vectors.row(0).to_vec();
    let hits = segue_index::exact::top_k(vectors, &query, 6, |_| true)?;
    let rows: Vec<u64> = hits.iter().map(|h| h.row).collect();
    let batch = lib.take(
        &rows,
        &[col::TRACK_ID, col::TITLE, col::ARTIST, col::TAGS, col::BPM],
    )?;
    let mut out = String::from(
        "Sample search: the tracks that sound most like the first one (exact cosine, audio space)\n",
    );
    writeln!(
        out,
        "{:>6}  {:<16} {:<28} {:<22} {:>5}  tags",
        "score", "track", "title", "artist", "bpm"
    )
    .ok();
    for (i, h) in hits.iter().enumerate() {
        let r = row_text(&batch, i);
        writeln!(
            out,
            "{:>6.3}  {:<16} {:<28} {:<22} {:>5}  {}",
            h.score,
            r.id,
            clip(&r.title, 28),
            clip(&r.artist, 22),
            r.bpm,
            r.tags
        )
        .ok();
    }
    Ok(out)
}

/// A metadata search over a library without embeddings: rock tracks at 118–122 BPM, most
/// energetic first.
fn tag_search(lib: &Library) -> Result<String> {
    let batches = lib.scan(&[
        col::TRACK_ID,
        col::TITLE,
        col::ARTIST,
        col::TAGS,
        col::BPM,
        col::ENERGY,
    ])?;
    let mut found: Vec<(f32, RowText)> = Vec::new();
    for b in &batches {
        let bpm = b
            .column_by_name(col::BPM)
            .expect("projected")
            .as_primitive::<Float32Type>();
        let energy = b
            .column_by_name(col::ENERGY)
            .expect("projected")
            .as_primitive::<Float32Type>();
        for i in 0..b.num_rows() {
            let r = row_text(b, i);
            let in_tempo = !bpm.is_null(i) && (118.0..=122.0).contains(&bpm.value(i));
            if in_tempo && r.tags.split(", ").any(|t| t == "genre:rock") {
                found.push((
                    if energy.is_null(i) {
                        0.0
                    } else {
                        energy.value(i)
                    },
                    r,
                ));
            }
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = format!(
        "Sample search: tag genre:rock AND 118 <= bpm <= 122, most energetic first ({} matches)\n",
        found.len()
    );
    writeln!(
        out,
        "{:>6}  {:<24} {:<32} {:<22} {:>5}  tags",
        "energy", "track", "title", "artist", "bpm"
    )
    .ok();
    for (e, r) in found.iter().take(8) {
        writeln!(
            out,
            "{e:>6.3}  {:<24} {:<32} {:<22} {:>5}  {}",
            r.id,
            clip(&r.title, 32),
            clip(&r.artist, 22),
            r.bpm,
            clip(&r.tags, 60)
        )
        .ok();
    }
    Ok(out)
}

struct RowText {
    id: String,
    title: String,
    artist: String,
    tags: String,
    bpm: String,
}

fn row_text(b: &RecordBatch, i: usize) -> RowText {
    let s = |name: &str| {
        b.column_by_name(name)
            .filter(|a| !a.is_null(i))
            .map(|a| a.as_string::<i32>().value(i).to_string())
            .unwrap_or_default()
    };
    let tags = b
        .column_by_name(col::TAGS)
        .filter(|a| !a.is_null(i))
        .map(|a| {
            let v = a.as_list::<i32>().value(i);
            v.as_string::<i32>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let bpm = b
        .column_by_name(col::BPM)
        .filter(|a| !a.is_null(i))
        .map(|a| format!("{:.0}", a.as_primitive::<Float32Type>().value(i)))
        .unwrap_or_default();
    RowText {
        id: s(col::TRACK_ID),
        title: s(col::TITLE),
        artist: s(col::ARTIST),
        tags,
        bpm,
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
