//! From query text to a tantivy query, with errors that say what is wrong and where.

use tantivy::query::{Query, QueryParser};
use tantivy::query_grammar::{self, Occur, UserInputAst};

use super::errors;
use crate::error::{IndexError, Result};

/// Parses `query` with `parser` (which knows the fields, their analyzers and boosts).
pub(super) fn parse(parser: &QueryParser, query: &str) -> Result<Box<dyn Query>> {
    let refuse = |message: String| IndexError::TextQuery {
        query: query.to_string(),
        message,
    };
    if query.trim().is_empty() {
        return Err(refuse("the query is empty".into()));
    }
    // Tantivy's own parser reports a syntax error as just the query; its lenient parser says
    // what it could not read, and where.
    let ast = query_grammar::parse_query(query).map_err(|_| refuse(syntax_problem(query)))?;
    parser
        .build_query_from_user_input_ast(hoist_negations(ast))
        .map_err(|e| errors::query(query, e))
}

fn syntax_problem(query: &str) -> String {
    let (_, problems) = query_grammar::parse_query_lenient(query);
    if problems.is_empty() {
        return "syntax error".into();
    }
    problems
        .iter()
        .map(|p| {
            let column = query.get(..p.pos).map_or(p.pos, |s| s.chars().count()) + 1;
            format!("syntax error at column {column}: {}", p.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Tantivy reads `a AND NOT b` as "`a`, and a clause holding only `NOT b`"; a clause of only
/// exclusions matches nothing, so the whole query matched nothing. Users mean "`a`, without
/// `b`": a required clause that only excludes is replaced by its exclusions.
fn hoist_negations(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (occur, item) in items {
                match (occur, hoist_negations(item)) {
                    (Some(Occur::Must), UserInputAst::Clause(inner))
                        if !inner.is_empty()
                            && inner.iter().all(|(o, _)| *o == Some(Occur::MustNot)) =>
                    {
                        out.extend(inner);
                    }
                    (occur, item) => out.push((occur, item)),
                }
            }
            UserInputAst::Clause(out)
        }
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(hoist_negations(*inner)), boost)
        }
        leaf @ UserInputAst::Leaf(_) => leaf,
    }
}
