//! The session pipeline: a pure core per request ([`chain`]) and the actix
//! actor that routes chains ([`Pipeline`]) between the Refiner, the cache,
//! the upstream, the Suggester and the journal.

mod actor;
pub mod answer;
pub mod chain;
mod ops;
pub mod proxied;
mod route;
mod send;

pub use crate::cache_bridge::{CacheMode, SemanticMode};
pub use crate::suggester::shell::SuggestWith;
pub use actor::{Pipeline, Settings};
pub use answer::{Answer, Looked, Sent, UpstreamCall};
pub use chain::{Ask, Chain, Input, Step};
pub use ops::{
    ActOnSuggestion, CloseSession, Decide, DecideOffer, GiveFeedback, OpenSession, SubmitPrompt, SubmitProxied,
};
pub use proxied::{Delivery, Proxied};

use serde_json::{Value, json};

/// A one-turn Messages body for `prompt`, as Lantern sends it: a user's
/// prompt (`system` is `None`), or one of Lantern's own requests (a rewrite,
/// suggestions), which never touch the response cache. The prompt leaves
/// with its secrets redacted, so neither the cache nor the model holds them.
pub fn prompt_body(model: &str, prompt: &str, system: Option<&str>, max_tokens: u32) -> Value {
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": crate::telemetry::redact(prompt).text}],
    });
    if let Some(system) = system {
        body["system"] = system.into();
    }
    body
}

/// The text blocks of a Message, joined.
pub fn answer_text(message: &Value) -> String {
    message["content"]
        .as_array()
        .map(|b| b.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect())
        .unwrap_or_default()
}
