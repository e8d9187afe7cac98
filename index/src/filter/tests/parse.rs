//! Parsing: the shape of the tree, and every kind of error with its position.

use crate::filter::{CmpOp, Expr, Filter, FilterError, NumField, Predicate, TextField};

fn parse(s: &str) -> Expr {
    match Filter::parse(s) {
        Ok(f) => f.expr().clone(),
        Err(e) => panic!("{s:?} failed: {e}"),
    }
}

fn err(s: &str) -> FilterError {
    match Filter::parse(s) {
        Ok(f) => panic!("{s:?} parsed as {:?}", f.expr()),
        Err(e) => e,
    }
}

/// Asserts the error's byte position and that its message contains `needle`.
fn assert_err(s: &str, position: usize, needle: &str) {
    let e = err(s);
    assert_eq!(e.position, position, "{s:?}: {e}");
    assert!(e.message.contains(needle), "{s:?}: {e:?} lacks {needle:?}");
}

fn cmp(field: NumField, op: CmpOp, value: f32) -> Expr {
    Expr::Predicate(Predicate::Compare { field, op, value })
}

fn tag(t: &str) -> Expr {
    Expr::Predicate(Predicate::Tag(t.into()))
}

fn text(field: TextField, value: &str, equal: bool) -> Expr {
    Expr::Predicate(Predicate::Text {
        field,
        value: value.into(),
        equal,
    })
}

#[test]
fn every_comparison_operator() {
    for (s, op) in [
        ("=", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<", CmpOp::Lt),
        ("<=", CmpOp::Le),
        (">", CmpOp::Gt),
        (">=", CmpOp::Ge),
    ] {
        assert_eq!(parse(&format!("bpm {s} 90")), cmp(NumField::Bpm, op, 90.0));
        assert_eq!(parse(&format!("bpm{s}90")), cmp(NumField::Bpm, op, 90.0));
    }
}

#[test]
fn every_numeric_field_and_number_forms() {
    for f in NumField::ALL {
        assert_eq!(
            parse(&format!("{} > 1", f.column())),
            cmp(f, CmpOp::Gt, 1.0)
        );
    }
    assert_eq!(
        parse("loudness_db > -12.5"),
        cmp(NumField::LoudnessDb, CmpOp::Gt, -12.5)
    );
    assert_eq!(parse("energy <= .5"), cmp(NumField::Energy, CmpOp::Le, 0.5));
    assert_eq!(parse("bpm < 1e2"), cmp(NumField::Bpm, CmpOp::Lt, 100.0));
    assert_eq!(
        parse("bpm BETWEEN 90 AND 120"),
        Expr::Predicate(Predicate::Between {
            field: NumField::Bpm,
            low: 90.0,
            high: 120.0
        })
    );
}

#[test]
fn has_vocals_normalises_not_equal() {
    let hv = |v| Expr::Predicate(Predicate::HasVocals(v));
    assert_eq!(parse("has_vocals = true"), hv(true));
    assert_eq!(parse("has_vocals = FALSE"), hv(false));
    assert_eq!(parse("has_vocals != true"), hv(false));
    assert_eq!(parse("has_vocals != false"), hv(true));
}

#[test]
fn text_and_tags_are_lowercased_quoted_or_bare() {
    assert_eq!(parse("tag:Mood:Calm"), tag("mood:calm"));
    assert_eq!(parse("tag:\"Genre:Hip Hop\""), tag("genre:hip hop"));
    assert_eq!(parse("TAG:a=b"), tag("a=b"));
    assert_eq!(parse("artist:\"X\""), text(TextField::Artist, "x", true));
    assert_eq!(
        parse("artist:Daft_Punk"),
        text(TextField::Artist, "daft_punk", true)
    );
    assert_eq!(
        parse("title = \"A \\\"B\\\" \\\\C\""),
        text(TextField::Title, "a \"b\" \\c", true)
    );
    assert_eq!(
        parse("album != Blue"),
        text(TextField::Album, "blue", false)
    );
    assert_eq!(
        parse("track_id = T-1"),
        text(TextField::TrackId, "t-1", true)
    );
    assert_eq!(parse("(tag:x)"), tag("x"));
}

#[test]
fn precedence_not_then_and_then_or() {
    let (a, b, c) = (tag("a"), tag("b"), tag("c"));
    assert_eq!(
        parse("tag:a OR tag:b AND tag:c"),
        Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), c.clone()])])
    );
    assert_eq!(
        parse("tag:a AND tag:b OR tag:c"),
        Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()])
    );
    assert_eq!(
        parse("NOT tag:a AND tag:b"),
        Expr::And(vec![Expr::Not(Box::new(a.clone())), b.clone()])
    );
    assert_eq!(
        parse("NOT (tag:a AND tag:b)"),
        Expr::Not(Box::new(Expr::And(vec![a.clone(), b.clone()])))
    );
    assert_eq!(
        parse("(tag:a OR tag:b) AND tag:c"),
        Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()])
    );
    assert_eq!(parse("tag:a AND tag:b AND tag:c"), Expr::And(vec![a, b, c]));
    assert_eq!(
        parse("NOT NOT tag:x"),
        Expr::Not(Box::new(Expr::Not(Box::new(tag("x")))))
    );
}

