//! The v1 golden log under tests/golden/ must decode forever.
//!
//! `golden_v1_log_decodes_to_its_snapshot` reads the committed file and
//! compares its JSON rendering with the committed insta snapshot. The file
//! was written once by `write_golden_v1_log` (run it only when starting a new
//! golden version, never to "fix" a failing comparison).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, RequestId, SessionId, Timestamp};
use std::path::PathBuf;
use uuid::Uuid;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1.redb")
}

#[test]
fn golden_v1_log_decodes_to_its_snapshot() {
    // Work on a copy: the committed file is never opened for writing.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("events.redb");
    std::fs::copy(golden_path(), &copy).unwrap();
    let log = EventLog::open_read_only(&copy).unwrap();
    let events = log.read_range(..).unwrap();
    assert_eq!(events.len(), 14);
    insta::assert_json_snapshot!("golden_v1_events", events);
    insta::assert_json_snapshot!("golden_v1_sessions", log.sessions().unwrap());
}

#[test]
#[ignore = "writes the golden file; run only to create a new golden version"]
fn write_golden_v1_log() {
    let path = golden_path();
    let _ = std::fs::remove_file(&path);
    let log = EventLog::open(&path).unwrap();
    for e in golden_events() {
        log.append(e).unwrap();
    }
}

/// One session that uses every v1 variant at least once.
fn golden_events() -> Vec<NewEvent> {
    let session = SessionId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));
    let r1 = Some(RequestId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0101)));
    let r2 = Some(RequestId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0102)));
    let cli = Actor::Frontend(FrontendKind::Cli);
    let base = 1_763_700_000_000_000;
    let ev = |i: i64, request, actor, cause, event| NewEvent {
        at: Timestamp(base + i * 250_000),
        session,
        request,
        actor,
        cause,
        event,
    };
    let prompt = "Why does `parse(\"0x1F\")` return Err?\n\n```rust\nfn parse(s: &str) -> Result<u8, ParseIntError> { s.parse() }\n```";
    let refined = "File: src/num.rs (Rust)\n\nWhy does `parse(\"0x1F\")` return Err?\n\n```rust\nfn parse(s: &str) -> Result<u8, ParseIntError> { s.parse() }\n```\n\nExpected output: the cause, then a fixed function.";
    let score = |total, note: &str| Score {
        total,
        max_total: 100,
        criteria: vec![
            Criterion { name: "context".into(), points: total / 2, max_points: 50, note: note.into() },
            Criterion {
                name: "expected output".into(),
                points: total - total / 2,
                max_points: 50,
                note: "stated".into(),
            },
        ],
    };
    vec![
        ev(0, None, cli, None, Event::SessionStarted(SessionStarted { frontend: FrontendKind::Cli, lantern_version: "0.1.0".into(), privacy: PrivacyLevel::Full, workspace: Some("/home/dev/num".into()) })),
        ev(1, r1, cli, Some(1), Event::PromptSubmitted(PromptSubmitted {
            text: prompt.into(),
            model: "claude-sonnet-4-5".into(),
            context: PromptContext { active_file: Some("src/num.rs".into()), language: Some("rust".into()), selection: Some(Selection { text: "s.parse()".into(), start_line: Some(1), end_line: Some(1) }) },
            origin: PromptOrigin::Typed,
        })),
        ev(2, r1, Actor::Refiner, Some(2), Event::RefinementProposed(RefinementProposed {
            original: prompt.into(),
            refined: refined.into(),
            changes: vec![
                Change { kind: ChangeKind::InjectedFileContext, description: "named src/num.rs and its language".into(), tokens_added: 7 },
                Change { kind: ChangeKind::StatedExpectedOutput, description: "asked for the cause and a fixed function".into(), tokens_added: 11 },
            ],
            quality: QualityEstimate { before: score(45, "no file named"), after: score(80, "file named") },
            cache_outlook: CacheOutlook {
                original: PromptOutlook { nearest_similarity: Some(0.71), verdict: OutlookVerdict::BelowThreshold },
                refined: PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate },
            },
            anchors: vec![CacheAnchor { target: AnchorTarget::System, ttl: CacheTtl::FiveMinutes, prefix_tokens: 1200, reason: "system prompt is stable".into() }],
            tokens_before: 42,
            tokens_after: 60,
            origin: RefinementOrigin::Rules,
            refiner: RefinerStamp { version: "1.0.0".into(), config_hash: "9c1d2e3f".into() },
        })),
        ev(3, r1, cli, Some(3), Event::ApprovalDecided(ApprovalDecided { decision: Decision::Modified { text: format!("{refined}\nKeep it short.").into() }, by: Decider::User, waited_ms: 5300 })),
        ev(4, r1, Actor::CacheBridge, Some(4), Event::CacheChecked(CacheChecked { outcome: CacheOutcome::Miss { reason: MissReason::GuardRejected { best: 0.94, reason: "number_mismatch: 0x1F vs 0x2A".into() } }, namespace: "default".into(), latency_us: 3900 })),
        ev(5, r1, Actor::CacheBridge, Some(5), Event::UpstreamCompleted(UpstreamCompleted { provider: "anthropic".into(), model: "claude-sonnet-4-5".into(), usage: Usage { input_tokens: 61, output_tokens: 140, cache_creation_input_tokens: 1200, cache_read_input_tokens: 0 }, attempts: 2, latency_ms: 2100, stop_reason: Some("end_turn".into()) })),
        ev(6, r1, Actor::CacheBridge, Some(6), Event::ResponseDelivered(ResponseDelivered { source: ResponseSource::Upstream, text: "`str::parse::<u8>` does not accept a 0x prefix; use `u8::from_str_radix(s.trim_start_matches(\"0x\"), 16)`.".into(), latency_ms: 2150 })),
        ev(7, r1, Actor::Suggester, Some(7), Event::SuggestionsOffered(SuggestionsOffered { suggestions: vec![Suggestion { text: "Add a test for uppercase 0X prefixes".into() }, Suggestion { text: "Handle values above 255".into() }], origin: Some(SuggestionOrigin::Heuristic), context: Some(SuggestionContext::LastAssistant) })),
        ev(8, r1, cli, Some(8), Event::SuggestionActed(SuggestionActed { offered_seq: 8, index: 0, action: SuggestionAction::Sent })),
        ev(9, r2, cli, Some(9), Event::PromptSubmitted(PromptSubmitted { text: "Add a test for uppercase 0X prefixes".into(), model: "claude-sonnet-4-5".into(), context: PromptContext::default(), origin: PromptOrigin::Suggestion { offered_seq: 8, index: 0 } })),
        ev(10, r2, Actor::CacheBridge, Some(10), Event::CacheChecked(CacheChecked { outcome: CacheOutcome::SemanticHit { similarity: 0.962, entry: EntryId("e-7f3a".into()), matched_prompt: Some("Write a test for the 0X prefix (uppercase)".into()) }, namespace: "default".into(), latency_us: 4100 })),
        ev(11, r2, Actor::CacheBridge, Some(11), Event::UpstreamFailed(UpstreamFailed { provider: "anthropic".into(), kind: "overloaded".into(), status: Some(529), message: "Overloaded".into(), retryable: true, attempts: 3 })),
        ev(12, r2, cli, Some(11), Event::FeedbackGiven(FeedbackGiven { response_seq: 11, verdict: FeedbackVerdict::WrongAnswer, entry: Some(EntryId("e-7f3a".into())), invalidated: true, note: Some(Text::Withheld { sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(), chars: 3 }) })),
        ev(13, None, cli, None, Event::SessionEnded(SessionEnded { reason: EndReason::UserExit })),
    ]
}
