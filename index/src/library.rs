//! Opening a published library version for reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::{RecordBatch, StringArray};
use futures::TryStreamExt;
use lance::Dataset;
use lance::dataset::builder::DatasetBuilder;

use crate::ann::AnnGraph;
use crate::error::{IndexError, Result};
use crate::manifest::Manifest;
use crate::quantised::QuantisedVectors;
use crate::runtime::block_on;
use crate::schema::{Dims, EmbeddingKind, col};
use crate::text::TextIndex;
use crate::vectors::VectorFile;

/// How many newer versions [`Library::open`] follows when writers keep publishing under it.
const MAX_REOPENS: usize = 16;

/// Where an opened library keeps what its graph walks read: each space's graph links and
/// int8 copy (a search's and a soundtrack step's walks read these at random, all over them;
/// the f32 rows a search re-ranks stay mapped either way, as only a few are read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WalkMemory {
    /// Copied into the process's memory when the library is opened, on huge pages where the
    /// system grants them. Walks ran 10–80 % faster than through the mappings on a 1M-track
    /// library (`benches/RESULTS.md`, "The walks' data resident on huge pages"); opening
    /// costs one copy of those files (about 0.2 s at 1M) and the process holds them (about
    /// 0.7 GB at 1M × (128 + 64) dimensions with M 32, 7 GB at 10M) instead of leaving them
    /// to the page cache. A file the system has no memory to copy stays mapped.
    #[default]
    Resident,
    /// Read through the files' memory mappings: the process holds only the pages it has
    /// touched, and the system may drop them again under memory pressure (for a tool that
    /// opens a library to look at it, or a host short of memory).
    Mapped,
}

/// A library opened at its current published version. Cheap to query; immutable.
#[derive(Debug)]
pub struct Library {
    dir: PathBuf,
    manifest: Manifest,
    dataset: Dataset,
    vectors: BTreeMap<EmbeddingKind, VectorFile>,
    ann: BTreeMap<EmbeddingKind, AnnGraph>,
    quantised: BTreeMap<EmbeddingKind, QuantisedVectors>,
    text: Option<TextIndex>,
}

impl Library {
    /// Opens the version `MANIFEST.json` names, checking every file it depends on.
    ///
    /// A writer may publish a version, and remove the files of the one before, between this
    /// reader's read of the manifest and its opening of the files that manifest names. A failure
    /// to open is therefore only reported if the manifest is still the one that was read;
    /// otherwise the version now published is opened instead.
    ///
    /// The walks' data is made resident ([`WalkMemory::Resident`]); see
    /// [`Library::open_with`].
    pub fn open(dir: &Path) -> Result<Library> {
        Self::open_with(dir, WalkMemory::default())
    }

    /// [`Library::open`], keeping the graphs and int8 copies as `memory` says.
    pub fn open_with(dir: &Path, memory: WalkMemory) -> Result<Library> {
        let mut manifest = Manifest::read(dir)?;
        for _ in 0..MAX_REOPENS {
            match Self::open_version(dir, manifest.clone(), memory) {
                Ok(lib) => return Ok(lib),
                Err(e) => match Manifest::read(dir) {
                    Ok(now) if now != manifest => manifest = now,
                    _ => return Err(e),
                },
            }
        }
        Self::open_version(dir, manifest, memory)
    }

    /// Opens the version described by `manifest` (which must be the one in `dir`, or one the
    /// caller is about to publish), derived indexes included. A damaged or mismatched graph or
    /// text index is an error that says to run `segue reindex` (which opens the data alone, see
    /// [`Library::open_data`], and rebuilds them): a reader cannot rebuild (it holds no lock,
    /// and a million-row graph takes minutes), and silently searching without the index would
    /// turn a damaged file into a hidden hundredfold slowdown.
    ///
    /// The graphs and int8 copies stay mapped ([`WalkMemory::Mapped`]): a writer opens a
    /// version this way to check it before publishing it.
    pub fn open_manifest(dir: &Path, manifest: Manifest) -> Result<Library> {
        Self::open_version(dir, manifest, WalkMemory::Mapped)
    }

    fn open_version(dir: &Path, manifest: Manifest, memory: WalkMemory) -> Result<Library> {
        let mut lib = Self::open_data(dir, manifest)?;
        lib.open_indexes()?;
        if memory == WalkMemory::Resident {
            lib.ann.values_mut().for_each(AnnGraph::make_resident);
            lib.quantised
                .values_mut()
                .for_each(QuantisedVectors::make_resident);
        }
        Ok(lib)
    }

