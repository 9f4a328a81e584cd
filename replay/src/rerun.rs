//! Re-running today's Refiner and heuristic Suggester on a logged chain.
//!
//! Only what the log holds in full can be re-run: a prompt or context kept
//! as a digest (privacy `metadata`), a prompt whose secrets were redacted
//! before it was journalled, or an LLM rewrite cannot be reproduced, and
//! say so with a [`Skip`] reason.

use crate::chain::{RequestChain, Turns};
use lantern_actors::refiner::{Proposal, RefineInput, RefinerConfig, refine};
use lantern_actors::suggester::{SuggestInput, heuristic};
use lantern_events::schema::{
    PromptContext, RefinementOrigin, RefinementProposed, Selection, SuggestionContext, SuggestionOrigin, Text,
};

/// Why a chain (or a part of it) was not re-run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// The chain has no `PromptSubmitted` or no proposal in the log.
    Incomplete,
    /// The prompt, its context or the answer was kept as a digest only.
    Withheld,
    /// The journal redacted a secret from the prompt; the Refiner saw the original.
    Redacted,
    /// The refinement came from an LLM, which cannot be re-run offline.
    LlmRewrite,
    /// No suggestions were offered for this request.
    NoSuggestions,
    /// The suggestions came from an LLM, which cannot be re-run offline.
    LlmSuggestions,
}

impl Skip {
    /// A short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Skip::Incomplete => "incomplete chain",
            Skip::Withheld => "text withheld by the privacy level",
            Skip::Redacted => "prompt had secrets redacted",
            Skip::LlmRewrite => "LLM rewrite",
            Skip::NoSuggestions => "no suggestions offered",
            Skip::LlmSuggestions => "LLM suggestions",
        }
    }
}

/// Marker the journal leaves where it removed a secret.
const REDACTION_MARKER: &str = "[REDACTED:";

/// The logged proposal and the prompt it was made for, when re-runnable.
pub fn logged_proposal(chain: &RequestChain) -> Result<(&str, &RefinementProposed, PromptContext), Skip> {
    let (Some(submitted), Some(proposal)) = (&chain.submitted, &chain.proposal) else { return Err(Skip::Incomplete) };
    let proposal = &proposal.event;
    if proposal.origin == RefinementOrigin::Llm {
        return Err(Skip::LlmRewrite);
    }
    let prompt = submitted.event.text.as_str().ok_or(Skip::Withheld)?;
    if prompt.contains(REDACTION_MARKER) {
        return Err(Skip::Redacted);
    }
    let context = &submitted.event.context;
    if let Some(Selection { text: Text::Withheld { .. }, .. }) = &context.selection {
        return Err(Skip::Withheld);
    }
    if context.selection.as_ref().and_then(|s| s.text.as_str()).is_some_and(|t| t.contains(REDACTION_MARKER)) {
        return Err(Skip::Redacted);
    }
    Ok((prompt, proposal, context.clone()))
}

/// What the Refiner proposes today for the chain's prompt under `config`.
pub fn refine_again<'a>(
    chain: &'a RequestChain,
    config: &RefinerConfig,
) -> Result<(Proposal, &'a RefinementProposed), Skip> {
    let (prompt, logged, context) = logged_proposal(chain)?;
    let model = chain.submitted.as_ref().map_or("", |s| s.event.model.as_str());
    Ok((refine(&RefineInput::new(prompt, model, &context), config), logged))
}

/// Logged and re-computed suggestions of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionsAgain {
    /// What the log says was offered.
    pub logged: Vec<String>,
    /// What the heuristic Suggester offers today, cut to the logged count
    /// (the count offered is a setting the log does not keep).
    pub now: Vec<String>,
    /// The context the log says they came from.
    pub logged_context: Option<SuggestionContext>,
    /// The context the Suggester reports today.
    pub now_context: Option<SuggestionContext>,
}

impl SuggestionsAgain {
    /// Whether today's Suggester offers the same prompts from the same context.
    pub fn identical(&self) -> bool {
        self.logged == self.now && self.logged_context == self.now_context
    }
}

/// Re-runs the heuristic Suggester on the chain's answer and the session's
/// earlier turns.
pub fn suggest_again(chain: &RequestChain, turns: &Turns) -> Result<SuggestionsAgain, Skip> {
    let offered = chain.suggestions.as_ref().ok_or(Skip::NoSuggestions)?;
    if offered.event.origin == Some(SuggestionOrigin::Llm) {
        return Err(Skip::LlmSuggestions);
    }
    let logged: Option<Vec<String>> =
        offered.event.suggestions.iter().map(|s| s.text.as_str().map(str::to_owned)).collect();
    let logged = logged.ok_or(Skip::Withheld)?;
    let reply = chain.response.as_ref().and_then(|r| r.event.text.as_str()).ok_or(Skip::Withheld)?;
    if reply.contains(REDACTION_MARKER) {
        return Err(Skip::Redacted);
    }
    let history = turns.before(chain.session, offered.seq).ok_or(Skip::Withheld)?;
    if history.iter().any(|t| t.contains(REDACTION_MARKER)) {
        return Err(Skip::Redacted);
    }
    let max = logged.len().max(1);
    let again = heuristic(&SuggestInput { last_assistant: Some(reply), user_turns: &history, max });
    let now_context = again.as_ref().map(|s| s.context);
    let mut now = again.map(|s| s.prompts).unwrap_or_default();
    now.truncate(logged.len());
    Ok(SuggestionsAgain { logged, now, logged_context: offered.event.context, now_context })
}
