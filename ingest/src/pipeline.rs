//! The ingest pipeline: catalogue → validated batches → staged Lance rows + vector files →
//! one published library version (or nothing at all).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use segue_index::schema::append_schema;
use serde_json::json;

use segue_index::{
    Dims, EmbeddingKind, FileRef, IngestRecord, Library, LibraryWriter, VectorFile,
    VectorFileWriter, VersionChange, failpoint,
};

use crate::batch;
use crate::enrich::Enricher;
use crate::error::{IngestError, Result, RowError, SourceItem};
use crate::options::{IngestOptions, IngestSummary, OnDuplicate};
use crate::progress::IngestProgress;
use crate::record::TrackRecord;
use crate::sources::{self, AudioDirSource, EmbeddingFile, Source};
use crate::validate::validate;

/// Ingests `opts.catalog` into the library at `library` (created if needed).
pub fn ingest(library: &Path, opts: &IngestOptions) -> Result<IngestSummary> {
    let started = Instant::now();
    if opts.batch_rows == 0 {
        return Err(IngestError::InvalidOptions(
            "batch size must be at least 1".into(),
        ));
    }
    // A folder of audio files is a catalogue of its own when its audio is analysed.
    let source: Box<dyn Source> = if opts.audio.is_some() && opts.catalog.is_dir() {
        Box::new(AudioDirSource::open(&opts.catalog)?)
    } else {
        sources::open_for(&opts.catalog, opts.format, opts.audio.is_some())?
    };
    let mut writer = LibraryWriter::open(library)?;
    writer.set_index_plan(opts.index.clone());
    let result = run(&mut writer, source, opts, started);
    if !matches!(
        result,
        Ok(IngestSummary {
            published: true,
            ..
        })
    ) {
        // Nothing was published (an error, or every row skipped or rejected): drop staged Lance
        // data and vector files now rather than at the next write. A failure here changes
        // nothing about the published version.
        let _ = writer.discard_unpublished();
    }
    result
}