    /// Opens the tracks and vectors of a version without its derived indexes.
    pub fn open_data(dir: &Path, manifest: Manifest) -> Result<Library> {
        let dir = absolute(dir)?;
        let dataset = open_lance(&dir, &manifest)?;
        let mut vectors = BTreeMap::new();
        for kind in EmbeddingKind::ALL {
            let Some(info) = manifest.embeddings.get(kind.column()) else {
                continue;
            };
            let path = dir.join(&info.vectors);
            let fref = manifest.file(&info.vectors).ok_or_else(|| {
                IndexError::corrupt(
                    dir.join(crate::manifest::MANIFEST_FILE),
                    format!(
                        "embedding {} names {} which is not among its files",
                        kind.column(),
                        info.vectors
                    ),
                )
            })?;
            let file = VectorFile::open(&path, info.dim, fref)?;
            if file.rows() != manifest.rows {
                return Err(IndexError::corrupt(
                    &path,
                    format!("{} rows but the library has {}", file.rows(), manifest.rows),
                ));
            }
            vectors.insert(kind, file);
        }
        Ok(Library {
            dir,
            manifest,
            dataset,
            vectors,
            ann: BTreeMap::new(),
            quantised: BTreeMap::new(),
            text: None,
        })
    }

    fn open_indexes(&mut self) -> Result<()> {
        let manifest_path = self.dir.join(crate::manifest::MANIFEST_FILE);
        for kind in EmbeddingKind::ALL {
            let Some(info) = self.manifest.ann.get(kind.column()) else {
                continue;
            };
            let vectors = self.vectors.get(&kind).ok_or_else(|| {
                IndexError::corrupt(
                    &manifest_path,
                    format!("a graph of {} but no such embedding", kind.column()),
                )
            })?;
            let fref = self.manifest.file(&info.file).ok_or_else(|| {
                IndexError::corrupt(
                    &manifest_path,
                    format!("graph {} is not among the version's files", info.file),
                )
            })?;
            let graph = AnnGraph::open(
                &self.dir.join(&info.file),
                fref,
                vectors,
                info.vectors_crc32,
            )?;
            if graph.rows() != info.rows {
                return Err(IndexError::corrupt(
                    graph.path(),
                    format!(
                        "graph has {} rows, the manifest says {}; run `segue reindex`",
                        graph.rows(),
                        info.rows
                    ),
                ));
            }
            self.ann.insert(kind, graph);
        }
        for kind in EmbeddingKind::ALL {
            let Some(info) = self.manifest.quantised.get(kind.column()) else {
                continue;
            };
            let (Some(vectors), Some(fref)) =
                (self.vectors.get(&kind), self.manifest.file(&info.file))
            else {
                return Err(IndexError::corrupt(
                    &manifest_path,
                    format!(
                        "quantised vectors {} without their embedding or not among the \
                         version's files",
                        info.file
                    ),
                ));
            };
            let file = QuantisedVectors::open(&self.dir.join(&info.file), fref, vectors)?;
            self.quantised.insert(kind, file);
        }
        if let Some(info) = &self.manifest.text_index {
            for rel in &info.files {
                let path = self.dir.join(rel);
                let expected = self.manifest.file(rel).map(|f| f.bytes);
                let actual = std::fs::metadata(&path).map(|m| m.len()).ok();
                if expected.is_none() || actual != expected {
                    return Err(IndexError::corrupt(
                        &path,
                        "text index file missing or of the wrong size; run `segue reindex`",
                    ));
                }
            }
            let index = TextIndex::open(&self.dir.join(&info.dir))?;
            if index.docs() != info.docs {
                return Err(IndexError::corrupt(
                    self.dir.join(&info.dir),
                    format!(
                        "text index has {} documents, the manifest says {}; run `segue reindex`",
                        index.docs(),
                        info.docs
                    ),
                ));
            }
            self.text = Some(index);
        }
        Ok(())
    }

    /// A newer version than this one has been published in the directory.
    fn superseded(&self) -> bool {
        crate::manifest::read_if_present(&self.dir)
            .ok()
            .flatten()
            .is_some_and(|m| m.library_version > self.manifest.library_version)
    }

