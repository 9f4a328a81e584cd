//! What the user sees and types: kept apart from the runtime handles (the
//! backend, the feed, the diff worker) that the app owns.

use crate::command::View;
use lantern_events::RequestId;

/// The window's own state.
#[derive(Debug, Clone, Default)]
pub struct UiState {
    /// The view shown.
    pub view: View,
    /// The prompt being written.
    pub composer: Composer,
    /// The refined prompt being edited, if any.
    pub edit: Option<Edit>,
    /// The suggestion being edited, if any.
    pub suggestion_edit: Option<SuggestionEdit>,
    /// Whether the shortcut overlay is open.
    pub help: bool,
    /// Target model of new prompts.
    pub model: String,
}

/// The composer's fields.
#[derive(Debug, Clone, Default)]
pub struct Composer {
    /// The prompt.
    pub prompt: String,
    /// Path of a file to attach (empty: none).
    pub file: String,
    /// Line range of that file, `A-B` (empty: name the file only).
    pub lines: String,
    /// Why the last submission was refused.
    pub error: Option<String>,
}

/// The inline editor of a refined prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// The request whose refinement is edited.
    pub request: RequestId,
    /// The text so far.
    pub text: String,
}

/// The inline editor of a suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionEdit {
    /// Seq of the `SuggestionsOffered` event.
    pub offered_seq: u64,
    /// Which suggestion.
    pub index: u8,
    /// The text so far.
    pub text: String,
}
