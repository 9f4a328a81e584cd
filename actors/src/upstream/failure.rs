//! Why an upstream call gave no usable answer, in one typed value that the
//! journal, the proxy and the CLI all read.

use std::time::Duration;

/// An upstream call that did not end in a complete answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What kind of failure (`rate_limited`, `overloaded`, `timeout`,
    /// `connection`, `malformed_response`, `stream_aborted`,
    /// `client_disconnected`, `in_flight_limit`, ...).
    pub kind: String,
    /// The upstream's HTTP status, when it sent one; for Lantern's own
    /// refusals, the status Lantern answered with.
    pub status: Option<u16>,
    /// What went wrong, for a person.
    pub message: String,
    /// Whether trying again later may succeed.
    pub retryable: bool,
    /// How long the upstream (or Lantern) asked to wait before trying again.
    pub retry_after: Option<Duration>,
    /// The provider asked (`anthropic`, `openai`, `offline`, or `lantern`
    /// when Lantern refused before asking any).
    pub provider: String,
    /// Attempts made.
    pub attempts: u32,
}

impl Failure {
    /// A failure of kind `kind` with no status.
    pub fn new(kind: &str, message: impl Into<String>, retryable: bool) -> Self {
        Failure {
            kind: kind.into(),
            status: None,
            message: message.into(),
            retryable,
            retry_after: None,
            provider: String::new(),
            attempts: 0,
        }
    }

    /// The upstream answered with an error status; `body` is what it said.
    pub fn from_status(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let (kind, retryable) = kind_for_status(status);
        let said: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let message = said
            .as_ref()
            .and_then(|v| v["error"]["message"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("upstream answered HTTP {status}"));
        Failure { status: Some(status), retry_after, ..Failure::new(kind, message, retryable) }
    }

    /// An `error` event inside a stream (`{"type":"error","error":{"type":..}}`).
    pub fn from_stream_error(data: &serde_json::Value) -> Self {
        let etype = data["error"]["type"].as_str().unwrap_or("api_error");
        let message = data["error"]["message"].as_str().unwrap_or("the upstream stream reported an error");
        let (kind, retryable) = match etype {
            "overloaded_error" => ("overloaded", true),
            "rate_limit_error" => ("rate_limited", true),
            "api_error" => ("server_error", true),
            _ => ("upstream_error", false),
        };
        Failure::new(kind, format!("{message} ({etype})"), retryable)
    }
}

/// `(kind, retryable)` of an HTTP error status.
pub fn kind_for_status(status: u16) -> (&'static str, bool) {
    match status {
        429 => ("rate_limited", true),
        529 => ("overloaded", true),
        408 => ("timeout", true),
        s if s >= 500 => ("server_error", true),
        400 => ("invalid_request", false),
        401 => ("authentication", false),
        403 => ("permission_denied", false),
        404 => ("not_found", false),
        413 => ("request_too_large", false),
        _ => ("upstream_error", false),
    }
}

/// `retry-after-ms` (milliseconds) or `retry-after` (seconds), as Anthropic sends them.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let read = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok().filter(|v| *v >= 0.0);
    if let Some(ms) = read("retry-after-ms") {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    read("retry-after").map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn statuses_map_onto_kinds() {
        assert_eq!(kind_for_status(429), ("rate_limited", true));
        assert_eq!(kind_for_status(529), ("overloaded", true));
        assert_eq!(kind_for_status(503), ("server_error", true));
        assert_eq!(kind_for_status(400), ("invalid_request", false));
        assert_eq!(kind_for_status(418), ("upstream_error", false));
    }

    #[test]
    fn the_upstreams_own_words_are_kept() {
        let body = br#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#;
        let f = Failure::from_status(429, body, Some(Duration::from_secs(7)));
        assert_eq!((f.kind.as_str(), f.status, f.message.as_str()), ("rate_limited", Some(429), "slow down"));
        assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
        assert!(Failure::from_status(502, b"<html>", None).message.contains("502"));
        let e = serde_json::json!({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}});
        let f = Failure::from_stream_error(&e);
        assert_eq!(f.kind, "overloaded");
        assert!(f.message.contains("overloaded_error"));
    }

    #[test]
    fn retry_after_reads_both_headers() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert("retry-after-ms", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
    }
}
