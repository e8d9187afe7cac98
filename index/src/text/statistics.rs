//! The corpus statistics BM25 scores with, gathered from one index and given to another.
//!
//! BM25 weighs a term by how many documents hold it and a field by its average length, both
//! taken from the index being searched. A catalogue split into shards would therefore score one
//! track differently in each sharding. Summing every shard's [`TextStatistics`] for a query and
//! searching each shard with the sum makes every shard score as the whole catalogue would, so
//! the merged ranking is the single index's (scores equal to the last bit).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use tantivy::schema::{Field, Schema};
use tantivy::{Searcher, Term};

/// What BM25 needs to score one query: documents, tokens per field and documents per term.
///
/// Keys are readable and do not depend on tantivy's internal field numbers: a field by name,
/// a term as `field:word` (text) or `field#hex` (any other value's bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextStatistics {
    /// Documents in the index.
    pub docs: u64,
    /// Tokens of each field the query searches, over all documents.
    pub tokens: BTreeMap<String, u64>,
    /// Documents holding each term of the query.
    pub doc_freqs: BTreeMap<String, u64>,
}

impl TextStatistics {
    /// Adds `other`'s counts to these: the statistics of the union of the two indexes.
    pub fn add(&mut self, other: &TextStatistics) {
        self.docs += other.docs;
        for (field, n) in &other.tokens {
            *self.tokens.entry(field.clone()).or_default() += n;
        }
        for (term, n) in &other.doc_freqs {
            *self.doc_freqs.entry(term.clone()).or_default() += n;
        }
    }

    /// The sum of several indexes' statistics.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a TextStatistics>) -> TextStatistics {
        let mut total = TextStatistics::default();
        for part in parts {
            total.add(part);
        }
        total
    }

    /// The first term or field of `needed` that these statistics lack, named for an error.
    pub(super) fn missing(&self, needed: &Needed) -> Option<String> {
        needed
            .fields
            .iter()
            .find(|f| !self.tokens.contains_key(*f))
            .map(|f| format!("field {f}"))
            .or_else(|| {
                needed
                    .terms
                    .iter()
                    .find(|(key, _)| !self.doc_freqs.contains_key(key))
                    .map(|(key, _)| format!("term {key}"))
            })
    }
}

/// The fields and terms a query is scored with, by their keys.
#[derive(Debug, Default)]
pub(super) struct Needed {
    fields: Vec<String>,
    terms: Vec<(String, Term)>,
}

impl Needed {
    pub(super) fn of(schema: &Schema, query: &dyn tantivy::query::Query) -> Needed {
        let mut needed = Needed::default();
        query.query_terms(&mut |term, _positions| {
            let key = term_key(schema, term);
            if !needed.terms.iter().any(|(k, _)| *k == key) {
                needed.terms.push((key, term.clone()));
            }
            let field = schema.get_field_name(term.field()).to_string();
            if !needed.fields.contains(&field) {
                needed.fields.push(field);
            }
        });
        needed
    }

    /// These fields' and terms' counts in `searcher`'s index.
    pub(super) fn count(&self, searcher: &Searcher) -> tantivy::Result<TextStatistics> {
        let schema = searcher.schema();
        let mut stats = TextStatistics {
            docs: searcher.num_docs(),
            ..TextStatistics::default()
        };
        for name in &self.fields {
            let field = schema.get_field(name)?;
            let mut tokens = 0u64;
            for segment in searcher.segment_readers() {
                tokens += segment.inverted_index(field)?.total_num_tokens();
            }
            stats.tokens.insert(name.clone(), tokens);
        }
        for (key, term) in &self.terms {
            stats
                .doc_freqs
                .insert(key.clone(), searcher.doc_freq(term)?);
        }
        Ok(stats)
    }
}

/// Tantivy's view of given statistics while scoring.
pub(super) struct External<'a> {
    pub(super) stats: &'a TextStatistics,
    pub(super) schema: &'a Schema,
}

impl tantivy::query::Bm25StatisticsProvider for External<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let name = self.schema.get_field_name(field);
        self.stats.tokens.get(name).copied().ok_or_else(|| {
            tantivy::TantivyError::InvalidArgument(format!("no token count for field {name}"))
        })
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.stats.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let key = term_key(self.schema, term);
        self.stats.doc_freqs.get(&key).copied().ok_or_else(|| {
            tantivy::TantivyError::InvalidArgument(format!("no document count for term {key}"))
        })
    }
}

fn term_key(schema: &Schema, term: &Term) -> String {
    let field = schema.get_field_name(term.field());
    match term.value().as_str() {
        Some(word) => format!("{field}:{word}"),
        None => {
            let mut key = format!("{field}#");
            for b in term.serialized_value_bytes() {
                let _ = write!(key, "{b:02x}");
            }
            key
        }
    }
}
