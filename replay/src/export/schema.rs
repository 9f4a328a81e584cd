//! The declared Arrow/Parquet schema of each dataset kind, with a sentence
//! per column for the dataset card. JSONL rows carry the same fields.

use super::Kind;
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use std::sync::Arc;

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

fn maybe_text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn list_of_text(name: &str, nullable_items: bool) -> Field {
    Field::new(name, DataType::List(Arc::new(Field::new("item", DataType::Utf8, nullable_items))), false)
}

fn origin() -> Vec<Field> {
    vec![
        text("request"),
        text("session"),
        Field::new("at", DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())), false),
        text("model"),
    ]
}

/// The schema of a kind's rows.
pub fn schema(kind: Kind) -> Schema {
    let fields: Vec<Field> = match kind {
        Kind::Preferences => {
            let mut meta = origin();
            meta.extend([
                text("decision"),
                Field::new("waited_ms", DataType::UInt64, false),
                Field::new("quality_original", DataType::UInt8, false),
                Field::new("quality_refined", DataType::UInt8, false),
                list_of_text("changes", false),
                text("refiner_version"),
                text("refiner_config_hash"),
            ]);
            vec![
                text("prompt"),
                text("chosen"),
                text("rejected"),
                Field::new("meta", DataType::Struct(Fields::from(meta)), false),
            ]
        }
        Kind::Sft => {
            let message = Fields::from(vec![text("role"), text("content")]);
            let mut meta = origin();
            meta.extend([text("decision"), text("refiner_version")]);
            vec![
                Field::new(
                    "messages",
                    DataType::List(Arc::new(Field::new("item", DataType::Struct(message), false))),
                    false,
                ),
                Field::new("meta", DataType::Struct(Fields::from(meta)), false),
            ]
        }
        Kind::Routing => {
            let mut f = origin();
            f.extend([
                text("namespace_hash"),
                Field::new("prompt_tokens", DataType::UInt32, false),
                Field::new("similarity", DataType::Float32, true),
                text("outcome"),
                maybe_text("miss_reason"),
                maybe_text("verification_reason"),
                text("label"),
                maybe_text("feedback"),
                Field::new("lookup_latency_us", DataType::UInt64, false),
                Field::new("response_latency_ms", DataType::UInt64, true),
                maybe_text("response_source"),
                Field::new("tokens_saved", DataType::UInt32, false),
                Field::new("upstream_input_tokens", DataType::UInt32, true),
                Field::new("upstream_output_tokens", DataType::UInt32, true),
            ]);
            f
        }
        Kind::Suggestions => {
            let mut f = origin();
            f.extend([
                maybe_text("prompt"),
                text("suggestion_origin"),
                text("context"),
                Field::new("history_depth", DataType::UInt8, true),
                maybe_text("last_assistant"),
                list_of_text("history", false),
                list_of_text("suggestions", false),
                list_of_text("actions", false),
                list_of_text("edited", true),
            ]);
            f
        }
        Kind::CachePairs => {
            let mut f = origin();
            f.extend([
                text("namespace_hash"),
                text("query"),
                text("matched_prompt"),
                Field::new("similarity", DataType::Float32, false),
                text("shown"),
                Field::new("guard_accepted", DataType::Boolean, false),
                maybe_text("guard_reason"),
                text("label"),
                maybe_text("decided_by"),
                Field::new("waited_ms", DataType::UInt64, true),
            ]);
            f
        }
    };
    Schema::new(fields)
}

