//! Widget-Log's answers as typed values, and their mapping onto events.
//!
//! The JSON shapes are defined by `widget_log.bridge` (see docs/cache.md).

use super::BridgeError;
use lantern_events::schema::{CacheOutcome, EntryId, MissReason, ResponseSource, Usage};
use serde::Deserialize;

/// A failure Widget-Log reported (upstream error, bad request, ...).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Failure {
    /// Error kind (`rate_limited`, `overloaded`, `timeout`, `invalid_request`, ...).
    pub kind: String,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// What went wrong.
    pub message: String,
    /// Whether trying again later may succeed.
    #[serde(default)]
    pub retryable: bool,
    /// The provider that failed, when Widget-Log says.
    #[serde(default)]
    pub provider: Option<String>,
    /// Upstream attempts made, when Widget-Log says.
    #[serde(default)]
    pub attempts: Option<u32>,
}

/// Why a lookup missed, as Widget-Log words it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireMiss {
    /// Nothing with this fingerprint and namespace.
    Empty,
    /// Nearest below the threshold.
    BelowThreshold {
        /// Best similarity.
        best: f32,
    },
    /// Refused by the verifier.
    GuardRejected {
        /// Best similarity.
        best: f32,
        /// The verifier's reason.
        reason: String,
    },
    /// Cache turned off.
    Disabled,
    /// The request asked not to read the cache.
    Bypassed,
}

/// A lookup outcome, as Widget-Log words it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WireOutcome {
    /// Exact match.
    ExactHit {
        /// The entry served.
        entry_id: String,
    },
    /// Verified semantic match.
    SemanticHit {
        /// Cosine similarity.
        similarity: f32,
        /// The entry served.
        entry_id: String,
        /// The prompt the entry was stored for.
        #[serde(default)]
        matched_prompt: Option<String>,
    },
    /// No answer from the cache.
    Miss {
        /// Why.
        reason: WireMiss,
    },
}

impl From<WireOutcome> for CacheOutcome {
    fn from(w: WireOutcome) -> Self {
        match w {
            WireOutcome::ExactHit { entry_id } => CacheOutcome::ExactHit { entry: EntryId(entry_id) },
            WireOutcome::SemanticHit { similarity, entry_id, matched_prompt } => CacheOutcome::SemanticHit {
                similarity,
                entry: EntryId(entry_id),
                matched_prompt: matched_prompt.map(Into::into),
            },
            WireOutcome::Miss { reason } => CacheOutcome::Miss {
                reason: match reason {
                    WireMiss::Empty => MissReason::Empty,
                    WireMiss::BelowThreshold { best } => MissReason::BelowThreshold { best },
                    WireMiss::GuardRejected { best, reason } => MissReason::GuardRejected { best, reason },
                    WireMiss::Disabled => MissReason::Disabled,
                    WireMiss::Bypassed => MissReason::Bypassed,
                },
            },
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireSource {
    /// The cache.
    Cache,
    /// The upstream model.
    Upstream,
    /// The offline provider.
    Offline,
}

impl From<WireSource> for ResponseSource {
    fn from(s: WireSource) -> Self {
        match s {
            WireSource::Cache => ResponseSource::Cache,
            WireSource::Upstream => ResponseSource::Upstream,
            WireSource::Offline => ResponseSource::Offline,
        }
    }
}

/// Token usage; absent fields count as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct WireUsage {
    /// Uncached input tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// Tokens written to Anthropic's prompt cache.
    pub cache_creation_input_tokens: u32,
    /// Tokens read from Anthropic's prompt cache.
    pub cache_read_input_tokens: u32,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_creation_input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
        }
    }
}

/// A successful `process` answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Processed {
    /// Where the answer came from.
    pub source: WireSource,
    /// What the cache lookup found.
    pub cache: WireOutcome,
    /// The Anthropic Message object.
    pub response: serde_json::Value,
    /// Usage of the upstream call (zeros on a cache hit).
    #[serde(default)]
    pub usage: WireUsage,
    /// Upstream attempts (0 on a cache hit).
    #[serde(default)]
    pub attempts: u32,
    /// Time spent in Widget-Log.
    #[serde(default)]
    pub latency_ms: f64,
    /// The entry the answer was stored as, if it was stored.
    #[serde(default)]
    pub stored_entry_id: Option<String>,
    /// The provider that answered (on a miss).
    #[serde(default)]
    pub provider: Option<String>,
    /// The cache namespace actually used (`<ns>@offline` for offline answers).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Time the cache lookup took, embedding included.
    #[serde(default)]
    pub lookup_ms: Option<f64>,
}

impl Processed {
    /// Lookup time in microseconds (0 when Widget-Log did not report it).
    pub fn lookup_us(&self) -> u64 {
        self.lookup_ms.map_or(0, |ms| (ms * 1000.0).round() as u64)
    }

