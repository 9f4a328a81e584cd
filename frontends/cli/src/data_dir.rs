//! Where Lantern keeps its files.

use anyhow::{Context, bail};
use lantern_control::{Found, Holder};
use lantern_events::{EventLog, LOG_FILE, OpenError, ReadLog};
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

/// How long a command waits for a holder that is starting (it holds the
/// log but does not listen yet) before saying the log is held.
const STARTING: std::time::Duration = std::time::Duration::from_secs(2);

/// The running Lantern holding `dir`'s log, if one listens.
pub fn holder(dir: &Path) -> anyhow::Result<Option<Arc<Holder>>> {
    match Holder::find(dir)? {
        Found::Holder(h) => Ok(Some(h)),
        Found::Nobody | Found::Stale(_) => Ok(None),
    }
}

/// The running Lantern whose pipeline a prompt can go through, if one
/// holds `dir`; an error if the holder serves reads only.
pub fn pipeline_holder(dir: &Path) -> anyhow::Result<Option<Arc<Holder>>> {
    match holder(dir)? {
        Some(h) if !h.runs_pipeline() => anyhow::bail!(
            "{} is held by a `lantern ask` or `lantern demo` under way (pid {}), which serves reads but takes no \
             prompts; run this again when it ends, or use another --data-dir",
            dir.display(),
            h.pid()
        ),
        found => Ok(found),
    }
}

/// Opens the log for commands that only look: through its holder when a
/// Lantern holds it, else read-only here. A socket left by a holder that
/// died is removed (once the log is open here, no holder can be running)
/// and said so on stderr.
///
/// A log with damaged frames still opens; the damage is said once on
/// stderr. Reads of other events work; a read that reaches a damaged one
/// fails, naming its seqs.
pub fn open_for_reading(dir: &Path) -> anyhow::Result<Reading> {
    let deadline = std::time::Instant::now() + STARTING;
    let reading = loop {
        let found = Holder::find(dir)?;
        if let Found::Holder(h) = found {
            break Reading { log: Box::new(h.log()), holder: Some(h) };
        }
        match EventLog::open_read_only(&dir.join(LOG_FILE)) {
            Ok(log) => {
                if let Found::Stale(socket) = found {
                    match std::fs::remove_file(&socket) {
                        Ok(()) => eprintln!(
                            "lantern: removed {}, left by a Lantern that stopped without closing it (killed or \
                             crashed); reading the log directly",
                            socket.display()
                        ),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => eprintln!("lantern: warning: cannot remove the stale {}: {e}", socket.display()),
                    }
                }
                break Reading { log: Box::new(log), holder: None };
            }
            // A holder that is starting holds the log before it listens.
            Err(OpenError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => {
                if let Found::Stale(socket) = found {
                    eprintln!(
                        "lantern: {} was left by a Lantern that stopped without closing it (killed or crashed); \
                         the next `lantern serve` replaces it",
                        socket.display()
                    );
                }
                return Err(e.into());
            }
        }
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
