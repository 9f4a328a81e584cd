//! Where Lantern keeps its files.

use anyhow::bail;
use lantern_events::{EventLog, LOG_FILE};
use std::path::{Path, PathBuf};

/// The data directory: `--data-dir`/`LANTERN_DATA_DIR`, else the XDG data dir.
pub fn resolve(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("lantern"));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/lantern")),
        None => bail!("cannot find a data directory: set --data-dir, LANTERN_DATA_DIR or HOME"),
    }
}

/// Opens the log read-only, for commands that only look.
pub fn open_for_reading(dir: &Path) -> anyhow::Result<EventLog> {
    Ok(EventLog::open_read_only(&dir.join(LOG_FILE))?)
}
