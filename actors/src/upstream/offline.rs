//! The offline provider: a deterministic reply that says plainly that no
//! model was asked.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The reply to `request` (a Messages body).
pub fn reply(request: &Value) -> Value {
    let text = crate::messages::last_user_text(request).unwrap_or_default();
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut head = words.iter().take(12).copied().collect::<Vec<_>>().join(" ");
    if words.len() > 12 {
        head.push_str(" \u{2026}");
    }
    let digest = Sha256::digest(request.to_string().as_bytes());
    let id: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    json!({
        "id": format!("msg_offline_{id}"),
        "type": "message",
        "role": "assistant",
        "model": request["model"].as_str().unwrap_or("offline"),
        "content": [{"type": "text", "text": format!(
            "[offline] Lantern has no upstream API key configured, so no model was asked. This is a placeholder \
             reply, not an answer. Configure ANTHROPIC_API_KEY (or an OpenAI-compatible server) to get real \
             answers. Your prompt ({} words) began: \u{201c}{head}\u{201d}", words.len())}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_it_is_offline_and_is_deterministic() {
        let r = json!({"model": "m", "messages": [{"role": "user", "content": "How do I reverse a list?"}]});
        let a = reply(&r);
        assert_eq!(a, reply(&r));
        let text = a["content"][0]["text"].as_str().unwrap_or_default();
        assert!(text.starts_with("[offline]") && text.contains("(6 words) began: \u{201c}How do I reverse a list?"));
    }
}
