//! One module per subcommand.

pub mod ask;
pub mod demo;
pub mod replay;
pub mod sessions;
pub mod stats;
