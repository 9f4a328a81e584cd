//! User text as journaled: in full, or reduced to a digest by the privacy level.

use serde::{Deserialize, Serialize};

/// A piece of user-supplied text (prompt, answer, suggestion).
///
/// The schema carries the redacted form from v1 on, so that a privacy level
/// never needs a schema change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Text {
    /// The text itself (secrets already redacted by the journal).
    Full(String),
    /// The text was withheld; only a digest and its length were kept.
    Withheld {
        /// Lowercase hex SHA-256 of the original UTF-8 bytes.
        sha256: String,
        /// Length of the original, in characters.
        chars: u32,
    },
}

impl Text {
    /// The text when it was kept in full.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Full(s) => Some(s),
            Text::Withheld { .. } => None,
        }
    }

    /// A one-line rendering for listings: the text, or a placeholder naming its length.
    pub fn display(&self) -> String {
        match self {
            Text::Full(s) => s.clone(),
            Text::Withheld { chars, .. } => format!("<withheld: {chars} chars>"),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Full(s.to_owned())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Full(s)
    }
}
