//! What diversity costs in relevance, on a real catalogue: text prompts made of tag combinations
//! the catalogue really has ("calm piano", "happy pop"), each searched plainly and with every
//! reranker setting. Per setting, averaged over the prompts: relevance retained (the reranked
//! top-k's summed relevance over the plain top-k's), distinct artists, intra-list diversity
//! (mean pairwise 1 − cos in the text space), distinct tags, and the share of hits that carry
//! both of the prompt's tags.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use segue_charts::{ChartFiles, Legend, LineChart, Style};
use segue_index::{EmbeddingKind, Library};
use segue_query::rerank::Diversify;
use segue_query::search::{Field, SearchHit, SearchRequest, Searcher, track_fields};

/// Tag pairs rarer than this make prompts with too few relevant tracks to diversify.
const MIN_PAIR_TRACKS: usize = 30;

/// One reranker setting of the sweep.
struct Setting {
    family: &'static str,
    label: String,
    /// λ or θ; `None` for settings outside a sweep.
    param: Option<f32>,
    diversify: Diversify,
    max_per_artist: Option<u32>,
}

fn settings() -> anyhow::Result<Vec<Setting>> {
    let mut out = vec![
        Setting {
            family: "plain",
            label: "plain".into(),
            param: None,
            diversify: Diversify::None,
            max_per_artist: None,
        },
        Setting {
            family: "cap",
            label: "max 1 per artist".into(),
            param: None,
            diversify: Diversify::None,
            max_per_artist: Some(1),
        },
    ];
    for lambda in [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3] {
        out.push(Setting {
            family: "mmr",
            label: format!("mmr λ={lambda}"),
            param: Some(lambda),
            diversify: Diversify::mmr(lambda)?,
            max_per_artist: None,
        });
    }
    for theta in [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3] {
        out.push(Setting {
            family: "dpp",
            label: format!("dpp θ={theta}"),
            param: Some(theta),
            diversify: Diversify::dpp(theta)?,
            max_per_artist: None,
        });
    }
    out.push(Setting {
        family: "mmr+cap",
        label: "mmr λ=0.7 + max 1 per artist".into(),
        param: None,
        diversify: Diversify::mmr(0.7)?,
        max_per_artist: Some(1),
    });
    Ok(out)
}

/// A prompt and the two tags it was made of.
struct Prompt {
    text: String,
    tags: [String; 2],
}

/// The `n` most frequent pairs of tags of different kinds (mood, genre, instrument) that at
/// least [`MIN_PAIR_TRACKS`] tracks carry, as prompts: "calm piano", "happy pop".
fn tag_prompts(library: &Library, n: usize) -> anyhow::Result<Vec<Prompt>> {
    let rows: Vec<u64> = (0..library.rows()).collect();
    let mut pairs: HashMap<(String, String), usize> = HashMap::new();
    for chunk in rows.chunks(8192) {
        for (_, fields) in track_fields(library, chunk, &[Field::Tags])? {
            let mut tags = fields.tags.unwrap_or_default();
            tags.sort_by_key(|t| (kind_order(t), t.clone()));
            tags.dedup();
            for i in 0..tags.len() {
                for j in i + 1..tags.len() {
                    if kind_order(&tags[i]) != kind_order(&tags[j]) {
                        *pairs.entry((tags[i].clone(), tags[j].clone())).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut ranked: Vec<((String, String), usize)> = pairs
        .into_iter()
        .filter(|(_, count)| *count >= MIN_PAIR_TRACKS)
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ranked
        .into_iter()
        .take(n)
        .map(|((a, b), _)| Prompt {
            text: format!("{} {}", words(&a), words(&b)),
            tags: [a, b],
        })
        .collect())
}

/// Moods read first, then genres, then instruments: "calm piano", "happy pop".
fn kind_order(tag: &str) -> u8 {
    match tag.split_once(':').map(|(kind, _)| kind) {
        Some("mood") => 0,
        Some("genre") => 1,
        Some("instrument") => 2,
        _ => 3,
    }
}

fn words(tag: &str) -> String {
    tag.split_once(':')
        .map_or(tag, |(_, value)| value)
        .replace(['-', '_'], " ")
}

/// One setting's figures for one prompt.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    retained: f64,
    artists: f64,
    diversity: f64,
    tags: f64,
    precision: f64,
}

impl std::ops::AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        self.retained += o.retained;
        self.artists += o.artists;
        self.diversity += o.diversity;
        self.tags += o.tags;
        self.precision += o.precision;
    }
}

fn figures(
    library: &Library,
    hits: &[SearchHit],
    plain_relevance: f64,
    prompt: &Prompt,
) -> Figures {
    let relevance: f64 = hits.iter().map(|h| h.score as f64).sum();
    let artists: BTreeSet<&str> = hits
        .iter()
        .filter_map(|h| h.fields.artist.as_deref())
        .collect();
    let tag_sets: Vec<BTreeSet<&str>> = hits
        .iter()
        .map(|h| h.fields.tags.iter().flatten().map(String::as_str).collect())
        .collect();
    let distinct_tags: BTreeSet<&str> = tag_sets.iter().flatten().copied().collect();
    let on_topic = tag_sets
        .iter()
        .filter(|t| prompt.tags.iter().all(|q| t.contains(q.as_str())))
        .count();
    let n = hits.len().max(1) as f64;
    Figures {
        retained: relevance / plain_relevance,
        artists: artists.len() as f64,
        diversity: intra_list_diversity(library, hits),
        tags: distinct_tags.len() as f64,
        precision: on_topic as f64 / n,
    }
}

/// Mean pairwise 1 − cos of the hits' text vectors (unit length in the library).
fn intra_list_diversity(library: &Library, hits: &[SearchHit]) -> f64 {
    let Some(vectors) = library.vectors(EmbeddingKind::Text) else {
        return f64::NAN;
    };
    let rows: Vec<&[f32]> = hits.iter().map(|h| vectors.row(h.row as usize)).collect();
    let (mut sum, mut pairs) = (0.0, 0usize);
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            let dot: f32 = rows[i].iter().zip(rows[j]).map(|(a, b)| a * b).sum();
            sum += 1.0 - dot as f64;
            pairs += 1;
        }
    }
    sum / pairs.max(1) as f64
}