/// What each column holds, in the schema's order (nested fields as `parent.child`).
pub fn descriptions(kind: Kind) -> &'static [(&'static str, &'static str)] {
    const ORIGIN: [(&str, &str); 4] = [
        ("request", "request id (salted-hash pseudonym `r-…` with --anonymize)"),
        ("session", "session id (salted-hash pseudonym `s-…` with --anonymize)"),
        ("at", "when the prompt was submitted (UTC, microseconds)"),
        ("model", "target model"),
    ];
    match kind {
        Kind::Preferences => &[
            ("prompt", "the prompt as the user wrote it"),
            ("chosen", "accepted: the refinement; rejected: the original; modified: the user's edit"),
            ("rejected", "accepted: the original; rejected: the refinement; modified: the refinement"),
            ("meta.request", ORIGIN[0].1),
            ("meta.session", ORIGIN[1].1),
            ("meta.at", ORIGIN[2].1),
            ("meta.model", ORIGIN[3].1),
            ("meta.decision", "`accepted`, `rejected` or `modified` (decisions by a person only)"),
            ("meta.waited_ms", "time the user took to decide"),
            ("meta.quality_original", "rubric score of the original (points)"),
            ("meta.quality_refined", "rubric score of the refinement (points)"),
            ("meta.changes", "kinds of change the refinement made"),
            ("meta.refiner_version", "refiner version that proposed it"),
            ("meta.refiner_config_hash", "refiner configuration hash"),
        ],
        Kind::Sft => &[
            (
                "messages",
                "system instruction, user prompt (with its editor context in a <context> block), approved refinement",
            ),
            ("meta.request", ORIGIN[0].1),
            ("meta.session", ORIGIN[1].1),
            ("meta.at", ORIGIN[2].1),
            ("meta.model", ORIGIN[3].1),
            ("meta.decision", "`accepted` or `modified`"),
            ("meta.refiner_version", "refiner version that proposed it"),
        ],
        Kind::Routing => &[
            ORIGIN[0],
            ORIGIN[1],
            ORIGIN[2],
            ORIGIN[3],
            ("namespace_hash", "first 16 hex digits of SHA-256 of the cache namespace"),
            ("prompt_tokens", "estimated tokens of the prompt sent"),
            ("similarity", "similarity of the best candidate (1.0 for exact hits; null when there was none)"),
            ("outcome", "`exact_hit`, `semantic_hit`, `semantic_offer` (shown to the user) or `miss`"),
            ("miss_reason", "`empty`, `below_threshold`, `guard_rejected`, `disabled` or `bypassed`"),
            ("verification_reason", "why the verifier refused the best candidate"),
            ("label", "`hit` (served from the cache, an offer the user took included) or `miss`"),
            ("feedback", "the user's later judgement: `correct` or `wrong_answer`"),
            ("lookup_latency_us", "cache lookup time"),
            ("response_latency_ms", "submission to delivered answer"),
            ("response_source", "`cache`, `upstream` or `offline`"),
            ("tokens_saved", "upstream tokens a hit avoided, estimated from prompt and answer (0 on a miss)"),
            ("upstream_input_tokens", "input tokens billed upstream, on a miss"),
            ("upstream_output_tokens", "output tokens billed upstream, on a miss"),
        ],
        Kind::Suggestions => &[
            ORIGIN[0],
            ORIGIN[1],
            ORIGIN[2],
            ORIGIN[3],
            ("prompt", "the prompt the answer was for"),
            ("suggestion_origin", "`llm`, `heuristic` or `unknown`"),
            ("context", "`last_assistant`, `history` or `unknown`"),
            ("history_depth", "user turns read, for `history`"),
            ("last_assistant", "the reply the suggestions came from, for `last_assistant`"),
            ("history", "the user turns they came from, oldest first, for `history`"),
            ("suggestions", "the suggestions, best first"),
            ("actions", "per suggestion: `sent`, `edited`, `dismissed` or `ignored`"),
            ("edited", "per suggestion: the edited text, for `edited`"),
        ],
        Kind::CachePairs => &[
            ORIGIN[0],
            ORIGIN[1],
            ORIGIN[2],
            ORIGIN[3],
            ("namespace_hash", "first 16 hex digits of SHA-256 of the cache namespace"),
            ("query", "the prompt looked up (the text that went to the cache)"),
            ("matched_prompt", "the cached prompt it matched"),
            ("similarity", "cosine similarity of the two"),
            ("shown", "`served` (the verifier accepted it, mode serve) or `offered` (shown to the user, mode offer)"),
            ("guard_accepted", "whether the hand-written verifier accepted the pair"),
            ("guard_reason", "why it refused, when it did (`<check>: <detail>`)"),
            (
                "label",
                "`flagged_wrong` or `confirmed` (the user's later judgement, which overrides), else `accepted`, \
                 `refused` or `timed_out` (an offer) or `served` (no judgement)",
            ),
            ("decided_by", "who chose on an offer: `user`, or `policy` when the time ran out"),
            ("waited_ms", "time from the offer to the choice"),
        ],
    }
}
