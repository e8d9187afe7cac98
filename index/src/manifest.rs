//! The manifest: the one small file that says which files make up the current library version.
//!
//! On disk it is `MANIFEST.json`, an envelope `{"crc32": N, "manifest": {...}}` where `N` is the
//! CRC-32 of the exact bytes of the inner object. Publishing a version is one atomic replacement
//! of this file (see [`crate::atomic`]); everything it names was written and fsynced before.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::atomic::atomic_write;
use crate::error::{IndexError, IoContext, Result};
use crate::quantised::Quantisation;

/// Value of the `format` field: guards against opening some other JSON file as a library.
pub const FORMAT_NAME: &str = "segue-library";
/// The newest manifest format this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;
/// File name of the manifest inside a library directory.
pub const MANIFEST_FILE: &str = "MANIFEST.json";
/// A copy of the published manifest, written after it: what `segue repair` restores a lost or
/// damaged `MANIFEST.json` from.
pub const MANIFEST_BACKUP_FILE: &str = "MANIFEST.backup.json";

/// One published version of a library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// Increases by one with every published version, starting at 1.
    pub library_version: u64,
    /// The Lance dataset (system of record) and the Lance version this library version matches.
    pub lance: LanceRef,
    /// Number of tracks (rows) in this version.
    pub rows: u64,
    /// Embedding spaces present in this library, by column name (`audio_emb`, `text_emb`).
    #[serde(default)]
    pub embeddings: BTreeMap<String, EmbeddingInfo>,
    /// Every derived file of this version with its size and checksum. Files in the library's
    /// derived folders that no manifest names are garbage from an interrupted write.
    #[serde(default)]
    pub files: Vec<FileRef>,
    /// How the library was built, newest ingest last.
    #[serde(default)]
    pub build: BuildInfo,
    /// The HNSW graph of each embedding space that has one, by column name. A graph may cover
    /// only the first rows (those present when it was built); later rows are scanned exactly.
    #[serde(default)]
    pub ann: BTreeMap<String, AnnInfo>,
    /// The full-text index over tags, captions, titles, artists and albums, when built.
    #[serde(default)]
    pub text_index: Option<TextIndexInfo>,
    /// Named documents stored with the library (name → file, one of `files`), such as the
    /// fitted soundtrack model. Later versions carry them over until they are replaced.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attachments: BTreeMap<String, String>,
    /// How the vectors are kept for searching (chosen at ingest or reindex; later versions
    /// keep the choice). Absent in manifests from before the choice existed: f32 only.
    #[serde(default, skip_serializing_if = "is_f32_only")]
    pub quantisation: Quantisation,
    /// The quantised copy of each embedding space's vectors, by column name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quantised: BTreeMap<String, QuantisedInfo>,
}

fn is_f32_only(q: &Quantisation) -> bool {
    *q == Quantisation::None
}

/// The quantised copy of one embedding space ([`crate::quantised`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantisedInfo {
    /// The file (one of `files`).
    pub file: String,
    pub scheme: Quantisation,
    /// CRC-32 of the f32 vector data it was made from.
    pub vectors_crc32: u32,
    pub build_seconds: f64,
}

/// An HNSW graph of one embedding space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnInfo {
    /// The graph file (one of `files`).
    pub file: String,
    /// The graph covers rows `0..rows`.
    pub rows: u64,
    /// CRC-32 of the normalised vector data of rows `0..rows`: ties the graph to its vectors.
    pub vectors_crc32: u32,
    pub m: u32,
    pub ef_construction: u32,
    /// Which builder made it (manifests from before the choice existed: hnsw_rs).
    #[serde(default = "crate::ann::GraphBuilder::legacy")]
    pub builder: crate::ann::GraphBuilder,
    /// The search ef measured at build time to reach recall@10 >= 0.95 on this graph
    /// (`ann::tune`); searches that set no ef use it. Absent in manifests from before tuning:
    /// the fixed default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_ef: Option<u32>,
    /// Library version in which it was built (a graph is carried over by appends).
    pub built_in_version: u64,
    pub build_seconds: f64,
}

/// The tantivy index of a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextIndexInfo {
    /// Its directory, relative to the library.
    pub dir: String,
    /// Documents (= rows) it holds.
    pub docs: u64,
    /// Its files (each also one of `files`), relative to the library.
    pub files: Vec<String>,
    pub build_seconds: f64,
}

/// Where the Lance dataset lives and which of its versions this library version is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanceRef {
    /// Path relative to the library directory.
    pub path: String,
    pub version: u64,
}

/// A derived file that belongs to a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Path relative to the library directory, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub crc32: u32,
}

impl FileRef {
    /// Checks a derived file's body (everything after its header) against the checksum its
    /// header records and the one this entry records; `what` names the kind of file in errors
    /// ("graph", "quantised file"), which say to run `segue reindex`.
    pub(crate) fn check_body(
        &self,
        path: &Path,
        body: &[u8],
        header_crc32: u32,
        what: &str,
    ) -> Result<()> {
        if header_crc32 != self.crc32 {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "checksum differs from the manifest ({what} from another version?); run \
                     `segue reindex`"
                ),
            ));
        }
        if crc32fast::hash(body) != header_crc32 {
            return Err(IndexError::corrupt(
                path,
                format!("data checksum mismatch: the {what} is damaged; run `segue reindex`"),
            ));
        }
        Ok(())
    }
}

