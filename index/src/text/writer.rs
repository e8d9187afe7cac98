//! Building a text index: from scratch, or by extending the previous version's index.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentId;
use tantivy::merge_policy::{LogMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::{Index, IndexSettings, IndexWriter, TantivyDocument};

use super::directory::{index_files, link_index_files, prepare_empty, remove_lock_files, sync_all};
use super::errors;
use super::reader::TextIndex;
use super::schema::{FORMAT_PAYLOAD, Fields, build_schema, check_format, register_tokenizers};
use crate::error::{IndexError, Result};

/// Tantivy's indexing memory per thread: a thread flushes a segment when it is full, so this
/// bounds memory whatever the library size (tantivy wants at least 15 MB).
const MEMORY_PER_THREAD: usize = 64 << 20;
/// Tantivy refuses more indexing threads than this.
const MAX_THREADS: usize = 8;

/// What the text index holds of one track.
#[derive(Debug, Clone, Copy)]
pub struct TextDoc<'a> {
    /// Dense row number: rows are added in order, without gaps, from the first row not yet in
    /// the index.
    pub row: u32,
    pub track_id: &'a str,
    pub title: Option<&'a str>,
    pub artist: Option<&'a str>,
    pub album: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub tags: &'a [String],
}

/// Writes the text index of one library version into its own directory.
pub struct TextIndexWriter {
    dir: PathBuf,
    index: Index,
    writer: IndexWriter,
    fields: Fields,
    /// Segments taken over from the previous version's index: no need to merge those into one.
    inherited: HashSet<SegmentId>,
    next_row: u64,
}

impl fmt::Debug for TextIndexWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextIndexWriter")
            .field("dir", &self.dir)
            .field("next_row", &self.next_row)
            .finish_non_exhaustive()
    }
}

impl TextIndexWriter {
    /// Starts an index in `dir` (created if missing, and then it must be empty), indexing with
    /// `threads` threads (at most 8 are used).
    pub fn create(dir: &Path, threads: usize) -> Result<TextIndexWriter> {
        check_threads(threads)?;
        prepare_empty(dir)?;
        let directory = MmapDirectory::open(dir).map_err(|e| errors::write(dir, e.into()))?;
        let index = Index::create(directory, build_schema(), IndexSettings::default())
            .map_err(|e| errors::write(dir, e))?;
        TextIndexWriter::start(dir, index, 0, HashSet::new(), threads)
    }

    /// Starts from a copy of the index in `prev_dir` (hard links: tantivy never rewrites a
    /// file, so the previous version's index is never written), so an append only indexes the
    /// new rows; the first row to add is the previous index's document count. Rows of the
    /// previous index keep their row numbers. Replacing or deleting tracks renumbers rows, which
    /// needs a new index ([`TextIndexWriter::create`]) instead.
    pub fn extend(prev_dir: &Path, dir: &Path, threads: usize) -> Result<TextIndexWriter> {
        check_threads(threads)?;
        let next_row = TextIndex::open(prev_dir)?.next_row()?;
        prepare_empty(dir)?;
        link_index_files(prev_dir, dir)?;
        let directory = MmapDirectory::open(dir).map_err(|e| errors::write(dir, e.into()))?;
        let index = Index::open(directory).map_err(|e| errors::read(dir, e))?;
        check_format(&index, dir)?;
        let inherited = index
            .searchable_segment_ids()
            .map_err(|e| errors::read(dir, e))?
            .into_iter()
            .collect();
        TextIndexWriter::start(dir, index, next_row, inherited, threads)
    }

    fn start(
        dir: &Path,
        index: Index,
        next_row: u64,
        inherited: HashSet<SegmentId>,
        threads: usize,
    ) -> Result<TextIndexWriter> {
        register_tokenizers(&index);
        let fields = Fields::of(&index.schema(), dir)?;
        let threads = threads.min(MAX_THREADS);
        let writer = index
            .writer_with_num_threads(threads, threads * MEMORY_PER_THREAD)
            .map_err(|e| errors::write(dir, e))?;
        // Merges happen in `finish`, chosen there, not in the background while indexing.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(TextIndexWriter {
            dir: dir.to_path_buf(),
            index,
            writer,
            fields,
            inherited,
            next_row,
        })
    }

    /// The row number the next [`add`](TextIndexWriter::add) must carry.
    pub fn next_row(&self) -> u64 {
        self.next_row
    }

    /// Indexes one track. Empty tags are skipped; tags are indexed trimmed.
    pub fn add(&mut self, doc: &TextDoc) -> Result<()> {
        if u64::from(doc.row) != self.next_row {
            return Err(IndexError::InvalidArgument(format!(
                "text index {}: track {:?} has row {}, expected row {} (rows are added in \
                 order, without gaps)",
                self.dir.display(),
                doc.track_id,
                doc.row,
                self.next_row
            )));
        }
        let f = &self.fields;
        let mut tantivy_doc = TantivyDocument::default();
        tantivy_doc.add_u64(f.row, u64::from(doc.row));
        tantivy_doc.add_text(f.track_id, doc.track_id);
        let texts = [
            (f.title, doc.title),
            (f.artist, doc.artist),
            (f.album, doc.album),
            (f.caption, doc.caption),
        ];
        for (field, text) in texts {
            if let Some(text) = text {
                tantivy_doc.add_text(field, text);
            }
        }
        for tag in doc.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            tantivy_doc.add_text(f.tags, tag);
            tantivy_doc.add_text(f.tag, tag);
        }
        self.writer
            .add_document(tantivy_doc)
            .map_err(|e| errors::write(&self.dir, e))?;
        self.next_row += 1;
        Ok(())
    }

    /// Commits, merges to few segments, removes lock files, fsyncs every file and the
    /// directory, and returns the names of the files of the index (relative to its directory,
    /// sorted) for the manifest. Afterwards nothing in the directory is written again.
    pub fn finish(mut self) -> Result<Vec<String>> {
        let dir = self.dir.clone();
        let fail = |e| errors::write(&dir, e);
        let mut commit = self.writer.prepare_commit().map_err(fail)?;
        commit.set_payload(FORMAT_PAYLOAD);
        commit.commit().map_err(fail)?;

        // This writer's rows sit in one segment per indexing thread, more if a thread filled
        // its memory: one segment is smaller and faster to search.
        let fresh: Vec<SegmentId> = self
            .index
            .searchable_segment_ids()
            .map_err(fail)?
            .into_iter()
            .filter(|id| !self.inherited.contains(id))
            .collect();
        if fresh.len() > 1 {
            self.writer.merge(&fresh).wait().map_err(fail)?;
        }
        // Each append adds a segment; merging segments of similar sizes once eight pile up
        // keeps their number logarithmic in the number of appends without rewriting the big
        // old segments on every append. Each merge removes segments, so this ends.
        let policy = LogMergePolicy::default();
        loop {
            let metas = self.index.searchable_segment_metas().map_err(fail)?;
            let candidates = policy.compute_merge_candidates(&metas);
            if candidates.is_empty() {
                break;
            }
            for candidate in candidates {
                self.writer.merge(&candidate.0).wait().map_err(fail)?;
            }
        }
        self.writer.garbage_collect_files().wait().map_err(fail)?;
        self.writer.wait_merging_threads().map_err(fail)?;

        remove_lock_files(&dir)?;
        let names = index_files(&dir)?;
        sync_all(&dir, &names)?;
        Ok(names)
    }
}

fn check_threads(threads: usize) -> Result<()> {
    if threads == 0 {
        return Err(IndexError::InvalidArgument(
            "the text index needs at least one indexing thread".into(),
        ));
    }
    Ok(())
}
