//! What Lantern's interactive frontends (the desktop window, the terminal)
//! share, so that they differ only in how they draw and read keys: the
//! commands a frontend issues, the log folded into the live session, the
//! session browser and the stats ([`live::Tracker`]), the feed that follows
//! the log, the refinement diff, attachments, prices and the wording.

pub mod attachment;
pub mod command;
pub mod diff;
pub mod feed;
pub mod format;
pub mod history;
pub mod live;
pub mod pricing;

pub use command::{Command, View};
