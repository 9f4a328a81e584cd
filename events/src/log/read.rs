//! Reads: by seq range, by session, by request; session listing.

use super::guard::guarded;
use super::{BY_REQUEST, BY_SESSION, EventLog, FRAMES, SESSIONS, SessionSummary, Shared};
use crate::codec::{self, frame};
use crate::envelope::{Envelope, RequestId, SessionId};
use crate::error::{ReadError, storage_err};
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition, TableError};
use std::ops::{Bound, ControlFlow, RangeBounds};

type Frames = ReadOnlyTable<u64, &'static [u8]>;

/// Opens a table, treating a missing one as empty.
fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<ReadOnlyTable<K, V>>, ReadError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage_err(e)),
    }
}

fn damaged(first: u64, source: codec::CodecError) -> ReadError {
    ReadError::Damaged { first, last: None, source }
}

/// Completes a damage report with the frame's last seq (the one before the
/// next frame), and remembers it so that nothing more is written.
fn located(shared: &Shared, frames: &Frames, e: ReadError) -> ReadError {
    match e {
        ReadError::Damaged { first, last: None, source } => {
            let next = frames.range(first + 1..).ok().and_then(|mut r| r.next()).and_then(Result::ok);
            let last = next.map(|(k, _)| k.value() - 1);
            let e = ReadError::Damaged { first, last, source };
            shared.mark_damaged(&e.to_string());
            e
        }
        other => other,
    }
}

