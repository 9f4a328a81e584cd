//! What a frontend asks for. Views only read state and push commands; the
//! frontend applies them after drawing (or after reading a key).

use lantern_events::schema::{Decision, EntryId, SuggestionAction};
use lantern_events::{RequestId, SessionId};

/// A frontend's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The current session: composer, approval, answer, suggestions.
    #[default]
    Live,
    /// Past sessions from the log.
    Sessions,
    /// Charts over the whole log.
    Stats,
}

/// One thing to do after the frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Send the composer's prompt.
    Submit,
    /// Decide on a pending refinement.
    Decide {
        /// The request.
        request: RequestId,
        /// The decision.
        decision: Decision,
    },
    /// Take (`use_cached`) or refuse a cached answer offered for `request`.
    DecideOffer {
        /// The request.
        request: RequestId,
        /// `true`: the cached answer; `false`: ask the model.
        use_cached: bool,
    },
    /// Start editing the refined prompt of `request`.
    BeginEdit {
        /// The request.
        request: RequestId,
        /// The text to start from.
        text: String,
    },
    /// Leave the refined-prompt editor without sending.
    CancelEdit,
    /// Act on a suggestion.
    Suggestion {
        /// Seq of the `SuggestionsOffered` event.
        offered_seq: u64,
        /// Which suggestion.
        index: u8,
        /// What to do.
        action: SuggestionAction,
    },
    /// Start editing a suggestion before sending it.
    BeginSuggestionEdit {
        /// Seq of the `SuggestionsOffered` event.
        offered_seq: u64,
        /// Which suggestion.
        index: u8,
        /// The text to start from.
        text: String,
    },
    /// Leave the suggestion editor without sending.
    CancelSuggestionEdit,
    /// Flag a cached answer as wrong (invalidates its entry).
    FlagWrong {
        /// The answer's session.
        session: SessionId,
        /// Seq of its `ResponseDelivered`.
        response_seq: u64,
        /// The cache entry that served it.
        entry: Option<EntryId>,
    },
    /// Switch view.
    Show(View),
    /// Open or close the shortcut overlay.
    ToggleHelp,
    /// Show a past session's timeline.
    OpenSession(SessionId),
    /// Leave the opened past session, back to the list.
    CloseSession,
    /// Show one request of the open session.
    OpenRequest(RequestId),
    /// Reload the session list from the log.
    RefreshSessions,
    /// Close the frontend (the session ends, the journal is flushed).
    Quit,
}

/// The decision an edit of a refined prompt makes: unchanged text accepts the refinement.
pub fn edited(refined: Option<&str>, text: &str) -> Decision {
    if refined == Some(text) { Decision::Accepted } else { Decision::Modified { text: text.to_owned().into() } }
}
