//! One error enum per log operation. Each message says what to do.

use crate::codec::CodecError;
use std::path::PathBuf;
use thiserror::Error;

/// Opening the log failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The directory meant to hold the log does not exist.
    #[error("directory {path} does not exist; create it, or pass an existing --data-dir")]
    MissingDirectory {
        /// The missing directory.
        path: PathBuf,
    },
    /// There is no log at the path (read-only open).
    #[error(
        "no Lantern log at {path}; run a Lantern command that records (e.g. `lantern demo`) first, or check --data-dir"
    )]
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
    /// Another process has the log open for writing.
    #[error(
        "{path} is held by another Lantern process; stop that process (e.g. `lantern serve`) or use another --data-dir"
    )]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// The file is not a readable redb database.
    #[error(
        "{path} is corrupt ({detail}); move it aside (nothing else will be touched) and Lantern will start a new log"
    )]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// What redb reported.
        detail: String,
    },
    /// The log was written by a newer Lantern.
    #[error("{path} was written with event schema v{found}, newer than this build (v{supported}); upgrade Lantern")]
    SchemaTooNew {
        /// The log file.
        path: PathBuf,
        /// Schema version recorded in the file.
        found: u64,
        /// Newest version this build understands.
        supported: u16,
    },
    /// Any other I/O or storage failure.
    #[error("cannot open {path}: {source}")]
    Storage {
        /// The log file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: redb::Error,
    },
    /// The writer thread could not be started.
    #[error("cannot start the log writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Appending failed; nothing of the failed batch was committed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The log was opened read-only.
    #[error("the log is open read-only; open it for writing to append")]
    ReadOnly,
    /// The writer has shut down.
    #[error("the log writer has shut down")]
    Closed,
    /// An event could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// `submit_shown` was given a different number of shown and stored events.
    #[error("{shown} shown events for {stored} stored ones; give one shown form per event")]
    ShownMismatch {
        /// Events to store.
        stored: usize,
        /// Events to show.
        shown: usize,
    },
    /// The durable commit failed; the batch was not written.
    #[error("commit failed, batch not written: {0}")]
    Storage(String),
}

/// Reading failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A stored record does not decode.
    #[error("record {seq} is unreadable: {source}")]
    Record {
        /// Seq of the record.
        seq: u64,
        /// Why.
        #[source]
        source: CodecError,
    },
    /// redb failed.
    #[error("log read failed: {0}")]
    Storage(#[from] redb::Error),
}

pub(crate) fn storage_err(e: impl Into<redb::Error>) -> ReadError {
    ReadError::Storage(e.into())
}
