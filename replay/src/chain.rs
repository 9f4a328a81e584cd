//! The request-chain reducer: folds envelopes into one [`RequestChain`] per
//! prompt (original → refined → decision → cache → response → suggestions →
//! what the user did).
//!
//! Live views and history use the same reducer: feed it a session read from
//! the log, or the envelopes of a live subscription, one at a time.
//!
//! ```
//! use lantern_replay::chain::Chains;
//! # let envelopes: Vec<lantern_events::Envelope> = Vec::new();
//! let mut chains = Chains::default();
//! for e in &envelopes {
//!     chains.apply(e);
//! }
//! for chain in chains.iter() {
//!     println!("{} {:?}", chain.request, chain.prompt());
//! }
//! ```

use lantern_events::schema::*;
use lantern_events::{Envelope, RequestId, SessionId, Timestamp};
use std::collections::HashMap;

/// An event with the position and time it was committed at.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped<T> {
    /// Seq of the event in the log.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// The event.
    pub event: T,
}

/// Everything the log says about one prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestChain {
    /// The request id.
    pub request: RequestId,
    /// Its session.
    pub session: SessionId,
    /// The prompt as submitted.
    pub submitted: Option<Stamped<PromptSubmitted>>,
    /// The Refiner's proposal.
    pub proposal: Option<Stamped<RefinementProposed>>,
    /// Why the Refiner left the request alone, when it did.
    pub skipped: Option<Stamped<RefinementSkipped>>,
    /// The decision between original and refined.
    pub decision: Option<Stamped<ApprovalDecided>>,
    /// The cache lookup.
    pub cache: Option<Stamped<CacheChecked>>,
    /// The user's (or the timeout's) choice on a semantic offer.
    pub offer: Option<Stamped<OfferDecided>>,
    /// The upstream call, when one was made and answered.
    pub upstream: Option<Stamped<UpstreamCompleted>>,
    /// The upstream failure, when the call failed.
    pub failure: Option<Stamped<UpstreamFailed>>,
    /// The answer delivered.
    pub response: Option<Stamped<ResponseDelivered>>,
    /// Suggestions offered after the answer.
    pub suggestions: Option<Stamped<SuggestionsOffered>>,
    /// What the user did with those suggestions.
    pub acted: Vec<Stamped<SuggestionActed>>,
    /// The user's judgements of the answer.
    pub feedback: Vec<Stamped<FeedbackGiven>>,
}

impl RequestChain {
    fn new(request: RequestId, session: SessionId) -> Self {
        Self {
            request,
            session,
            submitted: None,
            proposal: None,
            skipped: None,
            decision: None,
            cache: None,
            offer: None,
            upstream: None,
            failure: None,
            response: None,
            suggestions: None,
            acted: Vec::new(),
            feedback: Vec::new(),
        }
    }

    /// The prompt as written, when it was journalled in full.
    pub fn prompt(&self) -> Option<&str> {
        self.submitted.as_ref().and_then(|s| s.event.text.as_str())
    }

    /// The text that went out, as the decision says: the refined prompt, the
    /// user's edit, or the original. `None` while undecided or withheld.
    pub fn sent_text(&self) -> Option<&str> {
        let decision = &self.decision.as_ref()?.event.decision;
        match decision {
            Decision::Accepted => self.proposal.as_ref()?.event.refined.as_str(),
            Decision::Modified { text } => text.as_str(),
            Decision::Rejected | Decision::TimedOut => self.prompt(),
        }
    }

    /// Whether the chain reached an end: an answer or a failure.
    pub fn is_complete(&self) -> bool {
        self.response.is_some() || self.failure.is_some()
    }

    /// When the prompt was submitted (or the first event seen, if the
    /// submission is not part of what was folded).
    pub fn started_at(&self) -> Option<Timestamp> {
        self.submitted.as_ref().map(|s| s.at).or_else(|| self.proposal.as_ref().map(|p| p.at))
    }

    /// A semantic offer awaiting the user: the lookup offered a paraphrase
    /// and nothing was chosen yet.
    pub fn pending_offer(&self) -> Option<&CacheChecked> {
        let cache = &self.cache.as_ref()?.event;
        let open = matches!(cache.outcome, CacheOutcome::SemanticOffered { .. })
            && self.offer.is_none()
            && !self.is_complete();
        open.then_some(cache)
    }

    /// The cache entry the answer came from, when it came from the cache
    /// (an exact or semantic hit, or an offer the user took).
    pub fn served_entry(&self) -> Option<&EntryId> {
        if self.response.as_ref()?.event.source != ResponseSource::Cache {
            return None;
        }
        match &self.cache.as_ref()?.event.outcome {
            CacheOutcome::ExactHit { entry } | CacheOutcome::SemanticHit { entry, .. } => Some(entry),
            CacheOutcome::SemanticOffered { entry, .. } => {
                self.offer.as_ref().is_some_and(|o| o.event.choice == OfferChoice::UsedCached).then_some(entry)
            }
            CacheOutcome::Miss { .. } => None,
        }
    }

