//! One module per subcommand.

pub mod ask;
pub mod demo;
pub mod export;
pub mod replay;
pub mod serve;
pub mod sessions;
pub mod stats;
pub mod ui;
