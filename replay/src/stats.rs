//! The one stats projection, folded from the log: what `lantern stats`
//! prints, what the window's Stats view draws and what the proxy's
//! `/stats` reports under `journal`.
//!
//! Every counter counts one kind of event (docs/guide.md, "Statistics",
//! defines each), so that on a log whose chains have all finished they add
//! up ([`Counts::check`]):
//!
//! - `prompts = refined + not_refined` (each chain is refined or skipped);
//! - `Σ decisions = refined` (a refined chain is decided once);
//! - `cache_checks = exact_hits + semantic_hits + semantic_offers + Σ misses`;
//! - `Σ offer_choices = semantic_offers` (each offer is decided once);
//! - `Σ responses + upstream_failures = cache_checks` (each checked chain
//!   ends in an answer or a failure), and `responses.cache ≤ hits` (a hit
//!   whose stored answer no longer parses is asked of the upstream), where
//!   hits count the offers the user took.

use lantern_actors::refiner::estimate_tokens;
use lantern_events::schema::*;
use lantern_events::{Envelope, RequestId, SessionId, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The counters, each of one event kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    /// `SessionStarted` events.
    pub sessions: u64,
    /// `PromptSubmitted` events: one per request chain.
    pub prompts: u64,
    /// `RefinementProposed` events.
    pub refined: u64,
    /// `RefinementSkipped` events (too large, not plain text, …).
    pub not_refined: u64,
    /// `ApprovalDecided` events, by decision.
    pub decisions: BTreeMap<&'static str, u64>,
    /// `CacheChecked` events.
    pub cache_checks: u64,
    /// `CacheChecked` with an exact hit.
    pub exact_hits: u64,
    /// `CacheChecked` with a verified semantic hit.
    pub semantic_hits: u64,
    /// `CacheChecked` with a paraphrase offered to the user.
    pub semantic_offers: u64,
    /// `OfferDecided` events, by choice.
    pub offer_choices: BTreeMap<&'static str, u64>,
    /// `CacheChecked` with a miss, by reason.
    pub misses: BTreeMap<&'static str, u64>,
    /// `ResponseDelivered` events, by source.
    pub responses: BTreeMap<&'static str, u64>,
    /// `UpstreamFailed` events (client disconnects included).
    pub upstream_failures: u64,
    /// Uncached input tokens of `UpstreamCompleted` events.
    pub upstream_input_tokens: u64,
    /// Output tokens of `UpstreamCompleted` events.
    pub upstream_output_tokens: u64,
    /// Input tokens Anthropic read from its prompt cache.
    pub prompt_cache_read_tokens: u64,
    /// `SuggestionsOffered` events.
    pub suggestions_offered: u64,
    /// `SuggestionActed` events.
    pub suggestions_acted: u64,
    /// `FeedbackGiven` events with the wrong-answer verdict.
    pub wrong_answer_flags: u64,
}

/// A sum that does not add up, named by the identity it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

impl Counts {
    /// Cache checks that served an answer: exact and semantic hits, and the
    /// offers the user took.
    pub fn hits(&self) -> u64 {
        self.exact_hits + self.semantic_hits + self.offer_choices.get(USED_CACHED).copied().unwrap_or(0)
    }

    /// Share of cache checks that served an answer (0 when there were none).
    pub fn hit_rate(&self) -> f64 {
        if self.cache_checks == 0 { 0.0 } else { self.hits() as f64 / self.cache_checks as f64 }
    }

