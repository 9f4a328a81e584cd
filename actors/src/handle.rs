//! What an interactive frontend does to a pipeline, wherever it runs.
//!
//! [`Handle`] is implemented by the in-process [`Client`] and by the
//! control endpoint's client, so that `lantern ask` (and every frontend
//! written against it) drives a pipeline it started itself and the one a
//! running `lantern serve` holds in the same way. Every op is sent and
//! returns at once; its effects arrive as events in the journal.

use crate::pipeline::Ask;
use crate::runtime::Client;
use lantern_events::schema::{Decision, EndReason, EntryId, FeedbackVerdict, FrontendKind, SuggestionAction};
use lantern_events::{RequestId, SessionId};

/// Ops on a pipeline. Effects are journalled, never returned.
pub trait Handle: Send + Sync {
    /// Opens a session; its `SessionStarted` follows in the journal.
    fn open_session(&self, frontend: FrontendKind, workspace: Option<String>) -> SessionId;
    /// Closes a session.
    fn close_session(&self, session: SessionId, reason: EndReason);
    /// Submits a prompt; follow `ask.request` in the journal.
    fn submit(&self, ask: Ask);
    /// Decides on a refinement awaiting a user.
    fn decide(&self, request: RequestId, decision: Decision);
    /// Takes (`use_cached`) or refuses (asks the model) a semantic offer awaiting a user.
    fn decide_offer(&self, request: RequestId, use_cached: bool);
    /// Acts on a suggestion; `Sent`/`Edited` submit it as request `template.request`.
    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask);
    /// Judges a response; a wrong cached answer invalidates its entry.
    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>);
}

impl Handle for Client {
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

    fn decide_offer(&self, request: RequestId, use_cached: bool) {
        Client::decide_offer(self, request, use_cached);
    }

    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask) {
        Client::act_on_suggestion(self, offered_seq, index, action, template);
    }

    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>) {
        Client::give_feedback(self, session, response_seq, verdict, entry);
    }
}
