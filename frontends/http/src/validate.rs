//! What a request must look like before it enters the pipeline: its body
//! (UTF-8, JSON, the Messages fields with the right types) and Lantern's
//! own request headers. Every refusal names what is wrong.

use crate::error::ApiError;
use actix_web::http::header::HeaderMap;
use lantern_actors::pipeline::CacheMode;
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
    let list = match body.get("messages") {
        None => return Err(ApiError::invalid("messages: field required")),
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) => return Err(ApiError::invalid("messages: at least one message is required")),
        Some(_) => return Err(wrong("messages", "an array of messages")),
    };
    for (i, m) in list.iter().enumerate() {
        if !m.is_object() {
            return Err(wrong(&format!("messages.{i}"), "an object"));
        }
        if !matches!(m["role"].as_str(), Some("user" | "assistant")) {
            return Err(wrong(&format!("messages.{i}.role"), "\"user\" or \"assistant\""));
        }
        if !(m["content"].is_string() || m["content"].is_array()) {
            return Err(wrong(&format!("messages.{i}.content"), "a string or an array of content blocks"));
        }
    }
    Ok(())
}

/// A field, the check of its value, and what the check expects.
type FieldCheck = (&'static str, fn(&Value) -> bool, &'static str);

/// Optional fields: absent, or of the type the API takes.
fn optional_types(body: &Value) -> Result<(), ApiError> {
    let checks: [FieldCheck; 10] = [
        ("stream", Value::is_boolean, "a boolean"),
        ("system", |v| v.is_string() || v.is_array(), "a string or an array of text blocks"),
        ("tools", Value::is_array, "an array of tools"),
        ("tool_choice", Value::is_object, "an object"),
        ("metadata", Value::is_object, "an object"),
        ("thinking", Value::is_object, "an object"),
        ("stop_sequences", |v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)), "an array of strings"),
        ("temperature", Value::is_number, "a number"),
        ("top_p", Value::is_number, "a number"),
        ("top_k", Value::is_u64, "a non-negative integer"),
    ];
    for (field, ok, expected) in checks {
        if let Some(v) = body.get(field)
            && !v.is_null()
            && !ok(v)
        {
            return Err(wrong(field, expected));
        }
    }
    Ok(())
}

/// Checks a `POST /v1/messages` body.
pub fn messages_body(bytes: &[u8]) -> Result<Checked, ApiError> {
    let body = json_object(bytes)?;
    let model = model(&body)?;
    match body.get("max_tokens") {
        None => return Err(ApiError::invalid("max_tokens: field required")),
        Some(v) if v.as_u64().is_some_and(|n| n > 0 && n <= u64::from(u32::MAX)) => {}
        Some(_) => return Err(wrong("max_tokens", "a positive integer")),
    }
    messages(&body)?;
    optional_types(&body)?;
    Ok(Checked { body, model })
}

/// Checks a `POST /v1/messages/count_tokens` body.
pub fn count_tokens_body(bytes: &[u8]) -> Result<Value, ApiError> {
    let body = json_object(bytes)?;
    model(&body)?;
    messages(&body)?;
    optional_types(&body)?;
    Ok(body)
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

    fn msg(extra: &str) -> String {
        format!(r#"{{"model":"m","max_tokens":5,"messages":[{{"role":"user","content":"hi"}}]{extra}}}"#)
    }

    fn refused(bytes: &[u8]) -> String {
        messages_body(bytes).unwrap_err().message
    }

    #[test]
    fn a_full_request_shape_passes_unchanged() {
        let body = msg(
            r#","system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"tools":[],"tool_choice":{"type":"auto"},
               "metadata":{"user_id":"u"},"thinking":{"type":"enabled","budget_tokens":1024},"stop_sequences":["X"],"stream":true"#,
        );
        let c = messages_body(body.as_bytes()).unwrap();
        assert_eq!(c.model, "m");
        assert_eq!(c.body, serde_json::from_str::<Value>(&body).unwrap());
    }

    #[test]
    fn malformed_bodies_are_refused_with_what_is_wrong() {
        assert!(refused(b"{\"model\": \xff}").contains("UTF-8"));
        assert!(refused(b"{\"model\": ").contains("not valid JSON"));
        assert!(refused(b"[1]").contains("JSON object"));
        assert!(refused(b"").contains("not valid JSON"));
        assert!(refused(br#"{"max_tokens":5,"messages":[]}"#).starts_with("model: field required"));
        assert!(refused(br#"{"model":3,"max_tokens":5}"#).starts_with("model: expected"));
        assert!(refused(br#"{"model":"m","messages":[]}"#).starts_with("max_tokens: field required"));
        assert!(refused(br#"{"model":"m","max_tokens":"5"}"#).starts_with("max_tokens: expected"));
        assert!(refused(br#"{"model":"m","max_tokens":0}"#).starts_with("max_tokens: expected"));
        assert!(refused(br#"{"model":"m","max_tokens":5,"messages":[]}"#).contains("at least one"));
        assert!(refused(br#"{"model":"m","max_tokens":5,"messages":"hi"}"#).starts_with("messages: expected"));
        assert!(refused(br#"{"model":"m","max_tokens":5,"messages":[{"role":"bot","content":"x"}]}"#).contains("role"));
        assert!(
            refused(br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]}"#).contains("content")
        );
        assert!(refused(msg(r#","stream":"yes""#).as_bytes()).starts_with("stream: expected a boolean"));
        assert!(refused(msg(r#","stop_sequences":[1]"#).as_bytes()).starts_with("stop_sequences"));
        assert!(refused(msg(r#","tools":{}"#).as_bytes()).starts_with("tools"));
    }

    #[test]
    fn count_tokens_needs_no_max_tokens() {
        assert!(count_tokens_body(br#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#).is_ok());
        assert!(count_tokens_body(br#"{"model":"m"}"#).is_err());
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
