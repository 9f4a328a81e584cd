//! The durable, append-only event log on redb.
//!
//! One writer thread owns all writes and group-commits: every append queued
//! while a commit is in flight joins the next transaction, and each caller is
//! acknowledged only once its transaction is durable. Committed envelopes are
//! then fanned out to [`Subscription`]s.

mod guard;
mod open;
mod read;
mod reads;
mod repair;
mod sessions;
mod subscribe;
mod verify;
mod writer;

pub use guard::panic_is_guarded;
pub use reads::{Follow, ReadLog};
pub use repair::{CheckReport, RepairReport, check as check_log, repair as repair_log};
pub use sessions::SessionSummary;
pub use subscribe::{Recv, Subscription};
pub use verify::{Damage, LogReport};
pub use writer::Pending;

use crate::envelope::NewEvent;
use crate::error::AppendError;
use redb::{Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, TableDefinition};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of the log inside a data directory.
pub const LOG_FILE: &str = "events.redb";

/// first seq of a frame → frame of records (see [`crate::codec::frame`]).
pub(crate) const FRAMES: TableDefinition<u64, &[u8]> = TableDefinition::new("frames");
/// (session, first seq of a frame holding some of its events) → ().
pub(crate) const BY_SESSION: TableDefinition<(u128, u64), ()> = TableDefinition::new("by_session");
/// (request, first seq of a frame holding some of its events) → ().
pub(crate) const BY_REQUEST: TableDefinition<(u128, u64), ()> = TableDefinition::new("by_request");
/// session → summary (a projection kept up to date by the writer).
pub(crate) const SESSIONS: TableDefinition<u128, &[u8]> = TableDefinition::new("sessions");
/// Log-wide facts, such as the newest schema version ever written.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(crate) const META_SCHEMA: &str = "schema_version";
/// first seq → last seq of a run a repair found unreadable and left out.
pub(crate) const LOST: TableDefinition<u64, u64> = TableDefinition::new("lost");

pub(crate) enum Db {
    ReadWrite(Database),
    ReadOnly(ReadOnlyDatabase),
    /// Taken for closing (see `Drop for Shared`).
    Closed,
}

impl Db {
    pub(crate) fn begin_read(&self) -> Result<ReadTransaction, redb::TransactionError> {
        match self {
            Db::ReadWrite(db) => db.begin_read(),
            Db::ReadOnly(db) => db.begin_read(),
            Db::Closed => {
                Err(redb::TransactionError::Storage(redb::StorageError::Io(std::io::Error::other("the log is closed"))))
            }
        }
    }
}

pub(crate) struct Shared {
    pub(crate) db: Db,
    pub(crate) path: PathBuf,
    pub(crate) hub: subscribe::Hub,
    /// Set when a read finds a damaged frame: the writer then refuses to
    /// add to the file.
    pub(crate) damaged: std::sync::Mutex<Option<String>>,
    /// The newest seq verification found at open.
    pub(crate) opened_last: u64,
}

impl Drop for Shared {
    /// redb writes its allocator state when a database closes, and can panic
    /// there on a file damaged in pages Lantern's checksums do not cover:
    /// that becomes a logged error, not a crash.
    fn drop(&mut self) {
        let db = std::mem::replace(&mut self.db, Db::Closed);
        if let Err(e) = guard::guarded(move || drop(db)) {
            tracing::error!(path = %self.path.display(), error = %e, "closing the log failed");
        }
    }
}

impl Shared {
    pub(crate) fn new(db: Db, path: &Path, last: u64) -> Self {
        Shared {
            db,
            path: path.to_owned(),
            hub: subscribe::Hub::new(last),
            damaged: std::sync::Mutex::new(None),
            opened_last: last,
        }
    }

    /// Remembers that a read found damage (the first finding is kept).
    pub(crate) fn mark_damaged(&self, what: &str) {
        let mut d = self.damaged.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        d.get_or_insert_with(|| what.to_owned());
    }

    /// The damage a read found, if any.
    pub(crate) fn damage(&self) -> Option<String> {
        self.damaged.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// The event log. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct EventLog {
    shared: Arc<Shared>,
    writer: Option<writer::Writer>,
}

impl EventLog {
    /// Path of the log file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// What a read or the open-time verification found damaged, if anything
    /// (reads of the rest still work; a writable open refuses such a log).
    pub fn damage(&self) -> Option<String> {
        self.shared.damage()
    }

    /// Whether the log was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// Queues events for the next group commit; returns at once.
    ///
    /// The returned [`Pending`] resolves to the seqs assigned once the batch
    /// is durable. All events of one call commit together or not at all.
    pub fn submit(&self, events: Vec<NewEvent>) -> Result<Pending, AppendError> {
        self.writer.as_ref().ok_or(AppendError::ReadOnly)?.submit(events, None)
    }

    /// Like [`EventLog::submit`], but live subscribers are handed `shown`
    /// (one per event, same order) while `stored` is what is written, and
    /// what anyone catching up from storage reads.
    ///
    /// The journal uses this for privacy levels that keep less than a
    /// frontend in the same process needs to show: the user sees their own
    /// answer; the file keeps only its digest.
    pub fn submit_shown(&self, stored: Vec<NewEvent>, shown: Vec<NewEvent>) -> Result<Pending, AppendError> {
        if shown.len() != stored.len() {
            return Err(AppendError::ShownMismatch { stored: stored.len(), shown: shown.len() });
        }
        self.writer.as_ref().ok_or(AppendError::ReadOnly)?.submit(stored, Some(shown))
    }

    /// Appends one event and waits until it is durable; returns its seq.
    pub fn append(&self, event: NewEvent) -> Result<u64, AppendError> {
        Ok(*self.submit(vec![event])?.wait()?.start())
    }

    /// Appends events atomically and waits until they are durable.
    pub fn append_batch(&self, events: Vec<NewEvent>) -> Result<RangeInclusive<u64>, AppendError> {
        self.submit(events)?.wait()
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            w.shutdown();
        }
        self.shared.hub.close();
    }
}
