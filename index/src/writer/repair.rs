//! `segue repair`: rebuilding a library's derived files from Lance, the system of record.
//!
//! Everything outside `tracks.lance/` is derived from it: the vector files hold the normalised
//! Lance vectors, the graphs index them, the text index holds the text columns, and the
//! manifest names all of these plus the Lance version. So a damaged, truncated or deleted
//! derived file is repaired by publishing a new version with the same Lance rows and every
//! derived file the published version names written afresh from Lance (the vector files) or
//! built afresh (graphs and text index, with the parameters the damaged version recorded).
//! Nothing is read from the damaged files, so the repair cannot carry their damage over.
//!
//! A missing or damaged `MANIFEST.json` is restored first: from its copy (`MANIFEST.backup.json`,
//! written after every publish) when that copy still matches Lance, otherwise rebuilt from
//! Lance's newest version (rows and embedding dimensions come from the dataset itself; the
//! attachments from the newest file of each name). Only the build history can be lost, and
//! only when both manifest files are damaged.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use lance::Dataset;

use super::LibraryWriter;
use crate::ann::HnswParams;
use crate::derived::IndexPlan;
use crate::error::{IndexError, IoContext, Result};
use crate::layout::{ATTACHMENTS_DIR, LANCE_DIR};
use crate::library::load_lance;
use crate::manifest::{
    self, BuildInfo, EmbeddingInfo, FORMAT_NAME, FORMAT_VERSION, FileRef, LanceRef,
    MANIFEST_BACKUP_FILE, MANIFEST_FILE, Manifest,
};
use crate::runtime::block_on;
use crate::schema::{Dims, EmbeddingKind};
use crate::vectors::VectorFileWriter;
use crate::verify::for_each_batch;

/// Where the manifest a repair started from came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestSource {
    /// `MANIFEST.json` was intact.
    Published,
    /// `MANIFEST.json` was missing or damaged; its backup copy was intact and matched Lance.
    Backup,
    /// Neither was usable: the manifest was rebuilt from Lance's newest version (the build
    /// history of earlier ingests is lost; tracks, vectors and attachments are not).
    RebuiltFromLance,
}

/// What `segue repair` did.
#[derive(Debug, Clone)]
pub struct RepairReport {
    /// Where the starting manifest came from, and why the others were not used.
    pub manifest_source: ManifestSource,
    /// The problems found with `MANIFEST.json` and its backup (empty when it was intact).
    pub manifest_problems: Vec<String>,
    /// The repaired version, now published.
    pub manifest: Manifest,
}

impl LibraryWriter {
    /// Takes the writer lock of `dir` and repairs the library: restores the manifest if it is
    /// missing or damaged, then publishes a new version whose derived files are all rebuilt
    /// from Lance (see the module docs). Refuses a directory with no Lance data.
    pub fn repair(dir: &Path, plan: Option<IndexPlan>) -> Result<RepairReport> {
        let dir = crate::library::absolute(dir)?;
        let lance_path = dir.join(LANCE_DIR);
        if !dir.join(MANIFEST_FILE).exists() && !has_lance_versions(&lance_path) {
            return Err(IndexError::NotALibrary {
                path: dir,
                reason: "there is no manifest and no Lance dataset to repair from".into(),
            });
        }
        let lock = Self::lock(&dir)?;
        let mut problems = Vec::new();
        let (base, source) = match manifest::read_if_present(&dir) {
            Ok(Some(m)) => (m, ManifestSource::Published),
            found => {
                problems.push(match found {
                    Err(e) => e.to_string(),
                    _ => format!("{MANIFEST_FILE} is missing"),
                });
                match from_backup(&dir) {
                    Ok(m) => (m, ManifestSource::Backup),
                    Err(e) => {
                        problems.push(e.to_string());
                        (rebuilt_from_lance(&dir)?, ManifestSource::RebuiltFromLance)
                    }
                }
            }
        };
        // A manifest rebuilt from Lance does not know which indexes the library had: all.
        let plan = plan.unwrap_or_else(|| match source {
            ManifestSource::RebuiltFromLance => IndexPlan::default(),
            _ => plan_of(&base),
        });
        let mut writer = LibraryWriter {
            dir: dir.clone(),
            _lock: lock,
            base: Some(base),
            plan,
            progress: None,
        };
        writer.recover()?;
        let manifest = writer.rebuild_from_lance()?;
        Ok(RepairReport {
            manifest_source: source,
            manifest_problems: problems,
            manifest,
        })
    }

