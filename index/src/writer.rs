//! The single writer of a library: recovery, staging new rows, and publishing a version.
//!
//! Commit protocol (every step before the last is invisible to readers):
//! 1. new track rows are written to Lance data files, uncommitted (when this build's schema has
//!    columns the published version lacks, they are first added, all null: a metadata-only
//!    Lance commit that, like step 3's, the manifest does not yet name);
//! 2. new vector files (named by the new version) are written and fsynced;
//! 3. replaced rows are deleted and the staged rows committed: Lance now has a newer version
//!    than the manifest names, which readers ignore because they open the manifest's version;
//! 4. the derived indexes (HNSW graphs, text index) of the new version are built, reused or
//!    extended (see [`crate::derived`]) and fsynced;
//! 5. `MANIFEST.json` is atomically replaced: this is the moment the new version exists;
//! 6. garbage (older vector files, graphs and text indexes, older Lance versions, orphaned data
//!    files) is removed.
//!
//! A crash anywhere leaves `MANIFEST.json` naming the previous version, whose files are all
//! still there. The next writer rolls Lance back to that version and collects the garbage.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatchReader;
use arrow_schema::{FieldRef, Schema as ArrowSchema};
use lance::Dataset;
use lance::dataset::NewColumnTransform;
use lance::dataset::transaction::Transaction;
use lance::dataset::{CommitBuilder, InsertBuilder, WriteMode, WriteParams};

use crate::derived::{self, IndexPlan, NewVersion};
use crate::error::{IndexError, IoContext, Result};
use crate::failpoint;
use crate::layout::{
    self, ANN_DIR, ATTACHMENTS_DIR, DERIVED_DIRS, FIRST_PUBLISH_FILE, LANCE_DIR, LOCK_FILE,
    REPORTS_DIR, TEXT_DIR, VECTORS_DIR,
};
use crate::library::{Library, absolute, load_lance};
use crate::manifest::{
    self, BuildInfo, EmbeddingInfo, FORMAT_NAME, FORMAT_VERSION, FileRef, IngestRecord, LanceRef,
    MANIFEST_BACKUP_FILE, MANIFEST_FILE, Manifest,
};
use crate::runtime::block_on;
use crate::schema::{Dims, EmbeddingKind, col};

mod repair;
pub use repair::{ManifestSource, RepairReport};

/// Progress of long steps of a publish (index builds): label, done, total.
pub type ProgressFn = Box<dyn Fn(&str, u64, u64) + Send + Sync>;

/// Holds the library's writer lock for as long as it lives.
pub struct LibraryWriter {
    dir: PathBuf,
    _lock: File,
    base: Option<Manifest>,
    plan: IndexPlan,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for LibraryWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibraryWriter")
            .field("dir", &self.dir)
            .field("base", &self.base.as_ref().map(|m| m.library_version))
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

/// Track rows written to Lance data files but not yet committed.
#[derive(Debug)]
pub struct StagedTracks {
    transaction: Transaction,
    /// The dataset the rows were staged on when it is not the published version (a schema
    /// change was committed first); the commit must build on it.
    evolved: Option<Arc<Dataset>>,
}

/// Everything that makes up the next version.
#[derive(Debug)]
pub struct VersionChange {
    /// New rows, appended after the surviving old ones.
    pub staged: Option<StagedTracks>,
    /// Old rows to remove (replaced by new rows with the same id).
    pub delete_track_ids: Vec<String>,
    /// Embedding dimensions (must equal the base library's when appending).
    pub dims: Dims,
    /// The vector file of each embedding space of the new version.
    pub vectors: Vec<(EmbeddingKind, FileRef)>,
    /// Row count the new version must have (checked against Lance before publishing).
    pub rows: u64,
    /// What this ingest did, appended to the build history.
    pub ingest: IngestRecord,
    /// The encoder that produced each listed space's vectors (unlisted spaces keep the base's).
    pub encoders: Vec<(EmbeddingKind, String)>,
    /// Attachments written for this version (name, file); the base's other attachments are
    /// carried over.
    pub attachments: Vec<(String, FileRef)>,
}

impl LibraryWriter {
    /// Opens (creating if needed) the library in `dir` for writing, rolling back and cleaning up
    /// whatever an interrupted writer left behind.
    pub fn open(dir: &Path) -> Result<LibraryWriter> {
        let dir = absolute(dir)?;
        fs::create_dir_all(&dir).at(&dir)?;
        let lock = Self::lock(&dir)?;
        let base = manifest::read_if_present(&dir).map_err(needs_repair)?;
        let mut writer = LibraryWriter {
            dir,
            _lock: lock,
            base,
            plan: IndexPlan::default(),
            progress: None,
        };
        writer.recover()?;
        Ok(writer)
    }

