//! Lantern's actors. Each is a pure, deterministic core (unit-tested without
//! any runtime) plus, later, a thin actix shell that does the I/O.
//!
//! - [`refiner`]: proposes a better prompt, with its change list, a rubric
//!   score and Anthropic cache anchors.
//! - [`suggester`]: proposes next prompts, labelled with origin and context.
//! - [`cache_bridge`]: the response cache (Widget-Log, embedded Python).
//! - [`upstream`]: the model API, spoken from Rust without holding a thread.
//! - [`telemetry`]: redacts secrets and applies the privacy level before
//!   anything reaches the journal.

pub mod cache_bridge;
pub mod handle;
pub mod journal;
pub mod messages;
pub mod pipeline;
pub mod refiner;
pub mod runtime;
pub mod suggester;
pub mod telemetry;
pub mod upstream;
