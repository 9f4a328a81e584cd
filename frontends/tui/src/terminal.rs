//! The real terminal: raw mode and the alternate screen, restored on every
//! way out (return, error, panic, SIGTERM/SIGHUP/SIGINT), bracketed paste,
//! and `$EDITOR` run with the terminal handed back to it.

use crossterm::ExecutableCommand;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, Write};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The terminal in raw mode on the alternate screen; dropping it restores
/// the terminal as it was.
pub struct Screen {
    /// The ratatui terminal.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    /// Set by SIGTERM, SIGHUP or SIGINT: the app should quit.
    pub stop: Arc<AtomicBool>,
    /// Set when the terminal could not be taken back after the editor: the app must quit.
    pub broken: Option<std::io::Error>,
    signals: Vec<signal_hook::SigId>,
}

impl Screen {
    /// Enters raw mode and the alternate screen, installs the panic hook
    /// and the signal flags.
    pub fn enter() -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut signals = Vec::new();
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP, signal_hook::consts::SIGINT] {
            signals.push(signal_hook::flag::register(signal, stop.clone())?);
        }
        // A panic on this (the drawing) thread gives the terminal back before
        // the message is printed; other threads' panics leave it to the app.
        let ui = std::thread::current().id();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == ui {
                restore();
            }
            previous(info);
        }));
        let unregister = |signals: &[signal_hook::SigId]| {
            for id in signals {
                signal_hook::low_level::unregister(*id);
            }
        };
        if let Err(e) = enable_raw_mode() {
            unregister(&signals);
            return Err(e);
        }
        let mut out = std::io::stdout();
        if let Err(e) = out.execute(EnterAlternateScreen).and_then(|o| o.execute(EnableBracketedPaste).map(|_| ())) {
            restore();
            unregister(&signals);
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                unregister(&signals);
                return Err(e);
            }
        };
        Ok(Self { terminal, stop, broken: None, signals })
    }

    /// Runs `$VISUAL`, `$EDITOR` or `vi` on `text` with the terminal handed
    /// back; returns the saved text, or `None` when it was left unchanged.
    pub fn edit(&mut self, text: &str) -> Result<Option<String>, String> {
        let file = tempfile::Builder::new()
            .prefix("lantern-edit-")
            .suffix(".md")
            .tempfile()
            .map_err(|e| format!("cannot make a file to edit: {e}"))?;
        std::fs::write(file.path(), text).map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
        let editor = std::env::var("VISUAL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "vi".to_owned());
        restore();
        // Through the shell, so that EDITOR="code --wait" works as in git.
        let status = Command::new("sh").arg("-c").arg(format!("{editor} \"$1\"")).arg("sh").arg(file.path()).status();
        // Ctrl+C in the editor is the editor's (vi users press it often), not a request to quit.
        self.stop.store(false, Ordering::Relaxed);
        let resumed = enable_raw_mode().and_then(|()| {
            let mut out = std::io::stdout();
            out.execute(EnterAlternateScreen)?.execute(EnableBracketedPaste).map(|_| ())
        });
        if let Err(e) = resumed {
            let message = format!("cannot take the terminal back after the editor: {e}");
            self.broken = Some(e);
            return Err(message);
        }
        let _ = self.terminal.clear();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => return Err(format!("{editor} exited with {s}")),
            Err(e) => return Err(format!("cannot run {editor}: {e}")),
        }
        let edited = std::fs::read_to_string(file.path()).map_err(|e| format!("cannot read the edit back: {e}"))?;
        // Editors add a final newline; it is not part of the prompt.
        let edited = edited.strip_suffix('\n').unwrap_or(&edited).to_owned();
        Ok((edited != text).then_some(edited))
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
        for id in &self.signals {
            signal_hook::low_level::unregister(*id);
        }
    }
}

/// Leaves the alternate screen and raw mode, shows the cursor. Safe to call
/// more than once, and from a panic hook.
pub fn restore() {
    let mut out = std::io::stdout();
    let _ = out.execute(DisableBracketedPaste);
    let _ = out.execute(LeaveAlternateScreen);
    let _ = out.execute(crossterm::cursor::Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}