    /// The document stored as attachment `name` in this version, checked against the size and
    /// checksum the manifest records (`Ok(None)`: no such attachment).
    pub fn attachment(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(rel) = self.manifest.attachments.get(name) else {
            return Ok(None);
        };
        let path = self.dir.join(rel);
        let fref = self.manifest.file(rel).ok_or_else(|| {
            IndexError::corrupt(
                self.dir.join(crate::manifest::MANIFEST_FILE),
                format!("attachment {name} names {rel}, which is not among the version's files"),
            )
        })?;
        let bytes = std::fs::read(&path).map_err(|e| IndexError::io(&path, e))?;
        if bytes.len() as u64 != fref.bytes || crc32fast::hash(&bytes) != fref.crc32 {
            return Err(IndexError::corrupt(
                &path,
                format!("attachment {name} differs from the size or checksum the manifest records"),
            ));
        }
        Ok(Some(bytes))
    }

    /// The HNSW graph of one embedding space, if this version has one. It covers rows
    /// `0..graph.rows()`; later rows must be scanned exactly.
    pub fn ann(&self, kind: EmbeddingKind) -> Option<&AnnGraph> {
        self.ann.get(&kind)
    }

    /// The int8 copy of one embedding space's vectors, if this version keeps one (see
    /// [`crate::quantised`]).
    pub fn quantised(&self, kind: EmbeddingKind) -> Option<&QuantisedVectors> {
        self.quantised.get(&kind)
    }

    /// This library searching its f32 vectors only, as if it kept no int8 copies (to compare
    /// the two on the same graph; the version on disk is unchanged).
    pub fn without_quantised(mut self) -> Library {
        self.quantised.clear();
        self
    }

    /// The full-text index, if this version has one.
    pub fn text_index(&self) -> Option<&TextIndex> {
        self.text.as_ref()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn version(&self) -> u64 {
        self.manifest.library_version
    }

    pub fn rows(&self) -> u64 {
        self.manifest.rows
    }

    pub fn dims(&self) -> Dims {
        let dim = |k: EmbeddingKind| self.manifest.embeddings.get(k.column()).map(|e| e.dim);
        Dims {
            audio: dim(EmbeddingKind::Audio),
            text: dim(EmbeddingKind::Text),
        }
    }

    /// Whether this version's tracks have column `name` (libraries written before a column
    /// existed lack it until their next append; see [`crate::schema::ANALYSIS_COLUMNS`]).
    pub fn has_column(&self, name: &str) -> bool {
        self.dataset.schema().field(name).is_some()
    }

    /// Rows matching a Lance (SQL) filter over the track columns, e.g. `key IS NOT NULL`.
    pub fn count_where(&self, filter: &str) -> Result<u64> {
        let path = self.lance_path();
        block_on(self.dataset.count_rows(Some(filter.to_string())))
            .map(|n| n as u64)
            .map_err(|e| IndexError::lance(&path, e))
    }

    /// The Lance dataset at this library version.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The normalised vectors of one embedding space, if the library has it.
    pub fn vectors(&self, kind: EmbeddingKind) -> Option<&VectorFile> {
        self.vectors.get(&kind)
    }

    /// Every row's track id in one contiguous string array (row order): a compact copy for
    /// answering ids without a Lance read (about 4 bytes of offsets plus the id's bytes per
    /// row).
    pub fn track_id_column(&self) -> Result<StringArray> {
        let batches = self.scan(&[col::TRACK_ID])?;
        let mut arrays = Vec::with_capacity(batches.len());
        for batch in &batches {
            arrays.push(string_column(batch, col::TRACK_ID, &self.lance_path())?);
        }
        let bytes = arrays.iter().map(|a| a.values().len()).sum();
        let mut out =
            arrow_array::builder::StringBuilder::with_capacity(self.rows() as usize, bytes);
        for a in arrays {
            for id in a.iter() {
                out.append_value(id.unwrap_or_default());
            }
        }
        Ok(out.finish())
    }

    /// All track ids in row order (row `i` of the result is row `i` everywhere).
    pub fn track_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(self.rows() as usize);
        for batch in self.scan(&[col::TRACK_ID])? {
            let arr = string_column(&batch, col::TRACK_ID, &self.lance_path())?;
            ids.extend(arr.iter().map(|s| s.unwrap_or_default().to_string()));
        }
        Ok(ids)
    }

    /// Reads whole columns in row order.
    pub fn scan(&self, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        let path = self.lance_path();
        block_on(async {
            let mut scanner = self.dataset.scan();
            scanner
                .project(columns)
                .map_err(|e| IndexError::lance(&path, e))?;
            scanner.scan_in_order(true);
            let stream = scanner
                .try_into_stream()
                .await
                .map_err(|e| IndexError::lance(&path, e))?;
            stream
                .try_collect::<Vec<_>>()
                .await
                .map_err(|e| IndexError::lance(&path, e))
        })
    }

