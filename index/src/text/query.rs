//! From query text to a tantivy query, with errors that say what is wrong and where.

use tantivy::query::{Query, QueryParser};
use tantivy::query_grammar::{self, Occur, UserInputAst};

use super::errors;
use crate::error::{IndexError, Result};
use crate::filter::MAX_NESTING;

/// Parses `query` with `parser` (which knows the fields, their analyzers and boosts).
pub(super) fn parse(parser: &QueryParser, query: &str) -> Result<Box<dyn Query>> {
    let refuse = |message: String| IndexError::TextQuery {
        query: query.to_string(),
        message,
    };
    if query.trim().is_empty() {
        return Err(refuse("the query is empty".into()));
    }
    // Tantivy's parser recurses once per parenthesis and per `NOT`: deep nesting would overflow
    // the stack and abort the process, so it is refused before tantivy sees it.
    if let Some(column) = too_deep(query) {
        return Err(refuse(format!(
            "nested too deeply at column {column} (more than {MAX_NESTING} levels of NOT and \
             parentheses)"
        )));
    }
    // Tantivy's own parser reports a syntax error as just the query; its lenient parser says
    // what it could not read, and where.
    let ast = query_grammar::parse_query(query).map_err(|_| refuse(syntax_problem(query)))?;
    parser
        .build_query_from_user_input_ast(hoist_negations(ast))
        .map_err(|e| errors::query(query, e))
}

/// The 1-based column (in characters) where `NOT`s and parentheses first nest deeper than
/// [`MAX_NESTING`], outside quoted phrases; `None` when they never do. Each open parenthesis
/// counts, with the run of `NOT`s in front of it; so does the run of `NOT`s before a term.
fn too_deep(query: &str) -> Option<usize> {
    // Per open parenthesis: the NOTs that preceded it.
    let mut open: Vec<usize> = Vec::new();
    let mut enclosing = 0usize;
    let mut nots = 0usize;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut word = String::new();
    let mut chars = query.chars().enumerate().peekable();
    while let Some((column, c)) = chars.next() {
        if in_quotes {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_quotes = false,
                _ => {}
            }
            continue;
        }
        let ends_word = c.is_whitespace() || c == '(' || c == ')';
        if !ends_word {
            word.push(c);
            if c == '"' {
                in_quotes = true;
            }
        }
        let at_end = chars.peek().is_none();
        if ends_word || at_end {
            match word.as_str() {
                "" => {}
                "NOT" => nots += 1,
                _ => nots = 0,
            }
            word.clear();
        }
        match c {
            '(' => {
                open.push(nots);
                enclosing += nots + 1;
                nots = 0;
            }
            ')' => {
                enclosing -= open.pop().map_or(0, |n| n + 1);
                nots = 0;
            }
            _ => {}
        }
        if enclosing + nots > MAX_NESTING {
            return Some(column + 1);
        }
    }
    None
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
