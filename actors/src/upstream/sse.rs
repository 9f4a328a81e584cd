//! Anthropic's server-sent events: read from a byte stream as it arrives,
//! folded into the final Message, and a Message replayed as a well-formed
//! stream (a cache hit, an offline or translated answer).

use super::Failure;
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::HashMap;

/// One event: its name and its `data` line(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// The `event:` field (`message` when absent, as SSE defines).
    pub name: String,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
}

/// Splits a byte stream into events, whatever the chunk boundaries.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
}

impl Parser {
    /// Takes the next bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<RawEvent> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut start = 0;
        while let Some((end, next)) = boundary(&self.buf[start..]) {
            if let Some(e) = parse_event(&self.buf[start..start + end]) {
                out.push(e);
            }
            start += next;
        }
        self.buf.drain(..start);
        out
    }

    /// Whether bytes are left that end no event (a stream cut mid-event).
    pub fn has_partial(&self) -> bool {
        self.buf.iter().any(|b| !b.is_ascii_whitespace())
    }
}

/// The end of the first event in `buf` and where the next one starts.
fn boundary(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'\n' if buf.get(i + 1) == Some(&b'\n') => return Some((i, i + 2)),
            b'\n' if buf.get(i + 1..i + 3) == Some(b"\r\n") => return Some((i, i + 3)),
            b'\r' if buf.get(i + 1..i + 4) == Some(b"\n\r\n") => return Some((i, i + 4)),
            b'\r' if buf.get(i + 1) == Some(&b'\r') => return Some((i, i + 2)),
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_event(block: &[u8]) -> Option<RawEvent> {
    let text = String::from_utf8_lossy(block);
    let (mut name, mut data, mut any) = (None, Vec::new(), false);
    for line in text.split(['\n', '\r']).filter(|l| !l.is_empty() && !l.starts_with(':')) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
        any = true;
    }
    any.then(|| RawEvent { name: name.unwrap_or_else(|| "message".into()), data: data.join("\n") })
}

/// Folds streamed events into the final Message, checking their order.
#[derive(Debug, Default)]
pub struct Accumulator {
    message: Option<Value>,
    partial_json: HashMap<usize, String>,
    open_block: Option<usize>,
    done: bool,
    failed: Option<Failure>,
}

fn out_of_order(what: impl std::fmt::Display) -> Failure {
    Failure::new("malformed_response", format!("upstream stream out of order: {what}"), false)
}

impl Accumulator {
    /// Takes one event. After the first problem, later events are ignored.
    pub fn feed(&mut self, event: &RawEvent) {
        if self.failed.is_some() || self.done {
            return;
        }
        if event.name == "ping" {
            return;
        }
        let data: Value = match serde_json::from_str(&event.data) {
            Ok(v) => v,
            Err(e) => {
                self.failed = Some(Failure::new(
                    "malformed_response",
                    format!("upstream sent an event ({}) whose data is not JSON: {e}", event.name),
                    false,
                ));
                return;
            }
        };
        if let Err(f) = self.apply(&event.name, data) {
            self.failed = Some(f);
        }
    }

