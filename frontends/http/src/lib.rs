//! Lantern's Anthropic-compatible HTTP proxy (`lantern serve`).
//!
//! SDKs, editors and agents that honour a base URL (`ANTHROPIC_BASE_URL`,
//! `base_url=`) reach the model through Lantern unchanged: each
//! `POST /v1/messages` goes through the pipeline (journal, Refiner under an
//! approval policy, cache, upstream, Suggester). What Lantern does not need
//! to understand passes byte for byte — fields, roles, block types, query
//! strings, headers — and the upstream's answer comes back as it sent it
//! (a cache hit as the Message whole, or replayed as a well-formed stream).
//!
//! ```no_run
//! # fn run(client: lantern_actors::runtime::Client, data_dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
//! use lantern_http::{ServeConfig, Server, Token};
//! let token = Token::load_or_create(data_dir)?; // 0600 file, made on first run
//! let server = Server::start(ServeConfig::new(token), client)?; // 127.0.0.1:8443
//! server.wait()?; // until SIGINT/SIGTERM
//! # Ok(()) }
//! ```
//!
//! See docs/proxy.md for headers, errors and metrics.

pub mod auth;
pub mod config;
pub mod error;
mod journal_stats;
mod messages;
pub mod metrics;
mod peer;
mod routes;
mod server;
mod tls;
pub mod validate;

pub use auth::{TOKEN_FILE, Token, TokenError};
pub use config::{DEFAULT_LISTEN, DEFAULT_MAX_BODY, ServeConfig, ServeError, TlsFiles};
pub use server::Server;
