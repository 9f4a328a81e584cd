//! One file per panel. Panels read state and push [`crate::Command`]s.

pub mod approval;
pub mod composer;
pub mod diff_view;
pub mod help;
pub mod live;
pub mod offer;
pub mod response;
pub mod sessions;
pub mod shortcuts;
pub mod stats_view;
pub mod suggestions;
pub mod top_bar;
