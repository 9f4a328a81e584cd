//! Opening a log: for writing (one process at a time) or read-only for tools.

use super::subscribe::Hub;
use super::writer::Writer;
use super::{BY_REQUEST, BY_SESSION, Db, EventLog, FRAMES, META, META_SCHEMA, SESSIONS, Shared};
use crate::codec::SCHEMA_VERSION;
use crate::error::OpenError;
use redb::{Database, DatabaseError, ReadOnlyDatabase, ReadableTable, StorageError};
use std::path::Path;
use std::sync::Arc;

impl EventLog {
    /// Opens the log at `path` for writing, creating it if it does not exist.
    ///
    /// The parent directory must exist. Only one process may have a log open
    /// for writing; a second gets [`OpenError::Locked`].
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        check_parent(path)?;
        if path.metadata().is_ok_and(|m| m.len() > 0) {
            // Refuse a newer log before a writable open touches its header.
            // Anything else (a repair after a crash, corruption) the writable open reports.
            if let Err(e @ (OpenError::SchemaTooNew { .. } | OpenError::Locked { .. })) = Self::open_read_only(path) {
                return Err(e);
            }
        }
        let db = Database::create(path).map_err(|e| map_open(path, e))?;
        let storage = |e: redb::Error| OpenError::Storage { path: path.to_owned(), source: e };
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
        let db = Db::ReadWrite(db);
        let last = last_seq(&db, path)?;
        let shared = Arc::new(Shared { db, path: path.to_owned(), hub: Hub::new(last) });
        let writer = Writer::spawn(shared.clone(), last + 1).map_err(OpenError::Thread)?;
        Ok(EventLog { shared, writer: Some(writer) })
    }

    /// Opens an existing log read-only, for tools. Fails with
    /// [`OpenError::Locked`] while a writer holds it.
    pub fn open_read_only(path: &Path) -> Result<Self, OpenError> {
        check_parent(path)?;
        if !path.exists() {
            return Err(OpenError::NotFound { path: path.to_owned() });
        }
        let db = Db::ReadOnly(ReadOnlyDatabase::open(path).map_err(|e| map_open(path, e))?);
        let storage = |e: redb::Error| OpenError::Storage { path: path.to_owned(), source: e };
        let found = {
            let txn = db.begin_read().map_err(|e| storage(e.into()))?;
            match txn.open_table(META) {
                Ok(meta) => meta.get(META_SCHEMA).map_err(|e| storage(e.into()))?.map(|v| v.value()),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(storage(e.into())),
            }
        };
        if let Some(found) = found.filter(|v| *v > u64::from(SCHEMA_VERSION)) {
            return Err(too_new(path, found));
        }
        let last = last_seq(&db, path)?;
        let shared = Arc::new(Shared { db, path: path.to_owned(), hub: Hub::new(last) });
        shared.hub.close();
        Ok(EventLog { shared, writer: None })
    }
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

fn last_seq(db: &Db, path: &Path) -> Result<u64, OpenError> {
    let storage = |e: redb::Error| OpenError::Storage { path: path.to_owned(), source: e };
    let txn = db.begin_read().map_err(|e| storage(e.into()))?;
    match txn.open_table(FRAMES) {
        Ok(t) => match t.last().map_err(|e| storage(e.into()))? {
            Some((first, frame)) => {
                let n = crate::codec::frame::count(frame.value())
                    .map_err(|e| OpenError::Corrupt { path: path.to_owned(), detail: format!("last frame: {e}") })?;
                Ok(first.value() + u64::from(n) - 1)
            }
            None => Ok(0),
        },
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
        Err(e) => Err(storage(e.into())),
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
        DatabaseError::RepairAborted => {
            OpenError::Corrupt { path, detail: "repair after an unclean shutdown was aborted".into() }
        }
        DatabaseError::UpgradeRequired(v) => {
            OpenError::Corrupt { path, detail: format!("redb file format v{v} is not the one this build writes") }
        }
        other => OpenError::Storage { path, source: other.into() },
    }
}