    fn apply(&mut self, name: &str, mut data: Value) -> Result<(), Failure> {
        if name == "error" {
            return Err(Failure::from_stream_error(&data));
        }
        if name == "message_start" {
            if self.message.is_some() {
                return Err(out_of_order("a second message_start"));
            }
            let mut m = data["message"].take();
            if !m.is_object() {
                return Err(out_of_order("message_start without a message"));
            }
            if !m["content"].is_array() {
                m["content"] = json!([]);
            }
            self.message = Some(m);
            return Ok(());
        }
        let Some(message) = self.message.as_mut() else { return Err(out_of_order(format!("{name} first"))) };
        let index = data["index"].as_u64().map(|i| i as usize);
        match name {
            "content_block_start" => {
                let content = content_of(message)?;
                let i = index.unwrap_or(content.len());
                while content.len() <= i {
                    content.push(json!({}));
                }
                content[i] = data["content_block"].take();
                self.open_block = Some(i);
            }
            "content_block_delta" => {
                let i = index.unwrap_or(0);
                if self.open_block != Some(i) {
                    return Err(out_of_order(format!("a delta for block {i}, which is not open")));
                }
                let block = content_of(message)?.get_mut(i).ok_or_else(|| out_of_order("a delta for no block"))?;
                let delta = &data["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => append(block, "text", delta["text"].as_str()),
                    Some("thinking_delta") => append(block, "thinking", delta["thinking"].as_str()),
                    Some("signature_delta") => block["signature"] = delta["signature"].clone(),
                    Some("input_json_delta") => self
                        .partial_json
                        .entry(i)
                        .or_default()
                        .push_str(delta["partial_json"].as_str().unwrap_or_default()),
                    Some("citations_delta") => {
                        if !block["citations"].is_array() {
                            block["citations"] = json!([]);
                        }
                        if let Some(list) = block["citations"].as_array_mut() {
                            list.push(delta["citation"].clone());
                        }
                    }
                    // A delta type this build does not know still arrives whole at the client.
                    _ => {}
                }
            }
            "content_block_stop" => {
                let i = index.unwrap_or(0);
                if let Some(raw) = self.partial_json.remove(&i) {
                    let input: Value = if raw.trim().is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&raw).map_err(|e| {
                            Failure::new("malformed_response", format!("tool input is not JSON: {e}"), false)
                        })?
                    };
                    if let Some(block) = content_of(message)?.get_mut(i) {
                        block["input"] = input;
                    }
                }
                self.open_block = None;
            }
            "message_delta" => {
                for k in ["stop_reason", "stop_sequence"] {
                    if let Some(v) = data["delta"].get(k) {
                        message[k] = v.clone();
                    }
                }
                if let Some(usage) = data["usage"].as_object() {
                    if !message["usage"].is_object() {
                        message["usage"] = json!({});
                    }
                    for (k, v) in usage.iter().filter(|(_, v)| !v.is_null()) {
                        message["usage"][k] = v.clone();
                    }
                }
            }
            "message_stop" => self.done = true,
            // Unknown events pass to the client; they change nothing here.
            _ => {}
        }
        Ok(())
    }

    /// The assembled Message, or why the stream gave none.
    pub fn finish(self) -> Result<Value, Failure> {
        if let Some(f) = self.failed {
            return Err(f);
        }
        match self.message {
            Some(m) if self.done => Ok(m),
            _ => Err(Failure::new("stream_aborted", "the upstream stream ended before message_stop", true)),
        }
    }
}

fn content_of(message: &mut Value) -> Result<&mut Vec<Value>, Failure> {
    message["content"].as_array_mut().ok_or_else(|| out_of_order("content is not a list"))
}

fn append(block: &mut Value, field: &str, piece: Option<&str>) {
    let piece = piece.unwrap_or_default();
    match block.get_mut(field) {
        Some(Value::String(s)) => s.push_str(piece),
        _ => block[field] = piece.into(),
    }
}

/// One event as Anthropic frames it.
pub fn frame(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// An `error` event, for a stream that broke off after it began.
pub fn error_frame(kind: &str, message: &str) -> Bytes {
    frame("error", &json!({"type": "error", "error": {"type": kind, "message": message}}))
}

/// Characters of text per replayed delta.
const CHUNK_CHARS: usize = 64;

/// A complete Message as a well-formed stream: message_start, each block
/// (start, deltas, stop), message_delta, message_stop.
pub fn replay(message: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let usage = message["usage"].clone();
    let output_tokens = usage["output_tokens"].as_u64().unwrap_or(0);
    let mut start = message.clone();
    if let Some(m) = start.as_object_mut() {
        m.insert("content".into(), json!([]));
        m.insert("stop_reason".into(), Value::Null);
        m.insert("stop_sequence".into(), Value::Null);
        let mut u = if usage.is_object() { usage.clone() } else { json!({}) };
        u["output_tokens"] = output_tokens.min(1).into();
        m.insert("usage".into(), u);
    }
    out.push(("message_start", json!({"type": "message_start", "message": start})));
    let empty = Vec::new();
    for (i, block) in message["content"].as_array().unwrap_or(&empty).iter().enumerate() {
        let start = |b: Value| json!({"type": "content_block_start", "index": i, "content_block": b});
        let delta = |d: Value| json!({"type": "content_block_delta", "index": i, "delta": d});
        match block["type"].as_str() {
            Some("text") => {
                out.push(("content_block_start", start(json!({"type": "text", "text": ""}))));
                let text = block["text"].as_str().unwrap_or_default();
                for piece in chunks(text) {
                    out.push(("content_block_delta", delta(json!({"type": "text_delta", "text": piece}))));
                }
            }
            Some("tool_use") => {
                let mut b = block.clone();
                b["input"] = json!({});
                out.push(("content_block_start", start(b)));
                let partial = block.get("input").map_or_else(|| "{}".to_owned(), Value::to_string);
                out.push(("content_block_delta", delta(json!({"type": "input_json_delta", "partial_json": partial}))));
            }
            Some("thinking") => {
                out.push(("content_block_start", start(json!({"type": "thinking", "thinking": ""}))));
                let thinking = block["thinking"].as_str().unwrap_or_default();
                out.push(("content_block_delta", delta(json!({"type": "thinking_delta", "thinking": thinking}))));
                if let Some(sig) = block["signature"].as_str().filter(|s| !s.is_empty()) {
                    out.push(("content_block_delta", delta(json!({"type": "signature_delta", "signature": sig}))));
                }
            }
            _ => out.push(("content_block_start", start(block.clone()))),
        }
        out.push(("content_block_stop", json!({"type": "content_block_stop", "index": i})));
    }
    out.push((
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
               "usage": {"output_tokens": output_tokens}}),
    ));
    out.push(("message_stop", json!({"type": "message_stop"})));
    out
}

