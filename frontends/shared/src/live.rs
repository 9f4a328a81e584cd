//! The log as an interactive frontend sees it: the live session's chains,
//! the session browser, the stats, and (for a window or terminal attached to
//! a proxy) the proxied requests that wait for a person, all folded from one
//! feed with the same reducer as history ([`Chains`]).

use crate::feed::Fed;
use crate::history::History;
use lantern_actors::pipeline::Ask;
use lantern_events::schema::{ApprovalPolicy, Event, FrontendKind, PromptContext, PromptOrigin};
use lantern_events::{Envelope, ReadLog, Recv, RequestId, SessionId};
use lantern_replay::chain::{Chains, RequestChain};
use lantern_replay::stats::Stats;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The live session: its chains, folded by the same reducer as history.
pub struct Live {
    /// The session this frontend opened.
    pub session: SessionId,
    /// Its request chains (and, with proxy approvals, those of proxied requests).
    pub chains: Chains,
    /// Requests submitted whose first event has not arrived yet.
    pub pending: Vec<RequestId>,
}

impl Live {
    /// The most recent chain.
    pub fn current(&self) -> Option<&RequestChain> {
        self.chains.iter().last()
    }

    /// The request whose refinement waits for the user, if any.
    pub fn awaiting(&self) -> Option<&RequestChain> {
        self.chains.iter().find(|c| c.proposal.is_some() && c.decision.is_none() && !c.is_complete())
    }

    /// A typed prompt of this session, for `model`, decided by its user.
    pub fn ask(&self, frontend: FrontendKind, model: &str, prompt: String, context: PromptContext) -> Ask {
        Ask {
            session: self.session,
            request: RequestId::new(),
            prompt,
            model: model.to_owned(),
            context,
            origin: PromptOrigin::Typed,
            policy: ApprovalPolicy::Ask,
            frontend,
        }
    }
}

/// Everything folded from the feed.
pub struct Tracker {
    /// The live session.
    pub live: Live,
    /// The session browser.
    pub history: History,
    /// Figures over the whole log.
    pub stats: Stats,
    last_seq: u64,
    sessions_dirty: bool,
    feed_error: Option<String>,
    /// With proxy approvals: proxy sessions seen, and the first seq that is
    /// news (older requests are history, not waiting for anyone).
    proxy: Option<(HashSet<SessionId>, u64)>,
}

impl Tracker {
    /// Tracks `session`; with `proxy_news_from`, also the proxied requests
    /// journalled from that seq on (older ones wait for no one).
    pub fn new(session: SessionId, proxy_news_from: Option<u64>) -> Self {
        Self {
            live: Live { session, chains: Chains::default(), pending: Vec::new() },
            history: History::default(),
            stats: Stats::default(),
            last_seq: 0,
            sessions_dirty: false,
            feed_error: None,
            proxy: proxy_news_from.map(|from| (HashSet::new(), from)),
        }
    }

    /// Seq of the last envelope folded.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Why the feed stopped, if it did.
    pub fn feed_error(&self) -> Option<&str> {
        self.feed_error.as_deref()
    }

    /// Whether the session list changed since the last call (and clears it).
    pub fn take_sessions_dirty(&mut self) -> bool {
        std::mem::take(&mut self.sessions_dirty)
    }

    /// Folds one delivery of the feed.
    pub fn fold(&mut self, fed: Fed) {
        match fed {
            Fed::Event(e) => self.fold_envelope(&e),
            Fed::Failed(message) => self.feed_error = Some(message),
        }
    }

    /// Folds one committed envelope.
    pub fn fold_envelope(&mut self, e: &Envelope) {
        self.last_seq = e.seq;
        self.stats.apply(e);
        if let (Some((proxies, _)), Event::SessionStarted(s)) = (&mut self.proxy, &e.event)
            && s.frontend == FrontendKind::Proxy
        {
            proxies.insert(e.session);
        }
        let from_proxy =
            self.proxy.as_ref().is_some_and(|(proxies, from)| e.seq >= *from && proxies.contains(&e.session));
        if (e.session == self.live.session || from_proxy)
            && let Some(request) = self.live.chains.apply(e)
        {
            self.live.pending.retain(|r| *r != request);
        }
        self.history.follow(e);
        self.sessions_dirty |= e.request.is_none() || matches!(e.event, Event::ResponseDelivered(_));
    }
}

/// Waits (at most `limit`) until the end of `session` is journalled, so that
/// stopping the actors right after a frontend closes loses nothing.
pub fn await_end(log: &dyn ReadLog, session: SessionId, from: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    let Ok(mut sub) = log.follow(from) else { return };
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match sub.recv_timeout(left) {
            Ok(Recv::Event(e)) if e.session == session && matches!(e.event, Event::SessionEnded(_)) => return,
            Ok(Recv::Event(_)) => {}
            Ok(Recv::Timeout | Recv::Closed) | Err(_) => return,
        }
    }
}
