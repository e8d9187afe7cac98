//! Tables for people: search hits, plans, library info, evaluation summaries.

use std::fmt::Write as _;

use segue::eval::EvalReport;
use segue::info::LibraryInfo;
use segue::search::SearchHit;
use segue::soundtrack::{PlannedAction, SoundtrackPlan};

/// The transitions of an arrangement: when, what kind, between which tracks, on bar starts or
/// not, and why.
pub fn transitions(a: &segue::render::Arrangement) -> String {
    let mut out = format!(
        "{:>7}  {:<9}  {:<18}  {:<18}  {:>7}  {}
",
        "at_s", "kind", "from", "to", "on_bar", "why"
    );
    for t in &a.transitions {
        let on_bar = match (t.out_on_downbeat, t.in_on_downbeat) {
            (true, true) => "both",
            (true, false) => "out",
            (false, true) => "in",
            (false, false) => "no",
        };
        out.push_str(&format!(
            "{:>7.2}  {:<9}  {:<18}  {:<18}  {:>7}  {}
",
            t.out_end,
            t.kind.name(),
            clip(&t.from_track, 18),
            clip(&t.to_track, 18),
            on_bar,
            match &t.bridge {
                Some(b) => format!("{} (via {}, {} bars)", t.reason, b.track_id, b.bars),
                None => t.reason.clone(),
            }
        ));
    }
    out.push_str(&format!(
        "the last track fades to silence at {:.2} s{}
",
        a.duration,
        if a.ends_on_bar {
            ", on a bar start"
        } else {
            ""
        }
    ));
    out
}

