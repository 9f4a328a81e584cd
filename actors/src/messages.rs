//! Reading a Messages body the way Lantern needs to, and no further: the
//! last user turn's text, whether that turn is plain enough to refine, and
//! putting a decided text in its place. Everything else in the body is
//! left as sent.

use lantern_events::schema::SkipReason;
use serde_json::Value;

/// The index of the last message with the `user` role: the turn that asks.
/// Turns after it (an assistant prefill, `system` turns such as Claude
/// Code's reminders) are context.
pub fn last_user_index(body: &Value) -> Option<usize> {
    body["messages"].as_array()?.iter().rposition(|m| m["role"] == "user")
}

/// The text of the last user turn ([`last_user_index`]): its string
/// content, or its text blocks joined by blank lines. `None` when there is
/// no user turn.
pub fn last_user_text(body: &Value) -> Option<String> {
    let last = &body["messages"][last_user_index(body)?];
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

/// Keys a text block may carry and still be plain text.
const PLAIN_BLOCK_KEYS: [&str; 3] = ["type", "text", "cache_control"];

/// The last turn's text if it is a plain user text turn (a string, or one
/// text block with nothing but its text and `cache_control`): the only
/// shape the Refiner may rewrite. Otherwise why not.
pub fn plain_user_text(body: &Value) -> Result<&str, SkipReason> {
    let Some(last) = body["messages"].as_array().and_then(|m| m.last()) else {
        return Err(SkipReason::NoMessages);
    };
    if last["role"] != "user" {
        return Err(SkipReason::LastTurnNotUser { role: last["role"].as_str().unwrap_or_default().to_owned() });
    }
    match &last["content"] {
        Value::String(s) => Ok(s),
        Value::Array(blocks) => match blocks.as_slice() {
            [b] if b["type"] == "text"
                && b["text"].is_string()
                && b.as_object().is_some_and(|o| o.keys().all(|k| PLAIN_BLOCK_KEYS.contains(&k.as_str()))) =>
            {
                Ok(b["text"].as_str().unwrap_or_default())
            }
            _ => Err(SkipReason::NotPlainText {
                blocks: blocks.iter().map(|b| b["type"].as_str().unwrap_or("untyped").to_owned()).collect(),
            }),
        },
        other => Err(SkipReason::NotPlainText { blocks: vec![json_type(other).to_owned()] }),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `body` with the text of its plain last user turn replaced by `text`
/// (the one text block keeps its `cache_control`). Bodies that are not
/// plain ([`plain_user_text`]) are returned unchanged.
pub fn with_last_text(body: &Value, text: &str) -> Value {
    let mut out = body.clone();
    if plain_user_text(body).is_err() {
        return out;
    }
    if let Some(last) = out["messages"].as_array_mut().and_then(|m| m.last_mut()) {
        match &mut last["content"] {
            Value::Array(blocks) => {
                if let Some(b) = blocks.first_mut() {
                    b["text"] = text.into();
                }
            }
            content => *content = text.into(),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn the_last_user_turn_is_read_from_strings_and_blocks() {
        let body = json!({"messages": [{"role": "user", "content": "first"}, {"role": "assistant", "content": "a"},
            {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "image"}, {"type": "text", "text": "two"}]}]});
        assert_eq!(last_user_text(&body).as_deref(), Some("one\n\ntwo"));
        assert_eq!(last_user_text(&json!({"messages": [{"role": "assistant", "content": "x"}]})), None);
        let reminded = json!({"messages": [{"role": "user", "content": "q"}, {"role": "system", "content": "env"}]});
        assert_eq!(last_user_text(&reminded).as_deref(), Some("q"), "a trailing system turn is context");
        assert_eq!(last_user_text(&json!({"messages": []})), None);
        assert_eq!(last_user_text(&json!({})), None);
    }

    #[test]
    fn only_a_plain_user_text_turn_may_be_refined() {
        assert_eq!(plain_user_text(&json!({"messages": [{"role": "user", "content": "hi"}]})), Ok("hi"));
        let one = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]});
        assert_eq!(plain_user_text(&one), Ok("hi"));
        assert_eq!(plain_user_text(&json!({"messages": []})), Err(SkipReason::NoMessages));
        assert_eq!(plain_user_text(&json!({"model": "m"})), Err(SkipReason::NoMessages));
        let system = json!({"messages": [{"role": "user", "content": "q"}, {"role": "system", "content": "s"}]});
        assert_eq!(plain_user_text(&system), Err(SkipReason::LastTurnNotUser { role: "system".into() }));
        let tool = json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}, {"type": "text", "text": "go"}]}]});
        assert_eq!(
            plain_user_text(&tool),
            Err(SkipReason::NotPlainText { blocks: vec!["tool_result".into(), "text".into()] })
        );
        let two = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]});
        assert!(plain_user_text(&two).is_err());
        let cited =
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a", "citations": []}]}]});
        assert!(plain_user_text(&cited).is_err());
        let odd = json!({"messages": [{"role": "user", "content": 5}]});
        assert_eq!(plain_user_text(&odd), Err(SkipReason::NotPlainText { blocks: vec!["number".into()] }));
    }

    #[test]
    fn a_new_text_replaces_only_the_plain_turns_text() {
        let body = json!({"system": "s", "x-unknown": 1, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}}]}]});
        let out = with_last_text(&body, "NEW");
        assert_eq!(
            out["messages"][0]["content"],
            json!([{"type": "text", "text": "NEW", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!((out["system"].clone(), out["x-unknown"].clone()), (json!("s"), json!(1)));
        let s = with_last_text(&json!({"messages": [{"role": "user", "content": "old"}]}), "NEW");
        assert_eq!(s["messages"][0]["content"], "NEW");
        let prefill = json!({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "{"}]});
        assert_eq!(with_last_text(&prefill, "NEW"), prefill);
    }
}