    /// Whether the user flagged the answer as wrong.
    pub fn flagged_wrong(&self) -> bool {
        self.feedback.iter().any(|f| f.event.verdict == FeedbackVerdict::WrongAnswer)
    }
}

/// Request chains in the order their first event was seen.
#[derive(Debug, Clone, Default)]
pub struct Chains {
    chains: Vec<RequestChain>,
    by_request: HashMap<RequestId, usize>,
    /// Seqs of `SuggestionsOffered` and `ResponseDelivered` events, so that
    /// the acts and feedback that name them (and carry no request) find their chain.
    by_seq: HashMap<u64, usize>,
}

impl Chains {
    /// Folds a sequence of envelopes.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Envelope>) -> Self {
        let mut chains = Self::default();
        for e in events {
            chains.apply(e);
        }
        chains
    }

    /// Folds one envelope; returns the request whose chain changed, if any.
    pub fn apply(&mut self, e: &Envelope) -> Option<RequestId> {
        let index = match (&e.event, e.request) {
            (Event::SuggestionActed(a), _) => *self.by_seq.get(&a.offered_seq)?,
            (Event::FeedbackGiven(f), _) => *self.by_seq.get(&f.response_seq)?,
            (_, Some(request)) => self.index_of(request, e.session),
            (_, None) => return None,
        };
        let chain = &mut self.chains[index];
        let (seq, at) = (e.seq, e.at);
        macro_rules! stamp {
            ($v:expr) => {
                Stamped { seq, at, event: $v.clone() }
            };
        }
        match &e.event {
            Event::PromptSubmitted(v) => chain.submitted = Some(stamp!(v)),
            Event::RefinementProposed(v) => chain.proposal = Some(stamp!(v)),
            Event::RefinementSkipped(v) => chain.skipped = Some(stamp!(v)),
            Event::ApprovalDecided(v) => chain.decision = Some(stamp!(v)),
            Event::CacheChecked(v) => chain.cache = Some(stamp!(v)),
            Event::OfferDecided(v) => chain.offer = Some(stamp!(v)),
            Event::UpstreamCompleted(v) => chain.upstream = Some(stamp!(v)),
            Event::UpstreamFailed(v) => chain.failure = Some(stamp!(v)),
            Event::ResponseDelivered(v) => {
                chain.response = Some(stamp!(v));
                self.by_seq.insert(seq, index);
            }
            Event::SuggestionsOffered(v) => {
                chain.suggestions = Some(stamp!(v));
                self.by_seq.insert(seq, index);
            }
            Event::SuggestionActed(v) => chain.acted.push(stamp!(v)),
            Event::FeedbackGiven(v) => chain.feedback.push(stamp!(v)),
            Event::SessionStarted(_) | Event::SessionEnded(_) => return None,
        }
        Some(self.chains[index].request)
    }

    fn index_of(&mut self, request: RequestId, session: SessionId) -> usize {
        *self.by_request.entry(request).or_insert_with(|| {
            self.chains.push(RequestChain::new(request, session));
            self.chains.len() - 1
        })
    }

    /// The chain of one request.
    pub fn get(&self, request: RequestId) -> Option<&RequestChain> {
        self.by_request.get(&request).map(|&i| &self.chains[i])
    }

    /// Every chain, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = &RequestChain> {
        self.chains.iter()
    }

    /// Number of chains.
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    /// Whether no chain was seen.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }
}

/// The user's turns of each session, in the order they were sent, so that
/// the Suggester's history input can be rebuilt at any point.
#[derive(Debug, Clone, Default)]
pub struct Turns {
    /// Per session: (seq of the decision that sent the prompt, the prompt).
    by_session: HashMap<SessionId, Vec<(u64, Option<String>)>>,
}

impl Turns {
    /// Indexes the turns of every chain. A prompt counts as a turn once it
    /// was sent: when its decision was made, or its refinement skipped
    /// (that is when the pipeline sends it and records it).
    pub fn new(chains: &Chains) -> Self {
        let mut by_session: HashMap<SessionId, Vec<(u64, Option<String>)>> = HashMap::new();
        for c in chains.iter() {
            let sent = c.decision.as_ref().map(|d| d.seq).or(c.skipped.as_ref().map(|s| s.seq));
            if let Some(seq) = sent {
                by_session.entry(c.session).or_default().push((seq, c.prompt().map(str::to_owned)));
            }
        }
        for turns in by_session.values_mut() {
            turns.sort_by_key(|(seq, _)| *seq);
        }
        Self { by_session }
    }

    /// The session's turns sent before `seq`, oldest first; `None` if any of
    /// them was withheld (so the history cannot be rebuilt).
    pub fn before(&self, session: SessionId, seq: u64) -> Option<Vec<&str>> {
        let Some(turns) = self.by_session.get(&session) else { return Some(Vec::new()) };
        let end = turns.partition_point(|(s, _)| *s < seq);
        turns[..end].iter().map(|(_, t)| t.as_deref()).collect()
    }
}
