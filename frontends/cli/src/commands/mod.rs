//! One module per subcommand.

pub mod ask;
pub mod cache_key;
pub mod demo;
pub mod export;
pub mod log;
pub mod replay;
pub mod serve;
pub mod sessions;
pub mod stats;
pub mod tui;
pub mod ui;
