//! Reads: by seq range, by session, by request; session listing.

use super::{BY_REQUEST, BY_SESSION, EVENTS, EventLog, SESSIONS, SessionSummary, Shared};
use crate::codec;
use crate::envelope::{Envelope, RequestId, SessionId};
use crate::error::{ReadError, storage_err};
use redb::{ReadTransaction, ReadableTable, TableDefinition, TableError};
use std::ops::{ControlFlow, RangeBounds};

fn decode_at(seq: u64, record: &[u8]) -> Result<Envelope, ReadError> {
    codec::decode(record).map(|e| e.committed(seq)).map_err(|source| ReadError::Record { seq, source })
}

/// Opens a table, treating a missing one as empty.
fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, ReadError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage_err(e)),
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
        let txn = self.read_txn()?;
        let Some(t) = table(&txn, EVENTS)? else { return Ok(()) };
        for row in t.range(range).map_err(storage_err)? {
            let (k, v) = row.map_err(storage_err)?;
            if f(decode_at(k.value(), v.value())?).is_break() {
                break;
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
        let txn = self.read_txn()?;
        let Some(t) = table(&txn, EVENTS)? else { return Ok(0) };
        Ok(t.last().map_err(storage_err)?.map_or(0, |(k, _)| k.value()))
    }

    /// Calls `f` with each committed event in `range`, in seq order, until it breaks.
    pub fn visit_range(
        &self,
        range: impl RangeBounds<u64>,
        f: impl FnMut(Envelope) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        self.shared.visit_range(range, f)
    }

    /// The committed events in `range`, in seq order.
    pub fn read_range(&self, range: impl RangeBounds<u64>) -> Result<Vec<Envelope>, ReadError> {
        self.shared.read_range(range)
    }

    fn read_indexed(&self, index: TableDefinition<(u128, u64), ()>, key: u128) -> Result<Vec<Envelope>, ReadError> {
        let txn = self.read_txn()?;
        let (Some(idx), Some(events)) = (table(&txn, index)?, table(&txn, EVENTS)?) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for row in idx.range((key, 0)..=(key, u64::MAX)).map_err(storage_err)? {
            let seq = row.map_err(storage_err)?.0.value().1;
            let record = events.get(seq).map_err(storage_err)?.ok_or_else(|| {
                storage_err(redb::Error::Corrupted(format!("index names seq {seq}, which is absent")))
            })?;
            out.push(decode_at(seq, record.value())?);
        }
        Ok(out)
    }

    /// Every event of one session, in seq order.
    pub fn read_session(&self, session: SessionId) -> Result<Vec<Envelope>, ReadError> {
        self.read_indexed(BY_SESSION, session.0.as_u128())
    }

    /// Every event of one request's chain, in seq order.
    pub fn read_request(&self, request: RequestId) -> Result<Vec<Envelope>, ReadError> {
        self.read_indexed(BY_REQUEST, request.0.as_u128())
    }

    /// Summaries of all sessions, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, ReadError> {
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
