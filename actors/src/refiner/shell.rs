//! The Refiner's I/O: the model's rewrite (when enabled) and the cache's
//! outlook on the original and the refined prompt. The pipeline runs this
//! off its actor; the core ([`super::refine`]) stays pure.

use super::{Proposal, RefineInput, RefinerConfig, llm, refine};
use crate::cache_bridge::{Cache, CacheKey, CacheMode, SemanticMode};
use crate::pipeline::Ask;
use crate::upstream::Upstream;
use lantern_events::schema::{CacheOutcome, CacheOutlook, MissReason, OutlookVerdict, PromptOutlook};
use std::sync::Arc;

/// What a proposal may use.
pub struct Outside {
    /// The cache, for the outlook.
    pub cache: Arc<Cache>,
    /// The model, for the rewrite.
    pub upstream: Upstream,
    /// Whether the model rewrites the rules' proposal.
    pub llm: bool,
    /// `max_tokens` of the rewrite request.
    pub max_tokens: u32,
    /// How the cache would be used by the send.
    pub mode: CacheMode,
    /// Whether the send may be served a paraphrase.
    pub semantic: SemanticMode,
}

/// Proposes a refinement of `ask` and the cache's outlook on both prompts;
/// `key_for` gives the cache key a send of a prompt would look up.
pub async fn propose(
    outside: Outside,
    ask: Ask,
    config: RefinerConfig,
    key_for: impl Fn(&str) -> CacheKey + Send,
) -> (Proposal, CacheOutlook) {
    let input = RefineInput::new(&ask.prompt, &ask.model, &ask.context);
    let mut proposal = refine(&input, &config);
    if outside.llm {
        let body = crate::pipeline::prompt_body(&ask.model, &proposal.refined, Some(llm::SYSTEM), outside.max_tokens);
        let upstream = outside.upstream.clone();
        let reply = outside.upstream.spawn(async move { upstream.create(body).await }).await;
        match reply {
            Some(Ok(message)) => {
                let text = crate::pipeline::answer_text(&message);
                match llm::revise(&proposal, &input, &config, &ask.model, &text) {
                    Ok(revised) => proposal = revised,
                    Err(why) => tracing::info!(?why, "LLM rewrite not taken; the rules' proposal stands"),
                }
            }
            Some(Err(f)) => tracing::info!(kind = %f.kind, "LLM rewrite failed; the rules' proposal stands"),
            None => {}
        }
    }
    let peek = |prompt: &str| outside.cache.peek(&key_for(prompt), outside.mode, outside.semantic);
    let original = outlook(peek(&ask.prompt).await);
    // Often nothing was changed: the same text needs no second lookup.
    let refined =
        if proposal.refined == ask.prompt { original.clone() } else { outlook(peek(&proposal.refined).await) };
    (proposal, CacheOutlook { original, refined })
}

/// The cache's answer to a peek, as a prompt outlook.
fn outlook(answer: Result<CacheOutcome, crate::cache_bridge::BridgeError>) -> PromptOutlook {
    // The cache could not be asked: the send's own lookup will report why.
    let none = PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
    let Ok(outcome) = answer else { return none };
    let (nearest_similarity, verdict) = match outcome {
        CacheOutcome::ExactHit { .. } => (Some(1.0), OutlookVerdict::ExactHit),
        CacheOutcome::SemanticHit { similarity, .. } => (Some(similarity), OutlookVerdict::SemanticHit),
        CacheOutcome::SemanticOffered { similarity, verdict, .. } => {
            (Some(similarity), OutlookVerdict::Offered { accepted: verdict.accepted })
        }
        CacheOutcome::Miss { reason } => match reason {
            MissReason::BelowThreshold { best } => (Some(best), OutlookVerdict::BelowThreshold),
            MissReason::GuardRejected { best, reason } => (Some(best), OutlookVerdict::GuardRejected { reason }),
            MissReason::Empty
            | MissReason::Disabled
            | MissReason::Bypassed
            | MissReason::ExactOnly
            | MissReason::NoWords
            | MissReason::Unavailable { .. } => (None, OutlookVerdict::NoCandidate),
        },
    };
    PromptOutlook { nearest_similarity, verdict }
}
