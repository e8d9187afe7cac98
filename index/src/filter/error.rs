//! The error of a filter that does not parse, with where it went wrong.

/// A filter that could not be parsed: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// Byte offset into the filter text (the length of the text for "at the end").
    pub position: usize,
    /// 1-based column in characters, for people (differs from `position + 1` after non-ASCII).
    pub column: usize,
    pub message: String,
}

impl FilterError {
    pub(crate) fn new(src: &str, position: usize, message: impl Into<String>) -> Self {
        // Positions always fall on char boundaries; `get` keeps a bad one from panicking.
        let column = src.get(..position).map_or(position, |s| s.chars().count()) + 1;
        FilterError {
            position,
            column,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "filter error at column {}: {}",
            self.column, self.message
        )
    }
}

impl std::error::Error for FilterError {}
