//! A refinement proposal: the rewrite, why, and what it should buy.

use super::Text;
use serde::{Deserialize, Serialize};

/// The kind of a single change made by the Refiner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// Named the active file and its language.
    InjectedFileContext,
    /// Attached the selection as a fenced code block.
    AttachedSelection,
    /// Added structure to a debug / implement / refactor ask.
    AddedStructure,
    /// Stated the expected output.
    StatedExpectedOutput,
    /// Flagged a vague reference with no context.
    FlaggedVagueReference,
    /// Normalised whitespace.
    NormalisedWhitespace,
    /// Rewritten by an LLM.
    LlmRewrite,
}

/// One change in a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Kind of change.
    pub kind: ChangeKind,
    /// What was changed, in words.
    pub description: String,
    /// Tokens the change adds (negative when it removes).
    pub tokens_added: i32,
}

/// One criterion of the quality rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    /// Criterion name.
    pub name: String,
    /// Points earned.
    pub points: u8,
    /// Points available.
    pub max_points: u8,
    /// Why these points.
    pub note: String,
}

/// A rubric score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Sum of points.
    pub total: u8,
    /// Sum of available points.
    pub max_total: u8,
    /// The criteria.
    pub criteria: Vec<Criterion>,
}

/// Quality estimate of the original and of the refined prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityEstimate {
    /// Score of the original.
    pub before: Score,
    /// Score of the refined prompt.
    pub after: Score,
}

/// What the cache would do with one prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OutlookVerdict {
    /// It would be an exact hit.
    ExactHit,
    /// It would be a verified semantic hit.
    SemanticHit,
    /// The nearest entry would be refused by verification.
    GuardRejected {
        /// The verifier's reason.
        reason: String,
    },
    /// The nearest entry is below the threshold.
    BelowThreshold,
    /// No candidate at all.
    NoCandidate,
    /// A paraphrase would be offered to the user, not served (schema v3).
    Offered {
        /// Whether the verifier accepts it.
        accepted: bool,
    },
}

/// The cache's view of one prompt, measured against the real cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptOutlook {
    /// Similarity of the nearest entry, if any.
    pub nearest_similarity: Option<f32>,
    /// What the cache would do.
    pub verdict: OutlookVerdict,
}

/// Cache outlook for the original and the refined prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheOutlook {
    /// For the original.
    pub original: PromptOutlook,
    /// For the refined prompt.
    pub refined: PromptOutlook,
}

/// Anthropic prompt-cache lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CacheTtl {
    /// `ttl: "5m"`.
    FiveMinutes,
    /// `ttl: "1h"`.
    OneHour,
}

/// Where a `cache_control` breakpoint goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnchorTarget {
    /// After the last tool definition.
    Tools,
    /// After the system prompt.
    System,
    /// After a content block of a message.
    Message {
        /// Message index.
        message: u32,
        /// Content block index within it.
        block: u32,
    },
}

/// A proposed Anthropic `cache_control` breakpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheAnchor {
    /// Where it goes.
    pub target: AnchorTarget,
    /// Requested lifetime.
    pub ttl: CacheTtl,
    /// Estimated tokens in the prefix up to and including the anchor.
    pub prefix_tokens: u32,
    /// Why this prefix is stable.
    pub reason: String,
}

/// Which engine produced the refinement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefinementOrigin {
    /// The deterministic rule engine.
    Rules,
    /// An LLM, through the upstream.
    Llm,
}

/// Identity of the refiner that produced a proposal; replay compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefinerStamp {
    /// Refiner version.
    pub version: String,
    /// Hash of the refiner configuration.
    pub config_hash: String,
}

/// The Refiner proposed a rewrite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefinementProposed {
    /// The prompt as submitted.
    pub original: Text,
    /// The proposed prompt.
    pub refined: Text,
    /// What changed and why.
    pub changes: Vec<Change>,
    /// Quality estimate before and after.
    pub quality: QualityEstimate,
    /// Cache outlook before and after.
    pub cache_outlook: CacheOutlook,
    /// Proposed Anthropic cache breakpoints (at most 4).
    pub anchors: Vec<CacheAnchor>,
    /// Estimated tokens of the original.
    pub tokens_before: u32,
    /// Estimated tokens of the refined prompt.
    pub tokens_after: u32,
    /// Which engine produced it.
    pub origin: RefinementOrigin,
    /// Refiner version and config hash.
    pub refiner: RefinerStamp,
}
