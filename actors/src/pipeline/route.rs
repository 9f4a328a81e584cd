//! Where a prompt goes: the request a send makes for it, and the cache key
//! that request has. One place, so that the Refiner's outlook peeks at
//! exactly the key the send will look up.

use super::proxied::Proxied;
use crate::cache_bridge::{CacheKey, CacheMode, key};
use crate::upstream::Outbound;
use std::sync::Arc;

/// What a request is built from.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// A whole request a frontend handed over.
    Proxied(Arc<Proxied>),
    /// A prompt the pipeline builds a one-turn request for.
    Prompt {
        /// The model.
        model: String,
        /// `max_tokens`.
        max_tokens: u32,
    },
}

/// A request's target, namespace and cache mode.
#[derive(Debug, Clone)]
pub(super) struct Route {
    pub target: Target,
    pub namespace: String,
    pub mode: CacheMode,
}

impl Route {
    /// The request for `prompt`, its key, and the cache mode it may use (a
    /// prompt holding a secret is never stored).
    pub fn request(&self, prompt: &str) -> (Outbound, CacheKey, CacheMode) {
        let (out, fp) = match &self.target {
            Target::Proxied(p) => (p.outbound(prompt), p.fingerprint.clone()),
            Target::Prompt { model, max_tokens } => {
                let out = Outbound::messages(super::prompt_body(model, prompt, None, *max_tokens));
                let fp = key::fingerprint(&out.json, &out.headers, "");
                (out, fp)
            }
        };
        let key = CacheKey::new(&self.namespace, &fp, &out.json);
        let holds_secret = !crate::telemetry::redact(prompt).found.is_empty();
        let mode = if holds_secret { self.mode.without_store() } else { self.mode };
        (out, key, mode)
    }

    /// The key a send of `prompt` would look up.
    pub fn key(&self, prompt: &str) -> CacheKey {
        self.request(prompt).1
    }
}
