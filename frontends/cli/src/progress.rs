//! Progress bars for long replay and export runs (on a terminal only).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lantern_replay::progress::Progress;
use std::io::IsTerminal;

/// Draws one bar per stage on stderr when it is a terminal; silent otherwise.
pub struct Bars {
    bar: Option<ProgressBar>,
    visible: bool,
}

impl Bars {
    /// Bars on stderr, drawn only if stderr is a terminal.
    pub fn on_stderr() -> Self {
        Self { bar: None, visible: std::io::stderr().is_terminal() }
    }
}

impl Progress for Bars {
    fn stage(&mut self, name: &str, total: u64) {
        self.finish();
        if !self.visible {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg:20} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        self.bar = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