/// The whole replay as bytes.
pub fn replay_bytes(message: &Value) -> Bytes {
    let mut out = Vec::new();
    for (name, data) in replay(message) {
        out.extend_from_slice(&frame(name, &data));
    }
    Bytes::from(out)
}

/// `text` in pieces of at most [`CHUNK_CHARS`] characters (one empty piece for "").
fn chunks(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return vec![""];
    }
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest.char_indices().nth(CHUNK_CHARS).map_or(rest.len(), |(i, _)| i);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message() -> Value {
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
               "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                           {"type": "text", "text": "é".repeat(150)},
                           {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}},
                           {"type": "server_tool_use", "id": "s1", "name": "web", "input": {}}],
               "stop_reason": "tool_use", "stop_sequence": null,
               "usage": {"input_tokens": 5, "output_tokens": 9, "cache_read_input_tokens": 2}})
    }

    fn fold(bytes: &[u8], cut: usize) -> Result<Value, Failure> {
        let (mut p, mut acc) = (Parser::default(), Accumulator::default());
        for part in bytes.chunks(cut) {
            for e in p.feed(part) {
                acc.feed(&e);
            }
        }
        acc.finish()
    }

    #[test]
    fn a_replayed_message_folds_back_into_itself_whatever_the_chunking() {
        let m = message();
        let bytes = replay_bytes(&m);
        for cut in [1, 7, 64, bytes.len()] {
            assert_eq!(fold(&bytes, cut).unwrap(), m, "cut {cut}");
        }
    }

    #[test]
    fn crlf_comments_and_multiline_data_are_read() {
        let mut p = Parser::default();
        let events = p.feed(b": comment\r\nevent: a\r\ndata: {\"x\":\r\ndata: 1}\r\n\r\nevent: b\ndata: 2\n\n");
        assert_eq!(events[0], RawEvent { name: "a".into(), data: "{\"x\":\n1}".into() });
        assert_eq!(events[1].name, "b");
        assert!(!p.has_partial());
        p.feed(b"event: c\ndata: {");
        assert!(p.has_partial());
    }

    #[test]
    fn broken_streams_are_told_apart() {
        let bytes = replay_bytes(&message());
        let cut = &bytes[..bytes.len() - 40];
        assert_eq!(fold(cut, 10).unwrap_err().kind, "stream_aborted");
        let err = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"content\":[]}}\n\n\
                    event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n";
        assert_eq!(fold(err, 5).unwrap_err().kind, "overloaded");
        assert_eq!(
            fold(b"event: content_block_delta\ndata: {\"index\":0}\n\n", 9).unwrap_err().kind,
            "malformed_response"
        );
        assert_eq!(fold(b"event: message_start\ndata: {not json\n\n", 9).unwrap_err().kind, "malformed_response");
    }

    #[test]
    fn unknown_events_and_delta_types_change_nothing() {
        let m = json!({"type": "message", "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"});
        let mut bytes = Vec::new();
        for (i, (name, data)) in replay(&m).into_iter().enumerate() {
            bytes.extend_from_slice(&frame(name, &data));
            if i == 1 {
                bytes.extend_from_slice(b"event: future_event\ndata: {\"type\":\"future_event\"}\n\n");
                bytes.extend_from_slice(b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"new_delta\"}}\n\n");
            }
        }
        let folded = fold(&bytes, 3).unwrap();
        assert_eq!(folded["content"], m["content"]);
    }
}