    /// The text of the answer: its text blocks, joined.
    pub fn text(&self) -> String {
        self.response["content"]
            .as_array()
            .map(|blocks| {
                blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default()
    }

    /// The model's stop reason.
    pub fn stop_reason(&self) -> Option<String> {
        self.response["stop_reason"].as_str().map(str::to_owned)
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<Failure>,
}

/// Parses a `process` answer: the answer, or Widget-Log's typed failure.
///
/// A malformed answer is a bridge bug and comes back as [`BridgeError::Python`].
pub fn parse_process(json: &str) -> Result<Result<Processed, Failure>, BridgeError> {
    let bad =
        |e: serde_json::Error| BridgeError::Python { function: "process", detail: format!("malformed answer: {e}") };
    let head: Envelope = serde_json::from_str(json).map_err(bad)?;
    if head.ok {
        return serde_json::from_str(json).map(Ok).map_err(bad);
    }
    head.error
        .map(Err)
        .ok_or_else(|| BridgeError::Python { function: "process", detail: "failure without an error".into() })
}

/// One chunk of a `stream`: an Anthropic SSE event (`message_start`, ...,
/// `error`), or Lantern's own `lantern_lookup` (first, when asked for) and
/// `lantern_result` (always last).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WireChunk {
    /// The SSE event name.
    pub event: String,
    /// Its data object.
    pub data: serde_json::Value,
}

impl WireChunk {
    /// Parses a chunk as the bridge hands it over.
    pub fn parse(json: &str) -> Result<Self, BridgeError> {
        serde_json::from_str(json)
            .map_err(|e| BridgeError::Python { function: "stream", detail: format!("malformed chunk: {e}") })
    }

    /// Whether this is Lantern's closing `lantern_result`.
    pub fn is_result(&self) -> bool {
        self.event == "lantern_result"
    }

    /// The closing `lantern_result` as a `process` answer (it carries the
    /// same fields, the assembled Message included).
    pub fn into_result(self) -> Result<Result<Processed, Failure>, BridgeError> {
        let bad =
            |e: serde_json::Error| BridgeError::Python { function: "stream", detail: format!("malformed result: {e}") };
        if !self.is_result() {
            return Err(BridgeError::Python { function: "stream", detail: format!("{} is not a result", self.event) });
        }
        if self.data["ok"].as_bool() == Some(true) {
            return Processed::deserialize(self.data).map(Ok).map_err(bad);
        }
        Failure::deserialize(&self.data["error"]).map(Err).map_err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_and_misses_map_onto_the_event_outcomes() {
        let ok = r#"{"ok":true,"source":"cache","cache":{"outcome":"semantic_hit","similarity":0.93,"entry_id":"ab12","matched_prompt":"reverse a list"},
            "response":{"content":[{"type":"text","text":"Use "},{"type":"text","text":"reversed()."}],"stop_reason":"end_turn"},
            "usage":{"input_tokens":0,"output_tokens":0},"attempts":0,"latency_ms":4.2}"#;
        let p = parse_process(ok).unwrap().unwrap();
        assert_eq!(p.text(), "Use reversed().");
        assert_eq!(p.stop_reason().as_deref(), Some("end_turn"));
        assert_eq!(
            CacheOutcome::from(p.cache),
            CacheOutcome::SemanticHit {
                similarity: 0.93,
                entry: EntryId("ab12".into()),
                matched_prompt: Some("reverse a list".into())
            }
        );
        let miss = r#"{"outcome":"miss","reason":{"kind":"guard_rejected","best":0.91,"reason":"number_mismatch: 401 vs 403"}}"#;
        let w: WireOutcome = serde_json::from_str(miss).unwrap();
        assert_eq!(
            CacheOutcome::from(w),
            CacheOutcome::Miss {
                reason: MissReason::GuardRejected { best: 0.91, reason: "number_mismatch: 401 vs 403".into() }
            }
        );
    }

    #[test]
    fn failures_and_malformed_answers_are_told_apart() {
        let failed =
            r#"{"ok":false,"error":{"kind":"overloaded","status":529,"message":"Overloaded","retryable":true}}"#;
        let f = parse_process(failed).unwrap().unwrap_err();
        assert_eq!((f.kind.as_str(), f.status, f.retryable), ("overloaded", Some(529), true));
        assert!(matches!(parse_process("not json"), Err(BridgeError::Python { .. })));
        assert!(matches!(parse_process(r#"{"ok":true}"#), Err(BridgeError::Python { .. })));
    }

    #[test]
    fn a_stream_ends_with_a_result_that_reads_like_a_process_answer() {
        let ok = r#"{"event":"lantern_result","data":{"ok":true,"source":"upstream","cache":{"outcome":"miss","reason":{"kind":"empty"}},
            "response":{"content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"},"attempts":1}}"#;
        let chunk = WireChunk::parse(ok).unwrap();
        assert!(chunk.is_result());
        assert_eq!(chunk.into_result().unwrap().unwrap().text(), "hi");
        let failed = r#"{"event":"lantern_result","data":{"ok":false,"error":{"kind":"overloaded","status":529,"message":"busy","retryable":true}}}"#;
        assert_eq!(WireChunk::parse(failed).unwrap().into_result().unwrap().unwrap_err().status, Some(529));
        let delta = WireChunk::parse(r#"{"event":"content_block_delta","data":{"index":0}}"#).unwrap();
        assert!(!delta.is_result());
        assert!(delta.into_result().is_err());
        assert!(WireChunk::parse("{").is_err());
    }
}
