//! Requests a frontend hands over whole (the HTTP proxy): the client's
//! Messages body is kept as sent, and the answer comes back on a channel
//! rather than only as events.
//!
//! The chain still sees a prompt: the text of the last user turn. When a
//! decision sends another text (an accepted refinement), that text replaces
//! the last turn's text blocks; everything else in the body (system, tools,
//! tool_choice, metadata, thinking, stop_sequences, cache_control, earlier
//! turns) is passed on unchanged.

use crate::cache_bridge::contract::{Failure, Processed, WireChunk};
use serde_json::Value;

/// How a request may use the response cache (the client's `x-lantern-cache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// Read the cache, store complete answers.
    #[default]
    Default,
    /// Do not read the cache; store the answer.
    NoCache,
    /// Read the cache; do not store the answer.
    NoStore,
}

impl CacheMode {
    /// The mode as Widget-Log names it. A prompt holding a secret is never
    /// stored: its answer is not written to the cache.
    pub(crate) fn wire(self, holds_secret: bool) -> &'static str {
        match (self, holds_secret) {
            (CacheMode::Default, false) => "default",
            (CacheMode::NoCache, false) => "no-cache",
            (CacheMode::NoStore, _) | (CacheMode::Default, true) => "no-store",
            (CacheMode::NoCache, true) => "off",
        }
    }
}

/// A Messages request handed over whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Proxied {
    /// The Messages body as the client sent it.
    pub body: Value,
    /// Cache namespace; `None` uses the pipeline's.
    pub namespace: Option<String>,
    /// How the cache may be used.
    pub cache: CacheMode,
    /// Extra headers to send upstream (e.g. `anthropic-beta`).
    pub headers: Vec<(String, String)>,
}

impl Proxied {
    /// Whether the client asked for a stream (`"stream": true`).
    pub fn streaming(&self) -> bool {
        self.body["stream"] == true
    }

    /// The body with the last user turn's text replaced by `text`, or as
    /// sent when `text` is that turn's text already or the last message is
    /// not a user turn (an assistant prefill is never rewritten).
    pub(crate) fn body_for(&self, text: &str) -> Value {
        if last_user_text(&self.body).is_none_or(|t| t == text) {
            return self.body.clone();
        }
        let mut body = self.body.clone();
        if let Some(last) = body["messages"].as_array_mut().and_then(|m| m.last_mut()) {
            replace_text(&mut last["content"], text);
        }
        body
    }
}

/// The text of the last message when it is a user turn: its string content,
/// or its text blocks joined by blank lines. `None` when there is no such turn.
pub fn last_user_text(body: &Value) -> Option<String> {
    let last = body["messages"].as_array()?.last()?;
    if last["role"] != "user" {
        return None;
    }
    match &last["content"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => Some(
            blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n\n"),
        ),
        _ => None,
    }
}

/// Puts `text` in place of a turn's text: the string, or the first text
/// block (keeping its `cache_control`) with the other text blocks removed.
fn replace_text(content: &mut Value, text: &str) {
    match content {
        Value::Array(blocks) => {
            let mut first = true;
            blocks.retain_mut(|b| {
                if b["type"] != "text" {
                    return true;
                }
                let keep = first;
                if first {
                    b["text"] = text.into();
                    first = false;
                }
                keep
            });
            if first {
                blocks.push(serde_json::json!({"type": "text", "text": text}));
            }
        }
        other => *other = text.into(),
    }
}

/// What a proxied request's frontend receives, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Not streaming: the answer (cache or upstream) or the upstream's failure.
    Answer(Result<Box<Processed>, Failure>),
    /// Streaming: a chunk as Widget-Log yields it (`lantern_lookup` first,
    /// then the SSE events, then `lantern_result`).
    Chunk(WireChunk),
    /// The bridge itself failed; no answer follows.
    BridgeFailed(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn proxied(body: Value) -> Proxied {
        Proxied { body, namespace: None, cache: CacheMode::Default, headers: Vec::new() }
    }

    #[test]
    fn the_last_user_turn_is_read_from_strings_and_blocks() {
        let body = json!({"messages": [{"role": "user", "content": "first"}, {"role": "assistant", "content": "a"},
            {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "image"}, {"type": "text", "text": "two"}]}]});
        assert_eq!(last_user_text(&body).as_deref(), Some("one\n\ntwo"));
        assert_eq!(last_user_text(&json!({"messages": [{"role": "assistant", "content": "x"}]})), None);
        assert_eq!(last_user_text(&json!({"messages": []})), None);
        assert_eq!(last_user_text(&json!({})), None);
    }

    #[test]
    fn an_unchanged_prompt_leaves_the_body_exactly_as_sent() {
        let body = json!({"model": "m", "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
            "tools": [{"name": "t"}], "metadata": {"user_id": "u"}, "messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(proxied(body.clone()).body_for("hi"), body);
    }

    #[test]
    fn a_new_prompt_replaces_only_the_last_turns_text() {
        let body = json!({"system": "s", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}},
            {"type": "image", "source": {}}, {"type": "text", "text": "b"}]}]});
        let out = proxied(body).body_for("NEW");
        assert_eq!(out["system"], "s");
        assert_eq!(
            out["messages"][0]["content"],
            json!([{"type": "text", "text": "NEW", "cache_control": {"type": "ephemeral"}}, {"type": "image", "source": {}}])
        );
        let out = proxied(json!({"messages": [{"role": "user", "content": "old"}]})).body_for("NEW");
        assert_eq!(out["messages"][0]["content"], "NEW");
        let prefill = json!({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "{"}]});
        assert_eq!(proxied(prefill.clone()).body_for("NEW"), prefill);
    }

    #[test]
    fn a_prompt_with_a_secret_is_never_stored() {
        assert_eq!(CacheMode::Default.wire(false), "default");
        assert_eq!(CacheMode::Default.wire(true), "no-store");
        assert_eq!(CacheMode::NoCache.wire(true), "off");
        assert_eq!(CacheMode::NoStore.wire(false), "no-store");
        assert!(proxied(json!({"stream": true})).streaming());
        assert!(!proxied(json!({"stream": "yes"})).streaming());
    }
}
