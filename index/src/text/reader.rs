//! Opening and searching a published text index.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use roaring::RoaringBitmap;
use tantivy::query::QueryParser;
use tantivy::{Index, IndexReader, ReloadPolicy};

use super::directory::ReadOnlyDirectory;
use super::errors;
use super::query::parse;
use super::schema::{DEFAULT_FIELDS, ROW, check_format, register_tokenizers};
use super::statistics::{External, Needed, TextStatistics};
use super::top_rows::top_rows;
use crate::error::{IndexError, Result};
use crate::exact::Hit;

/// A text index opened read-only: memory-mapped, never written, shared between threads.
pub struct TextIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    parser: QueryParser,
}

impl fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextIndex")
            .field("dir", &self.dir)
            .field("docs", &self.docs())
            .finish_non_exhaustive()
    }
}

impl TextIndex {
    /// Opens the index in `dir`. This maps the files and reads their headers and footers, not
    /// their contents: [`TextIndex::verify`] checks those.
    pub fn open(dir: &Path) -> Result<TextIndex> {
        guard(dir, "opening", || TextIndex::open_unguarded(dir))
    }

    fn open_unguarded(dir: &Path) -> Result<TextIndex> {
        let directory = ReadOnlyDirectory::open(dir).map_err(|e| errors::read(dir, e.into()))?;
        let index = Index::open(directory).map_err(|e| errors::read(dir, e))?;
        check_format(&index, dir)?;
        register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| errors::read(dir, e))?;
        let schema = index.schema();
        let mut boosted = Vec::with_capacity(DEFAULT_FIELDS.len());
        for (name, boost) in DEFAULT_FIELDS {
            let field = schema.get_field(name).map_err(|e| errors::read(dir, e))?;
            boosted.push((field, *boost));
        }
        let mut parser =
            QueryParser::for_index(&index, boosted.iter().map(|(field, _)| *field).collect());
        for (field, boost) in boosted {
            parser.set_field_boost(field, boost);
        }
        let text = TextIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            parser,
        };
        // Every segment must have its row column; finding out now beats failing every search.
        // And every indexed field its postings: tantivy reads a missing positions file as "no
        // positions" and fails only when a phrase or field is searched, so a file removed under
        // a reader (a writer collecting a superseded version between the manifest's size check
        // and this open) would surface as a failed search instead of a failed open, which
        // `Library::open` answers by opening the newer version.
        let schema = text.index.schema();
        for segment in text.reader.searcher().segment_readers() {
            segment
                .fast_fields()
                .u64(ROW)
                .map_err(|e| errors::read(dir, e))?;
            for (field, entry) in schema.fields() {
                if entry.is_indexed() {
                    segment
                        .inverted_index(field)
                        .map_err(|e| errors::read(dir, e))?;
                }
            }
        }
        Ok(text)
    }

    /// The directory the index was opened from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of indexed tracks.
    pub fn docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Number of tantivy segments (each is searched in turn; appends add segments until they
    /// are merged).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// BM25-ranked rows matching `query` (syntax in [the module docs](crate::text)), best first
    /// with ties in row order, at most `k`, only rows in `allowed` when given: if at least `k`
    /// allowed rows match, `k` come back.
    pub fn search(
        &self,
        query: &str,
        allowed: Option<&RoaringBitmap>,
        k: usize,
    ) -> Result<Vec<Hit>> {
        self.search_scored_by(query, None, allowed, k)
    }

    /// [`TextIndex::search`] with BM25's corpus statistics taken from `statistics` (the sum
    /// of every shard's [`TextIndex::statistics`] for this query) instead of this index, so a
    /// shard scores as the whole catalogue would. Statistics lacking a field or term of the
    /// query are refused ([`IndexError::TextQuery`]).
    pub fn search_scored_by(
        &self,
        query: &str,
        statistics: Option<&TextStatistics>,
        allowed: Option<&RoaringBitmap>,
        k: usize,
    ) -> Result<Vec<Hit>> {
        let parsed = parse(&self.parser, query)?;
        let searcher = self.reader.searcher();
        let schema = searcher.schema();
        if let Some(stats) = statistics
            && let Some(missing) = stats.missing(&Needed::of(schema, parsed.as_ref()))
        {
            return Err(IndexError::TextQuery {
                query: query.to_string(),
                message: format!(
                    "the text statistics given have no count for {missing}: gather them for \
                     this query"
                ),
            });
        }
        let external = statistics.map(|stats| External { stats, schema });
        guard(&self.dir, "searching", || {
            let provider = external
                .as_ref()
                .map(|e| e as &dyn tantivy::query::Bm25StatisticsProvider);
            top_rows(&searcher, parsed.as_ref(), provider, allowed, k)
                .map_err(|e| errors::read(&self.dir, e))
        })
    }

    /// The corpus statistics BM25 scores `query` with in this index: summed over the shards
    /// of a catalogue, they are what [`TextIndex::search_scored_by`] takes.
    pub fn statistics(&self, query: &str) -> Result<TextStatistics> {
        let parsed = parse(&self.parser, query)?;
        let searcher = self.reader.searcher();
        guard(&self.dir, "counting", || {
            Needed::of(searcher.schema(), parsed.as_ref())
                .count(&searcher)
                .map_err(|e| errors::read(&self.dir, e))
        })
    }

    /// Re-reads every file of the index against the checksum tantivy stored in its footer.
    pub fn verify(&self) -> Result<()> {
        guard(&self.dir, "verifying", || {
            let mut damaged: Vec<String> = self
                .index
                .validate_checksum()
                .map_err(|e| errors::read(&self.dir, e))?
                .into_iter()
                .map(|p| p.display().to_string())
                .collect();
            if damaged.is_empty() {
                return Ok(());
            }
            damaged.sort();
            Err(IndexError::corrupt(
                &self.dir,
                format!(
                    "text index files fail their checksum: {}",
                    damaged.join(", ")
                ),
            ))
        })
    }

    /// The row an index extending this one starts at; checks that the rows are `0..docs`.
    pub(super) fn next_row(&self) -> Result<u64> {
        let searcher = self.reader.searcher();
        let mut max_row = None;
        for segment in searcher.segment_readers() {
            if segment.num_docs() == 0 {
                continue;
            }
            let rows = segment
                .fast_fields()
                .u64(ROW)
                .map_err(|e| errors::read(&self.dir, e))?;
            max_row = max_row.max(Some(rows.max_value()));
        }
        let docs = searcher.num_docs();
        match max_row {
            None => Ok(0),
            Some(max) if max.checked_add(1) == Some(docs) => Ok(docs),
            Some(max) => Err(IndexError::corrupt(
                &self.dir,
                format!("text index has {docs} documents but row numbers up to {max}"),
            )),
        }
    }
}

/// Runs `f`, turning a panic inside tantivy (which damaged files can cause: it trusts the
/// contents of its files once their headers check out) into a corruption error.
fn guard<T>(dir: &Path, doing: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        Err(IndexError::corrupt(
            dir,
            format!(
                "text index: {doing} failed on damaged data: {}",
                panic_message(&*panic)
            ),
        ))
    })
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}
