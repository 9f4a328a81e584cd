//! Shared by the tests and benches: realistic events and proptest strategies.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use lantern_events::schema::*;
use lantern_events::{Actor, NewEvent, RequestId, SessionId, Timestamp};
use proptest::prelude::*;
use uuid::Uuid;

/// Deterministic xorshift so that generated logs are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CODE: &str = r#"fn parse_header(buf: &[u8]) -> Result<Header, ParseError> {
    if buf.len() < HEADER_LEN {
        return Err(ParseError::Truncated { have: buf.len(), need: HEADER_LEN });
    }
    let version = u16::from_le_bytes([buf[4], buf[5]]);
    let flags = Flags::from_bits(buf[6]).ok_or(ParseError::BadFlags(buf[6]))?;
    Ok(Header { version, flags })
}
"#;

const ASKS: [&str; 6] = [
    "Why does this return Truncated for a 7-byte buffer? It should parse.",
    "Refactor parse_header to avoid the indexing panics and add tests.",
    "Explain what Flags::from_bits does when unknown bits are set.",
    "Write a property test for parse_header with proptest.",
    "How do I make this function generic over Read instead of a slice?",
    "The CI fails with `attempt to subtract with overflow` here; debug it.",
];

/// A prompt of 0.5–2 KB: an ask plus a code block.
pub fn prompt(rng: &mut Rng) -> String {
    let ask = ASKS[rng.below(ASKS.len() as u64) as usize];
    let copies = 1 + rng.below(4) as usize;
    format!("{ask}\n\n```rust\n{}```\n", CODE.repeat(copies))
}

fn t(at: i64) -> Timestamp {
    Timestamp(at)
}

/// One realistic request chain (prompt → refinement → decision → cache → answer → suggestions).
pub fn request_chain(rng: &mut Rng, session: SessionId, at: i64) -> Vec<NewEvent> {
    // Time-ordered, like the UUIDv7 ids Lantern assigns.
    let request = RequestId::new();
    let text = prompt(rng);
    let refined = format!("File: src/header.rs (Rust)\n\n{text}\nExpected output: a patch and a short explanation.");
    let ev = |actor, i: i64, event| NewEvent {
        at: t(at + i * 1000),
        session,
        request: Some(request),
        actor,
        cause: None,
        event,
    };
    let score = |total| Score {
        total,
        max_total: 100,
        criteria: vec![Criterion {
            name: "context".into(),
            points: total / 2,
            max_points: 50,
            note: "file named".into(),
        }],
    };
    let hit = rng.below(3) == 0;
    vec![
        ev(
            Actor::Frontend(FrontendKind::Cli),
            0,
            Event::PromptSubmitted(PromptSubmitted {
                text: text.clone().into(),
                model: "claude-sonnet-4-5".into(),
                context: PromptContext {
                    active_file: Some("src/header.rs".into()),
                    language: Some("rust".into()),
                    selection: None,
                },
                origin: PromptOrigin::Typed,
            }),
        ),
        ev(
            Actor::Refiner,
            1,
            Event::RefinementProposed(RefinementProposed {
                original: text.into(),
                refined: refined.into(),
                changes: vec![Change {
                    kind: ChangeKind::InjectedFileContext,
                    description: "named the active file".into(),
                    tokens_added: 8,
                }],
                quality: QualityEstimate { before: score(40), after: score(70) },
                cache_outlook: CacheOutlook {
                    original: PromptOutlook { nearest_similarity: Some(0.91), verdict: OutlookVerdict::SemanticHit },
                    refined: PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate },
                },
                anchors: vec![],
                tokens_before: 300,
                tokens_after: 320,
                origin: RefinementOrigin::Rules,
                refiner: RefinerStamp { version: "1.0.0".into(), config_hash: "3f2a9c".into() },
            }),
        ),
        ev(
            Actor::Policy,
            2,
            Event::ApprovalDecided(ApprovalDecided {
                decision: Decision::Accepted,
                by: Decider::Policy(ApprovalPolicy::Accept),
                waited_ms: 0,
            }),
        ),
        ev(
            Actor::CacheBridge,
            3,
            Event::CacheChecked(CacheChecked {
                outcome: if hit {
                    CacheOutcome::SemanticHit { similarity: 0.93, entry: EntryId("e-41".into()), matched_prompt: None }
                } else {
                    CacheOutcome::Miss { reason: MissReason::BelowThreshold { best: 0.62 } }
                },
                namespace: "default".into(),
                latency_us: 4200,
            }),
        ),
        ev(
            Actor::CacheBridge,
            4,
            Event::ResponseDelivered(ResponseDelivered {
                source: if hit { ResponseSource::Cache } else { ResponseSource::Upstream },
                text: "Use `buf.get(4..6)` and map the None case to ParseError::Truncated; here is the patch...".into(),
                latency_ms: 12,
            }),
        ),
    ]
}

// ---- proptest strategies -------------------------------------------------

