//! What sending a request produced: the cache's outcome, then the answer
//! (from the cache or the upstream) or why there is none.

use crate::upstream::Failure;
use lantern_events::schema::{CacheOutcome, ResponseSource, Usage};
use serde_json::Value;

/// The cache lookup a send made.
#[derive(Debug, Clone, PartialEq)]
pub struct Looked {
    /// What it found.
    pub outcome: CacheOutcome,
    /// The namespace asked (`<ns>@offline` for offline answers).
    pub namespace: String,
    /// How long it took, in microseconds.
    pub latency_us: u64,
}

/// The upstream call that produced an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamCall {
    /// The provider that answered.
    pub provider: String,
    /// Attempts made.
    pub attempts: u32,
    /// Wall time of the call, retries included, in milliseconds.
    pub latency_ms: u64,
}

/// An answer that reached the client.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Where it came from.
    pub source: ResponseSource,
    /// The Anthropic Message.
    pub message: Value,
    /// The call behind it, unless it came from the cache.
    pub upstream: Option<UpstreamCall>,
}

impl Answer {
    /// The text of the answer: its text blocks, joined.
    pub fn text(&self) -> String {
        super::answer_text(&self.message)
    }

    /// The model's stop reason.
    pub fn stop_reason(&self) -> Option<String> {
        self.message["stop_reason"].as_str().map(str::to_owned)
    }

    /// Token usage as the upstream reported it (zeros for a cached answer).
    pub fn usage(&self) -> Usage {
        if self.source == ResponseSource::Cache {
            return Usage::default();
        }
        let u = &self.message["usage"];
        let n = |k: &str| u32::try_from(u[k].as_u64().unwrap_or(0)).unwrap_or(u32::MAX);
        Usage {
            input_tokens: n("input_tokens"),
            output_tokens: n("output_tokens"),
            cache_creation_input_tokens: n("cache_creation_input_tokens"),
            cache_read_input_tokens: n("cache_read_input_tokens"),
        }
    }
}

/// Everything a send produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The lookup (its outcome says `Unavailable` when the cache could not be asked).
    pub looked: Looked,
    /// The answer, or why none came.
    pub result: Result<Answer, Failure>,
}
