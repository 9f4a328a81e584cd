//! Deterministic synthetic journals, for tests, golden exports and
//! benchmarks: what a log of real sessions looks like, event for event.
//!
//! Every proposal is the real Refiner's output and every suggestion set the
//! real heuristic Suggester's, so `replay verify` finds a synthetic log
//! identical. Decisions, cache outcomes, failures, suggestion actions and
//! feedback cycle through every variant the schema has.

use crate::chain::Chains;
use lantern_actors::refiner::{RefineInput, RefinerConfig, refine};
use lantern_actors::suggester::{SuggestInput, heuristic};
use lantern_events::schema::*;
use lantern_events::{Actor, NewEvent, RequestId, SessionId, Timestamp};
use uuid::Uuid;

/// The shape of a synthetic journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Number of sessions.
    pub sessions: usize,
    /// Prompts per session.
    pub requests_per_session: usize,
    /// Varies ids and the order of cases.
    pub seed: u64,
    /// Time of the first event.
    pub start: Timestamp,
}

impl Plan {
    /// A plan starting on 2026-01-05 09:00 UTC.
    pub fn new(sessions: usize, requests_per_session: usize, seed: u64) -> Self {
        Self { sessions, requests_per_session, seed, start: Timestamp(1_767_603_600_000_000) }
    }
}

const PROMPTS: &[&str] = &[
    "Why does this panic when the buffer is {n} bytes long?",
    "How do I reverse a list in Python?",
    "refactor this to use iterators instead of index loops",
    "Write a function that parses {n} ISO dates from a CSV column",
    "fix it",
    "What's the difference between HTTP 401 and 403?",
    "Convert UTC timestamps to local time in pandas",
    "implement retry with exponential backoff, max {n} attempts",
    "Explain what this regex does: `^(?:[a-z0-9-]+\\.)+[a-z]{2,}$`",
    "Add a unit test for the empty-input case",
    "How do I enable debug logging in the tracing crate?",
    "The deploy to build{n}.corp.example.com fails, logs in /home/jane/deploy.log, ping jane@example.com",
];

const FILES: &[(&str, &str, &str)] = &[
    (
        "src/header.rs",
        "rust",
        "fn parse_header(buf: &[u8]) -> Header {\n    let version = u16::from_le_bytes([buf[6], buf[7]]);\n    Header { version }\n}",
    ),
    (
        "app/loader.py",
        "python",
        "def load(rows):\n    out = []\n    for i in range(len(rows)):\n        out.append(rows[i].strip())\n    return out",
    ),
];

const REPLIES: &[&str] = &[
    "The slice index 7 is out of range for a 7-byte buffer. Check the length first:\n\n```rust\nif buf.len() < 8 { return Err(Error::Short) }\n```\n\nYou could also use `get(6..8)`.",
    "Use `reversed(xs)` for an iterator or `xs[::-1]` for a copy; `xs.reverse()` reverses in place.",
    "401 means the request is not authenticated; 403 means it is authenticated but not allowed.",
    "Here is a version with iterators:\n\n```python\ndef load(rows):\n    return [r.strip() for r in rows]\n```\n\nIt avoids the index loop and the append.",
];