fn arb_text() -> impl Strategy<Value = Text> {
    prop_oneof![
        any::<String>().prop_map(Text::Full),
        ("[0-9a-f]{64}", any::<u32>()).prop_map(|(sha256, chars)| Text::Withheld { sha256, chars }),
    ]
}

fn arb_score() -> impl Strategy<Value = Score> {
    (any::<u8>(), prop::collection::vec((".*", any::<u8>(), any::<u8>(), ".*"), 0..4)).prop_map(|(total, c)| Score {
        total,
        max_total: 100,
        criteria: c
            .into_iter()
            .map(|(name, points, max_points, note)| Criterion { name, points, max_points, note })
            .collect(),
    })
}

fn arb_outlook() -> impl Strategy<Value = PromptOutlook> {
    (
        prop::option::of(any::<f32>()),
        prop_oneof![
            Just(OutlookVerdict::ExactHit),
            Just(OutlookVerdict::SemanticHit),
            ".*".prop_map(|reason| OutlookVerdict::GuardRejected { reason }),
            Just(OutlookVerdict::BelowThreshold),
            Just(OutlookVerdict::NoCandidate),
        ],
    )
        .prop_map(|(nearest_similarity, verdict)| PromptOutlook { nearest_similarity, verdict })
}

fn arb_refinement() -> impl Strategy<Value = Event> {
    let change = (0..7u8, ".*", any::<i32>()).prop_map(|(k, description, tokens_added)| Change {
        kind: [
            ChangeKind::InjectedFileContext,
            ChangeKind::AttachedSelection,
            ChangeKind::AddedStructure,
            ChangeKind::StatedExpectedOutput,
            ChangeKind::FlaggedVagueReference,
            ChangeKind::NormalisedWhitespace,
            ChangeKind::LlmRewrite,
        ][usize::from(k)],
        description,
        tokens_added,
    });
    let anchor = (
        prop_oneof![
            Just(AnchorTarget::Tools),
            Just(AnchorTarget::System),
            (any::<u32>(), any::<u32>()).prop_map(|(message, block)| AnchorTarget::Message { message, block })
        ],
        any::<bool>(),
        any::<u32>(),
        ".*",
    )
        .prop_map(|(target, long, prefix_tokens, reason)| CacheAnchor {
            target,
            ttl: if long { CacheTtl::OneHour } else { CacheTtl::FiveMinutes },
            prefix_tokens,
            reason,
        });
    (
        (arb_text(), arb_text(), prop::collection::vec(change, 0..4), arb_score(), arb_score()),
        (
            arb_outlook(),
            arb_outlook(),
            prop::collection::vec(anchor, 0..4),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            ".*",
            "[0-9a-f]{0,16}",
        ),
    )
        .prop_map(
            |(
                (original, refined, changes, before, after),
                (o, r, anchors, tokens_before, tokens_after, llm, version, config_hash),
            )| {
                Event::RefinementProposed(RefinementProposed {
                    original,
                    refined,
                    changes,
                    quality: QualityEstimate { before, after },
                    cache_outlook: CacheOutlook { original: o, refined: r },
                    anchors,
                    tokens_before,
                    tokens_after,
                    origin: if llm { RefinementOrigin::Llm } else { RefinementOrigin::Rules },
                    refiner: RefinerStamp { version, config_hash },
                })
            },
        )
}

fn arb_miss() -> impl Strategy<Value = MissReason> {
    prop_oneof![
        Just(MissReason::Empty),
        any::<f32>().prop_map(|best| MissReason::BelowThreshold { best }),
        (any::<f32>(), ".*").prop_map(|(best, reason)| MissReason::GuardRejected { best, reason }),
        Just(MissReason::Disabled),
        Just(MissReason::Bypassed),
    ]
}

fn arb_frontend() -> impl Strategy<Value = FrontendKind> {
    prop_oneof![Just(FrontendKind::Cli), Just(FrontendKind::Desktop), Just(FrontendKind::Proxy)]
}

