//! Lantern's terminal frontend (`lantern tui`): the composer, the approval
//! panel with the refinement diff, the answer and its source, suggestions
//! with their metadata line, the session browser and the stats.
//!
//! Like the desktop window, it drives a pipeline through a [`Handle`] (its
//! own, or the one a running `lantern serve` holds, reached through the
//! control endpoint) and sees only events: it follows the log and folds the
//! envelopes with the shared reducer ([`lantern_frontend::live::Tracker`]).
//! Keys become commands in [`keys`] (a plain function over the state), the
//! app applies them in [`app`], and [`view`] draws; so the logic and the
//! frames are tested without a terminal (ratatui's `TestBackend`).

pub mod app;
mod input;
pub mod keys;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod view;

pub use app::TuiApp;
pub use lantern_actors::handle::Handle;

use crossterm::event::Event;
use lantern_events::ReadLog;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use thiserror::Error;

/// What the terminal needs besides the handle and the log.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// Target model of the prompts sent.
    pub model: String,
    /// Working directory or project, recorded with the session.
    pub workspace: Option<String>,
    /// Set when attached to a running `lantern serve` (its description, for
    /// the top bar): proxied requests that wait for a person show too.
    pub attached: Option<String>,
    /// A file to attach to prompts (the composer's File field).
    pub file: String,
    /// Its line range, `A-B` (the composer's Lines field).
    pub lines: String,
    /// No colours (also when `NO_COLOR` is set).
    pub monochrome: bool,
}

/// Why the terminal frontend could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TuiError {
    /// A helper thread could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
    /// The log could not be followed.
    #[error("cannot follow the log: {0}")]
    Log(String),
    /// The terminal could not be used (not a terminal, or it went away).
    #[error("the terminal failed: {0}")]
    Terminal(std::io::Error),
}

/// How long a key is waited for before the log is folded and the screen redrawn.
const TICK: Duration = Duration::from_millis(50);

/// Input events read between two frames at most.
const EVENTS_PER_FRAME: usize = 256;

/// Runs the terminal frontend until the user quits; the session is closed
/// then, and its end waited for (at most 3 s) so that nothing is lost.
pub fn run(handle: Box<dyn Handle>, log: Arc<dyn ReadLog>, options: TuiOptions) -> Result<(), TuiError> {
    let from = log.last_seq().map_or(1, |s| s + 1);
    let mut app = TuiApp::new(handle, log.clone(), options)?;
    // The session ends however the loop ends, a panic included.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drive(&mut app)));
    app.close();
    lantern_frontend::live::await_end(&*log, app.tracked.live.session, from, Duration::from_secs(3));
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn drive(app: &mut TuiApp) -> Result<(), TuiError> {
    let mut screen = terminal::Screen::enter().map_err(TuiError::Terminal)?;
    let input = input::Input::start().map_err(TuiError::Thread)?;
    loop {
        if screen.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        app.pump();
        screen.terminal.draw(|f| app.draw(f)).map_err(TuiError::Terminal)?;
        // Waiting here, not in the terminal: a terminal that hung up can keep
        // crossterm's poll busy forever, and SIGHUP/SIGTERM must still end the loop.
        let Some(first) = input.next_within(TICK) else { continue };
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(read) = next.take() {
            match read.map_err(TuiError::Terminal)? {
                Event::Key(key) => {
                    for step in app.key(key) {
                        let mut edit = |text: &str| input.paused(|| screen.edit(text));
                        if !app.run_step(step, &mut edit) {
                            return Ok(());
                        }
                        if let Some(e) = screen.broken.take() {
                            return Err(TuiError::Terminal(e));
                        }
                    }
                }
                Event::Paste(text) => app.paste(&text),
                _ => {}
            }
            // The keys already typed are taken before drawing again (a fast
            // typist), at most a frame's worth.
            taken += 1;
            if taken < EVENTS_PER_FRAME && !screen.stop.load(Ordering::Relaxed) {
                next = input.try_next();
            }
        }
    }
}
