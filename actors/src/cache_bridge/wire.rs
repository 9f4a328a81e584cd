//! The JSON Widget-Log answers with (see `widget_log.bridge`), read into
//! Lantern's own types. Nothing outside this module sees these shapes.

use super::BridgeError;
use lantern_events::schema::{CacheOutcome, EntryId, GuardVerdict, MissReason, Text};
use serde::Deserialize;

/// Why a lookup missed, as Widget-Log words it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Miss {
    Empty,
    BelowThreshold { best: f32 },
    GuardRejected { best: f32, reason: String },
    Disabled,
    Bypassed,
    ExactOnly,
    NoWords,
}

/// A lookup outcome, as Widget-Log words it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Outcome {
    ExactHit {
        entry_id: String,
    },
    SemanticHit {
        similarity: f32,
        entry_id: String,
        #[serde(default)]
        matched_prompt: Option<String>,
    },
    Miss {
        reason: Miss,
    },
    SemanticOffer {
        similarity: f32,
        entry_id: String,
        #[serde(default)]
        matched_prompt: Option<String>,
        accepted: bool,
        #[serde(default)]
        reason: Option<String>,
    },
}

impl From<Outcome> for CacheOutcome {
    fn from(w: Outcome) -> Self {
        match w {
            Outcome::ExactHit { entry_id } => CacheOutcome::ExactHit { entry: EntryId(entry_id) },
            Outcome::SemanticHit { similarity, entry_id, matched_prompt } => CacheOutcome::SemanticHit {
                similarity,
                entry: EntryId(entry_id),
                matched_prompt: matched_prompt.map(Into::into),
            },
            // The preview is the answer's opening, filled in by whoever reads the answer.
            Outcome::SemanticOffer { similarity, entry_id, matched_prompt, accepted, reason } => {
                CacheOutcome::SemanticOffered {
                    similarity,
                    entry: EntryId(entry_id),
                    matched_prompt: matched_prompt.map(Into::into),
                    verdict: GuardVerdict { accepted, reason },
                    preview: Text::from(""),
                }
            }
            Outcome::Miss { reason } => CacheOutcome::Miss {
                reason: match reason {
                    Miss::Empty => MissReason::Empty,
                    Miss::BelowThreshold { best } => MissReason::BelowThreshold { best },
                    Miss::GuardRejected { best, reason } => MissReason::GuardRejected { best, reason },
                    Miss::Disabled => MissReason::Disabled,
                    Miss::Bypassed => MissReason::Bypassed,
                    Miss::ExactOnly => MissReason::ExactOnly,
                    Miss::NoWords => MissReason::NoWords,
                },
            },
        }
    }
}

/// A failure Widget-Log reported.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Failure {
    kind: String,
    message: String,
}

#[derive(Deserialize)]
struct Envelope<T> {
    ok: bool,
    #[serde(default)]
    error: Option<Failure>,
    #[serde(flatten)]
    body: Option<T>,
}

/// Reads an answer of `function`: its body, or Widget-Log's failure as a
/// [`BridgeError::Cache`].
pub(super) fn read<T: serde::de::DeserializeOwned>(function: &'static str, json: &str) -> Result<T, BridgeError> {
    let bad = |detail: String| BridgeError::Python { function, detail };
    let e: Envelope<T> = serde_json::from_str(json).map_err(|e| bad(format!("malformed answer: {e}")))?;
    match (e.ok, e.body, e.error) {
        (true, Some(body), _) => Ok(body),
        (false, _, Some(f)) => Err(BridgeError::Cache { function, kind: f.kind, message: f.message }),
        _ => Err(bad(format!("answer without {}", if e.ok { "a body" } else { "an error" }))),
    }
}

/// `lookup`'s answer.
#[derive(Debug, Deserialize)]
pub(super) struct Looked {
    cache: Outcome,
    #[serde(default)]
    lookup_ms: f64,
    /// An exact hit's expiry, in unix seconds (`None`: never, or not a hit).
    #[serde(default)]
    expires_at: Option<f64>,
}

impl Looked {
    /// When the answer found stops being served.
    pub(super) fn expires_at(&self) -> Option<std::time::SystemTime> {
        let secs = self.expires_at.filter(|s| s.is_finite() && *s >= 0.0)?;
        std::time::SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs_f64(secs))
    }

    pub(super) fn outcome(self) -> (CacheOutcome, u64) {
        (self.cache.into(), (self.lookup_ms * 1000.0).round() as u64)
    }
}

/// `store`'s answer.
#[derive(Debug, Deserialize)]
pub(super) struct Stored {
    pub(super) stored: bool,
    #[serde(default)]
    pub(super) why: Option<String>,
}

/// `invalidate`'s answer.
#[derive(Debug, Deserialize)]
pub(super) struct Invalidated {
    pub(super) invalidated: bool,
}

/// `served`'s answer: the entries Widget-Log no longer holds.
#[derive(Debug, Deserialize)]
pub(super) struct ServedAnswer {
    #[serde(default)]
    pub(super) gone: Vec<String>,
}

/// `stats`'s answer.
#[derive(Debug, Deserialize)]
pub(super) struct StatsAnswer {
    pub(super) stats: super::CacheStats,
    /// Of the hits reported with the call, the entries no longer held.
    #[serde(default)]
    pub(super) gone: Vec<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn outcomes_map_onto_the_event_types() {
        let l: Looked = read(
            "lookup",
            r#"{"ok":true,"cache":{"outcome":"semantic_hit","similarity":0.93,"entry_id":"ab","matched_prompt":"p"},"lookup_ms":4.25}"#,
        )
        .unwrap();
        let (o, us) = l.outcome();
        assert_eq!(us, 4250);
        assert_eq!(
            o,
            CacheOutcome::SemanticHit {
                similarity: 0.93,
                entry: EntryId("ab".into()),
                matched_prompt: Some("p".into())
            }
        );
        let l: Looked = read(
            "lookup",
            r#"{"ok":true,"cache":{"outcome":"miss","reason":{"kind":"guard_rejected","best":0.9,"reason":"number_mismatch"}}}"#,
        )
        .unwrap();
        assert_eq!(
            l.outcome().0,
            CacheOutcome::Miss { reason: MissReason::GuardRejected { best: 0.9, reason: "number_mismatch".into() } }
        );
    }

    #[test]
    fn an_offer_carries_the_verdict() {
        let l: Looked = read(
            "lookup",
            r#"{"ok":true,"cache":{"outcome":"semantic_offer","similarity":0.88,"entry_id":"cd","matched_prompt":"q","accepted":false,"reason":"number_mismatch: 3 vs 4"}}"#,
        )
        .unwrap();
        let CacheOutcome::SemanticOffered { similarity, entry, verdict, .. } = l.outcome().0 else { panic!() };
        assert_eq!((similarity, entry.0.as_str()), (0.88, "cd"));
        assert_eq!(verdict, GuardVerdict { accepted: false, reason: Some("number_mismatch: 3 vs 4".into()) });
    }

    #[test]
    fn failures_and_malformed_answers_are_told_apart() {
        let f = read::<Looked>("lookup", r#"{"ok":false,"error":{"kind":"store","message":"disk full"}}"#).unwrap_err();
        assert_eq!(f, BridgeError::Cache { function: "lookup", kind: "store".into(), message: "disk full".into() });
        assert!(matches!(read::<Looked>("lookup", "not json"), Err(BridgeError::Python { .. })));
        assert!(matches!(read::<Looked>("lookup", r#"{"ok":true}"#), Err(BridgeError::Python { .. })));
    }
}