    /// Takes the writer lock of `dir` (held until the returned file is dropped).
    fn lock(dir: &Path) -> Result<File> {
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .at(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => Ok(lock),
            Err(TryLockError::WouldBlock) => Err(IndexError::Locked { path: dir.into() }),
            Err(TryLockError::Error(e)) => Err(IndexError::io(&lock_path, e)),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Which derived indexes the next publish builds (default: all of them).
    pub fn set_index_plan(&mut self, plan: IndexPlan) {
        self.plan = plan;
    }

    /// Called during long steps of a publish (index builds), e.g. to drive a progress bar.
    pub fn set_progress(&mut self, progress: ProgressFn) {
        self.progress = Some(progress);
    }

    /// The currently published version, if any.
    pub fn base(&self) -> Option<&Manifest> {
        self.base.as_ref()
    }

    /// Opens the currently published version's data (without its derived indexes, so that a
    /// damaged graph or text index never stops an ingest or a reindex from replacing it).
    pub fn open_base(&self) -> Result<Option<Library>> {
        self.base
            .clone()
            .map(|m| Library::open_data(&self.dir, m))
            .transpose()
    }

    /// The version number the next publish will get.
    pub fn next_version(&self) -> u64 {
        self.base.as_ref().map_or(1, |m| m.library_version + 1)
    }

    /// Absolute and relative path of the vector file of `kind` in the next version.
    pub fn next_vector_path(&self, kind: EmbeddingKind) -> Result<(PathBuf, String)> {
        let rel = layout::vector_file(kind, self.next_version());
        let abs = self.dir.join(&rel);
        let parent = self.dir.join(VECTORS_DIR);
        fs::create_dir_all(&parent).at(&parent)?;
        Ok((abs, rel))
    }

    /// Folder for ingest reports (rejects files); created on demand.
    pub fn reports_dir(&self) -> Result<PathBuf> {
        let p = self.dir.join(REPORTS_DIR);
        fs::create_dir_all(&p).at(&p)?;
        Ok(p)
    }

    /// Streams `batches` into new Lance data files without committing them. Columns of their
    /// schema that the published version lacks are added to the dataset first, all null.
    pub fn stage_tracks(&self, batches: Box<dyn RecordBatchReader + Send>) -> Result<StagedTracks> {
        let lance_path = self.lance_path();
        let incoming = batches.schema();
        let (transaction, evolved) = block_on(async {
            match &self.base {
                None => {
                    let params = WriteParams {
                        mode: WriteMode::Create,
                        ..Default::default()
                    };
                    let uri = lance_path.to_string_lossy().into_owned();
                    let t = InsertBuilder::new(uri.as_str())
                        .with_params(&params)
                        .execute_uncommitted_stream(batches)
                        .await?;
                    Ok((t, None))
                }
                Some(m) => {
                    let params = WriteParams {
                        mode: WriteMode::Append,
                        ..Default::default()
                    };
                    let mut ds = load_lance(&self.dir, m).await.map_err(lance_unwrap)?;
                    let have = ArrowSchema::from(ds.schema());
                    let missing: Vec<FieldRef> = incoming
                        .fields()
                        .iter()
                        .filter(|f| have.field_with_name(f.name()).is_err())
                        .cloned()
                        .collect();
                    let evolved = !missing.is_empty();
                    if evolved {
                        let nulls = Arc::new(ArrowSchema::new(missing));
                        ds.add_columns(NewColumnTransform::AllNulls(nulls), None, None)
                            .await?;
                        failpoint::hit("stage-after-schema-change");
                    }
                    let ds = Arc::new(ds);
                    let t = InsertBuilder::new(ds.clone())
                        .with_params(&params)
                        .execute_uncommitted_stream(batches)
                        .await?;
                    Ok((t, evolved.then_some(ds)))
                }
            }
        })
        .map_err(|e| IndexError::lance(&lance_path, e))?;
        Ok(StagedTracks {
            transaction,
            evolved,
        })
    }

    /// Makes `change` the library's current version. See the module docs for the protocol.
    pub fn publish(&mut self, change: VersionChange) -> Result<Manifest> {
        self.publish_inner(change, true)
    }

    /// Publishes a new version with the same tracks and vectors and freshly built derived
    /// indexes (what `segue reindex` does), following the writer's index plan with
    /// `rebuild` forced on.
    pub fn reindex(&mut self) -> Result<Manifest> {
        let base = self.base.clone().ok_or_else(|| {
            IndexError::InvalidArgument("the library has no published version to reindex".into())
        })?;
        let change = self.same_tracks(&base)?;
        self.plan.rebuild = true;
        let result = self.publish_inner(change, false);
        self.plan.rebuild = false;
        result
    }

    /// Publishes a new version with the same tracks, vectors and indexes plus the document
    /// `bytes` stored as attachment `name` (replacing an attachment of that name). Names are
    /// lower-case letters, digits, `-` and `_`.
    pub fn attach(&mut self, name: &str, bytes: &[u8]) -> Result<Manifest> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid {
            return Err(IndexError::InvalidArgument(format!(
                "attachment name {name:?}: use 1 to 64 lower-case letters, digits, '-' or '_'"
            )));
        }
        let base = self.base.clone().ok_or_else(|| {
            IndexError::InvalidArgument(
                "the library has no published version to attach to; ingest a catalogue first"
                    .into(),
            )
        })?;
        let rel = layout::attachment_file(name, self.next_version());
        let dir = self.dir.join(ATTACHMENTS_DIR);
        fs::create_dir_all(&dir).at(&dir)?;
        let path = self.dir.join(&rel);
        // Not yet named by any manifest: a crash leaves garbage that the next writer removes.
        fs::write(&path, bytes).at(&path)?;
        File::open(&path).and_then(|f| f.sync_all()).at(&path)?;
        failpoint::hit("attach-before-publish");
        let fref = FileRef {
            path: rel,
            bytes: bytes.len() as u64,
            crc32: crc32fast::hash(bytes),
        };
        let change = VersionChange {
            attachments: vec![(name.to_string(), fref)],
            ..self.same_tracks(&base)?
        };
        // Same rows: every index of the base is carried over, nothing is rebuilt.
        let plan = std::mem::replace(&mut self.plan, IndexPlan::none());
        let result = self.publish_inner(change, false);
        self.plan = plan;
        result
    }

    /// A change that keeps `base`'s tracks and vector files as they are (a reindex, an
    /// attachment).
    fn same_tracks(&self, base: &Manifest) -> Result<VersionChange> {
        let dims = Library::open_data(&self.dir, base.clone())?.dims();
        let vectors = EmbeddingKind::ALL
            .into_iter()
            .filter_map(|k| {
                let info = base.embeddings.get(k.column())?;
                Some((k, base.file(&info.vectors)?.clone()))
            })
            .collect();
        Ok(VersionChange {
            staged: None,
            delete_track_ids: vec![],
            dims,
            vectors,
            rows: base.rows,
            ingest: IngestRecord::default(),
            encoders: vec![],
            attachments: vec![],
        })
    }

    fn publish_inner(&mut self, change: VersionChange, record_ingest: bool) -> Result<Manifest> {
        let renumbered = !change.delete_track_ids.is_empty();
        let lance_path = self.lance_path();
        let uri = lance_path.to_string_lossy().into_owned();
        let first_publish = self.dir.join(FIRST_PUBLISH_FILE);
        if self.base.is_none() {
            // Lets the next writer tell a first ingest that crashed after its Lance commit
            // (whose leftovers it removes) from a library whose manifest was lost (kept).
            fs::write(&first_publish, b"").at(&first_publish)?;
        }
        failpoint::hit("publish-before-lance-commit");
        let dataset = block_on(async {
            let evolved = change.staged.as_ref().and_then(|s| s.evolved.clone());
            let mut ds = match (&self.base, evolved) {
                (Some(_), Some(evolved)) => Some(Arc::unwrap_or_clone(evolved)),
                (Some(m), None) => Some(load_lance(&self.dir, m).await.map_err(lance_unwrap)?),
                (None, _) => None,
            };
            if let Some(ds) = ds.as_mut() {
                for chunk in change.delete_track_ids.chunks(512) {
                    ds.delete(&in_list_predicate(col::TRACK_ID, chunk)).await?;
                }
            }
            match (change.staged, ds) {
                (Some(staged), Some(ds)) => {
                    CommitBuilder::new(Arc::new(ds))
                        .execute(staged.transaction)
                        .await
                }
                (Some(staged), None) => {
                    CommitBuilder::new(uri.as_str())
                        .execute(staged.transaction)
                        .await
                }
                (None, Some(ds)) => Ok(ds),
                (None, None) => Err(lance::Error::invalid_input("nothing to publish")),
            }
        })
        .map_err(|e| IndexError::lance(&lance_path, e))?;
        failpoint::hit("publish-after-lance-commit");

        let rows = block_on(dataset.count_rows(None))
            .map_err(|e| IndexError::lance(&lance_path, e))? as u64;
        if rows != change.rows {
            return Err(IndexError::corrupt(
                &lance_path,
                format!(
                    "after commit Lance has {rows} rows, expected {}",
                    change.rows
                ),
            ));
        }
        let with_dims: Vec<(EmbeddingKind, FileRef, u32)> = change
            .vectors
            .iter()
            .filter_map(|(k, f)| Some((*k, f.clone(), change.dims.get(*k)?)))
            .collect();
        let noop = |_: &str, _: u64, _: u64| {};
        let progress: &(dyn Fn(&str, u64, u64) + Sync) = match &self.progress {
            Some(p) => p.as_ref(),
            None => &noop,
        };
        let derived = derived::build(
            &NewVersion {
                dir: &self.dir,
                version: self.next_version(),
                rows,
                base: self.base.as_ref(),
                renumbered,
                dataset: &dataset,
                vectors: &with_dims,
            },
            &self.plan,
            progress,
        )?;
        let mut manifest = self.next_manifest(
            dataset.version().version,
            change.dims,
            change.vectors,
            rows,
            record_ingest.then_some(change.ingest),
        )?;
        for (kind, encoder) in change.encoders {
            if let Some(e) = manifest.embeddings.get_mut(kind.column()) {
                e.encoder = Some(encoder);
            }
        }
        manifest.files.extend(derived.files);
        manifest.ann = derived.ann;
        manifest.text_index = derived.text_index;
        manifest.quantisation = derived.quantisation;
        manifest.quantised = derived.quantised;
        // Attachments: the base's, then this change's (which replace same-named ones).
        let mut attachments: Vec<(String, FileRef)> = self
            .base
            .iter()
            .flat_map(|b| {
                b.attachments
                    .iter()
                    .filter_map(|(name, rel)| Some((name.clone(), b.file(rel)?.clone())))
            })
            .filter(|(name, _)| change.attachments.iter().all(|(n, _)| n != name))
            .collect();
        attachments.extend(change.attachments);
        for (name, fref) in attachments {
            manifest.attachments.insert(name, fref.path.clone());
            manifest.files.push(fref);
        }
        // Check that what we are about to publish opens, indexes included, before anyone can
        // see it.
        Library::open_manifest(&self.dir, manifest.clone())?;
        failpoint::hit("publish-before-manifest");
        manifest.publish(&self.dir)?;
        failpoint::hit("publish-after-manifest");
        self.base = Some(manifest.clone());
        remove_if_present(&first_publish)?;
        self.collect_garbage()?;
        Ok(manifest)
    }

    fn next_manifest(
        &self,
        lance_version: u64,
        dims: Dims,
        vectors: Vec<(EmbeddingKind, FileRef)>,
        rows: u64,
        ingest: Option<IngestRecord>,
    ) -> Result<Manifest> {
        let version = self.next_version();
        let mut embeddings = std::collections::BTreeMap::new();
        let mut files = Vec::new();
        for (kind, fref) in vectors {
            let dim = dims.get(kind).ok_or_else(|| {
                IndexError::InvalidArgument(format!(
                    "vector file for {} but no dimension",
                    kind.column()
                ))
            })?;
            let encoder = self
                .base
                .as_ref()
                .and_then(|m| m.embeddings.get(kind.column()))
                .and_then(|e| e.encoder.clone());
            embeddings.insert(
                kind.column().to_string(),
                EmbeddingInfo {
                    dim,
                    vectors: fref.path.clone(),
                    encoder,
                },
            );
            files.push(fref);
        }
        for kind in EmbeddingKind::ALL {
            if dims.get(kind).is_some() && !embeddings.contains_key(kind.column()) {
                return Err(IndexError::InvalidArgument(format!(
                    "library has {} but no vector file was written for it",
                    kind.column()
                )));
            }
        }
        let mut ingests = self
            .base
            .as_ref()
            .map(|m| m.build.ingests.clone())
            .unwrap_or_default();
        if let Some(mut ingest) = ingest {
            ingest.library_version = version;
            ingests.push(ingest);
        }
        Ok(Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            library_version: version,
            lance: LanceRef {
                path: LANCE_DIR.into(),
                version: lance_version,
            },
            rows,
            embeddings,
            files,
            build: BuildInfo {
                written_by: format!("segue {}", env!("CARGO_PKG_VERSION")),
                published_unix: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                ingests,
            },
            ann: Default::default(),
            text_index: None,
            attachments: Default::default(),
            quantisation: Default::default(),
            quantised: Default::default(),
        })
    }

