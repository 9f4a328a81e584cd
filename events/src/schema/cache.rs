//! Response-cache outcomes and feedback on cached answers.

use super::Text;
use serde::{Deserialize, Serialize};

/// Identifier of a cache entry, as assigned by Widget-Log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryId(pub String);

/// Why a lookup did not serve a cached answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MissReason {
    /// No entry shares the request's fingerprint and namespace.
    Empty,
    /// The nearest entry was below the similarity threshold.
    BelowThreshold {
        /// Best similarity seen.
        best: f32,
    },
    /// Candidates were close enough but verification refused them.
    GuardRejected {
        /// Best similarity seen.
        best: f32,
        /// Why the verifier refused, in words a user can read.
        reason: String,
    },
    /// The cache is turned off.
    Disabled,
    /// The request asked not to read the cache.
    Bypassed,
    /// No exact match, and semantic matching is off for this request's
    /// namespace (schema v2).
    ExactOnly,
    /// The cache could not be asked (schema v2); the request went upstream.
    Unavailable {
        /// What went wrong.
        message: String,
    },
    /// No exact match, and the prompt has no words the embedder knows
    /// (only symbols, emoji, unknown tokens): such prompts all embed alike,
    /// so they are matched exactly or not at all (schema v2).
    NoWords,
}

/// What the cache lookup found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CacheOutcome {
    /// The normalised request matched an entry exactly.
    ExactHit {
        /// The entry served.
        entry: EntryId,
    },
    /// A verified paraphrase matched.
    SemanticHit {
        /// Cosine similarity of the last user turns.
        similarity: f32,
        /// The entry served.
        entry: EntryId,
        /// The prompt the entry was stored for.
        matched_prompt: Option<Text>,
    },
    /// Nothing was served from the cache.
    Miss {
        /// Why.
        reason: MissReason,
    },
    /// A paraphrase was found and offered to the user instead of being
    /// served (semantic mode `offer`, schema v3); `OfferDecided` follows.
    SemanticOffered {
        /// Cosine similarity of the last user turns.
        similarity: f32,
        /// The entry offered.
        entry: EntryId,
        /// The prompt the entry was stored for.
        matched_prompt: Option<Text>,
        /// What the verifier said of the pair.
        verdict: GuardVerdict,
        /// The cached answer's opening, as shown with the offer.
        preview: Text,
    },
}

/// The semantic cache verifier's judgement of a query and a cached prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardVerdict {
    /// Whether the verifier would have served it.
    pub accepted: bool,
    /// Why it refused (`"<check>: <detail>"`), when it did.
    pub reason: Option<String>,
}

/// What became of a semantic offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferChoice {
    /// The cached answer was used.
    UsedCached,
    /// The cached answer was refused and the model asked.
    AskedModel,
    /// Nobody answered in time; the model was asked.
    TimedOut,
}

/// A user (or the timeout) decided on a semantic offer (schema v3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferDecided {
    /// The entry that was offered.
    pub entry: EntryId,
    /// What was chosen.
    pub choice: OfferChoice,
    /// Who chose: the user, or the `ask` policy when the time ran out.
    pub by: super::Decider,
    /// Time from offer to decision, in milliseconds.
    pub waited_ms: u64,
}

/// The response cache was consulted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheChecked {
    /// What it found.
    pub outcome: CacheOutcome,
    /// Cache namespace of the lookup.
    pub namespace: String,
    /// Lookup time in microseconds.
    pub latency_us: u64,
}

/// A user's judgement of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedbackVerdict {
    /// The answer was right.
    Correct,
    /// The answer was wrong for the question asked.
    WrongAnswer,
}

/// The user judged a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackGiven {
    /// Seq of the `ResponseDelivered` event judged.
    pub response_seq: u64,
    /// The verdict.
    pub verdict: FeedbackVerdict,
    /// The cache entry that served the answer, if it came from the cache.
    pub entry: Option<EntryId>,
    /// Whether that entry was invalidated as a result.
    pub invalidated: bool,
    /// Free-text comment.
    pub note: Option<Text>,
}
