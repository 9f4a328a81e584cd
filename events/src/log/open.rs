//! Opening a log: for writing (one process at a time) or read-only for tools.
//! Either way the whole log is verified first (see [`super::verify`]).

use super::guard::guarded;
use super::sessions::SessionDeltas;
use super::verify::{self, LogReport};
use super::writer::Writer;
use super::{BY_REQUEST, BY_SESSION, Db, EventLog, FRAMES, META, META_SCHEMA, SESSIONS, Shared};
use crate::codec::{SCHEMA_VERSION, frame};
use crate::error::OpenError;
use redb::{Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase, ReadableTable, StorageError};
use std::path::Path;
use std::sync::Arc;

impl EventLog {
    /// Opens the log at `path` for writing, creating it if it does not exist
    /// (mode 0600, whatever the umask).
    ///
    /// The parent directory must exist. Only one process may have a log open
    /// for writing; a second gets [`OpenError::Locked`]. A log that fails
    /// verification is refused with [`OpenError::Damaged`] before anything
    /// is written to it.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        check_parent(path)?;
        // A log that exists is verified read-only first, before a writable
        // open touches its header; a newer, held or damaged one is refused
        // untouched. An unclean one is the writable open's to recover, and
        // is verified after that recovery.
        let mut known = None;
        if path.metadata().is_ok_and(|m| m.len() > 0) {
            match guarded(|| open_for_reading(path)) {
                Ok(Ok((db, report))) => {
                    drop(db);
                    if !report.is_healthy() {
                        return Err(OpenError::Damaged { path: path.to_owned(), detail: summary(&report) });
                    }
                    known = Some(report);
                }
                Ok(Err(OpenError::Unclean { .. })) => {}
                Ok(Err(e)) => return Err(e),
                Err(detail) => return Err(OpenError::Corrupt { path: path.to_owned(), detail }),
            }
        } else {
            create_private(path)?;
        }
        let opened = guarded(|| open_writable(path, known))
            .map_err(|detail| OpenError::Corrupt { path: path.to_owned(), detail });
        let (db, report) = opened??;
        if !report.is_healthy() {
            return Err(OpenError::Damaged { path: path.to_owned(), detail: summary(&report) });
        }
        if report.legacy_frames > 0 {
            guarded(|| seal_legacy(&db))
                .map_err(|detail| OpenError::Corrupt { path: path.to_owned(), detail })?
                .map_err(|source| OpenError::Storage { path: path.to_owned(), source })?;
        }
        let shared = Arc::new(Shared::new(Db::ReadWrite(db), path, report.last_seq));
        let writer = Writer::spawn(shared.clone(), report.last_seq + 1).map_err(OpenError::Thread)?;
        Ok(EventLog { shared, writer: Some(writer) })
    }

    /// Opens an existing log read-only, for tools. Fails with
    /// [`OpenError::Locked`] while a writer holds it, and with
    /// [`OpenError::Unclean`] when a crash left it needing recovery.
    ///
    /// Damaged frames do not stop it: reads of them fail with
    /// [`crate::ReadError::Damaged`], other reads work. Indexes that
    /// disagree with the frames do ([`OpenError::Damaged`]), since reads
    /// through them could not be trusted.
    pub fn open_read_only(path: &Path) -> Result<Self, OpenError> {
        check_parent(path)?;
        if !path.exists() {
            return Err(OpenError::NotFound { path: path.to_owned() });
        }
        let opened =
            guarded(|| open_for_reading(path)).map_err(|detail| OpenError::Corrupt { path: path.to_owned(), detail });
        let (db, report) = opened??;
        if !report.index.is_empty() {
            return Err(OpenError::Damaged { path: path.to_owned(), detail: summary(&report) });
        }
        let shared = Arc::new(Shared::new(Db::ReadOnly(db), path, report.last_seq));
        if !report.damaged.is_empty() {
            shared.mark_damaged(&summary(&report));
        }
        shared.hub.close();
        Ok(EventLog { shared, writer: None })
    }
}

/// One line on what failed verification.
fn summary(report: &LogReport) -> String {
    let mut parts: Vec<String> = report.damaged.iter().take(3).map(ToString::to_string).collect();
    if report.damaged.len() > 3 {
        parts.push(format!("{} more damaged ranges", report.damaged.len() - 3));
    }
    parts.extend(report.index.iter().cloned());
    parts.join("; ")
}

/// Creates an empty log file readable by its owner only.
fn create_private(path: &Path) -> Result<(), OpenError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| OpenError::Storage { path: path.to_owned(), source: redb::Error::Io(e) })
}

