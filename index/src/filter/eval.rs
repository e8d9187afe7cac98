//! Evaluating a parsed filter against [`FilterColumns`], one bitmap per node.
//!
//! Each predicate is one pass over a column (or one lookup, for tags); AND/OR/NOT are
//! bitmap intersection, union and complement against all rows.

use roaring::RoaringBitmap;

use super::ast::{Expr, Predicate};
use super::columns::{FilterColumns, NULL_CODE};

pub(crate) fn eval(expr: &Expr, cols: &FilterColumns) -> RoaringBitmap {
    match expr {
        Expr::And(items) => {
            let mut acc: Option<RoaringBitmap> = None;
            for item in items {
                let rows = eval(item, cols);
                let next = match acc {
                    None => rows,
                    Some(a) => a & rows,
                };
                // Nothing left to intersect away: skip evaluating the rest.
                if next.is_empty() {
                    return next;
                }
                acc = Some(next);
            }
            acc.unwrap_or_else(|| cols.all_rows())
        }
        Expr::Or(items) => items
            .iter()
            .fold(RoaringBitmap::new(), |acc, item| acc | eval(item, cols)),
        Expr::Not(inner) => cols.all_rows() - eval(inner, cols),
        Expr::Predicate(p) => predicate(p, cols),
    }
}

/// Rows `i` for which `matches` yields true, in order.
fn rows_where(matches: impl Iterator<Item = bool>) -> RoaringBitmap {
    let mut rows = RoaringBitmap::new();
    // Column lengths equal the row count, which fits in u32.
    for (i, _) in matches.enumerate().filter(|(_, m)| *m) {
        rows.push(i as u32);
    }
    rows
}

fn predicate(p: &Predicate, cols: &FilterColumns) -> RoaringBitmap {
    match p {
        // NaN (null) fails every comparison, `!=` included, hence the explicit check.
        Predicate::Compare { field, op, value } => rows_where(
            cols.numbers[field.index()]
                .iter()
                .map(|&x| !x.is_nan() && op.holds(x, *value)),
        ),
        Predicate::Between { field, low, high } => rows_where(
            cols.numbers[field.index()]
                .iter()
                .map(|&x| *low <= x && x <= *high),
        ),
        Predicate::HasVocals(v) => rows_where(cols.has_vocals.iter().map(|h| *h == Some(*v))),
        Predicate::Text {
            field,
            value,
            equal,
        } => {
            let column = &cols.text[field.index()];
            // A value no row has: `=` matches nothing, `!=` every non-null row.
            let code = column.dict.get(value).copied().unwrap_or(NULL_CODE);
            rows_where(
                column
                    .codes
                    .iter()
                    .map(|&c| c != NULL_CODE && (c == code) == *equal),
            )
        }
        Predicate::Tag(tag) => cols.tags.get(tag).cloned().unwrap_or_default(),
    }
}