fn run(
    writer: &mut LibraryWriter,
    source: Box<dyn Source>,
    opts: &IngestOptions,
    started: Instant,
) -> Result<IngestSummary> {
    let base = writer.open_base()?;
    let format = source.format_name().to_string();
    let ignored_columns = source.ignored_columns();
    let mut emb_files = [None, None];
    for (i, kind) in EmbeddingKind::ALL.into_iter().enumerate() {
        let (file, dim) = match kind {
            EmbeddingKind::Audio => (&opts.audio_emb_file, opts.audio_dim),
            EmbeddingKind::Text => (&opts.text_emb_file, opts.text_dim),
        };
        if let Some(f) = file {
            if source.has_embedding(kind) == Some(true) {
                return Err(IngestError::InvalidOptions(format!(
                    "{} has a {} column and {} was given too; use one",
                    opts.catalog.display(),
                    kind.column(),
                    f.display()
                )));
            }
            let dim = dim.or(base.as_ref().and_then(|b| b.dims().get(kind)));
            emb_files[i] = Some(EmbeddingFile::open(f, dim)?);
        }
    }
    let encoders = planned_encoders(opts);
    check_encoders(base.as_ref(), &encoders)?;
    let dims = plan_dims(base.as_ref(), source.as_ref(), &emb_files, opts, &encoders)?;

    let existing: HashMap<String, u64> = match &base {
        Some(b) => b
            .track_ids()?
            .into_iter()
            .enumerate()
            .map(|(i, id)| (id, i as u64))
            .collect(),
        None => HashMap::new(),
    };
    let next = writer.next_version();
    let (rejects_tmp, rejects_final) = rejects_paths(writer, opts, next)?;

    let mut state = StreamState {
        source,
        catalog: opts.catalog.clone(),
        emb_files,
        dims,
        published_schema: base
            .as_ref()
            .map(|b| Arc::new(arrow_schema::Schema::from(b.dataset().schema()))),
        schema: None,
        vectors: [None, None],
        vector_paths: [
            writer.next_vector_path(EmbeddingKind::Audio)?,
            writer.next_vector_path(EmbeddingKind::Text)?,
        ],
        base_rows: base.as_ref().map_or(0, Library::rows),
        existing,
        seen: HashMap::new(),
        on_duplicate: opts.on_duplicate,
        skip_bad_rows: opts.skip_bad_rows,
        rejects: None,
        rejects_tmp: rejects_tmp.clone(),
        replaced_rows: Vec::new(),
        delete_ids: Vec::new(),
        rows_read: 0,
        max_row: 0,
        added: 0,
        skipped_dup: 0,
        rejected: 0,
        batch_rows: opts.batch_rows,
        batches: 0,
        error: None,
        progress: IngestProgress::new(opts.progress, opts.on_progress.clone()),
        enricher: Enricher::new(opts.text_encoder.clone(), opts.audio.clone(), &opts.catalog),
    };
    for kind in EmbeddingKind::ALL {
        if dims.get(kind).is_some() {
            state.open_vector_writer(base.as_ref(), kind)?;
        }
    }

    // Pull the first batch ourselves: Lance peeks one to learn the schema, and a catalogue whose
    // rows are all skipped must not create an empty Lance commit.
    let first = state.next_batch()?;
    let shared = Arc::new(Mutex::new(state));
    let staged = match first {
        None => None,
        Some(batch) => {
            let schema = batch.schema();
            let stream = BatchStream {
                state: shared.clone(),
                first: Some(batch),
                schema,
            };
            match writer.stage_tracks(Box::new(stream)) {
                Ok(s) => Some(s),
                Err(e) => {
                    let mut st = shared.lock().expect("ingest state poisoned");
                    return Err(st.error.take().unwrap_or(IngestError::Index(e)));
                }
            }
        }
    };
    let mut state = Arc::try_unwrap(shared)
        .map_err(|_| {
            IngestError::InvalidOptions("internal: ingest stream still referenced".into())
        })?
        .into_inner()
        .expect("ingest state poisoned");
    if let Some(e) = state.error.take() {
        return Err(e);
    }
    if state.progress.finish().is_break() {
        return Err(IngestError::Cancelled);
    }
    state.check_embedding_files(&format)?;
    if state.rows_read == 0 {
        return Err(IngestError::bad_file(
            &opts.catalog,
            "the catalogue has no data rows",
        ));
    }

    let rows_rejected = state.rejected;
    let rejects_file = state.finish_rejects(&rejects_final)?;
    let mut summary = IngestSummary {
        library_version: base.as_ref().map_or(0, Library::version),
        published: false,
        format: format.clone(),
        rows_read: state.rows_read,
        rows_added: state.added,
        rows_replaced: state.replaced_rows.len() as u64,
        rows_skipped_duplicate: state.skipped_dup,
        rows_rejected,
        rejects_file: rejects_file.clone(),
        total_tracks: base.as_ref().map_or(0, Library::rows),
        ignored_columns,
        text_embedded: state.enricher.text_embedded,
        audio_analyzed: state.enricher.audio_analyzed,
        encoders: Vec::new(),
        seconds: 0.0,
    };
    if state.added == 0 {
        // Nothing new (every row skipped or rejected): the library stays as it is.
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }
    failpoint::hit("ingest-before-vectors-finish");
    let vectors = state.finish_vectors(writer)?;
    let rows = state.base_rows - state.replaced_rows.len() as u64 + state.added;
    let record = IngestRecord {
        library_version: next,
        source: opts.catalog.display().to_string(),
        format,
        rows_read: state.rows_read,
        rows_added: state.added,
        rows_replaced: state.replaced_rows.len() as u64,
        rows_skipped_duplicate: state.skipped_dup,
        rows_rejected,
        rejects_file: rejects_file.as_ref().map(|p| relative_to(p, writer.dir())),
        seconds: started.elapsed().as_secs_f64(),
    };
    let encoders: Vec<(EmbeddingKind, String)> = encoders
        .into_iter()
        .filter(|(kind, _, _)| state.dims.get(*kind).is_some())
        .map(|(kind, id, _)| (kind, id))
        .collect();
    summary.encoders = encoders
        .iter()
        .map(|(k, id)| (k.column().to_string(), id.clone()))
        .collect();
    let manifest = writer.publish(VersionChange {
        staged,
        delete_track_ids: std::mem::take(&mut state.delete_ids),
        dims: state.dims,
        vectors,
        rows,
        ingest: record,
        encoders,
        attachments: vec![],
    })?;
    summary.library_version = manifest.library_version;
    summary.published = true;
    summary.total_tracks = manifest.rows;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The spaces this ingest's encoders fill: (space, encoder id, dimension).
fn planned_encoders(opts: &IngestOptions) -> Vec<(EmbeddingKind, String, u32)> {
    let mut out = Vec::new();
    if let Some(a) = &opts.audio
        && let (Some(id), Some(dim)) = (a.analyzer.embedding_id(), a.analyzer.embedding_dim())
    {
        out.push((EmbeddingKind::Audio, id, dim as u32));
    }
    if let Some(t) = &opts.text_encoder {
        out.push((EmbeddingKind::Text, t.id(), t.dim() as u32));
    }
    out
}

/// Vectors from different encoders are not comparable: an encoder may only add to a space it
/// made (or to a new library).
fn check_encoders(base: Option<&Library>, encoders: &[(EmbeddingKind, String, u32)]) -> Result<()> {
    let Some(b) = base else { return Ok(()) };
    for (kind, id, _) in encoders {
        let name = kind.column();
        let Some(info) = b.manifest().embeddings.get(name) else {
            continue; // plan_dims explains that spaces are fixed when a library is created
        };
        match &info.encoder {
            Some(have) if have == id => {}
            Some(have) => {
                return Err(IngestError::InvalidOptions(format!(
                    "the library's {name} vectors were made by {have}; this ingest would add {id} vectors, which are not comparable with them"
                )));
            }
            None => {
                return Err(IngestError::InvalidOptions(format!(
                    "the library's {name} vectors came from a catalogue with no recorded encoder; refusing to mix {id} vectors into them"
                )));
            }
        }
    }
    Ok(())
}

/// Decides which embedding spaces the library has and, where already known, their dimension.
/// `Some(0)` means "present, dimension taken from the first row".
fn plan_dims(
    base: Option<&Library>,
    source: &dyn Source,
    files: &[Option<EmbeddingFile>; 2],
    opts: &IngestOptions,
    encoders: &[(EmbeddingKind, String, u32)],
) -> Result<Dims> {
    let mut dims = Dims::default();
    for (i, kind) in EmbeddingKind::ALL.into_iter().enumerate() {
        let name = kind.column();
        let in_library = base.is_some_and(|b| b.dims().get(kind).is_some());
        let encoder = encoders.iter().find(|e| e.0 == kind);
        let present = encoder.is_some()
            || files[i].is_some()
            || source.has_embedding(kind).unwrap_or(in_library);
        let given = files[i]
            .as_ref()
            .map(EmbeddingFile::dim)
            .or(source.schema_dim(kind))
            .or(match kind {
                EmbeddingKind::Audio => opts.audio_dim,
                EmbeddingKind::Text => opts.text_dim,
            });
        if let (Some((_, id, d)), Some(g)) = (encoder, given)
            && g != *d
        {
            return Err(IngestError::bad_file(
                &opts.catalog,
                format!("{name} has dimension {g}, but {id} makes {d}-d vectors"),
            ));
        }
        let given = given.or(encoder.map(|e| e.2));
        let dim = match (base, present) {
            (Some(b), true) => match b.dims().get(kind) {
                None => {
                    return Err(IngestError::bad_file(
                        &opts.catalog,
                        format!(
                            "has {name} but the library was created without {name}; embeddings spaces are fixed when a library is created"
                        ),
                    ));
                }
                Some(d) => {
                    if let Some(g) = given.filter(|&g| g != d) {
                        return Err(IngestError::bad_file(
                            &opts.catalog,
                            format!("{name} has dimension {g}, the library's is {d}"),
                        ));
                    }
                    Some(d)
                }
            },
            (Some(b), false) => {
                if let Some(d) = b.dims().get(kind) {
                    return Err(IngestError::bad_file(
                        &opts.catalog,
                        format!(
                            "has no {name} but the library has {d}-d {name}; add the column or give the embeddings file"
                        ),
                    ));
                }
                None
            }
            (None, true) => Some(given.unwrap_or(0)),
            (None, false) => None,
        };
        match kind {
            EmbeddingKind::Audio => dims.audio = dim,
            EmbeddingKind::Text => dims.text = dim,
        }
    }
    Ok(dims)
}

fn rejects_paths(
    writer: &LibraryWriter,
    opts: &IngestOptions,
    version: u64,
) -> Result<(PathBuf, PathBuf)> {
    let final_path = match &opts.rejects_path {
        Some(p) => {
            let inputs: Vec<&Path> = [&opts.audio_emb_file, &opts.text_emb_file]
                .into_iter()
                .flatten()
                .map(PathBuf::as_path)
                .chain([opts.catalog.as_path()])
                .collect();
            segue_index::outputs::check_output("rejects file", p, &[writer.dir()], &inputs)
                .map_err(|e| IngestError::InvalidOptions(e.to_string()))?;
            p.clone()
        }
        None => writer
            .reports_dir()?
            .join(format!("ingest-v{version:06}-rejects.jsonl")),
    };
    let tmp = segue_index::atomic::temp_sibling(&final_path);
    Ok((tmp, final_path))
}

fn relative_to(p: &Path, dir: &Path) -> String {
    p.strip_prefix(dir)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

struct StreamState {
    source: Box<dyn Source>,
    catalog: PathBuf,
    emb_files: [Option<EmbeddingFile>; 2],
    /// `Some(0)`: the space is present but its dimension comes from the first row.
    dims: Dims,
    /// The published version's track schema, if any.
    published_schema: Option<SchemaRef>,
    /// The schema of the rows written ([`append_schema`]).
    schema: Option<SchemaRef>,
    /// Writer, absolute path, relative path of each space's staging vector file.
    vectors: [Option<(VectorFileWriter, PathBuf, String)>; 2],
    /// Absolute and relative path of each space's vector file in the new version.
    vector_paths: [(PathBuf, String); 2],
    base_rows: u64,
    existing: HashMap<String, u64>,
    /// Track id → catalogue row where it was first seen.
    seen: HashMap<String, u64>,
    on_duplicate: OnDuplicate,
    skip_bad_rows: bool,
    rejects: Option<BufWriter<File>>,
    rejects_tmp: PathBuf,
    replaced_rows: Vec<u64>,
    delete_ids: Vec<String>,
    rows_read: u64,
    max_row: u64,
    added: u64,
    skipped_dup: u64,
    rejected: u64,
    batch_rows: usize,
    batches: u64,
    error: Option<IngestError>,
    progress: IngestProgress,
    enricher: Enricher,
}

/// Rows read and enriched together (bounds the latency of the progress bar and the memory of
/// decoded audio; texts are embedded in batches inside it).
const ENRICH_CHUNK: usize = 64;

impl StreamState {
    /// Opens the staging vector file of `kind` once its dimension is known.
    fn open_vector_writer(&mut self, base: Option<&Library>, kind: EmbeddingKind) -> Result<()> {
        let Some(dim) = self.dims.get(kind).filter(|&d| d > 0) else {
            return Ok(());
        };
        let (path, rel) = self.vector_paths[slot(kind)].clone();
        let staging = path.with_extension("f32.staging");
        let mut w = VectorFileWriter::create(&staging, dim)?;
        if let Some(old) = base.and_then(|b| b.vectors(kind)) {
            // Optimistic: keep every old row; replaced rows are compacted out at the end.
            w.copy_all_from(old)?;
        }
        self.vectors[slot(kind)] = Some((w, staging, rel));
        Ok(())
    }

    /// Reads up to `batch_rows` accepted rows. `Ok(None)` at the end of the catalogue.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let mut rows: Vec<TrackRecord> = Vec::with_capacity(self.batch_rows.min(65_536));
        let chunk = if self.enricher.is_active() {
            ENRICH_CHUNK
        } else {
            usize::MAX
        };
        let mut at_end = false;
        while rows.len() < self.batch_rows && !at_end {
            let want = (self.batch_rows - rows.len()).min(chunk);
            let mut items: Vec<SourceItem> = Vec::with_capacity(want.min(65_536));
            while items.len() < want {
                let Some(mut item) = self.source.next_item()? else {
                    at_end = true;
                    break;
                };
                self.rows_read += 1;
                if let SourceItem::Record(r) = &mut item {
                    self.max_row = self.max_row.max(r.row);
                    self.attach_embeddings(r)?;
                }
                items.push(item);
            }
            let enriched = self.enrich(&mut items)?;
            for (item, (enrich_error, passed_over)) in items.into_iter().zip(enriched) {
                match item {
                    SourceItem::Bad(e) => self.reject(e)?,
                    SourceItem::Record(r) => {
                        if let Some(e) = enrich_error {
                            self.reject(e)?;
                            continue;
                        }
                        match self.accept(&r, !passed_over) {
                            Ok(true) => {
                                self.write_vectors(&r)?;
                                rows.push(*r);
                            }
                            Ok(false) => {}
                            Err(e) => self.reject(e)?,
                        }
                    }
                }
            }
            if self
                .progress
                .update(self.source.progress(), self.rows_read)
                .is_break()
            {
                return Err(IngestError::Cancelled);
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        self.added += rows.len() as u64;
        self.batches += 1;
        if self.batches == 2 {
            failpoint::hit("ingest-mid-stream");
        }
        // Built at the first batch: the dimensions may only be known from the rows.
        let schema = self
            .schema
            .get_or_insert_with(|| append_schema(self.published_schema.as_deref(), self.dims))
            .clone();
        Ok(Some(batch::build(&schema, self.dims, &rows).map_err(
            |e| IngestError::InvalidOptions(format!("internal: building a batch: {e}")),
        )?))
    }

    /// Runs the encoders over the records that may be ingested (not those that will be
    /// skipped or rejected as duplicates). One entry per item: why that row must be rejected,
    /// and whether the encoders passed over it as a duplicate.
    fn enrich(&mut self, items: &mut [SourceItem]) -> Result<Vec<(Option<RowError>, bool)>> {
        let mut out = vec![(None, false); items.len()];
        if !self.enricher.is_active() {
            return Ok(out);
        }
        let mut slots = Vec::new();
        let mut records: Vec<&mut TrackRecord> = Vec::new();
        for (i, item) in items.iter_mut().enumerate() {
            let SourceItem::Record(r) = item else {
                continue;
            };
            let id = &r.track_id;
            let will_be_kept = !self.seen.contains_key(id)
                && (!self.existing.contains_key(id) || self.on_duplicate == OnDuplicate::Replace);
            if id.is_empty() {
                continue; // validation rejects it; nothing to compute
            }
            if will_be_kept {
                slots.push(i);
                records.push(r.as_mut());
            } else {
                out[i].1 = true;
            }
        }
        let errors = self.enricher.enrich(&mut records, &self.progress)?;
        for (i, e) in slots.into_iter().zip(errors) {
            out[i].0 = e;
        }
        Ok(out)
    }

    fn attach_embeddings(&mut self, r: &mut TrackRecord) -> Result<()> {
        for (i, kind) in EmbeddingKind::ALL.into_iter().enumerate() {
            if let Some(f) = self.emb_files[i].as_mut() {
                let v = f.read_row(r.row)?;
                match kind {
                    EmbeddingKind::Audio => r.audio_emb = Some(v),
                    EmbeddingKind::Text => r.text_emb = Some(v),
                }
            }
        }
        Ok(())
    }

    /// `Ok(true)`: ingest the row; `Ok(false)`: skip it (duplicate policy); `Err`: a bad row.
    /// `validate_row` is false only for rows the encoders passed over because they are
    /// duplicates: they lack what the encoders would have added, and the duplicate checks
    /// below settle them.
    fn accept(
        &mut self,
        r: &TrackRecord,
        validate_row: bool,
    ) -> std::result::Result<bool, RowError> {
        self.resolve_pending_dims(r);
        if validate_row {
            validate(r, self.dims)?;
        }
        if let Some(&first) = self.seen.get(&r.track_id) {
            let mut e = RowError::new(
                r.row,
                "track_id",
                format!("duplicate track id {:?} (first on row {first})", r.track_id),
            );
            e.track_id = Some(r.track_id.clone());
            return Err(e);
        }
        if let Some(&old_row) = self.existing.get(&r.track_id) {
            match self.on_duplicate {
                OnDuplicate::Error => {
                    let mut e = RowError::new(
                        r.row,
                        "track_id",
                        format!(
                            "{:?} is already in the library (use --on-duplicate skip or replace)",
                            r.track_id
                        ),
                    );
                    e.track_id = Some(r.track_id.clone());
                    return Err(e);
                }
                OnDuplicate::Skip => {
                    self.seen.insert(r.track_id.clone(), r.row);
                    self.skipped_dup += 1;
                    return Ok(false);
                }
                OnDuplicate::Replace => {
                    self.replaced_rows.push(old_row);
                    self.delete_ids.push(r.track_id.clone());
                }
            }
        }
        self.seen.insert(r.track_id.clone(), r.row);
        Ok(true)
    }

    /// A new library takes each embedding's dimension from the first row that has it.
    fn resolve_pending_dims(&mut self, r: &TrackRecord) {
        for kind in EmbeddingKind::ALL {
            if self.dims.get(kind) != Some(0) {
                continue;
            }
            let len = match kind {
                EmbeddingKind::Audio => r.audio_emb.as_ref().map(Vec::len),
                EmbeddingKind::Text => r.text_emb.as_ref().map(Vec::len),
            };
            if let Some(len) = len.filter(|&l| l > 0) {
                match kind {
                    EmbeddingKind::Audio => self.dims.audio = Some(len as u32),
                    EmbeddingKind::Text => self.dims.text = Some(len as u32),
                }
            }
        }
    }

    fn write_vectors(&mut self, r: &TrackRecord) -> std::result::Result<(), IngestError> {
        for kind in EmbeddingKind::ALL {
            let v = match kind {
                EmbeddingKind::Audio => r.audio_emb.as_deref(),
                EmbeddingKind::Text => r.text_emb.as_deref(),
            };
            let Some(v) = v else { continue };
            if self.vectors[slot(kind)].is_none() {
                // A new library: the first row has just fixed the dimension.
                self.open_vector_writer(None, kind)?;
            }
            if let Some((w, _, _)) = self.vectors[slot(kind)].as_mut() {
                w.push(v)?;
            }
        }
        Ok(())
    }

    fn reject(&mut self, e: RowError) -> Result<()> {
        if !self.skip_bad_rows {
            return Err(IngestError::BadRow {
                file: self.catalog.clone(),
                error: e,
            });
        }
        self.rejected += 1;
        if self.rejects.is_none() {
            let f = File::create(&self.rejects_tmp)
                .map_err(|err| IngestError::io(&self.rejects_tmp, err))?;
            self.rejects = Some(BufWriter::new(f));
        }
        let line = json!({
            "file": self.catalog.display().to_string(),
            "row": e.row,
            "track_id": e.track_id,
            "field": e.field,
            "reason": e.reason,
        });
        let out = self.rejects.as_mut().expect("opened above");
        writeln!(out, "{line}").map_err(|err| IngestError::io(&self.rejects_tmp, err))
    }

    fn finish_rejects(&mut self, final_path: &Path) -> Result<Option<PathBuf>> {
        let Some(mut w) = self.rejects.take() else {
            return Ok(None);
        };
        w.flush()
            .map_err(|e| IngestError::io(&self.rejects_tmp, e))?;
        w.get_ref()
            .sync_all()
            .map_err(|e| IngestError::io(&self.rejects_tmp, e))?;
        segue_index::atomic::durable_rename(&self.rejects_tmp, final_path)?;
        Ok(Some(final_path.to_path_buf()))
    }

    fn check_embedding_files(&self, format: &str) -> Result<()> {
        for f in self.emb_files.iter().flatten() {
            if format.starts_with("generic") {
                f.check_row_count(self.max_row.max(self.rows_read))?;
            }
        }
        Ok(())
    }

    /// Fsyncs the staging vector files and, if rows were replaced, compacts them out.
    fn finish_vectors(&mut self, writer: &LibraryWriter) -> Result<Vec<(EmbeddingKind, FileRef)>> {
        let mut out = Vec::new();
        let replaced: std::collections::HashSet<u64> = self.replaced_rows.iter().copied().collect();
        for kind in EmbeddingKind::ALL {
            let Some((w, staging, rel)) = self.vectors[slot(kind)].take() else {
                continue;
            };
            let staging_rel = format!("{rel}.staging");
            let staged = w.finish(&staging_rel)?;
            let final_path = writer.dir().join(&rel);
            let fref = if replaced.is_empty() {
                segue_index::atomic::durable_rename(&staging, &final_path)?;
                FileRef {
                    path: rel,
                    ..staged
                }
            } else {
                let dim = self.dims.get(kind).unwrap_or(0);
                let src = VectorFile::open(&staging, dim, &staged)?;
                let mut compact = VectorFileWriter::create(&final_path, dim)?;
                let base_rows = self.base_rows;
                compact.copy_rows_from(&src, |i| i >= base_rows || !replaced.contains(&i))?;
                let fref = compact.finish(&rel)?;
                drop(src);
                let _ = std::fs::remove_file(&staging);
                fref
            };
            out.push((kind, fref));
        }
        Ok(out)
    }
}

fn slot(kind: EmbeddingKind) -> usize {
    match kind {
        EmbeddingKind::Audio => 0,
        EmbeddingKind::Text => 1,
    }
}

/// The stream Lance consumes; it pulls batches from the shared state.
struct BatchStream {
    state: Arc<Mutex<StreamState>>,
    first: Option<RecordBatch>,
    schema: SchemaRef,
}

impl Iterator for BatchStream {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(b) = self.first.take() {
            return Some(Ok(b));
        }
        let mut st = self.state.lock().expect("ingest state poisoned");
        if st.error.is_some() {
            return None;
        }
        match st.next_batch() {
            Ok(b) => b.map(Ok),
            Err(e) => {
                let msg = e.to_string();
                st.error = Some(e);
                Some(Err(ArrowError::ExternalError(msg.into())))
            }
        }
    }
}

impl RecordBatchReader for BatchStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
