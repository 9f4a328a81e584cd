//! What the user sees and types in the terminal, apart from the log's
//! folded views ([`lantern_frontend::live::Tracker`]) and from drawing.

use lantern_events::RequestId;
use lantern_frontend::View;

/// Which composer field takes the typed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    /// The prompt.
    #[default]
    Prompt,
    /// The path of a file to attach.
    File,
    /// Its line range, `A-B`.
    Lines,
}

/// The composer's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composer {
    /// The prompt.
    pub prompt: String,
    /// Path of a file to attach (empty: none).
    pub file: String,
    /// Line range of that file, `A-B` (empty: name the file only).
    pub lines: String,
    /// The field typing goes to.
    pub field: Field,
    /// Why the last submission was refused.
    pub error: Option<String>,
}

impl Composer {
    /// The field typing goes to.
    pub fn text_mut(&mut self) -> &mut String {
        match self.field {
            Field::Prompt => &mut self.prompt,
            Field::File => &mut self.file,
            Field::Lines => &mut self.lines,
        }
    }

    /// Moves typing to the next field.
    pub fn next_field(&mut self) {
        self.field = match self.field {
            Field::Prompt => Field::File,
            Field::File => Field::Lines,
            Field::Lines => Field::Prompt,
        };
    }

    /// Whether nothing is typed in the prompt (single keys then act).
    pub fn is_idle(&self) -> bool {
        self.field == Field::Prompt && self.prompt.is_empty()
    }
}

/// Text being edited before it is sent: a refined prompt or a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editing {
    /// The refined prompt of `request`.
    Refined {
        /// The request.
        request: RequestId,
        /// The text so far.
        text: String,
    },
    /// A suggestion.
    Suggestion {
        /// Seq of the `SuggestionsOffered` event.
        offered_seq: u64,
        /// Which suggestion.
        index: u8,
        /// The text so far.
        text: String,
    },
}

impl Editing {
    /// The text so far.
    pub fn text(&self) -> &str {
        match self {
            Editing::Refined { text, .. } | Editing::Suggestion { text, .. } => text,
        }
    }

    /// The text so far, to type into.
    pub fn text_mut(&mut self) -> &mut String {
        match self {
            Editing::Refined { text, .. } | Editing::Suggestion { text, .. } => text,
        }
    }
}

/// How the refinement diff is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffLayout {
    /// The original on the left, the refined prompt on the right.
    #[default]
    SideBySide,
    /// One column: removed lines, then added lines, marked `-` and `+`.
    Unified,
}

/// The terminal's own state.
#[derive(Debug, Clone, Default)]
pub struct TuiState {
    /// The view shown.
    pub view: View,
    /// The prompt being written.
    pub composer: Composer,
    /// The inline editor, when open.
    pub editing: Option<Editing>,
    /// Whether the key map overlay is open.
    pub help: bool,
    /// Whether the quality rubric is shown in the approval panel.
    pub rubric: bool,
    /// Target model of new prompts.
    pub model: String,
    /// The suggestion selected in the live view.
    pub suggestion: usize,
    /// Rows scrolled in the diff or the answer.
    pub scroll: usize,
    /// How the diff is laid out.
    pub layout: DiffLayout,
    /// The session selected in the browser.
    pub session_row: usize,
    /// The request selected in the opened session.
    pub request_row: usize,
    /// A note for the user (an editor that failed, say), shown until the next key.
    pub status: Option<String>,
    /// Suggestions acted on (offered seq, index) whose event has not been folded yet.
    pub acted: Vec<(u64, u8)>,
    /// Answers flagged (response seq) whose feedback has not been folded yet.
    pub flagged: Vec<u64>,
    /// The request the approval panel last showed (a new one starts unscrolled).
    pub shown: Option<lantern_events::RequestId>,
}
