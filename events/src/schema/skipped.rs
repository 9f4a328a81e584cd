//! A request the Refiner did not touch, and why.

use serde::{Deserialize, Serialize};

/// Why a request went out unrefined (added in schema v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// The request has no messages.
    NoMessages,
    /// Its last turn is not a user turn (an assistant prefill, a `system`
    /// turn, or a role Lantern does not know).
    LastTurnNotUser {
        /// The last turn's role, as sent (empty when it has none).
        role: String,
    },
    /// Its last user turn is not one plain text: it holds other blocks
    /// (tool results, images, documents, unknown types) or several texts.
    NotPlainText {
        /// The block types of that turn, in order, as sent.
        blocks: Vec<String>,
    },
    /// The prompt is longer than the Refiner rewrites (a pasted log or
    /// file): its rules would take seconds and change little.
    TooLarge {
        /// The prompt's length in bytes.
        bytes: u64,
        /// The longest prompt the Refiner takes.
        limit: u64,
    },
}

/// The Refiner left a request alone: the request went out exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefinementSkipped {
    /// Why.
    pub reason: SkipReason,
}

impl SkipReason {
    /// The reason in words, as every frontend shows it.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::NoMessages => "the request has no messages".into(),
            SkipReason::LastTurnNotUser { role } if role.is_empty() => "its last turn has no role".into(),
            SkipReason::LastTurnNotUser { role } => format!("its last turn is a {role:?} turn, not a user turn"),
            SkipReason::NotPlainText { blocks } => {
                format!("its last user turn is not one plain text ({})", blocks.join(", "))
            }
            SkipReason::TooLarge { bytes, limit } => {
                format!("the prompt is {bytes} bytes, more than the {limit} the Refiner rewrites")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            SkipReason::LastTurnNotUser { role: "system".into() }.describe(),
            "its last turn is a \"system\" turn, not a user turn"
        );
        let blocks = SkipReason::NotPlainText { blocks: vec!["tool_result".into(), "text".into()] };
        assert_eq!(blocks.describe(), "its last user turn is not one plain text (tool_result, text)");
    }
}
