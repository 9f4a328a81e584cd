//! Lantern's desktop window (`lantern ui`, `lantern serve --ui`): the
//! approval panel, the answer and suggestions, the session browser, stats.
//!
//! The window runs on the calling (main) thread; the pipeline runs
//! elsewhere, behind a [`Handle`]: the actors of this process (a
//! [`lantern_actors::runtime::Client`]), or those of a running `lantern
//! serve` reached through its control endpoint. The window sends ops through
//! the handle and sees only events: it follows the log from its first event
//! and folds the envelopes with the same reducer
//! ([`lantern_replay::chain::Chains`]) for the live session and for history.
//!
//! ```no_run
//! use lantern_actors::runtime::Client;
//! use lantern_events::EventLog;
//! use std::sync::Arc;
//!
//! /// Shows the window over a running pipeline; returns when it closes.
//! fn show(client: Client, log: Arc<EventLog>) -> Result<(), lantern_egui::UiError> {
//!     let options = lantern_egui::UiOptions { model: "claude-sonnet-4-5".into(), workspace: None, proxy_approvals: false };
//!     lantern_egui::run(Box::new(client), log, options)
//! }
//! ```

pub mod app;
pub mod panels;
pub mod state;
pub use lantern_frontend::{attachment, command, diff, feed, format, history, live, pricing};
pub use lantern_replay::stats;

pub use app::LanternApp;
pub use command::{Command, View};
pub use lantern_actors::handle::Handle;

use lantern_events::ReadLog;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use thiserror::Error;

/// What the window needs besides the client and the log.
#[derive(Debug, Clone)]
pub struct UiOptions {
    /// Target model of the prompts sent from the window.
    pub model: String,
    /// Working directory or project, recorded with the session.
    pub workspace: Option<String>,
    /// Also show, for approval, the requests the HTTP proxy of this process
    /// receives while the window is open (`lantern serve --ui`).
    pub proxy_approvals: bool,
}

/// Why the window could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UiError {
    /// A helper thread could not be started.
    #[error("cannot start a window thread: {0}")]
    Thread(std::io::Error),
    /// The log could not be followed.
    #[error("cannot follow the log: {0}")]
    Log(String),
    /// The window could not be opened or crashed (no display, no OpenGL…).
    #[error("the window failed: {0}")]
    Window(String),
}

/// Opens the window on the calling thread (it must be the main thread) and
/// returns when it closes; the desktop session is closed then.
pub fn run(pipeline: Box<dyn Handle>, log: Arc<dyn ReadLog>, options: UiOptions) -> Result<(), UiError> {
    let native = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("Lantern")
            .with_inner_size([1200.0, 820.0])
            .with_min_inner_size([640.0, 480.0]),
        ..Default::default()
    };
    let opened = Arc::new(OnceLock::new());
    let (cell, window_log) = (opened.clone(), log.clone());
    let from = log.last_seq().map_or(1, |s| s + 1);
    eframe::run_native(
        "Lantern",
        native,
        Box::new(move |cc| {
            let app = LanternApp::new(pipeline, window_log, options, &cc.egui_ctx)?;
            let _ = cell.set(app.tracked.live.session);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| UiError::Window(e.to_string()))?;
    if let Some(session) = opened.get() {
        lantern_frontend::live::await_end(&*log, *session, from, Duration::from_secs(3));
    }
    Ok(())
}
