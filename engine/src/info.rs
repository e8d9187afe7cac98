//! `segue info`: what a library holds.

use serde::Serialize;

use segue_index::{EmbeddingKind, Library, Result};

/// A library's description, printed by `segue info` (readable or `--json`).
#[derive(Debug, Serialize)]
pub struct LibraryInfo {
    pub path: String,
    pub library_version: u64,
    pub format_version: u32,
    pub lance_version: u64,
    pub tracks: u64,
    pub embeddings: Vec<EmbeddingInfo>,
    pub lance_bytes: u64,
    pub derived_bytes: u64,
    /// Derived structures present in this version.
    pub built: Vec<String>,
    pub written_by: String,
    pub published_unix: u64,
    pub ingests: Vec<segue_index::IngestRecord>,
    /// Set by `--verify`: every checksum was re-read and matched.
    pub verified: bool,
}

#[derive(Debug, Serialize)]
pub struct EmbeddingInfo {
    pub name: String,
    pub dim: u32,
    pub bytes: u64,
    pub encoder: Option<String>,
}

impl LibraryInfo {
    pub fn of(lib: &Library, verify: bool) -> Result<LibraryInfo> {
        if verify {
            lib.verify()?;
        }
        let m = lib.manifest();
        let mut embeddings = Vec::new();
        let mut built = vec!["lance dataset".to_string()];
        for kind in EmbeddingKind::ALL {
            if let Some(e) = m.embeddings.get(kind.column()) {
                embeddings.push(EmbeddingInfo {
                    name: kind.column().into(),
                    dim: e.dim,
                    bytes: m.file(&e.vectors).map_or(0, |f| f.bytes),
                    encoder: e.encoder.clone(),
                });
                built.push(format!("{} vectors", kind.column()));
            }
        }
        for (space, a) in &m.ann {
            let coverage = if a.rows == m.rows {
                String::new()
            } else {
                format!(", {} newer rows scanned exactly", m.rows - a.rows)
            };
            let ef = a
                .search_ef
                .map_or(String::new(), |ef| format!(", search ef {ef}"));
            built.push(format!(
                "{space} HNSW graph ({} build, m {}, ef_construction {}{ef}, {} rows{coverage})",
                a.builder.name(),
                a.m,
                a.ef_construction,
                a.rows
            ));
        }
        for (name, rel) in &m.attachments {
            let bytes = m.file(rel).map_or(0, |f| f.bytes);
            built.push(format!("{name} ({bytes} bytes)"));
        }
        if let Some(t) = &m.text_index {
            built.push(format!("text index ({} docs)", t.docs));
        }
        Ok(LibraryInfo {
            path: lib.dir().display().to_string(),
            library_version: m.library_version,
            format_version: m.format_version,
            lance_version: m.lance.version,
            tracks: m.rows,
            embeddings,
            lance_bytes: lib.lance_bytes(),
            derived_bytes: m.derived_bytes(),
            built,
            written_by: m.build.written_by.clone(),
            published_unix: m.build.published_unix,
            ingests: m.build.ingests.clone(),
            verified: verify,
        })
    }

    /// The human-readable form.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut line = |k: &str, v: String| s.push_str(&format!("{k:<16} {v}\n"));
        line("library", self.path.clone());
        line(
            "version",
            format!(
                "{} (format {}, lance version {})",
                self.library_version, self.format_version, self.lance_version
            ),
        );
        line("tracks", self.tracks.to_string());
        if self.embeddings.is_empty() {
            line("embeddings", "none".into());
        }
        for e in &self.embeddings {
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
                human_bytes(self.lance_bytes),
                human_bytes(self.derived_bytes)
            ),
        );
        line("built", self.built.join(", "));
        line("written by", self.written_by.clone());
        if self.verified {
            line("checksums", "verified".into());
        }
        for i in &self.ingests {
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
