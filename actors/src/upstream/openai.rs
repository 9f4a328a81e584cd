//! An OpenAI-compatible `/chat/completions` server as the upstream: text
//! turns are translated to it and its answer back into an Anthropic Message,
//! so the cache, the journal and every client see one shape.
//!
//! Text content only: tools, images and other blocks are refused with an
//! `invalid_request_error` naming what cannot be translated. The call itself
//! is not streamed; a client that asked for a stream gets the answer
//! replayed as Anthropic events.

use serde_json::{Value, json};

/// Why a request cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable(pub String);

fn text_of(content: &Value, what: &str) -> Result<String, Untranslatable> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(blocks) => {
            let mut parts = Vec::new();
            for b in blocks {
                if b["type"] != "text" {
                    let kind = b["type"].as_str().unwrap_or("untyped");
                    return Err(Untranslatable(format!(
                        "{what}: the openai provider translates text blocks only, not {kind}"
                    )));
                }
                parts.push(b["text"].as_str().unwrap_or_default());
            }
            Ok(parts.join("\n\n"))
        }
        Value::Null => Ok(String::new()),
        _ => Err(Untranslatable(format!("{what}: content must be a string or text blocks"))),
    }
}

/// The `/chat/completions` body for an Anthropic Messages body.
pub fn request(body: &Value, model: Option<&str>) -> Result<Value, Untranslatable> {
    if body["tools"].as_array().is_some_and(|t| !t.is_empty()) {
        return Err(Untranslatable("the openai provider does not translate tools".into()));
    }
    let mut messages = Vec::new();
    if !body["system"].is_null() {
        messages.push(json!({"role": "system", "content": text_of(&body["system"], "system")?}));
    }
    for (i, m) in body["messages"].as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("user");
        messages.push(json!({"role": role, "content": text_of(&m["content"], &format!("messages.{i}"))?}));
    }
    let mut out = json!({
        "model": model.map_or_else(|| body["model"].clone(), Value::from),
        "messages": messages,
        "max_tokens": body["max_tokens"],
    });
    for (from, to) in [("temperature", "temperature"), ("top_p", "top_p"), ("stop_sequences", "stop")] {
        if !body[from].is_null() {
            out[to] = body[from].clone();
        }
    }
    Ok(out)
}

/// The Anthropic Message for a `/chat/completions` answer; `None` when it
/// is not one.
pub fn message(answer: &Value, model: &str) -> Option<Value> {
    let choice = answer["choices"].get(0)?;
    let text = choice["message"]["content"].as_str().unwrap_or_default();
    let stop = match choice["finish_reason"].as_str() {
        Some("length") => "max_tokens",
        Some("tool_calls") => "tool_use",
        _ => "end_turn",
    };
    let id = answer["id"].as_str().map_or_else(|| "msg_oai".to_owned(), |i| format!("msg_oai_{i}"));
    Some(json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": answer["model"].as_str().unwrap_or(model),
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {
            "input_tokens": answer["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            "output_tokens": answer["usage"]["completion_tokens"].as_u64().unwrap_or(0),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_turns_translate_both_ways() {
        let body = json!({"model": "m", "max_tokens": 9, "system": [{"type": "text", "text": "be brief"}],
            "temperature": 0.2, "stop_sequences": ["X"],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]});
        let r = request(&body, Some("local")).unwrap();
        assert_eq!(r["model"], "local");
        assert_eq!(
            r["messages"],
            json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "a\n\nb"}])
        );
        assert_eq!((r["stop"].clone(), r["max_tokens"].clone()), (json!(["X"]), json!(9)));
        let answer = json!({"id": "c1", "model": "local", "choices": [{"message": {"content": "hi"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1}});
        let m = message(&answer, "m").unwrap();
        assert_eq!((m["stop_reason"].clone(), m["content"][0]["text"].clone()), (json!("max_tokens"), json!("hi")));
        assert_eq!(m["usage"]["input_tokens"], 3);
        assert!(message(&json!({"choices": []}), "m").is_none());
    }

    #[test]
    fn what_cannot_be_translated_is_named() {
        let tools = json!({"messages": [], "tools": [{"name": "t"}]});
        assert!(request(&tools, None).unwrap_err().0.contains("tools"));
        let image = json!({"messages": [{"role": "user", "content": [{"type": "image"}]}]});
        assert!(request(&image, None).unwrap_err().0.contains("image"));
    }
}
