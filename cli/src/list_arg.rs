//! Comma-separated values on the command line that may themselves contain commas.
//!
//! Track ids and artist names are the user's own strings: "Crosby, Stills & Nash" is one artist,
//! and catalogues with ids such as `album-3,track-7` exist. A plain split on ',' would turn such
//! a value into two wrong ones, so a list option splits on unescaped commas only: `\,` is a
//! literal comma and `\\` a literal backslash. Every list option is also repeatable, so
//! `--like 'a,b' --like c` and `--like 'a\,b'` both work.

use std::fmt;
use std::str::FromStr;

/// One occurrence of a list option: the values it names, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListArg(pub Vec<String>);

/// Why an occurrence of a list option is not a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListArgError {
    /// A backslash followed by something other than ',' or '\'.
    UnknownEscape { at: usize, found: Option<char> },
    /// An empty value, e.g. in "a,,b" or a trailing comma.
    EmptyValue { index: usize },
}

impl fmt::Display for ListArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListArgError::UnknownEscape { at, found: Some(c) } => write!(
                f,
                "unknown escape \\{c} at character {at} (write \\, for a comma inside a value, \
                 \\\\ for a backslash)"
            ),
            ListArgError::UnknownEscape { at, found: None } => write!(
                f,
                "a lone backslash at character {at} ends the list (write \\\\ for a backslash)"
            ),
            ListArgError::EmptyValue { index } => write!(
                f,
                "value {} of the list is empty (separate values by one comma; write \\, for a \
                 comma inside a value)",
                index + 1
            ),
        }
    }
}

impl std::error::Error for ListArgError {}

impl FromStr for ListArg {
    type Err = ListArgError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut values = Vec::new();
        let mut current = String::new();
        let mut chars = s.chars().enumerate();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ (',' | '\\'))) => current.push(e),
                    other => {
                        return Err(ListArgError::UnknownEscape {
                            at: at + 1,
                            found: other.map(|(_, c)| c),
                        });
                    }
                },
                ',' => values.push(std::mem::take(&mut current)),
                c => current.push(c),
            }
        }
        values.push(current);
        if let Some(index) = values.iter().position(|v| v.is_empty()) {
            return Err(ListArgError::EmptyValue { index });
        }
        Ok(ListArg(values))
    }
}

/// All values of a repeatable list option, in the order given.
pub fn flatten(occurrences: &[ListArg]) -> Vec<String> {
    occurrences
        .iter()
        .flat_map(|o| o.0.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<Vec<String>, ListArgError> {
        s.parse::<ListArg>().map(|l| l.0)
    }

    #[test]
    fn commas_separate_and_escaped_commas_stay() {
        assert_eq!(parse("a,b").unwrap(), ["a", "b"]);
        assert_eq!(parse("album-3\\,track-7").unwrap(), ["album-3,track-7"]);
        assert_eq!(parse("x\\,y,z").unwrap(), ["x,y", "z"]);
        assert_eq!(parse("back\\\\slash").unwrap(), ["back\\slash"]);
        assert_eq!(
            parse("Crosby\\, Stills & Nash").unwrap(),
            ["Crosby, Stills & Nash"]
        );
    }

    #[test]
    fn empty_values_and_unknown_escapes_are_refused() {
        assert_eq!(parse("a,,b"), Err(ListArgError::EmptyValue { index: 1 }));
        assert_eq!(parse("a,"), Err(ListArgError::EmptyValue { index: 1 }));
        assert_eq!(parse(""), Err(ListArgError::EmptyValue { index: 0 }));
        let err = parse("a\\nb").unwrap_err();
        assert!(err.to_string().contains("unknown escape \\n"), "{err}");
        let err = parse("a\\").unwrap_err();
        assert!(err.to_string().contains("lone backslash"), "{err}");
    }

    fn escape(value: &str) -> String {
        value.replace('\\', "\\\\").replace(',', "\\,")
    }

    proptest! {
        #[test]
        fn any_values_survive_escaping_and_joining(
            values in proptest::collection::vec("[a-z,\\\\ é-]{1,12}", 1..6)
        ) {
            let joined = values.iter().map(|v| escape(v)).collect::<Vec<_>>().join(",");
            prop_assert_eq!(parse(&joined).unwrap(), values);
        }
    }
}