    /// Publishes the base's tracks with every derived file written afresh: vector files from
    /// the Lance vectors, graphs and text index by a full build (the writer's plan, rebuilt).
    fn rebuild_from_lance(&mut self) -> Result<super::Manifest> {
        let base = self
            .base
            .clone()
            .ok_or_else(|| IndexError::InvalidArgument("no version to repair".into()))?;
        let lance_path = self.lance_path();
        let dataset = block_on(load_lance(&self.dir, &base))?;
        let mut vectors = Vec::new();
        let mut dims = Dims::default();
        for kind in EmbeddingKind::ALL {
            let Some(info) = base.embeddings.get(kind.column()) else {
                continue;
            };
            let (abs, rel) = self.next_vector_path(kind)?;
            let mut out = VectorFileWriter::create(&abs, info.dim)?;
            for_each_batch(&dataset, &[kind.column()], |batch| {
                push_rows(&mut out, batch, kind, base.rows, &lance_path)
            })?;
            if out.rows() != base.rows {
                return Err(IndexError::corrupt(
                    &lance_path,
                    format!(
                        "{} holds {} vectors, the library {} rows",
                        kind.column(),
                        out.rows(),
                        base.rows
                    ),
                ));
            }
            vectors.push((kind, out.finish(&rel)?));
            match kind {
                EmbeddingKind::Audio => dims.audio = Some(info.dim),
                EmbeddingKind::Text => dims.text = Some(info.dim),
            }
        }
        let change = super::VersionChange {
            staged: None,
            delete_track_ids: vec![],
            dims,
            vectors,
            rows: base.rows,
            ingest: Default::default(),
            encoders: vec![],
            attachments: vec![],
        };
        self.plan.rebuild = true;
        let result = self.publish_inner(change, false);
        self.plan.rebuild = false;
        result
    }
}

/// Rebuild what the version had: its graphs with their recorded parameters, its text index,
/// its int8 copies.
fn plan_of(m: &Manifest) -> IndexPlan {
    let defaults = IndexPlan::default();
    let ann = m.ann.values().next().map(|a| HnswParams {
        m: a.m as usize,
        ef_construction: a.ef_construction as usize,
        builder: a.builder,
        ..HnswParams::default()
    });
    IndexPlan {
        ann,
        text: m.text_index.is_some(),
        quantisation: Some(m.quantisation),
        ..defaults
    }
}

/// True when `lance_path` holds at least one committed Lance version (a manifest file in
/// Lance's `_versions` folder): data someone published, not the leftovers of a staged write.
pub(crate) fn has_lance_versions(lance_path: &Path) -> bool {
    fs::read_dir(lance_path.join("_versions"))
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".manifest"))
        })
        .unwrap_or(false)
}

/// The backup manifest, if it is intact and Lance still has its version with its row count.
fn from_backup(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_BACKUP_FILE);
    let bytes = fs::read(&path).at(&path)?;
    let m = Manifest::decode(&path, &bytes)?;
    block_on(load_lance(dir, &m))?;
    Ok(m)
}

