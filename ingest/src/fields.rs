//! Parsing text cells (CSV/TSV) and JSON values into typed fields, with errors naming the field.

use serde_json::Value;

use crate::error::RowError;

/// An optional number: empty → None; otherwise it must parse and be finite.
pub fn number(row: u64, field: &str, s: &str) -> Result<Option<f64>, RowError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v: f64 = s
        .parse()
        .map_err(|_| RowError::new(row, field, format!("not a number: {s:?}")))?;
    finite(row, field, v).map(Some)
}

pub fn finite(row: u64, field: &str, v: f64) -> Result<f64, RowError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(RowError::new(
            row,
            field,
            format!("{v} is not a finite number"),
        ))
    }
}

/// true/false, 1/0, yes/no (any case); empty → None.
pub fn boolean(row: u64, field: &str, s: &str) -> Result<Option<bool>, RowError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "null" => Ok(None),
        "true" | "1" | "yes" | "y" | "t" => Ok(Some(true)),
        "false" | "0" | "no" | "n" | "f" => Ok(Some(false)),
        other => Err(RowError::new(
            row,
            field,
            format!("not a boolean: {other:?}"),
        )),
    }
}

/// An optional string: empty → None.
pub fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A list of strings in a text cell: a JSON array, or `;` / `|`-separated.
pub fn string_list(row: u64, field: &str, s: &str) -> Result<Vec<String>, RowError> {
    let t = s.trim();
    if t.starts_with('[') {
        let v: Value = serde_json::from_str(t)
            .map_err(|e| RowError::new(row, field, format!("not a JSON list: {e}")))?;
        return json_string_list(row, field, &v);
    }
    Ok(t.split([';', '|'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect())
}

/// A list of numbers in a text cell: a JSON array, or `;`/`,`/space-separated. Empty → None.
pub fn number_list(row: u64, field: &str, s: &str) -> Result<Option<Vec<f64>>, RowError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.starts_with('[') {
        let v: Value = serde_json::from_str(t)
            .map_err(|e| RowError::new(row, field, format!("not a JSON list of numbers: {e}")))?;
        return json_number_list(row, field, &v);
    }
    t.split([';', ',', ' '])
        .filter(|x| !x.is_empty())
        .enumerate()
        .map(|(i, x)| {
            let v: f64 = x.parse().map_err(|_| {
                RowError::new(row, field, format!("element {i} is not a number: {x:?}"))
            })?;
            Ok(v)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub fn json_number(row: u64, field: &str, v: &Value) -> Result<Option<f64>, RowError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| RowError::new(row, field, format!("number out of range: {n}")))
            .and_then(|x| finite(row, field, x))
            .map(Some),
        // NaN/Infinity cannot be JSON numbers; accept their usual spellings to report them.
        Value::String(s) => number(row, field, s),
        other => Err(RowError::new(
            row,
            field,
            format!("expected a number, found {}", kind(other)),
        )),
    }
}

pub fn json_string(row: u64, field: &str, v: &Value) -> Result<Option<String>, RowError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(text(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(RowError::new(
            row,
            field,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

pub fn json_bool(row: u64, field: &str, v: &Value) -> Result<Option<bool>, RowError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) => boolean(row, field, s),
        Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Some(true)),
        Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Some(false)),
        other => Err(RowError::new(
            row,
            field,
            format!("expected true or false, found {}", kind(other)),
        )),
    }
}

pub fn json_string_list(row: u64, field: &str, v: &Value) -> Result<Vec<String>, RowError> {
    match v {
        Value::Null => Ok(vec![]),
        Value::String(s) => string_list(row, field, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::String(s) => Ok(s.clone()),
                other => Err(RowError::new(
                    row,
                    field,
                    format!("element {i}: expected a string, found {}", kind(other)),
                )),
            })
            .collect(),
        other => Err(RowError::new(
            row,
            field,
            format!("expected a list of strings, found {}", kind(other)),
        )),
    }
}

pub fn json_number_list(row: u64, field: &str, v: &Value) -> Result<Option<Vec<f64>>, RowError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => number_list(row, field, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::Number(n) => n
                    .as_f64()
                    .ok_or_else(|| RowError::new(row, field, format!("element {i} out of range"))),
                Value::String(s) => s.trim().parse::<f64>().map_err(|_| {
                    RowError::new(row, field, format!("element {i} is not a number: {s:?}"))
                }),
                other => Err(RowError::new(
                    row,
                    field,
                    format!("element {i}: expected a number, found {}", kind(other)),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        other => Err(RowError::new(
            row,
            field,
            format!("expected a list of numbers, found {}", kind(other)),
        )),
    }
}

/// f64 list → f32 embedding (validation of values happens later, uniformly for all formats).
pub fn to_f32(v: Option<Vec<f64>>) -> Option<Vec<f32>> {
    v.map(|xs| xs.into_iter().map(|x| x as f32).collect())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
