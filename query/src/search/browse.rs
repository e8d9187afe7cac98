//! Browsing: the tracks a filter allows (or a tag query matches) listed in library order or by
//! a numeric field, for catalogue views such as "instrumental tracks at 90–100 BPM, slowest
//! first".

use roaring::RoaringBitmap;
use serde::Serialize;

use segue_index::filter::{FilterColumns, NumField};

use crate::error::QueryError;

/// Order by a numeric field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sort {
    #[serde(serialize_with = "field_name")]
    pub field: NumField,
    pub descending: bool,
}

fn field_name<S: serde::Serializer>(f: &NumField, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(f.column())
}

impl std::str::FromStr for Sort {
    type Err = QueryError;

    /// `bpm` (ascending), `bpm:asc`, `bpm:desc` or `-bpm` (descending).
    fn from_str(s: &str) -> Result<Sort, QueryError> {
        let s = s.trim();
        let (name, descending) = if let Some(n) = s.strip_prefix('-') {
            (n, true)
        } else if let Some((n, dir)) = s.split_once(':') {
            match dir.trim().to_ascii_lowercase().as_str() {
                "asc" => (n, false),
                "desc" => (n, true),
                other => {
                    return Err(QueryError::InvalidRequest(format!(
                        "sort {s:?}: direction {other:?} is neither asc nor desc"
                    )));
                }
            }
        } else {
            (s, false)
        };
        let name = name.trim().to_ascii_lowercase();
        let field = NumField::ALL
            .into_iter()
            .find(|f| f.column() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = NumField::ALL.iter().map(|f| f.column()).collect();
                QueryError::InvalidRequest(format!(
                    "cannot sort by {name:?}: expected one of {}",
                    names.join(", ")
                ))
            })?;
        Ok(Sort { field, descending })
    }
}

/// Every row of `rows` (every row of the library when `None`) in browse order, each with its
/// sort value (NaN without a value or without a sort).
pub fn order(
    columns: &FilterColumns,
    rows: Option<&RoaringBitmap>,
    sort: Option<Sort>,
) -> Vec<(u64, f32)> {
    let rows: Box<dyn Iterator<Item = u32>> = match rows {
        Some(r) => Box::new(r.iter()),
        None => Box::new(0..columns.rows()),
    };
    let mut out: Vec<(u64, f32)> = rows
        .map(|r| {
            let v = sort.map_or(f32::NAN, |s| value(columns, s, r));
            (u64::from(r), v)
        })
        .collect();
    if let Some(s) = sort {
        out.sort_by(|a, b| {
            match (a.1.is_nan(), b.1.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                (false, false) if s.descending => b.1.total_cmp(&a.1),
                (false, false) => a.1.total_cmp(&b.1),
            }
            .then(a.0.cmp(&b.0))
        });
    }
    out
}

fn value(columns: &FilterColumns, sort: Sort, row: u32) -> f32 {
    columns.number(sort.field, row).unwrap_or(f32::NAN)
}

#[cfg(test)]
mod tests {
    use segue_index::filter::FilterRow;

    use super::*;

    fn columns() -> FilterColumns {
        let rows: Vec<FilterRow> = [Some(120.0), None, Some(90.0), Some(120.0), Some(60.0)]
            .into_iter()
            .map(|bpm| FilterRow {
                bpm,
                ..FilterRow::default()
            })
            .collect();
        FilterColumns::from_rows(&rows).unwrap()
    }

    #[test]
    fn sorts_by_a_field_with_nulls_last_and_ties_in_library_order() {
        let c = columns();
        let rows = |o: Vec<(u64, f32)>| o.into_iter().map(|x| x.0).collect::<Vec<_>>();
        let asc = "bpm".parse().unwrap();
        assert_eq!(rows(order(&c, None, Some(asc))), vec![4, 2, 0, 3, 1]);
        let desc = "-bpm".parse().unwrap();
        assert_eq!(rows(order(&c, None, Some(desc))), vec![0, 3, 2, 4, 1]);
        assert_eq!(
            "BPM:desc".parse::<Sort>().unwrap(),
            desc,
            "direction and case"
        );
        let allowed: RoaringBitmap = [1u32, 2, 3].into_iter().collect();
        assert_eq!(rows(order(&c, Some(&allowed), Some(asc))), vec![2, 3, 1]);
        assert_eq!(rows(order(&c, Some(&allowed), None)), vec![1, 2, 3]);
    }

    #[test]
    fn bad_sorts_say_what_is_possible() {
        let e = "colour".parse::<Sort>().unwrap_err().to_string();
        assert!(e.contains("bpm") && e.contains("colour"), "{e}");
        let e = "bpm:up".parse::<Sort>().unwrap_err().to_string();
        assert!(e.contains("asc nor desc"), "{e}");
    }
}
