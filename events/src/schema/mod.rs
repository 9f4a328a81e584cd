//! The event schema (v3): one enum, one past-tense struct per variant.
//!
//! Every type here is persisted with bincode, so a field added, removed or
//! reordered changes the wire format. Such a change needs a new
//! [`crate::codec::SCHEMA_VERSION`] and an upcaster from the previous one
//! (see [`crate::codec::upcast`]).

mod approval;
mod cache;
mod prompt;
mod refinement;
mod session;
mod skipped;
mod suggestion;
mod text;
mod upstream;

pub use approval::{ApprovalDecided, ApprovalPolicy, Decider, Decision};
pub use cache::{
    CacheChecked, CacheOutcome, EntryId, FeedbackGiven, FeedbackVerdict, GuardVerdict, MissReason, OfferChoice,
    OfferDecided,
};
pub use prompt::{PromptContext, PromptOrigin, PromptSubmitted, Selection};
pub use refinement::{
    AnchorTarget, CacheAnchor, CacheOutlook, CacheTtl, Change, ChangeKind, Criterion, OutlookVerdict, PromptOutlook,
    QualityEstimate, RefinementOrigin, RefinementProposed, RefinerStamp, Score,
};
pub use session::{EndReason, FrontendKind, PrivacyLevel, SessionEnded, SessionStarted};
pub use skipped::{RefinementSkipped, SkipReason};
pub use suggestion::{
    Suggestion, SuggestionActed, SuggestionAction, SuggestionContext, SuggestionOrigin, SuggestionsOffered,
};
pub use text::Text;
pub use upstream::{ResponseDelivered, ResponseSource, UpstreamCompleted, UpstreamFailed, Usage};

use serde::{Deserialize, Serialize};

/// Everything Lantern journals. Each variant names a fact that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A frontend opened a session.
    SessionStarted(SessionStarted),
    /// A user (or a client of the proxy) sent a prompt.
    PromptSubmitted(PromptSubmitted),
    /// The Refiner proposed a rewrite of the prompt.
    RefinementProposed(RefinementProposed),
    /// A user or a policy chose which prompt goes out.
    ApprovalDecided(ApprovalDecided),
    /// The response cache was consulted.
    CacheChecked(CacheChecked),
    /// The upstream model answered.
    UpstreamCompleted(UpstreamCompleted),
    /// The upstream model could not answer.
    UpstreamFailed(UpstreamFailed),
    /// An answer reached the user.
    ResponseDelivered(ResponseDelivered),
    /// The Suggester offered next prompts.
    SuggestionsOffered(SuggestionsOffered),
    /// The user did something with a suggestion.
    SuggestionActed(SuggestionActed),
    /// The user judged a response (a wrong cached answer invalidates its entry).
    FeedbackGiven(FeedbackGiven),
    /// The session closed.
    SessionEnded(SessionEnded),
    /// The Refiner left a request alone, and says why (schema v2).
    RefinementSkipped(RefinementSkipped),
    /// A user (or the timeout) took or refused a semantic offer (schema v3).
    OfferDecided(OfferDecided),
}

impl Event {
    /// The variant's name, as shown in listings and used in exports.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SessionStarted(_) => "SessionStarted",
            Event::PromptSubmitted(_) => "PromptSubmitted",
            Event::RefinementProposed(_) => "RefinementProposed",
            Event::ApprovalDecided(_) => "ApprovalDecided",
            Event::CacheChecked(_) => "CacheChecked",
            Event::UpstreamCompleted(_) => "UpstreamCompleted",
            Event::UpstreamFailed(_) => "UpstreamFailed",
            Event::ResponseDelivered(_) => "ResponseDelivered",
            Event::SuggestionsOffered(_) => "SuggestionsOffered",
            Event::SuggestionActed(_) => "SuggestionActed",
            Event::FeedbackGiven(_) => "FeedbackGiven",
            Event::SessionEnded(_) => "SessionEnded",
            Event::RefinementSkipped(_) => "RefinementSkipped",
            Event::OfferDecided(_) => "OfferDecided",
        }
    }
}
