//! The control endpoint of a data dir.
//!
//! One process holds a data dir's event log for writing (today `lantern
//! serve`). It serves, on `control.sock` in that dir (mode 0600, its own
//! user only): the log's reads, a catch-up subscription from any seq, the
//! pipeline's ops and the cache's counters. Every other command finds it
//! with [`Holder::find`] and goes through it, so that one data dir serves
//! many tools at once; with no holder, a command opens the log itself.
//!
//! ```no_run
//! # fn main() -> Result<(), lantern_control::ControlError> {
//! use lantern_events::ReadLog;
//! let dir = std::path::Path::new("/home/me/.local/share/lantern");
//! if let lantern_control::Found::Holder(holder) = lantern_control::Holder::find(dir)? {
//!     let log = holder.log();
//!     println!("{} sessions", log.sessions().map(|s| s.len()).unwrap_or(0));
//! }
//! # Ok(()) }
//! ```

mod remote;
mod server;
pub mod wire;

pub use remote::{Found, Holder, RemoteFeed, RemoteLog, RemotePipeline};
pub use server::ControlServer;

use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// File name of the control socket inside a data dir.
pub const SOCKET_FILE: &str = "control.sock";

/// What went wrong with the control endpoint.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The socket belongs to another user.
    #[error(
        "{path} belongs to uid {owner}, not to you (uid {me}); Lantern talks only to its own user's processes. \
         Use your own --data-dir"
    )]
    OtherUser {
        /// The socket.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's user.
        me: u32,
    },
    /// A live holder already serves this data dir.
    #[error("{path} is already served by a running Lantern; stop it first, or use another --data-dir")]
    AlreadyServed {
        /// The socket.
        path: PathBuf,
    },
    /// The socket path is longer than a Unix socket address can hold.
    #[error("cannot listen on {path}: a Unix socket path must be shorter than 108 bytes; use a shorter --data-dir")]
    PathTooLong {
        /// The socket.
        path: PathBuf,
    },
    /// The holder refused, or spoke something else.
    #[error("the Lantern holding {path} refused: {detail}")]
    Refused {
        /// The socket.
        path: PathBuf,
        /// What it said.
        detail: String,
    },
    /// The holder accepted the connection but did not answer (stopped with
    /// Ctrl-Z or SIGSTOP, or hung).
    #[error(
        "the Lantern holding {path} did not answer within {} s (is it stopped, e.g. with Ctrl-Z?); resume or stop it",
        waited.as_secs()
    )]
    Unresponsive {
        /// The socket.
        path: PathBuf,
        /// How long it was given.
        waited: std::time::Duration,
    },
    /// The holder went away, or a frame did not decode.
    #[error("lost the connection to the Lantern holding {path}: {source}")]
    Lost {
        /// The socket.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file operation on the socket failed.
    #[error("{path}: {source}")]
    Io {
        /// The socket.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

impl ControlError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        ControlError::Io { path: path.to_owned(), source }
    }

    pub(crate) fn lost(path: &Path, source: io::Error) -> Self {
        ControlError::Lost { path: path.to_owned(), source }
    }

    pub(crate) fn bind(path: &Path, source: io::Error) -> Self {
        if path.as_os_str().len() >= 108 {
            ControlError::PathTooLong { path: path.to_owned() }
        } else {
            ControlError::io(path, source)
        }
    }
}

/// What is at a data dir's socket path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SocketState {
    /// Nothing.
    Absent,
    /// A socket nobody listens on: its holder died without removing it.
    Stale,
    /// A holder listens.
    Live,
}

/// Looks at `path`: refuses another user's socket, tells a live holder from
/// a stale file by connecting.
pub(crate) fn socket_state(path: &Path) -> Result<SocketState, ControlError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(SocketState::Absent),
        Err(e) => return Err(ControlError::io(path, e)),
    };
    let me = rustix::process::getuid().as_raw();
    if meta.uid() != me {
        return Err(ControlError::OtherUser { path: path.to_owned(), owner: meta.uid(), me });
    }
    match UnixStream::connect(path) {
        Ok(_) => Ok(SocketState::Live),
        Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound) => {
            Ok(SocketState::Stale)
        }
        Err(e) => Err(ControlError::io(path, e)),
    }
}
