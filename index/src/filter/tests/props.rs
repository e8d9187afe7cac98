//! Random filters over random rows, evaluated by the engine and by a row-at-a-time model.

use proptest::prelude::*;

use crate::filter::{CmpOp, Filter, FilterColumns, FilterRow, NumField, TextField};

/// A filter as the model sees it; rendered to text for the engine.
#[derive(Debug, Clone)]
enum F {
    Cmp(NumField, CmpOp, f32),
    Between(NumField, f32, f32),
    Vocals(bool, bool),
    Text(TextField, String, bool),
    Tag(String),
    Not(Box<F>),
    And(Vec<F>),
    Or(Vec<F>),
}

const NUMBERS: [f32; 6] = [-3.5, 0.0, 0.25, 90.0, 90.5, 120.0];
const TEXTS: [&str; 5] = ["Alpha", "alpha", "Beta", "Gamma Ray", "x:y"];
const TAGS: [&str; 5] = [
    "mood:calm",
    "Mood:Calm",
    "genre:hip hop",
    "energetic",
    "a=b",
];

fn model(f: &F, r: &FilterRow) -> bool {
    let fold = |s: &str| s.to_lowercase();
    match f {
        F::Cmp(field, op, v) => r.number(*field).is_some_and(|x| match op {
            CmpOp::Eq => x == *v,
            CmpOp::Ne => x != *v,
            CmpOp::Lt => x < *v,
            CmpOp::Le => x <= *v,
            CmpOp::Gt => x > *v,
            CmpOp::Ge => x >= *v,
        }),
        F::Between(field, lo, hi) => r.number(*field).is_some_and(|x| *lo <= x && x <= *hi),
        F::Vocals(v, equal) => r.has_vocals.is_some_and(|h| (h == *v) == *equal),
        F::Text(field, v, equal) => r
            .text(*field)
            .is_some_and(|s| (fold(s) == fold(v)) == *equal),
        F::Tag(t) => r.tags.iter().any(|x| fold(x) == fold(t)),
        F::Not(inner) => !model(inner, r),
        F::And(items) => items.iter().all(|i| model(i, r)),
        F::Or(items) => items.iter().any(|i| model(i, r)),
    }
}

/// Text with as few parentheses as precedence allows, and keywords in random case.
fn render(f: &F, upper: bool) -> String {
    let kw = |k: &str| {
        if upper {
            k.to_string()
        } else {
            k.to_lowercase()
        }
    };
    let quote = |s: &str| format!("\"{s}\"");
    let group = |f: &F, needs: bool| {
        let s = render(f, upper);
        if needs { format!("({s})") } else { s }
    };
    match f {
        F::Cmp(field, op, v) => format!("{} {} {v}", field.column(), op.symbol()),
        F::Between(field, lo, hi) => {
            format!(
                "{} {} {lo} {} {hi}",
                field.column(),
                kw("BETWEEN"),
                kw("AND")
            )
        }
        F::Vocals(v, equal) => format!("has_vocals {} {v}", if *equal { "=" } else { "!=" }),
        F::Text(field, v, true) => format!("{}:{}", field.column(), quote(v)),
        F::Text(field, v, false) => format!("{} != {}", field.column(), quote(v)),
        F::Tag(t) if t.contains(' ') => format!("tag:{}", quote(t)),
        F::Tag(t) => format!("tag:{t}"),
        F::Not(inner) => format!(
            "{} {}",
            kw("NOT"),
            group(inner, matches!(**inner, F::And(_) | F::Or(_)))
        ),
        F::And(items) => items
            .iter()
            .map(|i| group(i, matches!(i, F::Or(_))))
            .collect::<Vec<_>>()
            .join(&format!(" {} ", kw("AND"))),
        F::Or(items) => items
            .iter()
            .map(|i| group(i, false))
            .collect::<Vec<_>>()
            .join(&format!(" {} ", kw("OR"))),
    }
}

fn num_field() -> impl Strategy<Value = NumField> {
    prop::sample::select(NumField::ALL.to_vec())
}

fn text_field() -> impl Strategy<Value = TextField> {
    prop::sample::select(TextField::ALL.to_vec())
}

fn number() -> impl Strategy<Value = f32> {
    prop::sample::select(NUMBERS.to_vec())
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ])
}

fn leaf() -> impl Strategy<Value = F> {
    let text = prop::sample::select(TEXTS.to_vec()).prop_map(String::from);
    let tag = prop::sample::select(TAGS.to_vec()).prop_map(String::from);
    prop_oneof![
        (num_field(), op(), number()).prop_map(|(f, o, v)| F::Cmp(f, o, v)),
        (num_field(), number(), number()).prop_map(|(f, a, b)| F::Between(f, a, b)),
        (any::<bool>(), any::<bool>()).prop_map(|(v, e)| F::Vocals(v, e)),
        (text_field(), text, any::<bool>()).prop_map(|(f, v, e)| F::Text(f, v, e)),
        tag.prop_map(F::Tag),
    ]
}

fn filter() -> impl Strategy<Value = F> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| F::Not(Box::new(f))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(F::And),
            prop::collection::vec(inner, 2..4).prop_map(F::Or),
        ]
    })
}

fn row() -> impl Strategy<Value = FilterRow> {
    let num = || prop::option::of(number());
    let text = || prop::option::of(prop::sample::select(TEXTS.to_vec()).prop_map(String::from));
    let tags = prop::collection::vec(
        prop::sample::select(TAGS.to_vec()).prop_map(String::from),
        0..4,
    );
    (
        (
            text(),
            text(),
            text(),
            text(),
            prop::option::of(any::<bool>()),
            tags,
        ),
        (num(), num(), num(), num(), num(), num(), num()),
    )
        .prop_map(
            |((track_id, title, artist, album, has_vocals, tags), n)| FilterRow {
                track_id,
                title,
                artist,
                album,
                has_vocals,
                tags,
                bpm: n.0,
                energy: n.1,
                duration_s: n.2,
                spectral_centroid: n.3,
                valence: n.4,
                danceability: n.5,
                loudness_db: n.6,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn engine_matches_row_by_row_model(
        f in filter(),
        rows in prop::collection::vec(row(), 0..40),
        upper in any::<bool>(),
    ) {
        let text = render(&f, upper);
        let parsed = Filter::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let cols = FilterColumns::from_rows(&rows).unwrap();
        let got: Vec<u32> = parsed.evaluate(&cols).iter().collect();
        let want: Vec<u32> = (0..rows.len() as u32).filter(|&i| model(&f, &rows[i as usize])).collect();
        prop_assert_eq!(got, want, "filter: {}", text);
    }

    /// Arbitrary text never panics the parser: it parses or reports a position inside it.
    #[test]
    fn arbitrary_text_parses_or_errors_in_range(s in "[a-z_:=<>!() \"\\\\0-9.-]{0,40}") {
        if let Err(e) = Filter::parse(&s) {
            prop_assert!(e.position <= s.len());
            prop_assert!(s.is_char_boundary(e.position));
        }
    }
}
