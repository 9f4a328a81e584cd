//! Next-prompt suggestions and what the user did with them.

use super::Text;
use serde::{Deserialize, Serialize};

/// What produced a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SuggestionOrigin {
    /// The upstream model, asked for structured output.
    Llm,
    /// Local rules, offline.
    Heuristic,
}

/// What input a suggestion was derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SuggestionContext {
    /// The last assistant reply.
    LastAssistant,
    /// The last `depth` user turns.
    History {
        /// Number of user turns used.
        depth: u8,
    },
}

/// One proposed next prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The prompt text.
    pub text: Text,
}

/// The Suggester offered next prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionsOffered {
    /// The suggestions, best first.
    pub suggestions: Vec<Suggestion>,
    /// What produced them; `None` shows as "Unknown".
    pub origin: Option<SuggestionOrigin>,
    /// What they were derived from; `None` shows as "Unknown".
    pub context: Option<SuggestionContext>,
}

/// What the user did with a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SuggestionAction {
    /// Sent as is.
    Sent,
    /// Edited, then sent.
    Edited {
        /// The text sent.
        text: Text,
    },
    /// Dismissed.
    Dismissed,
}

/// The user acted on a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionActed {
    /// Seq of the `SuggestionsOffered` event.
    pub offered_seq: u64,
    /// Index of the suggestion within it.
    pub index: u8,
    /// What was done.
    pub action: SuggestionAction,
}

impl SuggestionsOffered {
    /// The metadata line every frontend shows under suggestions, "Unknown"
    /// where the origin or the context is absent:
    /// `Origin: LLM | Heuristic | Unknown · Context: last assistant reply | last N user turns | Unknown`.
    pub fn metadata_line(&self) -> String {
        let origin = match self.origin {
            Some(SuggestionOrigin::Llm) => "LLM",
            Some(SuggestionOrigin::Heuristic) => "Heuristic",
            None => "Unknown",
        };
        let context = match self.context {
            Some(SuggestionContext::LastAssistant) => "last assistant reply".to_owned(),
            Some(SuggestionContext::History { depth: 1 }) => "last user turn".to_owned(),
            Some(SuggestionContext::History { depth }) => format!("last {depth} user turns"),
            None => "Unknown".to_owned(),
        };
        format!("Origin: {origin} · Context: {context}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_line_names_origin_and_context() {
        let mut s = SuggestionsOffered { suggestions: Vec::new(), origin: None, context: None };
        assert_eq!(s.metadata_line(), "Origin: Unknown · Context: Unknown");
        s.origin = Some(SuggestionOrigin::Llm);
        s.context = Some(SuggestionContext::History { depth: 3 });
        assert_eq!(s.metadata_line(), "Origin: LLM · Context: last 3 user turns");
        s.context = Some(SuggestionContext::History { depth: 1 });
        assert_eq!(s.metadata_line(), "Origin: LLM · Context: last user turn");
        s.origin = Some(SuggestionOrigin::Heuristic);
        s.context = Some(SuggestionContext::LastAssistant);
        assert_eq!(s.metadata_line(), "Origin: Heuristic · Context: last assistant reply");
    }
}
