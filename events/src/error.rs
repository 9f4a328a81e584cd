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
        "{path} is held by another Lantern process that does not answer on the data dir's control socket (one \
         starting or stopping, or one that could not open the socket), or this command needs the file to itself \
         (`lantern log check|repair` while `lantern serve` runs); wait for it, stop it, or use another --data-dir"
    )]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// The file is not a readable redb database.
    #[error(
        "{path} is damaged ({detail}); nothing was written to it. `lantern log check` shows what can still be read, \
         `lantern log repair` rebuilds the log from it and keeps this file beside the new one"
    )]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// What redb reported.
        detail: String,
    },
    /// The file was not closed cleanly (a crash, a kill) and only a writer
    /// may run the recovery redb needs; nothing is lost by that recovery.
    #[error(
        "{path} was not closed cleanly (Lantern was killed or crashed); its data is recoverable: the next command \
         that writes (`lantern serve`, `lantern ask`) or `lantern log repair` recovers it, and `lantern log check` \
         says whether anything is damaged"
    )]
    Unclean {
        /// The log file.
        path: PathBuf,
    },
    /// Frames failed verification, or the indexes disagree with the frames:
    /// the log is not opened for writing, so that nothing is added to it.
    #[error(
        "{path} failed verification: {detail}. Nothing was written to it. `lantern log check` lists the damage; \
         `lantern log repair` rebuilds the log from every part that verifies and keeps this file beside the new one"
    )]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// What failed, in short.
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
    /// A read found the log damaged, so nothing more is written to it.
    #[error("the log was found damaged ({0}); nothing more is written to it: run `lantern log repair`")]
    Damaged(String),
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
    /// A frame failed verification: these seqs cannot be read.
    #[error(
        "{} are damaged ({source}); other events still read. `lantern log check` lists the damage, `lantern log repair` recovers the rest",
        seqs(*first, *last)
    )]
    Damaged {
        /// First seq of the damaged frame.
        first: u64,
        /// Last seq it holds, when known.
        last: Option<u64>,
        /// Why.
        #[source]
        source: CodecError,
    },
    /// The storage engine failed on the file (including a panic inside it).
    #[error("the log file is damaged: {0}. Run `lantern log check`")]
    Corrupt(String),
    /// redb failed.
    #[error("log read failed: {0}")]
    Storage(#[from] redb::Error),
    /// The Lantern process holding the log failed the read (its own error,
    /// word for word), or could not be asked.
    #[error("{0}")]
    Holder(String),
}

pub(crate) fn storage_err(e: impl Into<redb::Error>) -> ReadError {
    ReadError::Storage(e.into())
}

fn seqs(first: u64, last: Option<u64>) -> String {
    match last {
        Some(l) if l == first => format!("event {first}"),
        Some(l) => format!("events {first}\u{2013}{l}"),
        None => format!("events from {first} on"),
    }
}