/// A manifest for Lance's newest version, naming no derived file yet (the repair writes them
/// all): rows and dimensions from the dataset, attachments from the newest file of each name.
fn rebuilt_from_lance(dir: &Path) -> Result<Manifest> {
    let lance_path = dir.join(LANCE_DIR);
    let uri = lance_path.to_string_lossy().into_owned();
    let dataset = block_on(Dataset::open(&uri)).map_err(|e| IndexError::lance(&lance_path, e))?;
    let rows = block_on(dataset.count_rows(None)).map_err(|e| IndexError::lance(&lance_path, e))?;
    let schema = arrow_schema::Schema::from(dataset.schema());
    let mut embeddings = BTreeMap::new();
    for kind in EmbeddingKind::ALL {
        if let Ok(field) = schema.field_with_name(kind.column())
            && let DataType::FixedSizeList(_, dim) = field.data_type()
        {
            embeddings.insert(
                kind.column().to_string(),
                EmbeddingInfo {
                    dim: *dim as u32,
                    vectors: String::new(),
                    encoder: None,
                },
            );
        }
    }
    let (files, attachments, newest) = newest_attachments(dir)?;
    Ok(Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        // Above every version whose files are still here, so no name is reused.
        library_version: newest.max(highest_derived_version(dir)),
        lance: LanceRef {
            path: LANCE_DIR.into(),
            version: dataset.version().version,
        },
        rows: rows as u64,
        embeddings,
        files,
        build: BuildInfo::default(),
        ann: Default::default(),
        text_index: None,
        attachments,
        quantisation: Default::default(),
        quantised: Default::default(),
    })
}

type Attachments = (Vec<FileRef>, BTreeMap<String, String>, u64);

/// The newest `attachments/NAME.vNNNNNN.json` of each name, and the highest version seen.
fn newest_attachments(dir: &Path) -> Result<Attachments> {
    let mut newest: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let folder = dir.join(ATTACHMENTS_DIR);
    let mut highest = 0;
    for e in fs::read_dir(&folder).into_iter().flatten().flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some((name, version)) = versioned_name(&file, ".json") else {
            continue;
        };
        highest = highest.max(version);
        if newest.get(name).is_none_or(|(v, _)| *v < version) {
            newest.insert(
                name.to_string(),
                (version, format!("{ATTACHMENTS_DIR}/{file}")),
            );
        }
    }
    let mut files = Vec::new();
    let mut attachments = BTreeMap::new();
    for (name, (_, rel)) in newest {
        let path = dir.join(&rel);
        let bytes = fs::read(&path).at(&path)?;
        files.push(FileRef {
            path: rel.clone(),
            bytes: bytes.len() as u64,
            crc32: crc32fast::hash(&bytes),
        });
        attachments.insert(name, rel);
    }
    Ok((files, attachments, highest))
}

/// The highest version number in the name of any derived file (0 if none).
fn highest_derived_version(dir: &Path) -> u64 {
    crate::layout::DERIVED_DIRS
        .iter()
        .flat_map(|sub| fs::read_dir(dir.join(sub)).into_iter().flatten().flatten())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.split('.').find(|p| p.starts_with('v'))?;
            stem[1..].parse::<u64>().ok()
        })
        .max()
        .unwrap_or(0)
}

/// `("fit", 4)` for `fit.v000004.json`.
fn versioned_name<'a>(file: &'a str, ext: &str) -> Option<(&'a str, u64)> {
    let stem = file.strip_suffix(ext)?;
    let (name, version) = stem.rsplit_once(".v")?;
    Some((name, version.parse().ok()?))
}

/// Appends a batch's vectors (normalised); a missing or unusable vector is Lance corruption.
fn push_rows(
    out: &mut VectorFileWriter,
    batch: &RecordBatch,
    kind: EmbeddingKind,
    rows: u64,
    lance_path: &Path,
) -> Result<()> {
    let column = batch.column(0).as_fixed_size_list_opt().ok_or_else(|| {
        IndexError::corrupt(
            lance_path,
            format!("{} is not a vector column", kind.column()),
        )
    })?;
    for i in 0..column.len() {
        let row = out.rows();
        if row >= rows {
            break;
        }
        let bad = |why: &str| {
            IndexError::corrupt(
                lance_path,
                format!("row {row}: {} {why}; it cannot be repaired", kind.column()),
            )
        };
        if column.is_null(i) {
            return Err(bad("is missing"));
        }
        let values = column.value(i);
        let values = values
            .as_primitive_opt::<Float32Type>()
            .ok_or_else(|| bad("is not f32"))?;
        out.push(values.values())
            .map_err(|_| bad("is zero or not finite"))?;
    }
    Ok(())
}
