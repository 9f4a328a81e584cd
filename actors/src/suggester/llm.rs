//! LLM mode: the upstream is asked for next prompts as a JSON array, from
//! either the last assistant reply or the user's last N turns. The request
//! names exactly the input it uses, so the event's `context` is true.

use super::Suggestions;
use lantern_events::schema::{SuggestionContext, SuggestionOrigin};

/// What LLM mode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The last assistant reply.
    LastAssistant,
    /// Up to this many of the user's latest turns.
    History(u8),
}

/// A request for suggestions, ready to send upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// System prompt.
    pub system: String,
    /// The one user message.
    pub user: String,
    /// The context actually used (history depth is what was available).
    pub context: SuggestionContext,
}

const SYSTEM: &str = "You suggest what a developer could ask next. Reply with only a JSON array of 1 to 3 short, \
specific prompts (strings), written as the developer would type them. No prose, no numbering.";

/// Builds the request; `None` when the chosen input is empty.
pub fn request(source: Source, last_assistant: Option<&str>, user_turns: &[&str], max: usize) -> Option<Request> {
    let max = max.clamp(1, 3);
    let (user, context) = match source {
        Source::LastAssistant => {
            let reply = last_assistant.map(str::trim).filter(|r| !r.is_empty())?;
            (
                format!("The assistant's last reply:\n\n{reply}\n\nSuggest up to {max} next prompts."),
                SuggestionContext::LastAssistant,
            )
        }
        Source::History(depth) => {
            let take = usize::from(depth).min(user_turns.len());
            if take == 0 {
                return None;
            }
            let recent = &user_turns[user_turns.len() - take..];
            let listed: Vec<String> =
                recent.iter().enumerate().map(|(i, t)| format!("{}. {}", i + 1, t.trim())).collect();
            let user = format!(
                "The developer's last {take} prompt(s), oldest first:\n\n{}\n\nSuggest up to {max} next prompts.",
                listed.join("\n")
            );
            (user, SuggestionContext::History { depth: u8::try_from(take).unwrap_or(u8::MAX) })
        }
    };
    Some(Request { system: SYSTEM.into(), user, context })
}

/// Reads the suggestions out of the model's reply: the first JSON array of
/// strings in it. `None` when there is none (the caller falls back to the
/// heuristic, labelled as such).
pub fn parse(reply: &str, max: usize, context: SuggestionContext) -> Option<Suggestions> {
    let start = reply.find('[')?;
    let end = reply.rfind(']')?;
    let items: Vec<serde_json::Value> = serde_json::from_str(reply.get(start..=end)?).ok()?;
    let mut prompts: Vec<String> = Vec::new();
    for s in items.iter().filter_map(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty()) {
        if prompts.len() < max.clamp(1, 3) && !prompts.iter().any(|p| p == s) {
            prompts.push(s.to_owned());
        }
    }
    (!prompts.is_empty()).then_some(Suggestions { prompts, origin: SuggestionOrigin::Llm, context })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_history_mode_then_the_context_says_how_many_turns_were_used() {
        let r = request(Source::History(3), Some("reply"), &["one", "two"], 3).unwrap();
        assert_eq!(r.context, SuggestionContext::History { depth: 2 });
        assert!(r.user.contains("1. one\n2. two") && !r.user.contains("reply"));
        let r = request(Source::History(1), None, &["one", "two"], 3).unwrap();
        assert_eq!(r.context, SuggestionContext::History { depth: 1 });
        assert!(r.user.contains("1. two") && !r.user.contains("one"));
        assert_eq!(request(Source::History(3), None, &[], 3), None);
    }

    #[test]
    fn given_reply_mode_then_only_the_reply_is_sent() {
        let r = request(Source::LastAssistant, Some("Use reversed()."), &["secret turn"], 2).unwrap();
        assert_eq!(r.context, SuggestionContext::LastAssistant);
        assert!(r.user.contains("Use reversed().") && !r.user.contains("secret turn"));
        assert_eq!(request(Source::LastAssistant, Some("  "), &["x"], 2), None);
    }

    #[test]
    fn parsing_takes_the_first_json_array_of_strings() {
        let ctx = SuggestionContext::LastAssistant;
        let s = parse(
            "Sure:\n[\"Add tests\", \"Add tests\", \" \", \"Handle errors\", 4, \"Benchmark it\", \"Extra\"]",
            3,
            ctx,
        )
        .unwrap();
        assert_eq!(s.prompts, ["Add tests", "Handle errors", "Benchmark it"]);
        assert_eq!(s.origin, SuggestionOrigin::Llm);
        assert_eq!(parse("no array here", 3, ctx), None);
        assert_eq!(parse("[1, 2]", 3, ctx), None);
        assert_eq!(parse("[\"a\"", 3, ctx), None);
    }
}