    /// Checks the identities of the module documentation; they hold on a
    /// log whose chains have all finished (a running one has chains between
    /// two events).
    pub fn check(&self) -> Result<(), Vec<Mismatch>> {
        let sum = |m: &BTreeMap<&str, u64>| m.values().sum::<u64>();
        let hits = self.hits();
        let checked = self.exact_hits + self.semantic_hits + self.semantic_offers + sum(&self.misses);
        let identities = [
            ("prompts = refined + not_refined", self.prompts, self.refined + self.not_refined),
            ("Σ decisions = refined", sum(&self.decisions), self.refined),
            ("cache_checks = exact_hits + semantic_hits + semantic_offers + Σ misses", self.cache_checks, checked),
            ("Σ offer_choices = semantic_offers", sum(&self.offer_choices), self.semantic_offers),
            (
                "Σ responses + upstream_failures = cache_checks",
                sum(&self.responses) + self.upstream_failures,
                self.cache_checks,
            ),
        ];
        let mut wrong: Vec<Mismatch> = identities
            .into_iter()
            .filter(|(_, a, b)| a != b)
            .map(|(what, a, b)| Mismatch(format!("{what}: {a} ≠ {b}")))
            .collect();
        let from_cache = self.responses.get("cache").copied().unwrap_or(0);
        if from_cache > hits {
            wrong.push(Mismatch(format!("responses.cache ≤ hits: {from_cache} > {hits}")));
        }
        if wrong.is_empty() { Ok(()) } else { Err(wrong) }
    }
}

/// The `offer_choices` key of offers the user took.
const USED_CACHED: &str = "used_cached";

/// An offer choice's name in the counters.
fn offer_choice_name(c: OfferChoice) -> &'static str {
    match c {
        OfferChoice::UsedCached => USED_CACHED,
        OfferChoice::AskedModel => "asked_model",
        OfferChoice::TimedOut => "timed_out",
    }
}

/// One cache lookup, for the hit-rate curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lookup {
    /// When it happened.
    pub at: Timestamp,
    /// Whether the cache served the answer.
    pub hit: bool,
}

/// One delivered answer, for latencies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    /// When it was delivered.
    pub at: Timestamp,
    /// Where it came from.
    pub source: ResponseSource,
    /// Submission to delivery, in milliseconds.
    pub latency_ms: u64,
}

/// What a request has told so far that tokens saved depend on.
#[derive(Debug, Clone, Default)]
struct Open {
    session: Option<SessionId>,
    /// The prompt as submitted, estimated (what goes up when nothing refines it).
    submitted: Option<u32>,
    tokens: Option<(u32, u32)>,
    sent_tokens: Option<u32>,
    hit: bool,
}

/// The projection: the counters, and the series the window draws (kept
/// unless made with [`Stats::counters_only`]).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Keeps no series (lookups, deliveries, savings over time): for a
    /// long-running server, whose memory must not grow with its log.
    counters_only: bool,
    /// The counters.
    pub counts: Counts,
    /// Every cache lookup, in log order.
    pub lookups: Vec<Lookup>,
    /// Every delivered answer, in log order.
    pub deliveries: Vec<Delivery>,
    /// (time, cumulative estimated tokens saved) after each cache hit.
    pub saved_over_time: Vec<(Timestamp, u64)>,
    /// Estimated tokens saved per session.
    pub saved_by_session: HashMap<SessionId, u64>,
    open: HashMap<RequestId, Open>,
    saved_total: u64,
}

/// What `lantern stats --json` prints under `log`, and the proxy's
/// `/stats` under `journal`: the counters, latencies by source and the
/// estimate of tokens saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The counters.
    #[serde(flatten)]
    pub counts: Counts,
    /// Share of cache checks that served an answer.
    pub hit_rate: f64,
    /// Median submission-to-delivery latency by source, in ms.
    pub latency_ms_p50: BTreeMap<&'static str, u64>,
    /// 95th percentile of the same.
    pub latency_ms_p95: BTreeMap<&'static str, u64>,
    /// Estimated tokens cache hits saved (the prompt sent and the answer).
    pub tokens_saved_estimate: u64,
}

