//! Lantern's event contract: the typed schema, the versioned record codec,
//! and the durable redb log that actors write and frontends follow.
//!
//! ```
//! use lantern_events::{Actor, EventLog, NewEvent, SessionId};
//! use lantern_events::schema::{Event, FrontendKind, PrivacyLevel, SessionStarted};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let log = EventLog::open(&dir.path().join("events.redb"))?;
//! let session = SessionId::new();
//! let started = Event::SessionStarted(SessionStarted {
//!     frontend: FrontendKind::Cli,
//!     lantern_version: "0.1.0".into(),
//!     privacy: PrivacyLevel::Full,
//!     workspace: None,
//! });
//! // Durable when `append` returns; the log assigns the seq.
//! let seq = log.append(NewEvent::now(session, Actor::Frontend(FrontendKind::Cli), started))?;
//! assert_eq!(seq, 1);
//!
//! // Followers catch up from any seq, then receive new commits live.
//! let mut sub = log.subscribe(1);
//! assert_eq!(sub.recv()?.map(|e| e.seq), Some(1));
//! assert_eq!(log.read_session(session)?.len(), 1);
//! # Ok(()) }
//! ```

pub mod codec;
mod envelope;
mod error;
mod log;
pub mod schema;

pub use envelope::{Actor, Envelope, NewEvent, RequestId, SessionId, Timestamp};
pub use error::{AppendError, OpenError, ReadError};
pub use log::{
    CheckReport, Damage, EventLog, Follow, LOG_FILE, LogReport, Pending, ReadLog, Recv, RepairReport, SessionSummary,
    Subscription, check_log, panic_is_guarded, repair_log,
};
