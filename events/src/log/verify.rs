//! Verifying a whole log: every frame's checksum and records, the seqs'
//! continuity, and the indexes and session summaries against the frames
//! they were derived from.

use super::sessions::{SessionDeltas, SessionSummary};
use super::{BY_REQUEST, BY_SESSION, FRAMES, LOST, SESSIONS};
use crate::codec::{self, frame};
use crate::envelope::NewEvent;
use crate::error::{ReadError, storage_err};
use redb::{ReadTransaction, ReadableTable, TableError};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

/// Seqs that cannot be read back, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// First seq of the damaged frame (or of the missing run).
    pub first: u64,
    /// Last seq it covers, when known (the frame after it starts at `last + 1`).
    pub last: Option<u64>,
    /// What is wrong.
    pub detail: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.last {
            Some(last) if last == self.first => write!(f, "event {}: {}", self.first, self.detail),
            Some(last) => write!(f, "events {}–{}: {}", self.first, last, self.detail),
            None => write!(f, "events from {} on: {}", self.first, self.detail),
        }
    }
}

/// What a full check of a log found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogReport {
    /// Events that verified.
    pub events: u64,
    /// Frames that verified.
    pub frames: u64,
    /// Newest seq the log holds (verified or not).
    pub last_seq: u64,
    /// Damaged frames and missing runs of seqs.
    pub damaged: Vec<Damage>,
    /// Where the indexes or the session summaries disagree with the frames
    /// (rebuildable from the frames: nothing is lost).
    pub index: Vec<String>,
    /// Frames written before frames carried checksums.
    pub legacy_frames: u64,
    /// Seqs an earlier repair found lost, and recorded as such.
    pub lost: Vec<RangeInclusive<u64>>,
}

impl LogReport {
    /// Nothing damaged, nothing disagreeing.
    pub fn is_healthy(&self) -> bool {
        self.damaged.is_empty() && self.index.is_empty()
    }
}

/// One frame as the scan saw it.
pub(crate) struct Scanned {
    pub(crate) first: u64,
    /// Whether it carries a checksum (every frame this build writes does).
    pub(crate) sealed: bool,
    /// The frame's records (their bytes only when asked for) and their
    /// events, or why it did not verify.
    pub(crate) content: Result<Vec<(Vec<u8>, NewEvent)>, String>,
}

/// The indexes and summaries the verified frames imply.
#[derive(Default)]
pub(crate) struct Derived {
    pub(crate) by_session: BTreeSet<(u128, u64)>,
    pub(crate) by_request: BTreeSet<(u128, u64)>,
    pub(crate) sessions: SessionDeltas,
}

impl Derived {
    pub(crate) fn add(&mut self, first: u64, events: &[(Vec<u8>, NewEvent)]) {
        let (mut sessions, mut requests) = (Vec::new(), Vec::new());
        for (seq, (_, e)) in (first..).zip(events) {
            let s = e.session.0.as_u128();
            if !sessions.contains(&s) {
                sessions.push(s);
            }
            if let Some(r) = e.request.map(|r| r.0.as_u128()).filter(|r| !requests.contains(r)) {
                requests.push(r);
            }
            self.sessions.record(seq, e);
        }
        self.by_session.extend(sessions.into_iter().map(|s| (s, first)));
        self.by_request.extend(requests.into_iter().map(|r| (r, first)));
    }
}

fn table_err(e: TableError) -> Option<ReadError> {
    match e {
        TableError::TableDoesNotExist(_) => None,
        other => Some(storage_err(other)),
    }
}

/// Reads every frame in seq order, verifying each, calling `f` with it
/// (with each record's bytes when `keep_bytes`).
pub(crate) fn scan_frames(
    txn: &ReadTransaction,
    keep_bytes: bool,
    mut f: impl FnMut(Scanned),
) -> Result<(), ReadError> {
    let frames = match txn.open_table(FRAMES) {
        Ok(t) => t,
        Err(e) => return table_err(e).map_or(Ok(()), Err),
    };
    for row in frames.iter().map_err(storage_err)? {
        let (first, bytes) = row.map_err(storage_err)?;
        let first = first.value();
        let content = frame::records(first, bytes.value()).map_err(|e| e.to_string()).and_then(|records| {
            records
                .into_iter()
                .zip(first..)
                .map(|(r, seq)| {
                    let bytes = if keep_bytes { r.to_vec() } else { Vec::new() };
                    codec::decode(r).map(|e| (bytes, e)).map_err(|e| format!("event {seq}: {e}"))
                })
                .collect()
        });
        f(Scanned { first, sealed: frame::is_sealed(bytes.value()), content });
    }
    Ok(())
}

/// Whether the runs (sorted by start) cover every seq of `from..=to`.
fn covered(runs: &[RangeInclusive<u64>], mut from: u64, to: u64) -> bool {
    for r in runs {
        if *r.start() <= from && *r.end() >= from {
            from = r.end().saturating_add(1);
        }
        if from > to {
            return true;
        }
    }
    false
}