pub fn run(searcher: &Searcher, prompts: usize, k: usize, out: &Path) -> anyhow::Result<()> {
    let library = searcher.library();
    anyhow::ensure!(
        searcher.text_embedder().is_some(),
        "{}: the library has no text space made by a known encoder (ingest it with \
         --embed-text fp32, the default for a catalogue without text embeddings)",
        library.dir().display()
    );
    let prompts = tag_prompts(library, prompts)?;
    let settings = settings()?;
    let mut totals = vec![Figures::default(); settings.len()];
    let mut per_prompt = String::from("prompt,setting,retained,artists,diversity,tags,precision\n");
    for prompt in &prompts {
        let base = SearchRequest::text(&prompt.text)?
            .k(k)?
            .fields(&[Field::Artist, Field::Tags]);
        let plain = searcher.search(&base)?.0;
        let plain_relevance: f64 = plain.iter().map(|h| h.score as f64).sum();
        for (setting, total) in settings.iter().zip(totals.iter_mut()) {
            let mut request = base.clone().rerank(setting.diversify)?;
            if let Some(n) = setting.max_per_artist {
                request = request.max_per_artist(n)?;
            }
            let hits = searcher.search(&request)?.0;
            anyhow::ensure!(hits.len() == k, "{}: {} hits", prompt.text, hits.len());
            let f = figures(library, &hits, plain_relevance, prompt);
            writeln!(
                per_prompt,
                "{:?},{},{:.4},{},{:.4},{},{:.3}",
                prompt.text, setting.label, f.retained, f.artists, f.diversity, f.tags, f.precision
            )?;
            *total += f;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("quality-per-prompt.csv"), per_prompt)?;
    let n = prompts.len().max(1) as f64;
    let mean = |f: &Figures| Figures {
        retained: f.retained / n,
        artists: f.artists / n,
        diversity: f.diversity / n,
        tags: f.tags / n,
        precision: f.precision / n,
    };
    println!(
        "{} rows, {} prompts from tag pairs (each on at least {MIN_PAIR_TRACKS} tracks), k = {k}",
        library.rows(),
        prompts.len()
    );
    println!(
        "| setting | relevance retained | distinct artists | intra-list diversity | distinct tags | hits with both prompt tags |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut csv = String::from("setting,retained,artists,diversity,tags,precision\n");
    let mut curves: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for (setting, total) in settings.iter().zip(&totals) {
        let m = mean(total);
        println!(
            "| {} | {:.3} | {:.2} | {:.3} | {:.1} | {:.2} |",
            setting.label, m.retained, m.artists, m.diversity, m.tags, m.precision
        );
        writeln!(
            csv,
            "{},{:.4},{:.3},{:.4},{:.2},{:.3}",
            setting.label, m.retained, m.artists, m.diversity, m.tags, m.precision
        )?;
        let curve = match (setting.family, setting.param) {
            ("mmr", Some(_)) => "MMR (λ 0.9 → 0.3)",
            ("dpp", Some(_)) => "DPP (θ 0.95 → 0.3)",
            ("plain", _) => "plain search",
            ("cap", _) => "max 1 per artist",
            _ => "MMR λ 0.7 + max 1 per artist",
        };
        curves
            .entry(curve)
            .or_default()
            .push((m.retained, m.artists));
    }
    std::fs::write(out.join("quality.csv"), csv)?;
    let mut chart = LineChart::new(
        &format!(
            "Diversity against relevance: {} tag prompts on {} tracks, top {k}",
            prompts.len(),
            library.rows()
        ),
        "relevance retained (reranked top-k relevance / plain top-k relevance)",
        &format!("distinct artists in the top {k}"),
    )
    .with_reference_line("goal: 8 artists", 8.0)
    .with_legend(Legend::LowerLeft);
    for (label, points) in curves {
        let style = if points.len() > 1 {
            Style::LineMarkers
        } else {
            Style::Markers
        };
        chart = chart.with_series(label, points, style);
    }
    chart.write(&ChartFiles::with_prefix(&out.join("quality-tradeoff")))?;
    println!(
        "wrote {}/quality.csv, quality-per-prompt.csv, quality-tradeoff.svg and .png",
        out.display()
    );
    Ok(())
}
