//! Lantern's replay: rebuild request chains from the log, verify today's
//! Refiner against logged decisions, ask what another configuration would
//! have done, and export training datasets.
//!
//! ```no_run
//! use lantern_replay::{progress::Silent, source, verify};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let log = lantern_events::EventLog::open_read_only(std::path::Path::new("events.redb"))?;
//! let loaded = source::load(&log, &source::Selection::default(), &mut Silent)?;
//! let report = verify::verify(&loaded.chains, &Default::default(), |_| true);
//! assert_eq!(report.determinism_bugs(), 0);
//! # Ok(()) }
//! ```

pub mod anonymize;
pub mod chain;
mod error;
pub mod export;
mod parallel;
pub mod progress;
pub mod rerun;
pub mod source;
pub mod stats;
pub mod synthetic;
pub mod verify;
pub mod whatif;
pub mod words;

pub use error::ReplayError;