    /// Reads the given rows (dense row numbers) and columns, in the order asked.
    pub fn take(&self, rows: &[u64], columns: &[&str]) -> Result<RecordBatch> {
        let path = self.lance_path();
        if let Some(bad) = rows.iter().find(|&&r| r >= self.rows()) {
            return Err(IndexError::InvalidArgument(format!(
                "row {bad} out of range (library has {} rows)",
                self.rows()
            )));
        }
        block_on(async {
            let projection =
                lance::dataset::ProjectionRequest::from_columns(columns, self.dataset.schema());
            self.dataset
                .take(rows, projection)
                .await
                .map_err(|e| IndexError::lance(&path, e))
        })
    }

    /// Re-reads every derived file and checks it against its checksum, and each graph against
    /// the vector data it was built from.
    /// Then reads every column of the Lance version: the row count, the track ids and the
    /// vectors themselves must match what the vector files hold.
    pub fn verify(&self) -> Result<()> {
        for file in self.vectors.values() {
            file.verify()?;
        }
        for (kind, graph) in &self.ann {
            if let (Some(v), Some(info)) =
                (self.vectors.get(kind), self.manifest.ann.get(kind.column()))
                && v.prefix_crc32(info.rows) != info.vectors_crc32
            {
                return Err(IndexError::corrupt(
                    graph.path(),
                    "the graph was built from other vectors than this version's; run `segue reindex`",
                ));
            }
        }
        for (name, rel) in &self.manifest.attachments {
            let gone = !self.dir.join(rel).exists();
            if !(gone && self.superseded()) {
                self.attachment(name)?;
            }
        }
        crate::verify::check_lance(self)?;
        if let Some(info) = &self.manifest.text_index {
            let mut superseded = None;
            for rel in &info.files {
                let path = self.dir.join(rel);
                let bytes = match std::fs::read(&path) {
                    Ok(b) => b,
                    // A newer version was published since this reader opened its version, and
                    // its writer removed this version's text files: there is nothing left to
                    // check (the mapped vector files above are still this version's).
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound
                            && *superseded.get_or_insert_with(|| self.superseded()) =>
                    {
                        continue;
                    }
                    Err(e) => return Err(IndexError::io(&path, e)),
                };
                if self.manifest.file(rel).map(|f| f.crc32) != Some(crc32fast::hash(&bytes)) {
                    return Err(IndexError::corrupt(
                        &path,
                        "text index file checksum mismatch; run `segue reindex`",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Bytes on disk of the Lance dataset (all versions still present).
    pub fn lance_bytes(&self) -> u64 {
        dir_size(&self.lance_path())
    }

    fn lance_path(&self) -> PathBuf {
        self.dir.join(&self.manifest.lance.path)
    }
}

pub(crate) fn open_lance(dir: &Path, manifest: &Manifest) -> Result<Dataset> {
    block_on(load_lance(dir, manifest))
}

/// Opens the Lance dataset at the manifest's version and checks its row count.
pub(crate) async fn load_lance(dir: &Path, manifest: &Manifest) -> Result<Dataset> {
    let path = dir.join(&manifest.lance.path);
    let uri = path.to_string_lossy().into_owned();
    let dataset = DatasetBuilder::from_uri(&uri)
        .with_version(manifest.lance.version)
        .load()
        .await
        .map_err(|e| {
            IndexError::corrupt(
                &path,
                format!("cannot open Lance version {}: {e}", manifest.lance.version),
            )
        })?;
    let rows = dataset
        .count_rows(None)
        .await
        .map_err(|e| IndexError::lance(&path, e))?;
    if rows as u64 != manifest.rows {
        return Err(IndexError::corrupt(
            &path,
            format!(
                "Lance version {} has {rows} rows, the manifest says {}",
                manifest.lance.version, manifest.rows
            ),
        ));
    }
    Ok(dataset)
}

pub(crate) fn string_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
    path: &Path,
) -> Result<&'a StringArray> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| IndexError::corrupt(path, format!("column {name} missing or not a string")))
}

pub(crate) fn absolute(dir: &Path) -> Result<PathBuf> {
    std::path::absolute(dir).map_err(|e| IndexError::io(dir, e))
}

/// Total size of the files below `path` (0 if it does not exist).
pub fn dir_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}