    /// Drops whatever a failed ingest staged (Lance data files, vector files, temp files).
    /// The published version is untouched.
    pub fn discard_unpublished(&mut self) -> Result<()> {
        self.recover()
    }

    /// Undoes what an interrupted writer left: Lance versions newer than the manifest's, and
    /// files no manifest names.
    fn recover(&mut self) -> Result<()> {
        let lance_path = self.lance_path();
        match self.base.clone() {
            None => {
                self.check_only_ours()?;
                let published = repair::has_lance_versions(&lance_path)
                    && !self.dir.join(FIRST_PUBLISH_FILE).exists();
                if published || self.dir.join(MANIFEST_BACKUP_FILE).exists() {
                    return Err(IndexError::NeedsRepair {
                        path: self.dir.clone(),
                        reason: format!(
                            "{MANIFEST_FILE} is missing but the directory holds a published \
                             library (nothing was changed)"
                        ),
                    });
                }
                // Never published: whatever is here is an interrupted first ingest.
                if lance_path.exists() {
                    fs::remove_dir_all(&lance_path).at(&lance_path)?;
                }
                self.collect_derived_garbage(&[])?;
                remove_if_present(&self.dir.join(FIRST_PUBLISH_FILE))?;
            }
            Some(m) => {
                let latest = block_on(async {
                    let ds = Dataset::open(&lance_path.to_string_lossy()).await?;
                    ds.latest_version_id().await
                })
                .map_err(|e| IndexError::lance(&lance_path, e))?;
                if latest != m.lance.version {
                    // Lance committed a version the manifest never published: roll it back by
                    // restoring the published one (as a new Lance version) and re-pointing the
                    // manifest at it. Same rows, same library version.
                    let restored = block_on(async {
                        let mut ds = load_lance(&self.dir, &m).await.map_err(lance_unwrap)?;
                        ds.restore().await?;
                        Ok::<_, lance::Error>(ds.version().version)
                    })
                    .map_err(|e| IndexError::lance(&lance_path, e))?;
                    let mut fixed = m.clone();
                    fixed.lance.version = restored;
                    Library::open_data(&self.dir, fixed.clone())?;
                    fixed.publish(&self.dir)?;
                    self.base = Some(fixed);
                }
                if let Some(m) = &self.base {
                    m.refresh_backup(&self.dir)?;
                }
                self.collect_garbage()?;
            }
        }
        Ok(())
    }