impl Summary {
    /// The summary as lines of text, as `lantern stats` prints it and the
    /// terminal's Stats view shows it.
    pub fn lines(&self) -> Vec<String> {
        let c = &self.counts;
        let mut lines = vec![
            format!("sessions {} · prompts {} · decisions {:?}", c.sessions, c.prompts, c.decisions),
            format!(
                "cache: {} checks, {} exact + {} semantic hits ({:.0}% hit rate), misses {:?}",
                c.cache_checks,
                c.exact_hits,
                c.semantic_hits,
                self.hit_rate * 100.0,
                c.misses
            ),
        ];
        if c.semantic_offers > 0 {
            lines.push(format!("semantic offers: {} · choices {:?}", c.semantic_offers, c.offer_choices));
        }
        for (k, n) in &c.responses {
            lines.push(format!(
                "answers from {k}: {n} · latency p50 {} ms, p95 {} ms",
                self.latency_ms_p50.get(k).copied().unwrap_or(0),
                self.latency_ms_p95.get(k).copied().unwrap_or(0)
            ));
        }
        lines.push(format!(
            "upstream: {} in / {} out tokens, {} read from Anthropic's prompt cache, {} failure(s)",
            c.upstream_input_tokens, c.upstream_output_tokens, c.prompt_cache_read_tokens, c.upstream_failures
        ));
        lines.push(format!(
            "suggestions: {} offered, {} acted on · wrong-answer flags: {}",
            c.suggestions_offered, c.suggestions_acted, c.wrong_answer_flags
        ));
        lines
    }
}

/// The name of a response source in counters.
pub fn source_name(s: ResponseSource) -> &'static str {
    match s {
        ResponseSource::Cache => "cache",
        ResponseSource::Upstream => "upstream",
        ResponseSource::Offline => "offline",
    }
}

/// The name of a miss reason in counters.
pub fn miss_name(reason: &MissReason) -> &'static str {
    match reason {
        MissReason::Empty => "empty",
        MissReason::BelowThreshold { .. } => "below_threshold",
        MissReason::GuardRejected { .. } => "guard_rejected",
        MissReason::Disabled => "disabled",
        MissReason::Bypassed => "bypassed",
        MissReason::ExactOnly => "exact_only",
        MissReason::NoWords => "no_words",
        MissReason::Unavailable { .. } => "unavailable",
    }
}

/// The name of a decision in counters.
pub fn decision_name(d: &Decision) -> &'static str {
    match d {
        Decision::Accepted => "accepted",
        Decision::Modified { .. } => "modified",
        Decision::Rejected => "original",
        Decision::TimedOut => "timed_out",
    }
}

impl Stats {
    /// A projection that keeps the counters and the savings total only: its
    /// [`Summary`] has no latencies.
    pub fn counters_only() -> Self {
        Stats { counters_only: true, ..Stats::default() }
    }

