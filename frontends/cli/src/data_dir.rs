//! Where Lantern keeps its files.

use anyhow::{Context, bail};
use lantern_control::{Found, Holder};
use lantern_events::{EventLog, LOG_FILE, ReadLog};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// The log a command reads: through the running Lantern that holds it
/// (`lantern serve`), or opened read-only here when nothing holds it.
pub struct Reading {
    /// The log.
    pub log: Box<dyn ReadLog>,
    /// The holder it is read through, if any.
    pub holder: Option<Arc<Holder>>,
}

impl std::ops::Deref for Reading {
    type Target = dyn ReadLog;

    fn deref(&self) -> &Self::Target {
        &*self.log
    }
}

/// The running Lantern holding `dir`'s log, if there is one. A socket a
/// crashed holder left behind is removed, and said so on stderr.
pub fn holder(dir: &Path) -> anyhow::Result<Option<Arc<Holder>>> {
    match Holder::find(dir)? {
        Found::Holder(h) => Ok(Some(h)),
        Found::Nobody => Ok(None),
        Found::RemovedStale(socket) => {
            eprintln!(
                "lantern: removed {}, left by a Lantern that stopped without closing it (killed or crashed); \
                 reading the log directly",
                socket.display()
            );
            Ok(None)
        }
    }
}

/// Opens the log for commands that only look: through its holder when a
/// Lantern holds it, else read-only here.
///
/// A log with damaged frames still opens; the damage is said once on
/// stderr. Reads of other events work; a read that reaches a damaged one
/// fails, naming its seqs.
pub fn open_for_reading(dir: &Path) -> anyhow::Result<Reading> {
    let reading = match holder(dir)? {
        Some(h) => Reading { log: Box::new(h.log()), holder: Some(h) },
        None => Reading { log: Box::new(EventLog::open_read_only(&dir.join(LOG_FILE))?), holder: None },
    };
    if let Some(damage) = reading.damage() {
        eprintln!(
            "lantern: warning: {} is damaged ({damage}); anything that reads those events fails, \
             and listings count them as recorded. `lantern log check` lists the damage, \
             `lantern log repair` rebuilds the log",
            reading.path().display()
        );
    }
    Ok(reading)
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