pub fn arb_event() -> impl Strategy<Value = Event> {
    let usage = (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(a, b, c, d)| Usage {
        input_tokens: a,
        output_tokens: b,
        cache_creation_input_tokens: c,
        cache_read_input_tokens: d,
    });
    prop_oneof![
        (arb_frontend(), ".*", prop::option::of(".*"), 0..3u8).prop_map(|(frontend, lantern_version, workspace, p)| {
            Event::SessionStarted(SessionStarted {
                frontend,
                lantern_version,
                workspace,
                privacy: [PrivacyLevel::Full, PrivacyLevel::Metadata, PrivacyLevel::Off][usize::from(p)],
            })
        }),
        (
            arb_text(),
            ".*",
            prop::option::of(".*"),
            prop::option::of((arb_text(), prop::option::of(any::<u32>()), prop::option::of(any::<u32>()))),
            any::<u64>(),
            any::<u8>()
        )
            .prop_map(|(text, model, active_file, sel, offered_seq, index)| Event::PromptSubmitted(
                PromptSubmitted {
                    text,
                    model,
                    context: PromptContext {
                        active_file,
                        language: Some("rust".into()),
                        selection: sel.map(|(text, start_line, end_line)| Selection { text, start_line, end_line }),
                    },
                    origin: if index % 3 == 0 {
                        PromptOrigin::Suggestion { offered_seq, index }
                    } else if index % 3 == 1 {
                        PromptOrigin::Typed
                    } else {
                        PromptOrigin::Proxy
                    },
                }
            )),
        arb_refinement(),
        (
            prop_oneof![
                Just(Decision::Accepted),
                arb_text().prop_map(|text| Decision::Modified { text }),
                Just(Decision::Rejected),
                Just(Decision::TimedOut)
            ],
            any::<bool>(),
            any::<u64>()
        )
            .prop_map(|(decision, user, waited_ms)| Event::ApprovalDecided(ApprovalDecided {
                decision,
                by: if user { Decider::User } else { Decider::Policy(ApprovalPolicy::Original) },
                waited_ms
            })),
        (
            prop_oneof![
                ".*".prop_map(|e| CacheOutcome::ExactHit { entry: EntryId(e) }),
                (any::<f32>(), ".*", prop::option::of(arb_text())).prop_map(|(similarity, e, matched_prompt)| {
                    CacheOutcome::SemanticHit { similarity, entry: EntryId(e), matched_prompt }
                }),
                arb_miss().prop_map(|reason| CacheOutcome::Miss { reason }),
            ],
            ".*",
            any::<u64>()
        )
            .prop_map(|(outcome, namespace, latency_us)| Event::CacheChecked(CacheChecked {
                outcome,
                namespace,
                latency_us
            })),
        (".*", ".*", usage, any::<u32>(), any::<u64>(), prop::option::of(".*")).prop_map(
            |(provider, model, usage, attempts, latency_ms, stop_reason)| Event::UpstreamCompleted(UpstreamCompleted {
                provider,
                model,
                usage,
                attempts,
                latency_ms,
                stop_reason
            })
        ),
        (".*", ".*", prop::option::of(any::<u16>()), ".*", any::<bool>(), any::<u32>()).prop_map(
            |(provider, kind, status, message, retryable, attempts)| Event::UpstreamFailed(UpstreamFailed {
                provider,
                kind,
                status,
                message,
                retryable,
                attempts
            })
        ),
        (0..3u8, arb_text(), any::<u64>()).prop_map(|(s, text, latency_ms)| Event::ResponseDelivered(
            ResponseDelivered {
                source: [ResponseSource::Cache, ResponseSource::Upstream, ResponseSource::Offline][usize::from(s)],
                text,
                latency_ms,
            }
        )),
        (
            prop::collection::vec(arb_text(), 0..4),
            prop::option::of(any::<bool>()),
            prop::option::of(prop::option::of(any::<u8>()))
        )
            .prop_map(|(texts, llm, ctx)| Event::SuggestionsOffered(SuggestionsOffered {
                suggestions: texts.into_iter().map(|text| Suggestion { text }).collect(),
                origin: llm.map(|l| if l { SuggestionOrigin::Llm } else { SuggestionOrigin::Heuristic }),
                context: ctx
                    .map(|d| d.map_or(SuggestionContext::LastAssistant, |depth| SuggestionContext::History { depth })),
            })),
        (
            any::<u64>(),
            any::<u8>(),
            prop_oneof![
                Just(SuggestionAction::Sent),
                arb_text().prop_map(|text| SuggestionAction::Edited { text }),
                Just(SuggestionAction::Dismissed)
            ]
        )
            .prop_map(|(offered_seq, index, action)| Event::SuggestionActed(SuggestionActed {
                offered_seq,
                index,
                action
            })),
        (any::<u64>(), any::<bool>(), prop::option::of(".*"), any::<bool>(), prop::option::of(arb_text())).prop_map(
            |(response_seq, wrong, entry, invalidated, note)| Event::FeedbackGiven(FeedbackGiven {
                response_seq,
                verdict: if wrong { FeedbackVerdict::WrongAnswer } else { FeedbackVerdict::Correct },
                entry: entry.map(EntryId),
                invalidated,
                note,
            })
        ),
        (0..3u8).prop_map(|r| Event::SessionEnded(SessionEnded {
            reason: [EndReason::UserExit, EndReason::Shutdown, EndReason::Idle][usize::from(r)]
        })),
    ]
}

pub fn arb_new_event() -> impl Strategy<Value = NewEvent> {
    (any::<i64>(), any::<u128>(), prop::option::of(any::<u128>()), 0..6u8, prop::option::of(any::<u64>()), arb_event())
        .prop_map(|(at, s, r, a, cause, event)| NewEvent {
            at: Timestamp(at),
            session: SessionId(Uuid::from_u128(s)),
            request: r.map(|r| RequestId(Uuid::from_u128(r))),
            actor: [
                Actor::Frontend(FrontendKind::Proxy),
                Actor::Refiner,
                Actor::Policy,
                Actor::CacheBridge,
                Actor::Suggester,
                Actor::Telemetry,
            ][usize::from(a)],
            cause,
            event,
        })
}
