//! The JSON requests the pipeline sends to Widget-Log: a prompt it builds
//! a request for, or a whole request a frontend handed over.

use super::proxied::Proxied;

/// How the pipeline's requests to Widget-Log look; cloned into futures.
#[derive(Clone)]
pub(super) struct Shape {
    pub(super) max_tokens: u32,
    pub(super) namespace: String,
    pub(super) api_key: Option<String>,
}

impl Shape {
    /// The prompt as it may leave Lantern: secrets redacted, so that neither
    /// the response cache nor the upstream model ever holds them.
    fn outbound(prompt: &str) -> std::borrow::Cow<'_, str> {
        crate::telemetry::redact(prompt).text
    }

    /// A request for the user's prompt (`system` is `None`), or one of
    /// Lantern's own calls (rewrite, suggestions), which never touch the
    /// response cache: a cached answer to another prompt's rewrite is wrong.
    pub(super) fn body(&self, model: &str, prompt: &str, system: Option<&str>, max_tokens: u32) -> String {
        let mut r = serde_json::json!({
            "request": {
                "model": model,
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": Self::outbound(prompt)}],
            },
            "namespace": self.namespace,
        });
        if let Some(system) = system {
            r["request"]["system"] = system.into();
            r["cache"] = "off".into();
        }
        if let Some(key) = &self.api_key {
            r["api_key"] = key.as_str().into();
        }
        r.to_string()
    }

    /// A whole request handed over by a frontend, sent as is but for the
    /// last user turn's text (`prompt`, when a decision changed it). With
    /// `lookup_event`, a stream announces the cache's outcome first.
    pub(super) fn proxied(&self, p: &Proxied, prompt: &str, lookup_event: bool) -> String {
        let holds_secret = !crate::telemetry::redact(prompt).found.is_empty();
        let headers: serde_json::Map<String, serde_json::Value> =
            p.headers.iter().map(|(k, v)| (k.clone(), v.as_str().into())).collect();
        let mut r = serde_json::json!({
            "request": p.body_for(prompt),
            "namespace": p.namespace.as_deref().unwrap_or(&self.namespace),
            "cache": p.cache.wire(holds_secret),
            "headers": headers,
        });
        if lookup_event {
            r["lookup_event"] = true.into();
        }
        if let Some(key) = &self.api_key {
            r["api_key"] = key.as_str().into();
        }
        r.to_string()
    }
}
