//! Why the bridge could not do what was asked. Each message says what to run.

use std::path::PathBuf;
use thiserror::Error;

/// A failure of the bridge itself (not an upstream or cache error, which
/// come back as typed JSON from Widget-Log).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BridgeError {
    /// The configured virtual environment does not exist.
    #[error(
        "no Python environment at {venv}; run `make setup` in the Lantern checkout (it creates .venv and installs widget-log), or set --venv"
    )]
    VenvMissing {
        /// Where it was looked for.
        venv: PathBuf,
    },
    /// The venv has no site-packages for the Python Lantern embeds.
    #[error(
        "{venv} has no lib/python{embedded}/site-packages (found: {found}); Lantern embeds Python {embedded}: recreate the venv with `rm -rf {venv} && make setup`"
    )]
    WrongPython {
        /// The venv.
        venv: PathBuf,
        /// `major.minor` of the embedded interpreter.
        embedded: String,
        /// What the venv holds instead.
        found: String,
    },
    /// `widget_log` is not importable from the venv.
    #[error("widget_log cannot be imported from {venv} ({detail}); run `make setup` to install it")]
    WidgetLogMissing {
        /// The venv.
        venv: PathBuf,
        /// The import error.
        detail: String,
    },
    /// Widget-Log refused its configuration or could not load its model.
    #[error("widget-log failed to initialise: {0}")]
    Initialize(String),
    /// Python raised where the bridge promises it never does, or answered with malformed JSON.
    #[error("the Python bridge failed in {function}: {detail}")]
    Python {
        /// The bridge function called.
        function: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// Widget-Log reported a failure of its own (its store, its model, a bad request).
    #[error("the cache failed in {function}: {message} ({kind})")]
    Cache {
        /// The bridge function called.
        function: &'static str,
        /// Widget-Log's error kind.
        kind: String,
        /// What went wrong.
        message: String,
    },
    /// The bridge threads have stopped.
    #[error("the Python bridge has stopped")]
    Stopped,
}