    /// Folds every envelope of `events`.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Envelope>) -> Self {
        let mut s = Stats::default();
        events.into_iter().for_each(|e| s.apply(e));
        s
    }

    /// Folds one envelope.
    pub fn apply(&mut self, e: &Envelope) {
        self.count(e);
        let Some(request) = e.request else { return };
        match &e.event {
            Event::PromptSubmitted(p) => {
                let tokens = match &p.text {
                    Text::Full(s) => estimate_tokens(s),
                    Text::Withheld { chars, .. } => chars.div_ceil(4),
                };
                self.open.entry(request).or_default().submitted = Some(tokens);
            }
            Event::RefinementProposed(p) => {
                let open = self.open.entry(request).or_default();
                open.tokens = Some((p.tokens_before, p.tokens_after));
                open.session = Some(e.session);
            }
            Event::ApprovalDecided(d) => {
                let open = self.open.entry(request).or_default();
                open.sent_tokens = match (&d.decision, open.tokens) {
                    (Decision::Accepted, Some((_, after))) => Some(after),
                    (Decision::Rejected | Decision::TimedOut, Some((before, _))) => Some(before),
                    (Decision::Modified { text }, tokens) => {
                        text.as_str().map(estimate_tokens).or(tokens.map(|(_, after)| after))
                    }
                    (_, None) => None,
                };
            }
            Event::CacheChecked(c) => {
                let hit = matches!(c.outcome, CacheOutcome::ExactHit { .. } | CacheOutcome::SemanticHit { .. });
                // An offer's lookup counts once the user has chosen.
                if !self.counters_only && !matches!(c.outcome, CacheOutcome::SemanticOffered { .. }) {
                    self.lookups.push(Lookup { at: e.at, hit });
                }
                let open = self.open.entry(request).or_default();
                open.hit = hit;
                open.session = Some(e.session);
            }
            Event::OfferDecided(d) => {
                let hit = d.choice == OfferChoice::UsedCached;
                if !self.counters_only {
                    self.lookups.push(Lookup { at: e.at, hit });
                }
                self.open.entry(request).or_default().hit = hit;
            }
            Event::ResponseDelivered(r) => {
                if !self.counters_only {
                    self.deliveries.push(Delivery { at: e.at, source: r.source, latency_ms: r.latency_ms });
                }
                let Some(open) = self.open.remove(&request) else { return };
                if !open.hit {
                    return;
                }
                // A hit saved the prompt going up and the answer coming back.
                let answer = match &r.text {
                    Text::Full(s) => estimate_tokens(s),
                    Text::Withheld { chars, .. } => chars.div_ceil(4),
                };
                let sent = open.sent_tokens.or(open.submitted).unwrap_or(0);
                let saved = u64::from(sent) + u64::from(answer);
                self.saved_total += saved;
                if !self.counters_only {
                    self.saved_over_time.push((e.at, self.saved_total));
                    *self.saved_by_session.entry(open.session.unwrap_or(e.session)).or_default() += saved;
                }
            }
            Event::UpstreamFailed(_) => {
                self.open.remove(&request);
            }
            _ => {}
        }
    }

    fn count(&mut self, e: &Envelope) {
        let c = &mut self.counts;
        match &e.event {
            Event::SessionStarted(_) => c.sessions += 1,
            Event::PromptSubmitted(_) => c.prompts += 1,
            Event::RefinementProposed(_) => c.refined += 1,
            Event::RefinementSkipped(_) => c.not_refined += 1,
            Event::ApprovalDecided(d) => *c.decisions.entry(decision_name(&d.decision)).or_default() += 1,
            Event::CacheChecked(check) => {
                c.cache_checks += 1;
                match &check.outcome {
                    CacheOutcome::ExactHit { .. } => c.exact_hits += 1,
                    CacheOutcome::SemanticHit { .. } => c.semantic_hits += 1,
                    CacheOutcome::SemanticOffered { .. } => c.semantic_offers += 1,
                    CacheOutcome::Miss { reason } => *c.misses.entry(miss_name(reason)).or_default() += 1,
                }
            }
            Event::OfferDecided(d) => *c.offer_choices.entry(offer_choice_name(d.choice)).or_default() += 1,
            Event::UpstreamCompleted(u) => {
                c.upstream_input_tokens += u64::from(u.usage.input_tokens);
                c.upstream_output_tokens += u64::from(u.usage.output_tokens);
                c.prompt_cache_read_tokens += u64::from(u.usage.cache_read_input_tokens);
            }
            Event::UpstreamFailed(_) => c.upstream_failures += 1,
            Event::ResponseDelivered(r) => *c.responses.entry(source_name(r.source)).or_default() += 1,
            Event::SuggestionsOffered(_) => c.suggestions_offered += 1,
            Event::SuggestionActed(_) => c.suggestions_acted += 1,
            Event::FeedbackGiven(f) if f.verdict == FeedbackVerdict::WrongAnswer => c.wrong_answer_flags += 1,
            Event::FeedbackGiven(_) | Event::SessionEnded(_) => {}
        }
    }

    /// Estimated tokens saved by cache hits, in all.
    pub fn tokens_saved(&self) -> u64 {
        self.saved_total
    }

    /// Share of lookups that hit, `None` before the first.
    pub fn hit_rate(&self) -> Option<f64> {
        (self.counts.cache_checks > 0).then(|| self.counts.hit_rate())
    }

    /// (time, hit rate of the last `window` lookups) after each lookup.
    pub fn hit_rate_over_time(&self, window: usize) -> Vec<(Timestamp, f64)> {
        let mut hits = 0usize;
        self.lookups
            .iter()
            .enumerate()
            .map(|(i, l)| {
                hits += usize::from(l.hit);
                if i >= window && self.lookups[i - window].hit {
                    hits -= 1;
                }
                (l.at, hits as f64 / (i + 1).min(window) as f64)
            })
            .collect()
    }

    /// The counters with latencies and savings.
    pub fn summary(&self) -> Summary {
        let mut by_source: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
        for d in &self.deliveries {
            by_source.entry(source_name(d.source)).or_default().push(d.latency_ms);
        }
        let (mut p50, mut p95) = (BTreeMap::new(), BTreeMap::new());
        for (k, mut v) in by_source {
            v.sort_unstable();
            let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
            p50.insert(k, at(0.5));
            p95.insert(k, at(0.95));
        }
        Summary {
            counts: self.counts.clone(),
            hit_rate: self.counts.hit_rate(),
            latency_ms_p50: p50,
            latency_ms_p95: p95,
            tokens_saved_estimate: self.saved_total,
        }
    }
}