/// A plain table: rank, score, id, title, artist, bpm, duration, tags.
pub fn hits(hits: &[SearchHit]) -> String {
    let cut = clip;
    let mut out = format!(
        "{:>3}  {:>7}  {:<18}  {:<28}  {:<20}  {:>5}  {:>6}  {}\n",
        "#", "score", "track_id", "title", "artist", "bpm", "dur_s", "tags"
    );
    for (i, h) in hits.iter().enumerate() {
        let f = &h.fields;
        out.push_str(&format!(
            "{:>3}  {:>7.4}  {:<18}  {:<28}  {:<20}  {:>5}  {:>6}  {}\n",
            i + 1,
            h.score,
            cut(&h.track_id, 18),
            cut(f.title.as_deref().unwrap_or("-"), 28),
            cut(f.artist.as_deref().unwrap_or("-"), 20),
            f.bpm.map_or("-".into(), |b| format!("{b:.0}")),
            f.duration_s.map_or("-".into(), |d| format!("{d:.0}")),
            cut(&f.tags.as_deref().unwrap_or(&[]).join(" "), 60),
        ));
    }
    out
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A readable table of one plan and its totals.
pub fn plan(p: &SoundtrackPlan) -> String {
    let cut = clip;
    let mut out = format!(
        "video {} — {} segments, policy {}, library version {}\n",
        p.video_id,
        p.segments.len(),
        p.policy,
        p.library_version
    );
    out.push_str(&format!(
        "{:>3}  {:>13}  {:<8}  {:<18}  {:<26}  {:<18}  {:>7}  {:>7}  {:>7}  {:>7}\n",
        "#", "time", "action", "track_id", "title", "artist", "offset", "reward", "align", "smooth"
    ));
    for s in &p.segments {
        let (action, id, title, artist) = match s.action {
            PlannedAction::New => (
                "new",
                cut(&s.track_id, 18),
                cut(s.title.as_deref().unwrap_or("-"), 26),
                cut(s.artist.as_deref().unwrap_or("-"), 18),
            ),
            PlannedAction::Continue => ("continue", "  ·".into(), "  ·".into(), "".into()),
        };
        out.push_str(&format!(
            "{:>3}  {:>6.1}–{:<6.1}  {:<8}  {:<18}  {:<26}  {:<18}  {:>7.1}  {:>7.3}  {:>7.3}  {:>7}\n",
            s.index,
            s.start,
            s.end,
            action,
            id,
            title,
            artist,
            s.offset,
            s.reward,
            s.terms.alignment_reward,
            if s.index == 0 {
                "-".to_string()
            } else {
                format!("{:.3}", s.terms.smoothness_reward)
            },
        ));
    }
    out.push_str(&format!(
        "return {:.3} (switch term {:.3}, theme term {:.3}); switches {} vs budget {}; {} distinct tracks; mean alignment cosine {:.3}; {:.2} ms ({:.3} ms per segment)\n\n",
        p.total_reward,
        p.switch_reward,
        p.theme_reward,
        p.switches,
        p.switch_budget,
        p.distinct_tracks,
        p.mean_alignment_cosine,
        p.timing.total_ms,
        p.timing.ms_per_step,
    ));
    out
}

/// `segue info`'s readable form.
pub fn info(info: &LibraryInfo) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: String| s.push_str(&format!("{k:<16} {v}\n"));
    line("library", info.path.clone());
    line(
        "version",
        format!(
            "{} (format {}, lance version {})",
            info.library_version, info.format_version, info.lance_version
        ),
    );
    line("tracks", info.tracks.to_string());
    if info.embeddings.is_empty() {
        line("embeddings", "none".into());
    }
    for e in &info.embeddings {
        let enc = e
            .encoder
            .as_deref()
            .map(|x| format!(", encoder {x}"))
            .unwrap_or_default();
        line(
            &e.name,
            format!("{}-d, {}{enc}", e.dim, human_bytes(e.bytes)),
        );
    }
    line(
        "size",
        format!(
            "{} lance + {} derived",
            human_bytes(info.lance_bytes),
            human_bytes(info.derived_bytes)
        ),
    );
    line("built", info.built.join(", "));
    if let Some(a) = &info.analysis {
        line(
            "audio analysis",
            format!(
                "{} tracks analysed: {} with beats and bars, {} with a key, {} with loudness",
                a.analysed, a.with_beats, a.with_key, a.with_loudness
            ),
        );
    }
    line("written by", info.written_by.clone());
    if info.verified {
        line("checksums", "verified".into());
    }
    for i in &info.ingests {
        line(
            &format!("ingest v{}", i.library_version),
            format!(
                "{} ({}): {} read, {} added, {} replaced, {} duplicates skipped, {} rejected, {:.1} s",
                i.source,
                i.format,
                i.rows_read,
                i.rows_added,
                i.rows_replaced,
                i.rows_skipped_duplicate,
                i.rows_rejected,
                i.seconds
            ),
        );
    }
    s
}

/// 1536 → "1.5 KiB".
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The summaries of `segue eval` as a table.
pub fn eval_summary(report: &EvalReport) -> String {
    let mut out = String::new();
    // Wide enough for `policy:<file stem>` names.
    let w = report
        .summaries
        .iter()
        .map(|s| s.policy.chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    // Videos from `segue segment` carry motion: then the rank correlation of motion with the
    // chosen tracks' energy is a column.
    let motion = report
        .summaries
        .iter()
        .any(|s| s.mean_motion_energy_spearman.is_some());
    writeln!(
        out,
        "{:<w$} {:>6} {:>12} {:>12} {:>10} {:>10} {:>10}{}",
        "policy",
        "videos",
        "mean return",
        "median",
        "align cos",
        "switch err",
        "ms/step",
        if motion { " motion~energy" } else { "" }
    )
    .ok();
    for s in &report.summaries {
        write!(
            out,
            "{:<w$} {:>6} {:>12.3} {:>12.3} {:>10.3} {:>10.2} {:>10.3}",
            s.policy,
            s.videos,
            s.mean_return,
            s.median_return,
            s.mean_alignment_cosine,
            s.mean_switch_error,
            s.ms_per_step
        )
        .ok();
        if let Some(rho) = s.mean_motion_energy_spearman {
            write!(out, " {rho:>+13.3}").ok();
        }
        writeln!(out).ok();
    }
    out
}