/// One embedding space of the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingInfo {
    pub dim: u32,
    /// The memory-mapped matrix file (one of `files`), rows L2-normalised.
    pub vectors: String,
    /// Which model produced these vectors, when known (queries must come from the same one).
    #[serde(default)]
    pub encoder: Option<String>,
}

/// Provenance of the library.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// `segue <version>` that wrote this manifest.
    #[serde(default)]
    pub written_by: String,
    /// Seconds since the Unix epoch when this version was published.
    #[serde(default)]
    pub published_unix: u64,
    /// Every ingest that produced a version, oldest first.
    #[serde(default)]
    pub ingests: Vec<IngestRecord>,
}

/// What one ingest did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestRecord {
    pub library_version: u64,
    pub source: String,
    pub format: String,
    pub rows_read: u64,
    pub rows_added: u64,
    #[serde(default)]
    pub rows_replaced: u64,
    #[serde(default)]
    pub rows_skipped_duplicate: u64,
    #[serde(default)]
    pub rows_rejected: u64,
    /// Rejected rows and their reasons, relative to the library directory.
    #[serde(default)]
    pub rejects_file: Option<String>,
    #[serde(default)]
    pub seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    crc32: u32,
    #[serde(borrow)]
    manifest: &'a RawValue,
}

/// Only the fields needed to decide whether we can read the rest.
#[derive(Deserialize)]
struct Probe {
    format: String,
    format_version: u32,
}

impl Manifest {
    /// Reads and checks `MANIFEST.json` in `dir`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                not_a_library(dir, &path)
            } else {
                IndexError::io(&path, e)
            }
        })?;
        Self::decode(&path, &bytes)
    }

    /// Parses manifest bytes; `path` is only used in errors.
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        let env: Envelope<'_> = serde_json::from_slice(bytes)
            .map_err(|e| IndexError::corrupt(path, format!("manifest is not valid JSON: {e}")))?;
        let inner = env.manifest.get();
        let actual = crc32fast::hash(inner.as_bytes());
        if actual != env.crc32 {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "manifest checksum mismatch (stored {:08x}, computed {actual:08x})",
                    env.crc32
                ),
            ));
        }
        let probe: Probe = serde_json::from_str(inner)
            .map_err(|e| IndexError::corrupt(path, format!("manifest header: {e}")))?;
        if probe.format != FORMAT_NAME {
            return Err(IndexError::Incompatible {
                path: path.into(),
                reason: format!("format is {:?}, expected {FORMAT_NAME:?}", probe.format),
            });
        }
        if probe.format_version > FORMAT_VERSION || probe.format_version == 0 {
            return Err(IndexError::Incompatible {
                path: path.into(),
                reason: format!(
                    "library format version {} is not supported by this build (it reads versions 1 to {FORMAT_VERSION}); upgrade segue",
                    probe.format_version
                ),
            });
        }
        serde_json::from_str(inner)
            .map_err(|e| IndexError::corrupt(path, format!("manifest fields: {e}")))
    }

    /// Serialises with the checksum envelope.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let inner = serde_json::to_string_pretty(self)
            .map_err(|e| IndexError::InvalidArgument(format!("manifest: {e}")))?;
        let raw = RawValue::from_string(inner)
            .map_err(|e| IndexError::InvalidArgument(format!("manifest: {e}")))?;
        let env = Envelope {
            crc32: crc32fast::hash(raw.get().as_bytes()),
            manifest: &raw,
        };
        let mut out = serde_json::to_vec(&env)
            .map_err(|e| IndexError::InvalidArgument(format!("manifest: {e}")))?;
        out.push(b'\n');
        Ok(out)
    }

    /// Publishes this manifest as the library's current version (atomic replacement).
    pub fn publish(&self, dir: &Path) -> Result<()> {
        let bytes = self.encode()?;
        atomic_write(&dir.join(MANIFEST_FILE), &bytes)?;
        atomic_write(&dir.join(MANIFEST_BACKUP_FILE), &bytes)
    }

    /// Rewrites the backup copy if it is not this manifest (a crash between the two writes of
    /// [`Manifest::publish`], or a damaged copy).
    pub fn refresh_backup(&self, dir: &Path) -> Result<()> {
        let bytes = self.encode()?;
        let path = dir.join(MANIFEST_BACKUP_FILE);
        if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            atomic_write(&path, &bytes)?;
        }
        Ok(())
    }

    /// Looks up a derived file by relative path.
    pub fn file(&self, rel: &str) -> Option<&FileRef> {
        self.files.iter().find(|f| f.path == rel)
    }

    /// Total bytes of the derived files.
    pub fn derived_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

fn not_a_library(dir: &Path, manifest: &Path) -> IndexError {
    let reason = if !dir.exists() {
        "the directory does not exist".to_string()
    } else {
        format!("{} is missing", manifest.display())
    };
    IndexError::NotALibrary {
        path: dir.into(),
        reason,
    }
}

/// Reads the manifest if there is one (`Ok(None)` for a directory that is not a library yet).
pub fn read_if_present(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Manifest::decode(&path, &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).at(&path),
    }
}

#[cfg(test)]
mod tests;
