//! CacheBridge: the only code that touches Python.
//!
//! A [`Bridge`] owns a small pool of threads that each attach to the one
//! embedded interpreter. The first thread starts it, adds the venv's
//! site-packages (the embedded interpreter ignores `VIRTUAL_ENV`), imports
//! `widget_log.bridge` and calls `initialize` once. Calls are JSON strings in
//! and out, exactly as `widget_log.bridge` defines them; [`contract`] turns
//! its answers into typed values and event types. Python releases the GIL
//! during upstream I/O, so one slow upstream call does not stall the others.

pub mod contract;
mod error;
mod host;

pub use error::BridgeError;
pub use host::{Bridge, BridgeConfig, ChunkStream};
