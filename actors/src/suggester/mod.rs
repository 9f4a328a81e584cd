//! The Suggester core: 1–3 next prompts after a response.
//!
//! [`heuristic`] works offline (origin `Heuristic`). It reads the last
//! assistant reply first; only when the reply gives it nothing to work with
//! does it fall back to the user's recent turns. The `context` it reports is
//! whichever input it actually used, never both. [`llm`] builds the request
//! for LLM mode (origin `Llm`) and reads its answer; the pipeline sends it.

mod cues;
pub mod llm;
pub mod shell;

use lantern_events::schema::{SuggestionContext, SuggestionOrigin};

/// What the Suggester may look at.
#[derive(Debug, Clone, Copy)]
pub struct SuggestInput<'a> {
    /// The last assistant reply, if there was one.
    pub last_assistant: Option<&'a str>,
    /// The user's turns in this session, oldest first.
    pub user_turns: &'a [&'a str],
    /// How many suggestions to return at most (clamped to 1..=3).
    pub max: usize,
}

/// Next-prompt suggestions with their true origin and context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestions {
    /// The suggested prompts, best first.
    pub prompts: Vec<String>,
    /// What produced them.
    pub origin: SuggestionOrigin,
    /// The input they were derived from.
    pub context: SuggestionContext,
}

/// How many recent user turns the history fallback reads.
const HISTORY_DEPTH: usize = 3;

/// Offline suggestions; `None` when there is nothing to base them on.
pub fn heuristic(input: &SuggestInput<'_>) -> Option<Suggestions> {
    let max = input.max.clamp(1, 3);
    if let Some(reply) = input.last_assistant {
        let prompts = take(cues::from_reply(reply), max);
        if !prompts.is_empty() {
            return Some(Suggestions {
                prompts,
                origin: SuggestionOrigin::Heuristic,
                context: SuggestionContext::LastAssistant,
            });
        }
    }
    let recent: Vec<&str> = input.user_turns.iter().rev().take(HISTORY_DEPTH).copied().collect();
    let prompts = take(cues::from_history(&recent), max);
    (!prompts.is_empty()).then(|| Suggestions {
        prompts,
        origin: SuggestionOrigin::Heuristic,
        context: SuggestionContext::History { depth: u8::try_from(recent.len()).unwrap_or(u8::MAX) },
    })
}

fn take(candidates: Vec<String>, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(max);
    for c in candidates {
        if out.len() == max {
            break;
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(reply: Option<&'a str>, turns: &'a [&'a str]) -> SuggestInput<'a> {
        SuggestInput { last_assistant: reply, user_turns: turns, max: 3 }
    }

    #[test]
    fn given_a_reply_with_code_then_suggestions_name_what_it_defines() {
        let reply = "Use a slice:\n\n```python\ndef reverse_items(xs):\n    return xs[::-1]\n```\n";
        let s = heuristic(&input(Some(reply), &["How do I reverse a list?"])).unwrap();
        assert_eq!(s.context, SuggestionContext::LastAssistant);
        assert_eq!(s.origin, SuggestionOrigin::Heuristic);
        assert!(s.prompts.iter().any(|p| p.contains("`reverse_items`")), "{:?}", s.prompts);
        assert!(s.prompts.len() <= 3);
    }

    #[test]
    fn given_a_reply_with_steps_and_errors_then_both_are_followed_up() {
        let reply = "1. Install the driver\n2. Set DATABASE_URL\n3. Run migrations\n\nIf you see `OperationalError`, the server is down.";
        let s = heuristic(&input(Some(reply), &[])).unwrap();
        assert!(s.prompts.iter().any(|p| p.contains("Install the driver")), "{:?}", s.prompts);
        assert!(s.prompts.iter().any(|p| p.contains("`OperationalError`")), "{:?}", s.prompts);
    }

    #[test]
    fn given_no_usable_reply_then_history_is_used_and_its_depth_reported() {
        let turns = ["hello", "My test fails with a panic in parse_header", "ok"];
        let s = heuristic(&input(None, &turns)).unwrap();
        assert_eq!(s.context, SuggestionContext::History { depth: 3 });
        assert!(s.prompts.iter().any(|p| p.contains("regression test")), "{:?}", s.prompts);

        let s = heuristic(&input(Some("Sure."), &turns[..2])).unwrap();
        assert_eq!(s.context, SuggestionContext::History { depth: 2 });
    }

    #[test]
    fn given_nothing_then_no_suggestions() {
        assert_eq!(heuristic(&input(None, &[])), None);
    }

    #[test]
    fn max_is_respected_and_results_are_deterministic() {
        let reply = "```rust\nfn a() {}\nfn b() {}\n```\n1. First\n2. Second\nAlternatively, use a crate.";
        let mut i = input(Some(reply), &[]);
        i.max = 1;
        let one = heuristic(&i).unwrap();
        assert_eq!(one.prompts.len(), 1);
        i.max = 10;
        assert_eq!(heuristic(&i).unwrap().prompts.len(), 3);
        assert_eq!(heuristic(&i), heuristic(&i));
    }
}
