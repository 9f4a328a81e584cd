//! Server-sent events as Anthropic writes them: `event: <name>\ndata: <json>\n\n`.

use bytes::Bytes;
use lantern_actors::cache_bridge::contract::WireChunk;

/// One chunk as an SSE event.
pub fn event(chunk: &WireChunk) -> Bytes {
    Bytes::from(format!("event: {}\ndata: {}\n\n", chunk.event, chunk.data))
}

/// An `error` event, for a failure after the stream has begun.
pub fn error(kind: &str, message: &str) -> Bytes {
    let data = serde_json::json!({"type": "error", "error": {"type": kind, "message": message}});
    Bytes::from(format!("event: error\ndata: {data}\n\n"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_are_framed_as_anthropic_frames_them() {
        let c = WireChunk { event: "message_stop".into(), data: serde_json::json!({"type": "message_stop"}) };
        assert_eq!(&event(&c)[..], b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        let e = error("api_error", "line\nbreak");
        assert_eq!(&e[..], b"event: error\ndata: {\"error\":{\"message\":\"line\\nbreak\",\"type\":\"api_error\"},\"type\":\"error\"}\n\n");
    }
}
