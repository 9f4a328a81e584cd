//! The cache key: what must be equal for a cached answer to be the answer.
//!
//! The **fingerprint** covers the whole request — every field, known to
//! Lantern or not, every earlier turn, the non-text blocks of the last turn,
//! the `anthropic-beta` and `anthropic-version` headers and the query
//! string — except the short list of answer-neutral fields below and the
//! text of the last user turn (the last message with the `user` role; turns
//! after it, such as `system` reminders, are part of the fingerprint). Semantic matching compares only entries with
//! the same fingerprint and namespace. The **exact key** adds the last user
//! turn's text, normalised ([`normalise_text`]).
//!
//! Answer-neutral, and so left out:
//! - `stream` (top level): the transport, not the answer;
//! - `metadata` (top level): who is asking (`user_id`), per session;
//! - `cache_control` (at any depth): Anthropic's prompt-cache markers.

use super::super::upstream::Header;
use serde_json::Value;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// Top-level fields left out of the fingerprint.
pub const NEUTRAL_FIELDS: [&str; 2] = ["stream", "metadata"];
/// Keys left out at any depth.
pub const NEUTRAL_KEYS: [&str; 1] = ["cache_control"];
/// Request headers that are part of the fingerprint.
pub const KEYED_HEADERS: [&str; 2] = ["anthropic-beta", "anthropic-version"];

/// The answer-changing context of a request, hashed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub String);

/// A request's full cache key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// Cache namespace (a tenant: nothing crosses namespaces).
    pub namespace: String,
    /// The context ([`fingerprint`]).
    pub fingerprint: Fingerprint,
    /// Namespace, fingerprint and normalised last user text, hashed.
    pub exact: String,
    /// The normalised last user text (what semantic matching compares).
    pub text: String,
    /// The request's model.
    pub model: String,
}

impl CacheKey {
    /// The key of `body` (with its fingerprint `fp`) in `namespace`.
    pub fn new(namespace: &str, fp: &Fingerprint, body: &Value) -> Self {
        let text = normalise_text(&crate::messages::last_user_text(body).unwrap_or_default());
        let exact = hex(Sha256::new()
            .chain_update(namespace.as_bytes())
            .chain_update([0])
            .chain_update(fp.0.as_bytes())
            .chain_update([0])
            .chain_update(text.as_bytes())
            .finalize()
            .as_slice());
        CacheKey {
            namespace: namespace.to_owned(),
            fingerprint: fp.clone(),
            exact,
            text,
            model: body["model"].as_str().unwrap_or_default().to_owned(),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// NFC, `\n` line endings, trailing whitespace of each line and of the
/// whole removed: two texts that differ only so ask the same thing.
pub fn normalise_text(text: &str) -> String {
    let nfc: String = text.nfc().collect();
    let unified = nfc.replace("\r\n", "\n").replace('\r', "\n");
    unified.split('\n').map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_owned()
}

/// The body as the fingerprint sees it: neutral fields gone, and the last
/// user turn ([`crate::messages::last_user_index`]) without its text blocks
/// (every turn after it stays whole).
pub fn keyed_body(body: &Value) -> Value {
    let mut v = strip_neutral(body, true);
    let at = crate::messages::last_user_index(&v);
    if let Some(last) = at.and_then(|i| v["messages"].get_mut(i)) {
        match &mut last["content"] {
            Value::Array(blocks) => blocks.retain(|b| b["type"] != "text"),
            content @ Value::String(_) => *content = Value::Array(Vec::new()),
            _ => {}
        }
    }
    v
}

fn is_neutral(key: &str, top: bool) -> bool {
    NEUTRAL_KEYS.contains(&key) || (top && NEUTRAL_FIELDS.contains(&key))
}

fn strip_neutral(v: &Value, top: bool) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| !is_neutral(k, top)).map(|(k, v)| (k.clone(), strip_neutral(v, false))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| strip_neutral(v, false)).collect()),
        other => other.clone(),
    }
}

