//! Requests a frontend hands over whole (the HTTP proxy): the client's
//! request is kept byte for byte, and its answer comes back on a channel
//! as it arrives rather than only as events.
//!
//! The chain still sees a prompt: the text of the last user turn. Only
//! when that turn is plain text ([`crate::messages::plain_user_text`]) and
//! a decision sends another text does the body change, and then only that
//! text; otherwise the upstream receives exactly the bytes the client sent.

use crate::cache_bridge::{CacheMode, Fingerprint, key};
use crate::upstream::{Failure, Header, Outbound};
use bytes::Bytes;
use lantern_events::schema::{CacheOutcome, SkipReason};
use serde_json::Value;
use std::sync::Arc;

/// A Messages request handed over whole.
#[derive(Debug, Clone)]
pub struct Proxied {
    /// The body as the client sent it.
    pub raw: Bytes,
    /// The same body, parsed.
    pub body: Arc<Value>,
    /// Path and query as sent (`/v1/messages?beta=true`).
    pub path: String,
    /// The client headers that go upstream.
    pub headers: Vec<Header>,
    /// Cache namespace; `None` uses the pipeline's.
    pub namespace: Option<String>,
    /// How the cache may be used.
    pub cache: CacheMode,
    /// The request's cache fingerprint (all but the last user text).
    pub fingerprint: Fingerprint,
}

impl Proxied {
    /// A request as received: `path` with its query, the headers that pass.
    pub fn new(
        raw: Bytes,
        body: Value,
        path: String,
        headers: Vec<Header>,
        namespace: Option<String>,
        cache: CacheMode,
    ) -> Self {
        let query = path.split_once('?').map_or("", |(_, q)| q);
        let fingerprint = key::fingerprint(&body, &headers, query);
        Proxied { raw, body: Arc::new(body), path, headers, namespace, cache, fingerprint }
    }

    /// Whether the client asked for a stream (`"stream": true`).
    pub fn streaming(&self) -> bool {
        self.body["stream"] == true
    }

    /// The text the Refiner may rewrite, or why it may not.
    pub fn refinable(&self) -> Result<&str, SkipReason> {
        crate::messages::plain_user_text(&self.body)
    }

    /// The request as it goes upstream with `prompt` as its last user
    /// text: the client's bytes when that is the text already (or the turn
    /// is not plain text), else the body with only that text replaced.
    pub(crate) fn outbound(&self, prompt: &str) -> Outbound {
        let unchanged = match self.refinable() {
            Ok(text) => text == prompt,
            Err(_) => true,
        };
        let (body, json) = if unchanged {
            (self.raw.clone(), self.body.clone())
        } else {
            let v = crate::messages::with_last_text(&self.body, prompt);
            (Bytes::from(v.to_string()), Arc::new(v))
        };
        Outbound { path: self.path.clone(), headers: self.headers.clone(), body, json }
    }
}

/// What a proxied request's frontend receives, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// A cache hit: the stored Message (JSON text) to send whole or as a stream.
    Cached {
        /// The stored answer.
        message: Bytes,
        /// The lookup that found it.
        lookup: CacheOutcome,
    },
    /// The upstream's answer begins: its status and headers; [`Delivery::Body`]
    /// chunks follow, and the channel closes at its end.
    Head {
        /// HTTP status, as the upstream sent it.
        status: u16,
        /// Headers to pass back.
        headers: Vec<Header>,
        /// The lookup that missed.
        lookup: CacheOutcome,
    },
    /// Bytes of the upstream's body, as they arrived.
    Body(Bytes),
    /// The upstream's body broke off after it began.
    Broken(Failure),
    /// No answer: Lantern refused (in-flight limit) or no upstream answered
    /// (connection, timeout).
    Failed(Failure),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn proxied(body: Value) -> Proxied {
        let raw = Bytes::from(format!("{body}  "));
        Proxied::new(raw, body, "/v1/messages?beta=true".into(), Vec::new(), None, CacheMode::Default)
    }

    #[test]
    fn an_unchanged_prompt_sends_the_clients_bytes() {
        let p = proxied(json!({"model": "m", "unknown": {"x": 1}, "messages": [{"role": "user", "content": "hi"}]}));
        let out = p.outbound("hi");
        assert_eq!(out.body, p.raw);
        assert_eq!(out.path, "/v1/messages?beta=true");
        let changed = p.outbound("NEW");
        assert_ne!(changed.body, p.raw);
        assert_eq!(changed.json["messages"][0]["content"], "NEW");
        assert_eq!(changed.json["unknown"], json!({"x": 1}));
    }

    #[test]
    fn a_turn_that_is_not_plain_text_is_never_rewritten() {
        let p =
            proxied(json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]}]}));
        assert!(p.refinable().is_err());
        assert_eq!(p.outbound("anything").body, p.raw);
        assert!(proxied(json!({"stream": true, "messages": []})).streaming());
    }
}
