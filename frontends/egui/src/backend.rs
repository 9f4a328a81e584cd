//! What the window sends to the pipeline. The running system is a
//! [`Client`]; tests substitute a recorder.

use lantern_actors::pipeline::Ask;
use lantern_actors::runtime::Client;
use lantern_events::schema::{Decision, EndReason, EntryId, FeedbackVerdict, FrontendKind, SuggestionAction};
use lantern_events::{RequestId, SessionId};

/// The ops a frontend sends (the same as [`Client`]'s).
pub trait Backend {
    /// Opens a session.
    fn open_session(&self, frontend: FrontendKind, workspace: Option<String>) -> SessionId;
    /// Closes a session.
    fn close_session(&self, session: SessionId, reason: EndReason);
    /// Submits a prompt.
    fn submit(&self, ask: Ask);
    /// Decides on a refinement.
    fn decide(&self, request: RequestId, decision: Decision);
    /// Acts on a suggestion.
    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask);
    /// Judges an answer.
    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>);
}

impl Backend for Client {
    fn open_session(&self, frontend: FrontendKind, workspace: Option<String>) -> SessionId {
        Client::open_session(self, frontend, workspace)
    }
    fn close_session(&self, session: SessionId, reason: EndReason) {
        Client::close_session(self, session, reason);
    }
    fn submit(&self, ask: Ask) {
        Client::submit(self, ask);
    }
    fn decide(&self, request: RequestId, decision: Decision) {
        Client::decide(self, request, decision);
    }
    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask) {
        Client::act_on_suggestion(self, offered_seq, index, action, template);
    }
    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>) {
        Client::give_feedback(self, session, response_seq, verdict, entry);
    }
}
