//! Where Lantern keeps its files.

use anyhow::{Context, bail};
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
///
/// A log with damaged frames still opens; the damage is said once on
/// stderr. Reads of other events work; a read that reaches a damaged one
/// fails, naming its seqs.
pub fn open_for_reading(dir: &Path) -> anyhow::Result<EventLog> {
    let log = EventLog::open_read_only(&dir.join(LOG_FILE))?;
    if let Some(damage) = log.damage() {
        eprintln!(
            "lantern: warning: {} is damaged ({damage}); anything that reads those events fails, \
             and listings count them as recorded. `lantern log check` lists the damage, \
             `lantern log repair` rebuilds the log",
            log.path().display()
        );
    }
    Ok(log)
}

/// Creates the data directory if needed and makes it its owner's alone
/// (0700): prompts, answers and the token live there.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let meta = dir.metadata().with_context(|| format!("cannot read {}", dir.display()))?;
    if meta.uid() == rustix::process::getuid().as_raw() && meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private (chmod 700)", dir.display()))?;
    }
    Ok(())
}