/// Case number of request `i` of session `s`, mixed by the seed.
fn case(plan: &Plan, s: usize, i: usize) -> usize {
    let x = (s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ plan.seed;
    (x.wrapping_mul(0x1656_67B1_9E37_79F9) >> 33) as usize
}

/// A random-looking (v4) id, fixed by the plan's seed and the position.
fn id(plan: &Plan, kind: u8, s: usize, i: usize) -> Uuid {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(plan.seed.to_le_bytes());
    h.update([kind]);
    h.update((s as u64).to_le_bytes());
    h.update((i as u64).to_le_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h.finalize()[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The events of the plan, in commit order, for an empty log (the
/// references between events assume seqs start at 1).
pub fn events(plan: &Plan) -> Vec<NewEvent> {
    let mut out = Vec::with_capacity(plan.sessions * plan.requests_per_session * 9 + plan.sessions * 2);
    let config = RefinerConfig::default();
    let mut clock = plan.start.0;
    let mut tick = |ms: i64| {
        clock += ms * 1000;
        Timestamp(clock)
    };
    for s in 0..plan.sessions {
        let session = SessionId(id(plan, 1, s, 0));
        let privacy = if s % 7 == 6 { PrivacyLevel::Metadata } else { PrivacyLevel::Full };
        let ev = |at: Timestamp, actor: Actor, request: Option<RequestId>, event: Event| NewEvent {
            at,
            session,
            request,
            actor,
            cause: None,
            event,
        };
        let frontend = if s % 3 == 2 { FrontendKind::Desktop } else { FrontendKind::Cli };
        out.push(ev(
            tick(1000),
            Actor::Frontend(frontend),
            None,
            Event::SessionStarted(SessionStarted {
                frontend,
                lantern_version: "0.1.0".into(),
                privacy,
                workspace: Some("/home/jane/src/app".into()),
            }),
        ));
        let mut turns: Vec<String> = Vec::new();
        for i in 0..plan.requests_per_session {
            let c = case(plan, s, i);
            let request = Some(RequestId(id(plan, 2, s, i)));
            let prompt = PROMPTS[(s * 5 + i) % PROMPTS.len()].replace("{n}", &(c % 97 + 2).to_string());
            let context = if c.is_multiple_of(3) {
                let (file, language, code) = FILES[c % FILES.len()];
                PromptContext {
                    active_file: Some(file.into()),
                    language: Some(language.into()),
                    selection: Some(Selection { text: code.into(), start_line: Some(12), end_line: Some(15) }),
                }
            } else {
                PromptContext::default()
            };
            let model = if c % 5 == 4 { "claude-haiku-4-5" } else { "claude-sonnet-4-5" };
            let proposal = refine(&RefineInput::new(&prompt, model, &context), &config);
            let refined = proposal.refined.clone();
            let none = PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
            let outlook = CacheOutlook { original: none.clone(), refined: none };
            out.push(ev(
                tick(40),
                Actor::Frontend(frontend),
                request,
                Event::PromptSubmitted(PromptSubmitted {
                    text: prompt.as_str().into(),
                    model: model.into(),
                    context,
                    origin: PromptOrigin::Typed,
                }),
            ));
            out.push(ev(tick(2), Actor::Refiner, request, Event::RefinementProposed(proposal.into_event(outlook))));
            let (decision, by) = match c % 6 {
                0 => (Decision::Accepted, Decider::User),
                1 => (Decision::Rejected, Decider::User),
                2 => (Decision::Modified { text: format!("{prompt} Keep it short.").into() }, Decider::User),
                3 => (Decision::Accepted, Decider::Policy(ApprovalPolicy::Accept)),
                4 => (Decision::TimedOut, Decider::Policy(ApprovalPolicy::Ask)),
                _ => (Decision::Rejected, Decider::Policy(ApprovalPolicy::Original)),
            };
            let sent = match &decision {
                Decision::Accepted => refined.clone(),
                Decision::Modified { text } => text.display(),
                _ => prompt.clone(),
            };
            let actor = if by == Decider::User { Actor::Frontend(frontend) } else { Actor::Policy };
            out.push(ev(
                tick(1500),
                actor,
                request,
                Event::ApprovalDecided(ApprovalDecided { decision, by, waited_ms: 1500 }),
            ));
            turns.push(prompt.clone());
            let entry = EntryId(id(plan, 3, s, c % 5).simple().to_string());
            let (outcome, upstream) = match c % 5 {
                0 => (CacheOutcome::ExactHit { entry: entry.clone() }, None),
                1 => (
                    CacheOutcome::SemanticHit {
                        similarity: 0.93,
                        entry: entry.clone(),
                        matched_prompt: Some("How can I reverse a Python list?".into()),
                    },
                    None,
                ),
                2 => (
                    CacheOutcome::Miss {
                        reason: MissReason::GuardRejected {
                            best: 0.88,
                            reason: "unmatched_term: 'string' (closest 'list' 0.10)".into(),
                        },
                    },
                    Some(c % 11 != 10),
                ),
                _ => (CacheOutcome::Miss { reason: MissReason::Empty }, Some(c % 11 != 10)),
            };
            let namespace = if s % 2 == 0 { "default" } else { "team-a" };
            out.push(ev(
                tick(1),
                Actor::CacheBridge,
                request,
                Event::CacheChecked(CacheChecked {
                    outcome: outcome.clone(),
                    namespace: namespace.into(),
                    latency_us: 180 + (c % 400) as u64,
                }),
            ));
            if upstream == Some(false) {
                out.push(ev(
                    tick(30_000),
                    Actor::CacheBridge,
                    request,
                    Event::UpstreamFailed(UpstreamFailed {
                        provider: "anthropic".into(),
                        kind: "overloaded".into(),
                        status: Some(529),
                        message: "Overloaded".into(),
                        retryable: true,
                        attempts: 3,
                    }),
                ));
                continue;
            }
            let reply = REPLIES[c % REPLIES.len()];
            if upstream == Some(true) {
                out.push(ev(
                    tick(900),
                    Actor::CacheBridge,
                    request,
                    Event::UpstreamCompleted(UpstreamCompleted {
                        provider: "anthropic".into(),
                        model: model.into(),
                        usage: Usage {
                            input_tokens: lantern_actors::refiner::estimate_tokens(&sent),
                            output_tokens: lantern_actors::refiner::estimate_tokens(reply),
                            cache_creation_input_tokens: 0,
                            cache_read_input_tokens: 0,
                        },
                        attempts: 1 + (c % 2) as u32,
                        latency_ms: 900,
                        stop_reason: Some("end_turn".into()),
                    }),
                ));
            }
            let source = if upstream.is_some() { ResponseSource::Upstream } else { ResponseSource::Cache };
            let delivered_at = tick(5);
            let response_seq_index = out.len();
            out.push(ev(
                delivered_at,
                Actor::CacheBridge,
                request,
                Event::ResponseDelivered(ResponseDelivered { source, text: reply.into(), latency_ms: 950 }),
            ));
            let history: Vec<&str> = turns.iter().map(String::as_str).collect();
            if let Some(sug) = heuristic(&SuggestInput { last_assistant: Some(reply), user_turns: &history, max: 3 }) {
                out.push(ev(
                    tick(1),
                    Actor::Suggester,
                    request,
                    Event::SuggestionsOffered(SuggestionsOffered {
                        suggestions: sug.prompts.iter().map(|p| Suggestion { text: p.as_str().into() }).collect(),
                        origin: Some(sug.origin),
                        context: Some(sug.context),
                    }),
                ));
                let offered_index = out.len() - 1;
                let action = match c % 4 {
                    0 => Some(SuggestionAction::Sent),
                    1 => Some(SuggestionAction::Edited { text: format!("{} (in Rust)", sug.prompts[0]).into() }),
                    2 => Some(SuggestionAction::Dismissed),
                    _ => None,
                };
                if let Some(action) = action {
                    out.push(NewEvent {
                        cause: Some(offered_index as u64),
                        ..ev(
                            tick(3000),
                            Actor::Frontend(frontend),
                            None,
                            Event::SuggestionActed(SuggestionActed {
                                offered_seq: offered_index as u64,
                                index: 0,
                                action,
                            }),
                        )
                    });
                }
            }
            if matches!(outcome, CacheOutcome::SemanticHit { .. }) && c.is_multiple_of(2) {
                out.push(NewEvent {
                    cause: Some(response_seq_index as u64),
                    ..ev(
                        tick(4000),
                        Actor::Frontend(frontend),
                        None,
                        Event::FeedbackGiven(FeedbackGiven {
                            response_seq: response_seq_index as u64,
                            verdict: FeedbackVerdict::WrongAnswer,
                            entry: Some(entry),
                            invalidated: true,
                            note: None,
                        }),
                    )
                });
            }
        }
        out.push(ev(
            tick(60_000),
            Actor::Frontend(frontend),
            None,
            Event::SessionEnded(SessionEnded { reason: EndReason::UserExit }),
        ));
        if privacy == PrivacyLevel::Metadata {
            let start = out.len() - session_len(&out, session);
            for e in &mut out[start..] {
                withhold(&mut e.event);
            }
        }
    }
    fix_seqs(&mut out);
    out
}

fn session_len(out: &[NewEvent], session: SessionId) -> usize {
    out.iter().rev().take_while(|e| e.session == session).count()
}

/// Seq references above were indexes into `out`; the log numbers from 1.
fn fix_seqs(out: &mut [NewEvent]) {
    for e in out.iter_mut() {
        let shift = |x: &mut u64| *x += 1;
        if let Some(c) = &mut e.cause {
            shift(c);
        }
        match &mut e.event {
            Event::SuggestionActed(a) => shift(&mut a.offered_seq),
            Event::FeedbackGiven(f) => shift(&mut f.response_seq),
            _ => {}
        }
    }
}

/// What privacy `metadata` does to a text: a digest and a length.
fn withhold_text(t: &mut Text) {
    if let Text::Full(s) = t {
        use sha2::{Digest, Sha256};
        let sha256 = Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        *t = Text::Withheld { sha256, chars: s.chars().count() as u32 };
    }
}

fn withhold(e: &mut Event) {
    match e {
        Event::PromptSubmitted(p) => {
            withhold_text(&mut p.text);
            if let Some(sel) = &mut p.context.selection {
                withhold_text(&mut sel.text);
            }
        }
        Event::RefinementProposed(r) => {
            withhold_text(&mut r.original);
            withhold_text(&mut r.refined);
        }
        Event::ApprovalDecided(ApprovalDecided { decision: Decision::Modified { text }, .. }) => withhold_text(text),
        Event::ResponseDelivered(r) => withhold_text(&mut r.text),
        Event::SuggestionsOffered(s) => s.suggestions.iter_mut().for_each(|x| withhold_text(&mut x.text)),
        Event::SuggestionActed(SuggestionActed { action: SuggestionAction::Edited { text }, .. }) => {
            withhold_text(text)
        }
        _ => {}
    }
}

/// The chains of a synthetic plan, folded without a log (seqs from 1).
pub fn chains(plan: &Plan) -> Chains {
    let envelopes: Vec<_> = events(plan).into_iter().enumerate().map(|(i, e)| e.committed(i as u64 + 1)).collect();
    Chains::from_events(&envelopes)
}