#[test]
fn keywords_and_field_names_ignore_case() {
    assert_eq!(
        parse("BPM > 1 and not Tag:x Or energy<1"),
        parse("bpm > 1 AND NOT tag:x OR energy < 1")
    );
    assert_eq!(parse("bpm between 1 and 2"), parse("bpm BETWEEN 1 AND 2"));
}

#[test]
fn the_example_parses() {
    let f = Filter::parse(
        "bpm >= 90 AND bpm <= 120 AND duration_s >= 45 AND tag:mood:calm AND NOT artist:\"X\" AND has_vocals = false",
    )
    .unwrap();
    let Expr::And(items) = f.expr() else {
        panic!("{:?}", f.expr())
    };
    assert_eq!(items.len(), 6);
    let parsed: Filter = f.source().parse().unwrap();
    assert_eq!(parsed, f);
}

#[test]
fn unknown_field_lists_the_fields() {
    let e = err("bpm >= 90 AND bmp < 3");
    assert_eq!(e.position, 14);
    assert_eq!(e.column, 15);
    let shown = e.to_string();
    assert!(
        shown
            .starts_with("filter error at column 15: unknown field \"bmp\" (fields: bpm, energy, "),
        "{shown}"
    );
    assert!(
        shown.contains("has_vocals") && shown.contains("tag)"),
        "{shown}"
    );
    assert_err("foo:bar", 0, "unknown field \"foo\"");
}

#[test]
fn wrong_types() {
    assert_err(
        "bpm >= \"fast\"",
        7,
        "bpm is numeric: expected a number after `>=`, found string \"fast\"",
    );
    assert_err("bpm >= fast", 7, "expected a number");
    assert_err("has_vocals > 3", 11, "takes = or !=, not `>`");
    assert_err("has_vocals = 3", 13, "expected true or false, found `3`");
    assert_err("has_vocals = \"true\"", 13, "expected true or false");
    assert_err("tag >= 3", 0, "tag is matched as tag:VALUE");
    assert_err("tag = calm", 0, "tag is matched as tag:VALUE");
    assert_err("bpm:90", 0, "bpm is numeric");
    assert_err("has_vocals:true", 0, "true/false");
    assert_err("artist < \"x\"", 7, "artist is text: it takes = or !=");
    assert_err("energy = nan", 9, "expected a number");
    assert_err("energy = inf", 9, "expected a number");
    assert_err("energy = 1e50", 9, "out of range");
}

#[test]
fn syntax_errors() {
    assert_err("", 0, "expected a condition");
    assert_err("   ", 3, "expected a condition");
    assert_err(
        "(bpm > 3",
        8,
        "expected `)` to close the `(` at column 1, found the end",
    );
    assert_err("((bpm > 3)", 10, "the `(` at column 1");
    assert_err("bpm > 3)", 7, "unmatched `)`");
    assert_err("()", 1, "found `)`");
    assert_err(
        "bpm > 3 AND",
        11,
        "expected a condition after `AND`, found the end of the filter",
    );
    assert_err("bpm > 3 OR AND tag:x", 11, "after `OR`, found `AND`");
    assert_err("AND bpm > 3", 0, "found `AND`");
    assert_err("NOT", 3, "after `NOT`");
    assert_err("bpm >", 5, "expected a number after `>`, found the end");
    assert_err("bpm", 3, "expected = != < <= > >= or BETWEEN after bpm");
    assert_err("artist =", 8, "expected a value after `=`");
    assert_err("has_vocals =", 12, "expected true or false");
    assert_err("tag:", 4, "missing value after `tag:`");
    assert_err("tag: calm", 4, "missing value");
    assert_err("artist:\"abc", 7, "unterminated string");
    assert_err("title = \"a\\\"", 8, "unterminated string");
    assert_err("bpm > 3 energy < 2", 8, "expected AND, OR or the end");
    assert_err("bpm ! 3", 4, "unexpected `!`");
    assert_err(":x", 0, "field name before `:`");
    assert_err("bpm BETWEEN 3 5", 14, "expected AND in `bpm BETWEEN");
    assert_err("bpm BETWEEN 3 AND", 17, "after AND");
    assert_err("> 3", 0, "found `>`");
    assert_err("\"bpm\" > 3", 0, "found string \"bpm\"");
}

#[test]
fn columns_count_characters_positions_count_bytes() {
    let e = err("tag:\"é\" AND bmp > 1");
    assert_eq!(e.position, 13);
    assert_eq!(e.column, 13);
    assert!(
        e.to_string()
            .starts_with("filter error at column 13: unknown field")
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}tag:x{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(err(&deep).message.contains("nested too deeply"));
    let nots = format!("{}tag:x", "NOT ".repeat(10_000));
    assert!(err(&nots).message.contains("nested too deeply"));
    let ok = format!("{}tag:x{}", "(".repeat(60), ")".repeat(60));
    assert_eq!(parse(&ok), tag("x"));
}

#[test]
fn filter_errors_keep_their_position_as_index_errors() {
    let e: crate::IndexError = err("bpm > 1 AND bmp > 1").into();
    match &e {
        crate::IndexError::Filter(f) => {
            assert_eq!((f.position, f.column), (12, 13), "{f:?}");
            assert!(f.message.contains("bmp"), "{f:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().starts_with("filter error at column 13"),
        "{e}"
    );
}
