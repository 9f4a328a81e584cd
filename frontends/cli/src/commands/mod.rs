//! One module per subcommand.

pub mod demo;
pub mod replay;
pub mod sessions;
