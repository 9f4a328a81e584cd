//! A submitted prompt and the editor context that came with it.

use super::Text;
use serde::{Deserialize, Serialize};

/// Lines selected in the active file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The selected text.
    pub text: Text,
    /// First selected line, 1-based, when known.
    pub start_line: Option<u32>,
    /// Last selected line, 1-based inclusive, when known.
    pub end_line: Option<u32>,
}

/// Editor context offered with a prompt.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PromptContext {
    /// Path of the active file.
    pub active_file: Option<String>,
    /// Language of the active file.
    pub language: Option<String>,
    /// Selected lines.
    pub selection: Option<Selection>,
}

/// Where a prompt came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PromptOrigin {
    /// Typed by the user.
    Typed,
    /// Sent from a suggestion (the seq of the `SuggestionsOffered` and the index).
    Suggestion {
        /// Seq of the `SuggestionsOffered` event.
        offered_seq: u64,
        /// Index of the suggestion within it.
        index: u8,
    },
    /// Received by the HTTP proxy from a client.
    Proxy,
}

/// A prompt entered the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSubmitted {
    /// The prompt as the user wrote it.
    pub text: Text,
    /// Target model.
    pub model: String,
    /// Editor context.
    pub context: PromptContext,
    /// Where it came from.
    pub origin: PromptOrigin,
}