/// Seq runs an earlier repair recorded as lost.
pub(crate) fn lost_runs(txn: &ReadTransaction) -> Result<Vec<RangeInclusive<u64>>, ReadError> {
    let t = match txn.open_table(LOST) {
        Ok(t) => t,
        Err(e) => return table_err(e).map_or(Ok(Vec::new()), Err),
    };
    let mut out = Vec::new();
    for row in t.iter().map_err(storage_err)? {
        let (a, b) = row.map_err(storage_err)?;
        out.push(a.value()..=b.value());
    }
    Ok(out)
}

/// Checks everything: frames, continuity, indexes, summaries.
pub(crate) fn check(txn: &ReadTransaction) -> Result<LogReport, ReadError> {
    let mut report = LogReport { lost: lost_runs(txn)?, ..LogReport::default() };
    let mut derived = Derived::default();
    let mut damaged_frames = BTreeSet::new();
    let mut pending: Option<Damage> = None;
    let mut expected = 1u64;
    scan_frames(txn, false, |s| {
        if !s.sealed {
            report.legacy_frames += 1;
        }
        if let Some(mut d) = pending.take() {
            // A damaged frame's count cannot be trusted: it ends where the next begins.
            d.last = Some(s.first.saturating_sub(1).max(d.first));
            report.damaged.push(d);
        } else if s.first > expected && !covered(&report.lost, expected, s.first - 1) {
            report.damaged.push(Damage {
                first: expected,
                last: Some(s.first - 1),
                detail: "missing from the log".into(),
            });
        }
        // A frame that starts inside the one before it holds seqs twice: damage.
        let content = match s.content {
            Ok(_) if s.first < expected && !damaged_frames.contains(&s.first) => {
                Err(format!("starts at seq {} inside the frame before it", s.first))
            }
            other => other,
        };
        match content {
            Ok(events) => {
                report.frames += 1;
                report.events += events.len() as u64;
                expected = s.first + events.len() as u64;
                derived.add(s.first, &events);
            }
            Err(detail) => {
                damaged_frames.insert(s.first);
                pending = Some(Damage { first: s.first, last: None, detail });
                expected = s.first + 1;
            }
        }
        report.last_seq = report.last_seq.max(expected.saturating_sub(1));
    })?;
    report.damaged.extend(pending);
    // Summaries written before checksums are rebuilt when the log is
    // sealed, not judged (their frontend rule was last-wins within a batch).
    let summaries = report.legacy_frames == 0;
    // Index entries naming damaged or missing frames cannot be judged.
    let unjudged = |key: u64| {
        damaged_frames.contains(&key)
            || report.damaged.iter().any(|d| key >= d.first && d.last.is_none_or(|last| key <= last))
    };
    let mut found = Vec::new();
    compare_indexes(txn, &derived, &unjudged, summaries, &mut found)?;
    report.index = found;
    Ok(report)
}

fn compare_indexes(
    txn: &ReadTransaction,
    derived: &Derived,
    unjudged: &impl Fn(u64) -> bool,
    summaries: bool,
    index: &mut Vec<String>,
) -> Result<(), ReadError> {
    // Sessions with events in damaged frames: their summaries cannot be judged.
    let mut uncertain = BTreeSet::new();
    for (name, def, want) in
        [("session", BY_SESSION, &derived.by_session), ("request", BY_REQUEST, &derived.by_request)]
    {
        let mut found = BTreeSet::new();
        match txn.open_table(def) {
            Ok(t) => {
                for row in t.iter().map_err(storage_err)? {
                    let key = row.map_err(storage_err)?.0.value();
                    if !unjudged(key.1) {
                        found.insert(key);
                    } else if name == "session" {
                        uncertain.insert(key.0);
                    }
                }
            }
            Err(e) => {
                if let Some(e) = table_err(e) {
                    return Err(e);
                }
            }
        }
        let missing = want.difference(&found).count();
        let extra = found.difference(want).count();
        if missing + extra > 0 {
            index.push(format!(
                "the {name} index has {extra} entries no frame supports and lacks {missing} the frames imply"
            ));
        }
    }
    let want: BTreeMap<u128, SessionSummary> = derived.sessions.summaries();
    let mut stored = BTreeMap::new();
    match txn.open_table(SESSIONS) {
        Ok(t) => {
            for row in t.iter().map_err(storage_err)? {
                let (k, v) = row.map_err(storage_err)?;
                match SessionSummary::decode(v.value()) {
                    Ok(s) => {
                        stored.insert(k.value(), s);
                    }
                    Err(e) => index.push(format!("a session summary does not decode: {e}")),
                }
            }
        }
        Err(e) => {
            if let Some(e) = table_err(e) {
                return Err(e);
            }
        }
    }
    if summaries {
        let judged = |k: &&u128| !uncertain.contains(*k);
        let differ = want.iter().filter(|(k, s)| judged(k) && stored.get(k) != Some(s)).count()
            + stored.keys().filter(|k| judged(k) && !want.contains_key(k)).count();
        if differ > 0 {
            index.push(format!("{differ} session summaries disagree with the events they count"));
        }
    }
    Ok(())
}
