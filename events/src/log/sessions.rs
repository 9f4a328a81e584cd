//! Per-session summaries, kept up to date inside each commit.

use super::SESSIONS;
use crate::codec::{decode_payload, encode_payload};
use crate::envelope::{NewEvent, SessionId, Timestamp};
use crate::schema::{CacheOutcome, Event, FrontendKind, OfferChoice};
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What `lantern sessions` lists: one line of facts per session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session.
    pub session: SessionId,
    /// Frontend that started it, if a `SessionStarted` was seen.
    pub frontend: Option<FrontendKind>,
    /// Time of its first event.
    pub started_at: Timestamp,
    /// Time of its latest event.
    pub last_at: Timestamp,
    /// Seq of its first event.
    pub first_seq: u64,
    /// Seq of its latest event.
    pub last_seq: u64,
    /// Number of events.
    pub events: u64,
    /// Prompts submitted.
    pub prompts: u64,
    /// Responses delivered.
    pub responses: u64,
    /// Cache lookups that served a hit (exact or semantic).
    pub cache_hits: u64,
    /// Upstream failures.
    pub failures: u64,
    /// Whether a `SessionEnded` was seen.
    pub ended: bool,
}

impl SessionSummary {
    fn first(seq: u64, e: &NewEvent) -> Self {
        Self {
            session: e.session,
            frontend: None,
            started_at: e.at,
            last_at: e.at,
            first_seq: seq,
            last_seq: seq,
            events: 0,
            prompts: 0,
            responses: 0,
            cache_hits: 0,
            failures: 0,
            ended: false,
        }
    }

    fn count(&mut self, seq: u64, e: &NewEvent) {
        self.started_at = self.started_at.min(e.at);
        self.last_at = self.last_at.max(e.at);
        self.first_seq = self.first_seq.min(seq);
        self.last_seq = self.last_seq.max(seq);
        self.events += 1;
        match &e.event {
            // First wins, as in `merge`, so one pass over the log gives what
            // batch-by-batch merges gave (verification compares the two).
            Event::SessionStarted(s) => self.frontend = self.frontend.or(Some(s.frontend)),
            Event::PromptSubmitted(_) => self.prompts += 1,
            Event::ResponseDelivered(_) => self.responses += 1,
            Event::CacheChecked(c)
                if matches!(c.outcome, CacheOutcome::ExactHit { .. } | CacheOutcome::SemanticHit { .. }) =>
            {
                self.cache_hits += 1;
            }
            Event::OfferDecided(d) if d.choice == OfferChoice::UsedCached => self.cache_hits += 1,
            Event::UpstreamFailed(_) => self.failures += 1,
            Event::SessionEnded(_) => self.ended = true,
            _ => {}
        }
    }

    fn merge(&mut self, later: &SessionSummary) {
        self.frontend = self.frontend.or(later.frontend);
        self.started_at = self.started_at.min(later.started_at);
        self.last_at = self.last_at.max(later.last_at);
        self.first_seq = self.first_seq.min(later.first_seq);
        self.last_seq = self.last_seq.max(later.last_seq);
        self.events += later.events;
        self.prompts += later.prompts;
        self.responses += later.responses;
        self.cache_hits += later.cache_hits;
        self.failures += later.failures;
        self.ended |= later.ended;
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, crate::codec::CodecError> {
        decode_payload(bytes)
    }
}

/// Summary changes accumulated over one batch, written once per session.
#[derive(Default)]
pub(crate) struct SessionDeltas(HashMap<u128, SessionSummary>);

impl SessionDeltas {
    pub(crate) fn record(&mut self, seq: u64, e: &NewEvent) {
        self.0.entry(e.session.0.as_u128()).or_insert_with(|| SessionSummary::first(seq, e)).count(seq, e);
    }

    /// The summaries accumulated so far, by session.
    pub(crate) fn summaries(&self) -> std::collections::BTreeMap<u128, SessionSummary> {
        self.0.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    pub(crate) fn apply(self, txn: &WriteTransaction) -> Result<(), redb::Error> {
        let mut table = txn.open_table(SESSIONS)?;
        for (key, delta) in self.0 {
            let merged = match table.get(key)? {
                Some(old) => {
                    let mut old = SessionSummary::decode(old.value())
                        .map_err(|e| redb::Error::Corrupted(format!("session summary: {e}")))?;
                    old.merge(&delta);
                    old
                }
                None => delta,
            };
            let bytes = encode_payload(&merged).map_err(|e| redb::Error::Corrupted(format!("session summary: {e}")))?;
            table.insert(key, bytes.as_slice())?;
        }
        Ok(())
    }
}