    /// Deletes derived files the manifest does not name, and Lance versions other than its own.
    fn collect_garbage(&self) -> Result<()> {
        let Some(m) = &self.base else { return Ok(()) };
        let keep: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        self.collect_derived_garbage(&keep)?;
        let lance_path = self.lance_path();
        // The manifest's version is Lance's latest here (publish just committed it; recover
        // restored it), so this keeps exactly it and drops older versions and orphaned data
        // files. We hold the writer lock, so no other writer's unverified files can be in flight.
        block_on(async {
            let ds = load_lance(&self.dir, m).await.map_err(lance_unwrap)?;
            ds.cleanup_old_versions(chrono::TimeDelta::zero(), Some(true), Some(false))
                .await
        })
        .map_err(|e| IndexError::lance(&lance_path, e))?;
        Ok(())
    }

    fn collect_derived_garbage(&self, keep: &[&str]) -> Result<()> {
        for sub in DERIVED_DIRS {
            let d = self.dir.join(sub);
            let Ok(entries) = fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let rel = format!("{sub}/{}", e.file_name().to_string_lossy());
                let inside = format!("{rel}/");
                // A folder (a text index) stays if the manifest names any file in it.
                let kept =
                    keep.contains(&rel.as_str()) || keep.iter().any(|k| k.starts_with(&inside));
                if !kept {
                    let p = e.path();
                    if p.is_dir() {
                        fs::remove_dir_all(&p).at(&p)?;
                    } else {
                        fs::remove_file(&p).at(&p)?;
                    }
                }
            }
        }
        // Temp files of an interrupted atomic write.
        for d in [self.dir.clone(), self.dir.join(REPORTS_DIR)] {
            let Ok(entries) = fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.contains(".tmp-") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }

    /// A directory without a manifest may only hold leftovers of our own interrupted first
    /// ingest; refuse to turn someone's unrelated folder into a library.
    fn check_only_ours(&self) -> Result<()> {
        let ours = [
            LOCK_FILE,
            LANCE_DIR,
            VECTORS_DIR,
            ANN_DIR,
            TEXT_DIR,
            ATTACHMENTS_DIR,
            REPORTS_DIR,
            MANIFEST_FILE,
            MANIFEST_BACKUP_FILE,
            FIRST_PUBLISH_FILE,
        ];
        for e in fs::read_dir(&self.dir).at(&self.dir)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let temp = name.starts_with('.') && name.contains(".tmp-");
            if !ours.contains(&name.as_str()) && !temp {
                return Err(IndexError::NotALibrary {
                    path: self.dir.clone(),
                    reason: format!(
                        "the directory is not empty (it has {name:?}) and has no {MANIFEST_FILE}; choose an empty or new directory"
                    ),
                });
            }
        }
        Ok(())
    }

    fn lance_path(&self) -> PathBuf {
        self.dir.join(LANCE_DIR)
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(IndexError::io(path, e)),
        _ => Ok(()),
    }
}

/// A manifest that cannot be read is repairable: say how.
fn needs_repair(e: IndexError) -> IndexError {
    match e {
        IndexError::Corrupt { path, reason } => IndexError::NeedsRepair {
            path: path.parent().map_or(path.clone(), Path::to_path_buf),
            reason: format!("{}: {reason}", path.display()),
        },
        other => other,
    }
}

/// `name IN ('a', 'b')` with SQL string escaping.
fn in_list_predicate(name: &str, values: &[String]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect();
    format!("{name} IN ({})", quoted.join(", "))
}

/// Inside a Lance future we need a `lance::Error`; keep our message.
fn lance_unwrap(e: IndexError) -> lance::Error {
    lance::Error::invalid_input(e.to_string())
}
