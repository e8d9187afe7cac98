//! The filter language and tag queries: any string gives a filter or an error.

use proptest::prelude::*;

use crate::filter::{Filter, MAX_NESTING};
use crate::text::{TextDoc, TextIndex, TextIndexWriter};

use super::runner;

/// Strings of the filter language's own tokens and stray characters.
fn filter_like() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "bpm",
        "energy",
        "duration_s",
        "has_vocals",
        "tag:mood:calm",
        "tag:",
        "artist:",
        "title:",
        "\"a b\"",
        "\"",
        "\\",
        ">=",
        "<=",
        "<",
        ">",
        "=",
        "!=",
        "AND",
        "OR",
        "NOT",
        "and",
        "(",
        ")",
        "((",
        "))",
        "true",
        "false",
        "90",
        "-1",
        "1e309",
        "NaN",
        "1.5.2",
        ":",
        ",",
        "IN",
        "'",
        "é",
        "\u{0}",
    ])
    .prop_map(String::from);
    let piece = prop_oneof![4 => token, 1 => "\\PC{0,4}"];
    prop::collection::vec(piece, 0..48).prop_map(|v| v.join(" "))
}

#[test]
fn the_filter_parser_returns_a_filter_or_an_error_for_any_input() {
    let mut runner = runner(512);
    runner
        .run(&filter_like(), |src| {
            let _ = Filter::parse(&src);
            Ok(())
        })
        .unwrap();
    runner
        .run(&"\\PC{0,200}", |src| {
            let _ = Filter::parse(&src);
            Ok(())
        })
        .unwrap();
}

/// Nesting deeper than the cap is refused (never a stack overflow); at the cap it parses.
#[test]
fn deep_filter_nesting_is_refused_not_a_crash() {
    let mut runner = runner(32);
    let depth = (0usize..20_000, any::<bool>());
    runner
        .run(&depth, |(depth, nots)| {
            let src = if nots {
                format!("{}bpm > 1", "NOT ".repeat(depth))
            } else {
                format!("{}bpm > 1{}", "(".repeat(depth), ")".repeat(depth))
            };
            let parsed = Filter::parse(&src);
            prop_assert_eq!(parsed.is_ok(), depth <= MAX_NESTING, "depth {}", depth);
            Ok(())
        })
        .unwrap();
}

/// The cap's edge, which random depths rarely hit (the long fuzz run found a filter of exactly
/// 64 parentheses refused: the condition inside was counted as a level).
#[test]
fn exactly_the_cap_of_nots_or_parentheses_parses() {
    for depth in [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1] {
        let nots = format!("{}bpm > 1", "NOT ".repeat(depth));
        let parens = format!("{}bpm > 1{}", "(".repeat(depth), ")".repeat(depth));
        let mixed = format!(
            "{}bpm > 1{}",
            "NOT (".repeat(depth / 2),
            ")".repeat(depth / 2)
        );
        for src in [nots, parens] {
            assert_eq!(
                Filter::parse(&src).is_ok(),
                depth <= MAX_NESTING,
                "{depth}: {src}"
            );
        }
        assert!(Filter::parse(&mixed).is_ok(), "{depth}: {mixed}");
    }
}

#[test]
fn tag_queries_return_hits_or_an_error_for_any_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("text");
    let mut w = TextIndexWriter::create(&dir, 1).unwrap();
    let docs: [(&str, [String; 2]); 2] = [
        ("t1", ["mood:calm".into(), "genre:piano".into()]),
        ("t2", ["mood:dark".into(), "genre:rock".into()]),
    ];
    for (row, (id, tags)) in docs.iter().enumerate() {
        w.add(&TextDoc {
            row: row as u32,
            track_id: id,
            title: Some("Song"),
            artist: Some("Band"),
            album: None,
            caption: Some("a quiet piano"),
            tags,
        })
        .unwrap();
    }
    w.finish().unwrap();
    let index = TextIndex::open(&dir).unwrap();
    let token = prop::sample::select(vec![
        "calm",
        "piano",
        "mood:calm",
        "tag:mood:calm",
        "caption:",
        "title:\"Song\"",
        "AND",
        "OR",
        "NOT",
        "-",
        "+",
        "(",
        ")",
        "\"",
        "*",
        "~2",
        "^3",
        "[a TO z]",
        "{",
        "}",
        ":",
        "\\",
    ])
    .prop_map(String::from);
    let query = prop::collection::vec(prop_oneof![4 => token, 1 => "\\PC{0,4}"], 0..40)
        .prop_map(|v| v.join(" "));
    let mut runner = runner(384);
    runner
        .run(&query, |q| {
            let _ = index.search(&q, None, 5);
            Ok(())
        })
        .unwrap();
    runner
        .run(&(0usize..40_000, any::<bool>()), |(depth, nots)| {
            let q = if nots {
                format!("calm AND {}piano", "NOT ".repeat(depth))
            } else {
                format!("{}piano{}", "(".repeat(depth), ")".repeat(depth))
            };
            let _ = index.search(&q, None, 5);
            Ok(())
        })
        .unwrap();
}
