//! The stats projection: hit rate over time, answer latencies, tokens saved.
//! Folded from every envelope of the log, in order, as the feed delivers them.

use lantern_actors::refiner::estimate_tokens;
use lantern_events::schema::*;
use lantern_events::{Envelope, RequestId, SessionId, Timestamp};
use std::collections::HashMap;

/// One cache lookup, for the hit-rate curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lookup {
    /// When it happened.
    pub at: Timestamp,
    /// Whether the cache served the answer.
    pub hit: bool,
}

/// One delivered answer, for the latency histogram.
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
#[derive(Debug, Default)]
struct Open {
    session: Option<SessionId>,
    tokens: Option<(u32, u32)>,
    sent_tokens: Option<u32>,
    hit: bool,
}

/// Figures for the stats view and the session browser.
#[derive(Debug, Default)]
pub struct Stats {
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

impl Stats {
    /// Folds one envelope.
    pub fn apply(&mut self, e: &Envelope) {
        let Some(request) = e.request else { return };
        match &e.event {
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
                let hit = !matches!(c.outcome, CacheOutcome::Miss { .. });
                self.lookups.push(Lookup { at: e.at, hit });
                let open = self.open.entry(request).or_default();
                open.hit = hit;
                open.session = Some(e.session);
            }
            Event::ResponseDelivered(r) => {
                self.deliveries.push(Delivery { at: e.at, source: r.source, latency_ms: r.latency_ms });
                let Some(open) = self.open.remove(&request) else { return };
                if !open.hit {
                    return;
                }
                // A hit saved the prompt going up and the answer coming back.
                let answer = match &r.text {
                    Text::Full(s) => estimate_tokens(s),
                    Text::Withheld { chars, .. } => chars.div_ceil(4),
                };
                let saved = u64::from(open.sent_tokens.unwrap_or(0)) + u64::from(answer);
                self.saved_total += saved;
                self.saved_over_time.push((e.at, self.saved_total));
                *self.saved_by_session.entry(open.session.unwrap_or(e.session)).or_default() += saved;
            }
            Event::UpstreamFailed(_) => {
                self.open.remove(&request);
            }
            _ => {}
        }
    }

    /// Estimated tokens saved by cache hits, in all.
    pub fn tokens_saved(&self) -> u64 {
        self.saved_total
    }

    /// Share of lookups that hit, in all.
    pub fn hit_rate(&self) -> Option<f64> {
        (!self.lookups.is_empty())
            .then(|| self.lookups.iter().filter(|l| l.hit).count() as f64 / self.lookups.len() as f64)
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
    }
}
