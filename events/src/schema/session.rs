//! Session boundaries.

use serde::{Deserialize, Serialize};

/// Which frontend opened a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrontendKind {
    /// The `lantern` command line.
    Cli,
    /// The egui desktop window.
    Desktop,
    /// The Anthropic-compatible HTTP proxy.
    Proxy,
}

/// How much user text the journal keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrivacyLevel {
    /// Texts are kept (secrets always redacted).
    Full,
    /// Texts are replaced by a digest and a length.
    Metadata,
    /// Only counters are persisted.
    Off,
}

/// A frontend opened a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStarted {
    /// The frontend that opened it.
    pub frontend: FrontendKind,
    /// Version of the Lantern binary that wrote the session.
    pub lantern_version: String,
    /// Privacy level in force for the session.
    pub privacy: PrivacyLevel,
    /// Working directory or project the session belongs to, if known.
    pub workspace: Option<String>,
}

/// Why a session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// The user closed it.
    UserExit,
    /// The process shut down.
    Shutdown,
    /// No activity within the idle timeout.
    Idle,
}

/// The session closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEnded {
    /// Why it closed.
    pub reason: EndReason,
}