/// Bucket upper bounds (ms) of the latency histogram; the last bucket is open.
pub const LATENCY_BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000];

/// Counts per bucket of [`LATENCY_BUCKETS_MS`] (plus one for slower), for one source.
pub fn latency_histogram(deliveries: &[Delivery], source: ResponseSource) -> Vec<u64> {
    let mut counts = vec![0; LATENCY_BUCKETS_MS.len() + 1];
    for d in deliveries.iter().filter(|d| d.source == source) {
        let i = LATENCY_BUCKETS_MS.iter().position(|&b| d.latency_ms <= b).unwrap_or(LATENCY_BUCKETS_MS.len());
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{Plan, events};
    use lantern_events::{Actor, NewEvent};

    fn env(seq: u64, session: SessionId, request: RequestId, event: Event) -> Envelope {
        NewEvent::now(session, Actor::Telemetry, event).in_request(request).committed(seq)
    }

    fn checked(outcome: CacheOutcome) -> Event {
        Event::CacheChecked(CacheChecked { outcome, namespace: "default".into(), latency_us: 10 })
    }

    fn delivered(source: ResponseSource, text: &str, latency_ms: u64) -> Event {
        Event::ResponseDelivered(ResponseDelivered { source, text: text.into(), latency_ms })
    }

    #[test]
    fn a_hit_saves_the_sent_prompt_and_the_answer() {
        let (s, r1, r2) = (SessionId::new(), RequestId::new(), RequestId::new());
        let mut st = Stats::default();
        st.apply(&env(1, s, r1, checked(CacheOutcome::Miss { reason: MissReason::Empty })));
        st.apply(&env(2, s, r1, delivered(ResponseSource::Offline, "an answer", 300)));
        st.apply(&env(
            3,
            s,
            r2,
            Event::ApprovalDecided(ApprovalDecided {
                decision: Decision::Modified { text: "reverse a list".into() },
                by: Decider::User,
                waited_ms: 5,
            }),
        ));
        st.apply(&env(4, s, r2, checked(CacheOutcome::ExactHit { entry: EntryId("e".into()) })));
        st.apply(&env(5, s, r2, delivered(ResponseSource::Cache, "an answer", 2)));
        let saved = u64::from(estimate_tokens("reverse a list") + estimate_tokens("an answer"));
        assert_eq!(st.tokens_saved(), saved);
        assert_eq!(st.saved_by_session[&s], saved);
        assert_eq!(st.hit_rate(), Some(0.5));
        let curve: Vec<f64> = st.hit_rate_over_time(1).into_iter().map(|(_, r)| r).collect();
        assert_eq!(curve, vec![0.0, 1.0]);
        assert_eq!(latency_histogram(&st.deliveries, ResponseSource::Cache)[1], 1);
        assert_eq!(latency_histogram(&st.deliveries, ResponseSource::Offline)[6], 1);
        let summary = st.summary();
        assert_eq!((summary.latency_ms_p50["cache"], summary.latency_ms_p50["offline"]), (2, 300));
        assert_eq!(summary.tokens_saved_estimate, saved);
    }

    #[test]
    fn an_offer_counts_once_and_is_a_hit_only_when_taken() {
        let s = SessionId::new();
        let offered = || {
            checked(CacheOutcome::SemanticOffered {
                similarity: 0.9,
                entry: EntryId("e".into()),
                matched_prompt: None,
                verdict: GuardVerdict { accepted: true, reason: None },
                preview: "an answer".into(),
            })
        };
        let decided = |choice| {
            Event::OfferDecided(OfferDecided { entry: EntryId("e".into()), choice, by: Decider::User, waited_ms: 9 })
        };
        let (taken, refused) = (RequestId::new(), RequestId::new());
        let events = [
            env(1, s, taken, offered()),
            env(2, s, taken, decided(OfferChoice::UsedCached)),
            env(3, s, taken, delivered(ResponseSource::Cache, "an answer", 20)),
            env(4, s, refused, offered()),
            env(5, s, refused, decided(OfferChoice::AskedModel)),
            env(6, s, refused, delivered(ResponseSource::Upstream, "another", 900)),
        ];
        let st = Stats::from_events(&events);
        let c = &st.counts;
        assert_eq!((c.cache_checks, c.semantic_offers, c.semantic_hits), (2, 2, 0));
        assert_eq!((c.offer_choices["used_cached"], c.offer_choices["asked_model"]), (1, 1));
        assert_eq!(c.hits(), 1);
        assert_eq!(st.hit_rate(), Some(0.5));
        assert_eq!(c.check(), Ok(()));
        // One point on the hit-rate curve per lookup, placed at the choice.
        let curve: Vec<f64> = st.hit_rate_over_time(1).into_iter().map(|(_, r)| r).collect();
        assert_eq!(curve, vec![1.0, 0.0]);
        assert!(st.tokens_saved() > 0, "the taken offer saved its answer");
    }

    #[test]
    fn a_hit_on_a_chain_nothing_refined_saves_the_prompt_as_submitted() {
        let (s, r) = (SessionId::new(), RequestId::new());
        let submitted = Event::PromptSubmitted(PromptSubmitted {
            text: "what does this flag do".into(),
            model: "m".into(),
            context: PromptContext::default(),
            origin: PromptOrigin::Typed,
        });
        let skipped = Event::RefinementSkipped(RefinementSkipped { reason: SkipReason::NoMessages });
        let events = [
            env(1, s, r, submitted),
            env(2, s, r, skipped),
            env(3, s, r, checked(CacheOutcome::ExactHit { entry: EntryId("e".into()) })),
            env(4, s, r, delivered(ResponseSource::Cache, "it sets the mode", 1)),
        ];
        let saved = u64::from(estimate_tokens("what does this flag do") + estimate_tokens("it sets the mode"));
        assert_eq!(Stats::from_events(&events).tokens_saved(), saved);
        let mut lean = Stats::counters_only();
        events.iter().for_each(|e| lean.apply(e));
        assert_eq!((lean.tokens_saved(), lean.counts.exact_hits), (saved, 1));
        assert!(lean.deliveries.is_empty() && lean.lookups.is_empty(), "counters only keeps no series");
        assert_eq!(lean.counts.check(), Ok(()));
    }

    #[test]
    fn the_counters_add_up_on_finished_journals() {
        for (sessions, requests, seed) in [(1, 1, 1), (3, 8, 4), (6, 20, 9), (12, 40, 17)] {
            let log: Vec<Envelope> = events(&Plan::new(sessions, requests, seed))
                .into_iter()
                .enumerate()
                .map(|(i, e)| e.committed(i as u64 + 1))
                .collect();
            let st = Stats::from_events(&log);
            assert_eq!(st.counts.check(), Ok(()), "plan {sessions}×{requests} seed {seed}");
            assert_eq!(st.counts.prompts, (sessions * requests) as u64);
        }
    }

    #[test]
    fn a_chain_between_two_events_shows_as_a_mismatch() {
        let (s, r) = (SessionId::new(), RequestId::new());
        let st = Stats::from_events(&[env(1, s, r, checked(CacheOutcome::ExactHit { entry: EntryId("e".into()) }))]);
        let wrong = st.counts.check().unwrap_err();
        assert!(wrong.iter().any(|m| m.0.starts_with("Σ responses + upstream_failures = cache_checks")), "{wrong:?}");
    }
}
