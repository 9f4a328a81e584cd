//! The Telemetry core: what the journal may keep.
//!
//! [`redact`] removes secrets from any text; [`privacy`] decides, with one
//! exhaustive match over the event enum, what each event keeps at each
//! privacy level. Both run before anything is written.

pub mod privacy;
pub mod redact;

pub use privacy::{Persist, scrub};
pub use redact::{Redacted, redact};
