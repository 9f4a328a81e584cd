//! The decision about which prompt goes out.

use super::Text;
use serde::{Deserialize, Serialize};

/// What was decided about a refinement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Decision {
    /// The refined prompt was sent.
    Accepted,
    /// The user edited the refined prompt and sent their text.
    Modified {
        /// The text that was sent.
        text: Text,
    },
    /// The refinement was rejected; the original was sent.
    Rejected,
    /// No decision came in time; the original was sent.
    TimedOut,
}

/// A configured approval policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApprovalPolicy {
    /// Ask a person.
    Ask,
    /// Accept every refinement.
    Accept,
    /// Always send the original.
    Original,
}

/// Who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decider {
    /// A person, in a frontend.
    User,
    /// A configured policy.
    Policy(ApprovalPolicy),
}

/// A user or a policy chose which prompt goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalDecided {
    /// The decision.
    pub decision: Decision,
    /// Who made it.
    pub by: Decider,
    /// Time from proposal to decision, in milliseconds.
    pub waited_ms: u64,
}
