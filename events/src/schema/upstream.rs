//! Upstream model calls and the delivered response.

use super::Text;
use serde::{Deserialize, Serialize};

/// Token usage as reported by the upstream API.
///
/// As in Anthropic's API, `input_tokens` excludes the cache-read and
/// cache-creation tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Uncached input tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// Input tokens written to Anthropic's prompt cache.
    pub cache_creation_input_tokens: u32,
    /// Input tokens read from Anthropic's prompt cache.
    pub cache_read_input_tokens: u32,
}

/// The upstream model answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamCompleted {
    /// Provider name (`anthropic`, `openai`, `offline`).
    pub provider: String,
    /// Model that answered.
    pub model: String,
    /// Token usage.
    pub usage: Usage,
    /// Attempts made, retries included.
    pub attempts: u32,
    /// Wall time of the call, retries included, in milliseconds.
    pub latency_ms: u64,
    /// Why generation stopped (`end_turn`, `max_tokens`, `tool_use`, ...).
    pub stop_reason: Option<String>,
}

/// The upstream model could not answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamFailed {
    /// Provider name.
    pub provider: String,
    /// Error kind (`rate_limited`, `overloaded`, `timeout`, `bridge`, ...).
    pub kind: String,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// What went wrong.
    pub message: String,
    /// Whether trying again later may succeed.
    pub retryable: bool,
    /// Attempts made.
    pub attempts: u32,
}

/// Where a delivered answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseSource {
    /// The response cache.
    Cache,
    /// The upstream model.
    Upstream,
    /// The offline provider (no API key configured).
    Offline,
}

/// An answer reached the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseDelivered {
    /// Where it came from.
    pub source: ResponseSource,
    /// The answer text.
    pub text: Text,
    /// Time from submission to delivery, in milliseconds.
    pub latency_ms: u64,
}
