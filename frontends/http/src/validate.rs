//! What Lantern itself checks before a request enters the pipeline — only
//! what it needs for its own job: a JSON object, a `model` string, a
//! `messages` array (the size limit is checked while reading), and Lantern's
//! own request headers. Every other field, role, block type and value is the
//! upstream's to judge: it passes through as sent, and the upstream's verdict
//! comes back unchanged. Every refusal names what is wrong.

use crate::error::ApiError;
use actix_web::http::header::HeaderMap;
use lantern_actors::cache_bridge::CacheMode;
use serde_json::Value;

/// The longest namespace accepted.
const MAX_NAMESPACE: usize = 128;

/// A Messages body that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The body as sent.
    pub body: Value,
    /// Its model.
    pub model: String,
}

/// Parses a body: UTF-8, then JSON, then a JSON object.
pub fn json_object(bytes: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::invalid(format!("request body is not valid UTF-8 (at byte {})", e.valid_up_to())))?;
    let body: Value =
        serde_json::from_str(text).map_err(|e| ApiError::invalid(format!("request body is not valid JSON: {e}")))?;
    if !body.is_object() {
        return Err(ApiError::invalid("request body must be a JSON object"));
    }
    Ok(body)
}

fn wrong(field: &str, expected: &str) -> ApiError {
    ApiError::invalid(format!("{field}: expected {expected}"))
}

fn model(body: &Value) -> Result<String, ApiError> {
    match body.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => Ok(m.clone()),
        None => Err(ApiError::invalid("model: field required")),
        Some(_) => Err(wrong("model", "a non-empty string")),
    }
}

fn messages(body: &Value) -> Result<(), ApiError> {
    match body.get("messages") {
        Some(Value::Array(_)) => Ok(()),
        None => Err(ApiError::invalid("messages: field required")),
        Some(_) => Err(wrong("messages", "an array of messages")),
    }
}

/// Checks a `POST /v1/messages` or `/v1/messages/count_tokens` body.
pub fn messages_body(bytes: &[u8]) -> Result<Checked, ApiError> {
    let body = json_object(bytes)?;
    let model = model(&body)?;
    messages(&body)?;
    Ok(Checked { body, model })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| v.to_str().map(str::trim).map_err(|_| ApiError::invalid(format!("{name}: not a printable value"))))
        .transpose()
}

/// `x-lantern-cache`: absent, `no-cache` or `no-store`.
pub fn cache_mode(headers: &HeaderMap) -> Result<CacheMode, ApiError> {
    match header(headers, "x-lantern-cache")?.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(CacheMode::Default),
        Some("no-cache") => Ok(CacheMode::NoCache),
        Some("no-store") => Ok(CacheMode::NoStore),
        Some(other) => Err(ApiError::invalid(format!("x-lantern-cache: expected no-cache or no-store, got {other:?}"))),
    }
}

/// `x-lantern-namespace`: 1–128 of `A-Z a-z 0-9 . _ - : /`.
pub fn namespace(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(ns) = header(headers, "x-lantern-namespace")? else { return Ok(None) };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-:/".contains(c);
    if ns.is_empty() || ns.len() > MAX_NAMESPACE || !ns.chars().all(allowed) {
        return Err(ApiError::invalid(format!(
            "x-lantern-namespace: 1 to {MAX_NAMESPACE} characters of letters, digits and . _ - : /"
        )));
    }
    Ok(Some(ns.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn refused(bytes: &[u8]) -> String {
        messages_body(bytes).unwrap_err().message
    }

    #[test]
    fn what_lantern_does_not_need_is_not_checked() {
        let body = r#"{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"invented","x":1}]}],
            "invented_field":{"a":[1]},"thinking":{"type":"adaptive"},"stream":"yes","max_tokens":"many","tools":{}}"#;
        let c = messages_body(body.as_bytes()).unwrap();
        assert_eq!(c.model, "m");
        assert_eq!(c.body, serde_json::from_str::<Value>(body).unwrap());
        assert!(messages_body(br#"{"model":"m","messages":[]}"#).is_ok());
    }

    #[test]
    fn what_lantern_needs_is_refused_with_what_is_wrong() {
        assert!(refused(b"{\"model\": \xff}").contains("UTF-8"));
        assert!(refused(b"{\"model\": ").contains("not valid JSON"));
        assert!(refused(b"[1]").contains("JSON object"));
        assert!(refused(b"").contains("not valid JSON"));
        assert!(refused(br#"{"messages":[]}"#).starts_with("model: field required"));
        assert!(refused(br#"{"model":3,"messages":[]}"#).starts_with("model: expected"));
        assert!(refused(br#"{"model":"  ","messages":[]}"#).starts_with("model: expected"));
        assert!(refused(br#"{"model":"m"}"#).starts_with("messages: field required"));
        assert!(refused(br#"{"model":"m","messages":"hi"}"#).starts_with("messages: expected"));
    }

    #[test]
    fn lantern_headers_are_checked() {
        let mut h = HeaderMap::new();
        assert_eq!(cache_mode(&h).unwrap(), CacheMode::Default);
        assert_eq!(namespace(&h).unwrap(), None);
        h.insert(HeaderName::from_static("x-lantern-cache"), HeaderValue::from_static("No-Store"));
        assert_eq!(cache_mode(&h).unwrap(), CacheMode::NoStore);
        h.insert(HeaderName::from_static("x-lantern-cache"), HeaderValue::from_static("sometimes"));
        assert!(cache_mode(&h).unwrap_err().message.contains("sometimes"));
        h.insert(HeaderName::from_static("x-lantern-namespace"), HeaderValue::from_static("team/app-1"));
        assert_eq!(namespace(&h).unwrap().as_deref(), Some("team/app-1"));
        for bad in ["", "a b", "x@offline"] {
            h.insert(HeaderName::from_static("x-lantern-namespace"), HeaderValue::from_str(bad).unwrap());
            assert!(namespace(&h).is_err(), "{bad:?}");
        }
        h.insert(HeaderName::from_static("x-lantern-namespace"), HeaderValue::from_bytes(b"\xff").unwrap());
        assert!(namespace(&h).unwrap_err().message.contains("printable"));
    }
}
