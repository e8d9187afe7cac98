//! Lance's errors as users should read them.
//!
//! Lance appends the place in its own source that raised an error to every message
//! (`..., /home/builder/.cargo/registry/src/index.crates.io-…/lance-14.0.2/src/dataset.rs:612:31`):
//! a path on the machine that compiled Segue, which tells a user nothing and leaks a build
//! path. [`LanceError`] shows the message without those locations and keeps the original error
//! for programs that want it.

use std::fmt;

/// An error reported by Lance, displayed without Lance's source locations.
#[derive(Debug)]
pub struct LanceError(Box<lance::Error>);

impl LanceError {
    pub(crate) fn new(error: lance::Error) -> Self {
        LanceError(Box::new(error))
    }

    /// The error as Lance reported it.
    pub fn lance(&self) -> &lance::Error {
        &self.0
    }
}

impl fmt::Display for LanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&without_source_locations(&self.0.to_string()))
    }
}

/// No `source()`: Lance's message already contains its cause's text, so a chain printed by
/// anyhow would repeat it (with the locations again).
impl std::error::Error for LanceError {}

/// `message` without `file.rs:line:column` locations, and the `, ` or `location: ` before them.
pub(crate) fn without_source_locations(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(".rs:") {
        let after = &rest[at + ".rs:".len()..];
        let Some(location_len) = line_and_column_len(after) else {
            out.push_str(&rest[..at + ".rs:".len()]);
            rest = after;
            continue;
        };
        let path_start = rest[..at]
            .rfind(|c: char| c.is_whitespace() || c == '(' || c == '[')
            .map_or(0, |i| i + 1);
        let mut kept = &rest[..path_start];
        for lead in ["location: ", "at "] {
            kept = kept.strip_suffix(lead).unwrap_or(kept);
        }
        kept = kept.trim_end_matches([',', ' ']);
        out.push_str(kept);
        rest = &after[location_len..];
    }
    out.push_str(rest);
    out
}

/// The length of `line:column` at the start of `s` (digits, a colon, digits).
fn line_and_column_len(s: &str) -> Option<usize> {
    let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
    let line = digits(s);
    if line == 0 || s.as_bytes().get(line) != Some(&b':') {
        return None;
    }
    let column = digits(&s[line + 1..]);
    (column > 0).then_some(line + 1 + column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_their_separators_are_removed() {
        let cases = [
            (
                "Dataset at path /lib/data.lance was not found: Not found: x, \
                 /home/b/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-14.0.2/src/dataset.rs:612:31",
                "Dataset at path /lib/data.lance was not found: Not found: x",
            ),
            (
                "Append with different schema: a, location: lance-core/src/error.rs:10:5",
                "Append with different schema: a",
            ),
            (
                "LanceError(IO): Execution error: Invalid user input: bad, src/io/commit.rs:1:2, \
                 /x/lance-14.0.2/src/dataset/write.rs:88:17",
                "LanceError(IO): Execution error: Invalid user input: bad",
            ),
            ("no location here", "no location here"),
            ("a file named notes.rs: kept", "a file named notes.rs: kept"),
            (
                "version.rs:12 without a column",
                "version.rs:12 without a column",
            ),
        ];
        for (raw, clean) in cases {
            assert_eq!(without_source_locations(raw), clean, "{raw}");
        }
    }

    #[test]
    fn a_real_lance_error_shows_no_build_path() {
        let err = LanceError::new(lance::Error::invalid_input("the reason"));
        let raw = err.lance().to_string();
        assert!(
            raw.contains(".rs:"),
            "Lance no longer adds locations: {raw}"
        );
        let shown = err.to_string();
        assert!(shown.contains("the reason"), "{shown}");
        assert!(!shown.contains(".rs:"), "{shown}");
    }
}
