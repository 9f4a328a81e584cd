//! What frontends can ask of the pipeline. Every op is fire-and-forget: its
//! effects show up as events in the journal.

use super::chain::Ask;
use super::proxied::{Delivery, Proxied};
use actix::Message;
use lantern_events::schema::{Decision, EndReason, EntryId, FeedbackVerdict, FrontendKind, SuggestionAction};
use lantern_events::{RequestId, SessionId};
use std::sync::Arc;

/// Open a session.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct OpenSession {
    /// The new session's id.
    pub session: SessionId,
    /// Which frontend opens it.
    pub frontend: FrontendKind,
    /// Working directory or project, if known.
    pub workspace: Option<String>,
}

/// Close a session.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct CloseSession {
    /// The session.
    pub session: SessionId,
    /// Why.
    pub reason: EndReason,
}

/// Submit a prompt.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct SubmitPrompt(pub Ask);

/// Submit a whole Messages request (the HTTP proxy): `ask.prompt` is its
/// last user turn's text; the answer, or its stream, goes to `reply`.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SubmitProxied {
    /// The prompt as the chain sees it.
    pub ask: Ask,
    /// The request as the client sent it.
    pub proxied: Arc<Proxied>,
    /// Where the answer goes (bounded: a slow client slows its upstream read).
    pub reply: tokio::sync::mpsc::Sender<Delivery>,
}

/// A user's decision on a refinement.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Decide {
    /// The request decided on.
    pub request: RequestId,
    /// The decision.
    pub decision: Decision,
}

/// A user's choice on a semantic offer: take the cached answer, or ask the model.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct DecideOffer {
    /// The request whose lookup offered a paraphrase.
    pub request: RequestId,
    /// `true`: answer with the cached answer; `false`: ask the model.
    pub use_cached: bool,
}

/// A user acted on a suggestion. `Sent` and `Edited` also submit it as a new
/// prompt, as request `request`, under the given ask settings.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ActOnSuggestion {
    /// The session.
    pub session: SessionId,
    /// Seq of the `SuggestionsOffered` event.
    pub offered_seq: u64,
    /// Index of the suggestion.
    pub index: u8,
    /// What the user did.
    pub action: SuggestionAction,
    /// Id for the prompt this sends, if it sends one.
    pub request: RequestId,
    /// Model, policy and frontend for that prompt.
    pub template: Ask,
}

/// A user's judgement of a response.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct GiveFeedback {
    /// The session.
    pub session: SessionId,
    /// Seq of the `ResponseDelivered` event judged.
    pub response_seq: u64,
    /// The verdict.
    pub verdict: FeedbackVerdict,
    /// The cache entry that served it, if any; a wrong answer invalidates it.
    pub entry: Option<EntryId>,
}
