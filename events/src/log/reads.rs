//! What a reader of the log needs, whoever holds the file.
//!
//! [`ReadLog`] and [`Follow`] are the log's read side as traits, so that a
//! command reads the same way from the file it opened itself and from the
//! Lantern process holding that file (over its control endpoint).

use super::{EventLog, Recv, SessionSummary, Subscription};
use crate::envelope::{Envelope, RequestId, SessionId};
use crate::error::ReadError;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

/// The read side of an event log.
pub trait ReadLog: Send + Sync {
    /// Path of the log file (where it lives, for messages).
    fn path(&self) -> &Path;
    /// What verification or a read found damaged, if anything.
    fn damage(&self) -> Option<String>;
    /// Seq of the newest committed event; 0 when the log is empty.
    fn last_seq(&self) -> Result<u64, ReadError>;
    /// Calls `visit` with each committed event from `from` to `to`
    /// (inclusive), in seq order, until it breaks.
    fn visit(&self, from: u64, to: u64, visit: &mut dyn FnMut(Envelope) -> ControlFlow<()>) -> Result<(), ReadError>;
    /// Every event of one session, in seq order.
    fn read_session(&self, session: SessionId) -> Result<Vec<Envelope>, ReadError>;
    /// Every event of one request's chain, in seq order.
    fn read_request(&self, request: RequestId) -> Result<Vec<Envelope>, ReadError>;
    /// Summaries of all sessions, oldest first.
    fn sessions(&self) -> Result<Vec<SessionSummary>, ReadError>;
    /// The summary of one session, if it exists.
    fn session_summary(&self, session: SessionId) -> Result<Option<SessionSummary>, ReadError>;
    /// Follows committed events from `from` (inclusive) on: storage first,
    /// then live commits, with no gap and no duplicate.
    fn follow(&self, from: u64) -> Result<Box<dyn Follow>, ReadError>;
}

/// Delivers committed events in seq order, each exactly once.
pub trait Follow: Send {
    /// The seq the next delivered event will have.
    fn next_seq(&self) -> u64;
    /// Waits at most `timeout` for the next event.
    fn recv_timeout(&mut self, timeout: Duration) -> Result<Recv, ReadError>;
}

impl Follow for Subscription {
    fn next_seq(&self) -> u64 {
        Subscription::next_seq(self)
    }

    fn recv_timeout(&mut self, timeout: Duration) -> Result<Recv, ReadError> {
        Subscription::recv_timeout(self, timeout)
    }
}

impl ReadLog for EventLog {
    fn path(&self) -> &Path {
        EventLog::path(self)
    }

    fn damage(&self) -> Option<String> {
        EventLog::damage(self)
    }

    fn last_seq(&self) -> Result<u64, ReadError> {
        EventLog::last_seq(self)
    }

    fn visit(&self, from: u64, to: u64, visit: &mut dyn FnMut(Envelope) -> ControlFlow<()>) -> Result<(), ReadError> {
        self.visit_range(from..=to, visit)
    }

    fn read_session(&self, session: SessionId) -> Result<Vec<Envelope>, ReadError> {
        EventLog::read_session(self, session)
    }

    fn read_request(&self, request: RequestId) -> Result<Vec<Envelope>, ReadError> {
        EventLog::read_request(self, request)
    }

    fn sessions(&self) -> Result<Vec<SessionSummary>, ReadError> {
        EventLog::sessions(self)
    }

    fn session_summary(&self, session: SessionId) -> Result<Option<SessionSummary>, ReadError> {
        EventLog::session_summary(self, session)
    }

    fn follow(&self, from: u64) -> Result<Box<dyn Follow>, ReadError> {
        Ok(Box::new(self.subscribe(from)))
    }
}