/// The fingerprint of a request: its body, the keyed headers and its query.
pub fn fingerprint(body: &Value, headers: &[Header], query: &str) -> Fingerprint {
    let mut h = Sha256::new();
    let mut canon = String::with_capacity(1024);
    canonical(&keyed_body(body), &mut canon);
    h.update(canon.as_bytes());
    for name in KEYED_HEADERS {
        let mut values: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| String::from_utf8_lossy(v).split(',').map(|s| s.trim().to_owned()).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect();
        values.sort();
        values.dedup();
        h.update([0]);
        h.update(name.as_bytes());
        h.update([b'=']);
        h.update(values.join(",").as_bytes());
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    params.sort_unstable();
    h.update([0]);
    h.update(params.join("&").as_bytes());
    Fingerprint(hex(h.finalize().as_slice()))
}

/// JSON with object keys sorted, whatever order the map keeps them in.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Where two bodies differ once the neutral fields are left out: JSON paths
/// such as `system[2].text` (empty when they share a fingerprint, headers
/// and query aside).
pub fn differences(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(&strip_neutral(a, true), &strip_neutral(b, true), String::new(), &mut out);
    out
}

fn diff(a: &Value, b: &Value, path: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff(u, v, p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path} (length {} vs {})", x.len(), y.len()));
            }
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff(u, v, format!("{path}[{i}]"), out);
            }
        }
        (x, y) if x != y => out.push(path),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": false, "metadata": {"user_id": "a"},
               "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
               "thinking": {"type": "adaptive"},
               "messages": [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "ok"},
                            {"role": "system", "content": "reminder"},
                            {"role": "user", "content": [{"type": "text", "text": "How do I sort?"}]}]})
    }

    fn fp(b: &Value) -> Fingerprint {
        fingerprint(b, &[], "")
    }

    #[test]
    fn each_answer_neutral_field_is_ignored() {
        let base = fp(&body());
        let mut b = body();
        b["stream"] = true.into();
        assert_eq!(fp(&b), base, "stream");
        let mut b = body();
        b["metadata"] = json!({"user_id": "{\"session_id\":\"other\"}"});
        assert_eq!(fp(&b), base, "metadata");
        let mut b = body();
        b["system"][0]["cache_control"] = json!({"type": "ephemeral", "ttl": "1h"});
        b["messages"][0]["content"] =
            json!([{"type": "text", "text": "earlier", "cache_control": {"type": "ephemeral"}}]);
        let mut plain = body();
        plain["messages"][0]["content"] = json!([{"type": "text", "text": "earlier"}]);
        assert_eq!(fp(&b), fp(&plain), "cache_control");
    }

    #[test]
    fn everything_else_counts_known_to_lantern_or_not() {
        let base = fp(&body());
        type Change = Box<dyn Fn(&mut Value)>;
        let changes: Vec<(&str, Change)> = vec![
            ("an invented field", Box::new(|b| b["context_management"] = json!({"edits": []}))),
            ("thinking", Box::new(|b| b["thinking"] = json!({"type": "enabled", "budget_tokens": 1024}))),
            ("system", Box::new(|b| b["system"][0]["text"] = "You are verbose.".into())),
            ("a system turn", Box::new(|b| b["messages"][2]["content"] = "other reminder".into())),
            ("an earlier turn", Box::new(|b| b["messages"][0]["content"] = "different".into())),
            (
                "a block of the last turn",
                Box::new(|b| {
                    b["messages"][3]["content"].as_array_mut().unwrap().push(json!({"type": "future_block", "x": 1}))
                }),
            ),
            (
                "a trailing system turn",
                Box::new(|b| {
                    b["messages"].as_array_mut().unwrap().push(json!({"role": "system", "content": "today is Tuesday"}))
                }),
            ),
            ("max_tokens", Box::new(|b| b["max_tokens"] = 101.into())),
            ("model", Box::new(|b| b["model"] = "claude-opus-4".into())),
        ];
        for (what, change) in changes {
            let mut b = body();
            change(&mut b);
            assert_ne!(fp(&b), base, "{what}");
        }
        assert_eq!(fp(&body()), base, "the last turn's text is not part of the fingerprint");
    }

    #[test]
    fn betas_version_and_query_count_in_any_order() {
        let h = |v: &str| vec![("anthropic-beta".to_owned(), v.as_bytes().to_vec())];
        let b = body();
        assert_eq!(fingerprint(&b, &h("a, b"), ""), fingerprint(&b, &h("b,a"), ""));
        assert_ne!(fingerprint(&b, &h("a"), ""), fingerprint(&b, &h("a,c"), ""));
        assert_ne!(fingerprint(&b, &[], "beta=true"), fp(&b));
        assert_eq!(fingerprint(&b, &[], "x=1&beta=true"), fingerprint(&b, &[], "beta=true&x=1"));
        let v = vec![("anthropic-version".to_owned(), b"2023-06-01".to_vec())];
        assert_ne!(fingerprint(&b, &v, ""), fp(&b));
    }

    #[test]
    fn the_exact_key_adds_the_normalised_last_text_and_the_namespace() {
        let b = body();
        let f = fp(&b);
        let k = CacheKey::new("default", &f, &b);
        assert_eq!(k.text, "How do I sort?");
        let mut spaced = body();
        spaced["messages"][3]["content"] = "  How do I sort?  \r\n".into();
        assert_eq!(CacheKey::new("default", &fp(&spaced), &spaced).exact, k.exact);
        assert_ne!(CacheKey::new("team", &f, &b).exact, k.exact);
        let mut other = body();
        other["messages"][3]["content"] = "How do I sort? fast".into();
        assert_ne!(CacheKey::new("default", &f, &other).exact, k.exact);
        assert_eq!(normalise_text("e\u{301}  \r\nb\r"), "\u{e9}\nb");
    }

    #[test]
    fn differences_name_the_paths() {
        let a = body();
        let mut b = body();
        b["metadata"]["user_id"] = "other".into();
        assert!(differences(&a, &b).is_empty());
        b["system"][0]["text"] = "x".into();
        b["new"] = 1.into();
        b["messages"].as_array_mut().unwrap().pop();
        assert_eq!(differences(&a, &b), ["messages (length 4 vs 3)", "new", "system[0].text"]);
    }
}
