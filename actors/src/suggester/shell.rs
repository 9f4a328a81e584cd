//! The Suggester's I/O: the user turns each session remembers, and the
//! model's suggestions in LLM mode. The core ([`super::heuristic`],
//! [`super::llm`]) stays pure.

use super::llm::{self, Source};
use super::{SuggestInput, Suggestions, heuristic};
use crate::upstream::Upstream;
use std::collections::VecDeque;

/// The user turns a session remembers (a proxy's session lives as long as
/// the server: it must not grow without end).
const REMEMBERED_TURNS: usize = 32;

/// Where suggestions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestWith {
    /// Local rules (offline).
    Heuristic,
    /// The upstream model, from this input; the heuristic answers when the
    /// model gives nothing usable (and is labelled as such).
    Llm(Source),
}

/// A session's latest user turns, oldest first.
#[derive(Debug, Default, Clone)]
pub struct Turns(VecDeque<String>);

impl Turns {
    /// Remembers a turn (the user's own words, not Lantern's additions).
    pub fn push(&mut self, turn: String) {
        self.0.push_back(turn);
        if self.0.len() > REMEMBERED_TURNS {
            self.0.pop_front();
        }
    }

    /// The turns, oldest first.
    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

/// How to suggest.
#[derive(Clone)]
pub struct Suggesting {
    /// Where suggestions come from.
    pub with: SuggestWith,
    /// How many (0: none).
    pub max: usize,
    /// The model, in LLM mode.
    pub upstream: Upstream,
    /// The model to ask.
    pub model: String,
}

/// Next prompts after `reply`, from the model in LLM mode, else (or when
/// the model gives nothing usable) from the heuristic.
pub async fn suggest(how: Suggesting, reply: String, turns: Vec<String>) -> Option<Suggestions> {
    if how.max == 0 {
        return None;
    }
    let refs: Vec<&str> = turns.iter().map(String::as_str).collect();
    let rules = || heuristic(&SuggestInput { last_assistant: Some(&reply), user_turns: &refs, max: how.max });
    let SuggestWith::Llm(source) = how.with else { return rules() };
    let Some(ask) = llm::request(source, Some(&reply), &refs, how.max) else { return rules() };
    let body = crate::pipeline::prompt_body(&how.model, &ask.user, Some(&ask.system), 300);
    let upstream = how.upstream.clone();
    let answer = how.upstream.spawn(async move { upstream.create(body).await }).await;
    let from_llm = match answer {
        Some(Ok(message)) => llm::parse(&crate::pipeline::answer_text(&message), how.max, ask.context),
        _ => None,
    };
    from_llm.or_else(rules)
}