/// Decodes the events of one frame that fall in `from..=to`, passing each to `f`.
fn visit_frame(
    first: u64,
    bytes: &[u8],
    from: u64,
    to: u64,
    f: &mut impl FnMut(Envelope) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, ReadError> {
    for (seq, record) in (first..).zip(frame::records(first, bytes).map_err(|e| damaged(first, e))?) {
        if seq > to {
            return Ok(ControlFlow::Break(()));
        }
        if seq >= from {
            let event = codec::decode(record).map_err(|source| ReadError::Record { seq, source })?;
            if f(event.committed(seq)).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

fn inclusive(range: &impl RangeBounds<u64>) -> Option<(u64, u64)> {
    let from = match range.start_bound() {
        Bound::Included(&a) => a,
        Bound::Excluded(&a) => a.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let to = match range.end_bound() {
        Bound::Included(&b) => b,
        Bound::Excluded(&b) => b.checked_sub(1)?,
        Bound::Unbounded => u64::MAX,
    };
    (from <= to).then_some((from, to))
}

fn last_seq(frames: &Frames) -> Result<u64, ReadError> {
    match frames.last().map_err(storage_err)? {
        Some((first, bytes)) => {
            let n = frame::count(bytes.value()).map_err(|e| damaged(first.value(), e))?;
            Ok((first.value() + u64::from(n)).saturating_sub(1))
        }
        None => Ok(0),
    }
}

impl Shared {
    pub(crate) fn read_txn(&self) -> Result<ReadTransaction, ReadError> {
        self.db.begin_read().map_err(storage_err)
    }

    pub(crate) fn visit_range(
        &self,
        range: impl RangeBounds<u64>,
        mut f: impl FnMut(Envelope) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        let Some((from, to)) = inclusive(&range) else { return Ok(()) };
        let txn = self.read_txn()?;
        let Some(frames) = table(&txn, FRAMES)? else { return Ok(()) };
        // Start at the frame that holds `from`, if one does.
        let start = match frames.range(..=from).map_err(storage_err)?.next_back() {
            Some(row) => row.map_err(storage_err)?.0.value(),
            None => from,
        };
        for row in frames.range(start..).map_err(storage_err)? {
            let (first, bytes) = row.map_err(storage_err)?;
            if first.value() > to {
                break;
            }
            match visit_frame(first.value(), bytes.value(), from, to, &mut f) {
                Ok(flow) if flow.is_break() => break,
                Ok(_) => {}
                Err(e) => return Err(located(self, &frames, e)),
            }
        }
        Ok(())
    }

    pub(crate) fn read_range(&self, range: impl RangeBounds<u64>) -> Result<Vec<Envelope>, ReadError> {
        let mut out = Vec::new();
        self.visit_range(range, |e| {
            out.push(e);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }
}

impl EventLog {
    fn read_txn(&self) -> Result<ReadTransaction, ReadError> {
        self.shared.read_txn()
    }

    /// Seq of the newest committed event; 0 when the log is empty.
    pub fn last_seq(&self) -> Result<u64, ReadError> {
        if self.is_read_only() {
            // Nothing appends to it: what verification found (a damaged last
            // frame's count is not to be trusted).
            return Ok(self.shared.opened_last);
        }
        let txn = self.read_txn()?;
        match table(&txn, FRAMES)? {
            Some(frames) => last_seq(&frames),
            None => Ok(0),
        }
    }

    /// Calls `f` with each committed event in `range`, in seq order, until it breaks.
    pub fn visit_range(
        &self,
        range: impl RangeBounds<u64>,
        f: impl FnMut(Envelope) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        guarded(|| self.shared.visit_range(range, f)).map_err(ReadError::Corrupt)?
    }

    /// The committed events in `range`, in seq order.
    pub fn read_range(&self, range: impl RangeBounds<u64>) -> Result<Vec<Envelope>, ReadError> {
        guarded(|| self.shared.read_range(range)).map_err(ReadError::Corrupt)?
    }

    /// Events of the frames an index names for `key`, kept where `keep` says.
    fn read_indexed(
        &self,
        index: TableDefinition<(u128, u64), ()>,
        key: u128,
        keep: impl Fn(&Envelope) -> bool,
    ) -> Result<Vec<Envelope>, ReadError> {
        let txn = self.read_txn()?;
        let (Some(idx), Some(frames)) = (table(&txn, index)?, table(&txn, FRAMES)?) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for row in idx.range((key, 0)..=(key, u64::MAX)).map_err(storage_err)? {
            let first = row.map_err(storage_err)?.0.value().1;
            let bytes = frames.get(first).map_err(storage_err)?.ok_or_else(|| {
                storage_err(redb::Error::Corrupted(format!("index names frame {first}, which is absent")))
            })?;
            let visited = visit_frame(first, bytes.value(), 0, u64::MAX, &mut |e| {
                if keep(&e) {
                    out.push(e);
                }
                ControlFlow::Continue(())
            });
            if let Err(e) = visited {
                return Err(located(&self.shared, &frames, e));
            }
        }
        Ok(out)
    }

    /// Every event of one session, in seq order.
    pub fn read_session(&self, session: SessionId) -> Result<Vec<Envelope>, ReadError> {
        guarded(|| self.read_indexed(BY_SESSION, session.0.as_u128(), |e| e.session == session))
            .map_err(ReadError::Corrupt)?
    }

    /// Every event of one request's chain, in seq order.
    pub fn read_request(&self, request: RequestId) -> Result<Vec<Envelope>, ReadError> {
        guarded(|| self.read_indexed(BY_REQUEST, request.0.as_u128(), |e| e.request == Some(request)))
            .map_err(ReadError::Corrupt)?
    }

    /// Summaries of all sessions, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, ReadError> {
        guarded(|| self.stored_sessions()).map_err(ReadError::Corrupt)?
    }

    fn stored_sessions(&self) -> Result<Vec<SessionSummary>, ReadError> {
        let txn = self.read_txn()?;
        let Some(t) = table(&txn, SESSIONS)? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for row in t.iter().map_err(storage_err)? {
            let (_, v) = row.map_err(storage_err)?;
            out.push(SessionSummary::decode(v.value()).map_err(|source| ReadError::Record { seq: 0, source })?);
        }
        out.sort_by_key(|s| (s.started_at, s.first_seq));
        Ok(out)
    }

    /// The summary of one session, if it exists.
    pub fn session_summary(&self, session: SessionId) -> Result<Option<SessionSummary>, ReadError> {
        let txn = self.read_txn()?;
        let Some(t) = table(&txn, SESSIONS)? else { return Ok(None) };
        let Some(v) = t.get(session.0.as_u128()).map_err(storage_err)? else { return Ok(None) };
        SessionSummary::decode(v.value()).map(Some).map_err(|source| ReadError::Record { seq: 0, source })
    }
}