/// Opens for writing; verifies unless `known` already holds the verdict of
/// a read-only verification of the same (clean) file.
fn open_writable(path: &Path, known: Option<LogReport>) -> Result<(Database, LogReport), OpenError> {
    let db = Database::create(path).map_err(|e| map_open(path, e))?;
    let storage = |e: redb::Error| OpenError::Storage { path: path.to_owned(), source: e };
    // Verified (after redb's own recovery, if it needed one) before anything is written.
    let report = match known {
        Some(report) => report,
        None => verified(path, db.begin_read().map_err(|e| storage(e.into()))?)?,
    };
    if !report.is_healthy() {
        return Err(OpenError::Damaged { path: path.to_owned(), detail: summary(&report) });
    }
    let txn = db.begin_write().map_err(|e| storage(e.into()))?;
    let found = {
        txn.open_table(FRAMES).map_err(|e| storage(e.into()))?;
        txn.open_table(BY_SESSION).map_err(|e| storage(e.into()))?;
        txn.open_table(BY_REQUEST).map_err(|e| storage(e.into()))?;
        txn.open_table(SESSIONS).map_err(|e| storage(e.into()))?;
        let mut meta = txn.open_table(META).map_err(|e| storage(e.into()))?;
        let found = meta.get(META_SCHEMA).map_err(|e| storage(e.into()))?.map(|v| v.value());
        if found.is_none_or(|v| v < u64::from(SCHEMA_VERSION)) {
            meta.insert(META_SCHEMA, u64::from(SCHEMA_VERSION)).map_err(|e| storage(e.into()))?;
        }
        found
    };
    if let Some(found) = found.filter(|v| *v > u64::from(SCHEMA_VERSION)) {
        txn.abort().map_err(|e| storage(e.into()))?;
        return Err(too_new(path, found));
    }
    txn.commit().map_err(|e| storage(e.into()))?;
    Ok((db, report))
}

fn open_for_reading(path: &Path) -> Result<(ReadOnlyDatabase, LogReport), OpenError> {
    let db = ReadOnlyDatabase::open(path).map_err(|e| map_open(path, e))?;
    let storage = |e: redb::Error| OpenError::Storage { path: path.to_owned(), source: e };
    let txn = db.begin_read().map_err(|e| storage(e.into()))?;
    let found = match txn.open_table(META) {
        Ok(meta) => meta.get(META_SCHEMA).map_err(|e| storage(e.into()))?.map(|v| v.value()),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(storage(e.into())),
    };
    if let Some(found) = found.filter(|v| *v > u64::from(SCHEMA_VERSION)) {
        return Err(too_new(path, found));
    }
    let report = verified(path, txn)?;
    Ok((db, report))
}

fn verified(path: &Path, txn: redb::ReadTransaction) -> Result<LogReport, OpenError> {
    verify::check(&txn).map_err(|e| OpenError::Corrupt { path: path.to_owned(), detail: e.to_string() })
}

/// Rewrites frames written before frames had checksums, sealed, and the
/// session summaries from every frame, in one transaction.
fn seal_legacy(db: &Database) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    let mut summaries = SessionDeltas::default();
    {
        let mut frames = txn.open_table(FRAMES)?;
        let mut legacy = Vec::new();
        for row in frames.iter()? {
            let (first, bytes) = row?;
            let records =
                frame::records(first.value(), bytes.value()).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
            for (seq, r) in (first.value()..).zip(&records) {
                let e = crate::codec::decode(r).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
                summaries.record(seq, &e);
            }
            if !frame::is_sealed(bytes.value()) {
                legacy.push((first.value(), frame::encode(first.value(), records)));
            }
        }
        for (first, bytes) in legacy {
            frames.insert(first, bytes.as_slice())?;
        }
        let mut sessions = txn.open_table(SESSIONS)?;
        sessions.retain(|_, _| false)?;
    }
    summaries.apply(&txn)?;
    txn.commit()?;
    Ok(())
}

fn too_new(path: &Path, found: u64) -> OpenError {
    OpenError::SchemaTooNew { path: path.to_owned(), found, supported: SCHEMA_VERSION }
}

fn check_parent(path: &Path) -> Result<(), OpenError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(OpenError::MissingDirectory { path: dir.to_owned() })
        }
        _ => Ok(()),
    }
}

fn map_open(path: &Path, e: DatabaseError) -> OpenError {
    let path = path.to_owned();
    match e {
        DatabaseError::DatabaseAlreadyOpen => OpenError::Locked { path },
        DatabaseError::Storage(StorageError::Corrupted(detail)) => OpenError::Corrupt { path, detail },
        DatabaseError::Storage(StorageError::Io(io)) if io.kind() == std::io::ErrorKind::InvalidData => {
            OpenError::Corrupt { path, detail: io.to_string() }
        }
        DatabaseError::RepairAborted => OpenError::Unclean { path },
        DatabaseError::UpgradeRequired(v) => {
            OpenError::Corrupt { path, detail: format!("redb file format v{v} is not the one this build writes") }
        }
        other => OpenError::Storage { path, source: other.into() },
    }
}
