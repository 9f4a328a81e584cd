//! Which part of the log a replay or an export reads, and reading it.

use crate::ReplayError;
use crate::chain::Chains;
use crate::progress::Progress;
use lantern_events::schema::{Event, PrivacyLevel};
use lantern_events::{ReadLog, SessionId, Timestamp};
use std::collections::BTreeSet;
use std::ops::ControlFlow;

/// A selection of request chains: one session, a time window, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only this session.
    pub session: Option<SessionId>,
    /// Only chains submitted at or after this time.
    pub since: Option<Timestamp>,
    /// Only chains submitted before this time.
    pub until: Option<Timestamp>,
}

impl Selection {
    /// Whether a chain submitted at `at` falls in the time window.
    pub fn admits(&self, at: Option<Timestamp>) -> bool {
        match at {
            Some(at) => self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u),
            None => self.since.is_none() && self.until.is_none(),
        }
    }
}

/// What was read: the chains, and what the sessions say about privacy.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every chain of the selected sessions (the time window applies to rows, later).
    pub chains: Chains,
    /// Privacy levels the selected sessions were recorded at.
    pub privacy: BTreeSet<PrivacyLevelName>,
    /// Events read.
    pub events: u64,
}

/// A privacy level, by name (ordered, for the dataset card).
pub type PrivacyLevelName = &'static str;

fn privacy_name(p: PrivacyLevel) -> PrivacyLevelName {
    match p {
        PrivacyLevel::Full => "full",
        PrivacyLevel::Metadata => "metadata",
        PrivacyLevel::Off => "off",
    }
}

/// Reads the selected events and folds them into chains.
pub fn load(log: &dyn ReadLog, selection: &Selection, progress: &mut dyn Progress) -> Result<Loaded, ReplayError> {
    let mut loaded = Loaded::default();
    let fold = |e: lantern_events::Envelope, loaded: &mut Loaded| {
        if let Event::SessionStarted(s) = &e.event {
            loaded.privacy.insert(privacy_name(s.privacy));
        }
        loaded.chains.apply(&e);
        loaded.events += 1;
    };
    match selection.session {
        Some(session) => {
            let events = log.read_session(session)?;
            progress.stage("reading the session", events.len() as u64);
            for e in events {
                fold(e, &mut loaded);
            }
            progress.advance(loaded.events);
        }
        None => {
            let total = log.last_seq()?;
            progress.stage("reading the log", total);
            let mut pending = 0;
            log.visit(1, u64::MAX, &mut |e| {
                fold(e, &mut loaded);
                pending += 1;
                if pending == 16_384 {
                    progress.advance(pending);
                    pending = 0;
                }
                ControlFlow::Continue(())
            })?;
            progress.advance(pending);
        }
    }
    progress.finish();
    Ok(loaded)
}
