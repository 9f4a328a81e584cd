//! The session browser's data: the sessions in the log, and the chains of
//! the one opened, folded by the same reducer as the live view.

use lantern_events::{Envelope, ReadLog, RequestId, SessionId, SessionSummary};
use lantern_replay::chain::Chains;

/// An opened session.
pub struct Opened {
    /// The session.
    pub session: SessionId,
    /// Its request chains.
    pub chains: Chains,
    /// Highest seq folded (later envelopes from the feed are folded on top).
    pub through: u64,
}

/// The session browser's data.
#[derive(Default)]
pub struct History {
    /// Sessions in the log, newest first.
    pub sessions: Vec<SessionSummary>,
    /// The session opened, if any.
    pub opened: Option<Opened>,
    /// The request selected in it.
    pub request: Option<RequestId>,
    /// Why the log could not be read, if it could not.
    pub error: Option<String>,
}

impl History {
    /// Reloads the session list.
    pub fn refresh(&mut self, log: &dyn ReadLog) {
        match log.sessions() {
            Ok(mut sessions) => {
                sessions.sort_by_key(|s| std::cmp::Reverse(s.started_at));
                self.sessions = sessions;
                self.error = None;
            }
            Err(e) => self.error = Some(format!("cannot list sessions: {e}")),
        }
    }

    /// Opens `session`: reads it from the log and folds it.
    pub fn open(&mut self, log: &dyn ReadLog, session: SessionId) {
        self.request = None;
        match log.read_session(session) {
            Ok(events) => {
                let through = events.iter().map(|e| e.seq).max().unwrap_or(0);
                self.opened = Some(Opened { session, chains: Chains::from_events(&events), through });
                self.error = None;
            }
            Err(e) => {
                self.opened = None;
                self.error = Some(format!("cannot read session {session}: {e}"));
            }
        }
    }

    /// Closes the opened session.
    pub fn close(&mut self) {
        self.opened = None;
        self.request = None;
    }

    /// Folds a live envelope into the opened session, if it belongs there and is new.
    pub fn follow(&mut self, e: &Envelope) {
        if let Some(o) = &mut self.opened
            && o.session == e.session
            && e.seq > o.through
        {
            o.chains.apply(e);
            o.through = e.seq;
        }
    }

    /// Estimated hit rate of a session: hits per answer.
    pub fn hit_rate(s: &SessionSummary) -> Option<f64> {
        (s.responses > 0).then(|| s.cache_hits as f64 / s.responses as f64)
    }
}
