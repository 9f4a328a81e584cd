//! `lantern log check` and `lantern log repair`: what state a log is in,
//! and a new log rebuilt from every frame that verifies.

use super::guard::guarded;
use super::verify::{self, Damage, Derived, LogReport, Scanned};
use super::{BY_REQUEST, BY_SESSION, FRAMES, LOST, META, META_SCHEMA};
use crate::codec::{SCHEMA_VERSION, frame};
use crate::error::OpenError;
use redb::{Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase};
use std::path::{Path, PathBuf};

/// The state of a log file, as `lantern log check` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The file was not closed cleanly; `report` is what a trial recovery
    /// on a copy found (the file itself was not touched).
    pub unclean: bool,
    /// What the frames, indexes and summaries hold; `None` when redb could
    /// not read the file at all.
    pub report: Option<LogReport>,
    /// Why redb could not read the file, when it could not.
    pub unreadable: Option<String>,
}

impl CheckReport {
    /// Healthy and closed cleanly: nothing to do.
    pub fn is_healthy(&self) -> bool {
        !self.unclean && self.report.as_ref().is_some_and(LogReport::is_healthy)
    }

    /// Readable, with nothing damaged: an unclean shutdown only, which any
    /// writing command (or `repair`) recovers without loss.
    pub fn is_recoverable_without_loss(&self) -> bool {
        self.report.as_ref().is_some_and(|r| r.damaged.is_empty())
    }
}

/// What `repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    /// The state it found.
    pub before: CheckReport,
    /// Events in the repaired log.
    pub kept_events: u64,
    /// What could not be recovered.
    pub lost: Vec<Damage>,
    /// Where the old file now is, when it was replaced.
    pub old_file: Option<PathBuf>,
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn corrupt(path: &Path, detail: impl Into<String>) -> OpenError {
    OpenError::Corrupt { path: path.to_owned(), detail: detail.into() }
}

fn io(path: &Path, e: std::io::Error) -> OpenError {
    OpenError::Storage { path: path.to_owned(), source: redb::Error::Io(e) }
}

/// Checks the log at `path` without changing it.
pub fn check(path: &Path) -> Result<CheckReport, OpenError> {
    if !path.exists() {
        return Err(OpenError::NotFound { path: path.to_owned() });
    }
    match guarded(|| ReadOnlyDatabase::open(path)) {
        Ok(Ok(db)) => {
            let report = guarded(|| {
                db.begin_read().map_err(|e| e.to_string()).and_then(|t| verify::check(&t).map_err(|e| e.to_string()))
            });
            Ok(match report {
                Ok(Ok(r)) => CheckReport { unclean: false, report: Some(r), unreadable: None },
                Ok(Err(e)) | Err(e) => CheckReport { unclean: false, report: None, unreadable: Some(e) },
            })
        }
        Ok(Err(DatabaseError::DatabaseAlreadyOpen)) => Err(OpenError::Locked { path: path.to_owned() }),
        Ok(Err(first)) => trial_recovery(path, &first.to_string()),
        Err(panic) => trial_recovery(path, &panic),
    }
}

/// Recovers a copy of `path` the way a writable open would, and checks the copy.
fn trial_recovery(path: &Path, why: &str) -> Result<CheckReport, OpenError> {
    let copy = sibling(path, ".checking");
    std::fs::copy(path, &copy).map_err(|e| io(path, e))?;
    let result = guarded(|| {
        let db = Database::create(&copy).map_err(|e| e.to_string())?;
        let txn = db.begin_read().map_err(|e| e.to_string())?;
        verify::check(&txn).map_err(|e| e.to_string())
    });
    let _ = std::fs::remove_file(&copy);
    Ok(match result {
        Ok(Ok(r)) => CheckReport { unclean: true, report: Some(r), unreadable: None },
        Ok(Err(e)) | Err(e) => {
            CheckReport { unclean: true, report: None, unreadable: Some(format!("{why}; recovery failed: {e}")) }
        }
    })
}

/// Rebuilds the log at `path` from every frame that verifies.
///
/// A log that is healthy is left alone; one that only needs the recovery an
/// unclean shutdown leaves is recovered in place. Otherwise the frames that
/// verify are written, with fresh indexes and summaries, to a new file
/// that replaces the old one, which is kept beside it
/// (`events.redb.damaged-<unix time>`); the seqs that could not be read are
/// recorded as lost so that later checks do not report them again.
pub fn repair(path: &Path) -> Result<RepairReport, OpenError> {
    let before = check(path)?;
    let nothing_lost =
        |before: CheckReport, kept| RepairReport { before, kept_events: kept, lost: Vec::new(), old_file: None };
    if before.is_healthy() {
        let kept = before.report.as_ref().map_or(0, |r| r.events);
        return Ok(nothing_lost(before, kept));
    }
    if let Some(report) = before.report.as_ref().filter(|r| r.is_healthy()) {
        // Only unclean: redb's own recovery, in place, loses nothing.
        let kept = report.events;
        guarded(|| Database::create(path).map(drop))
            .map_err(|p| corrupt(path, p))?
            .map_err(|e| corrupt(path, e.to_string()))?;
        return Ok(nothing_lost(before, kept));
    }
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let old = sibling(path, &format!(".damaged-{secs}"));
    if before.report.is_none() {
        // Nothing in it can be read: set it aside; the next command starts a new log.
        std::fs::rename(path, &old).map_err(|e| io(path, e))?;
        sync_dir(path);
        let detail = before.unreadable.clone().unwrap_or_default();
        let lost = vec![Damage { first: 1, last: None, detail: format!("the whole file is unreadable ({detail})") }];
        return Ok(RepairReport { before, kept_events: 0, lost, old_file: Some(old) });
    }
    let work = sibling(path, ".repairing");
    std::fs::copy(path, &work).map_err(|e| io(path, e))?;
    let new = sibling(path, ".new");
    let rebuilt = guarded(|| rebuild(&work, &new));
    let _ = std::fs::remove_file(&work);
    let (kept_events, lost) = match rebuilt {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return Err(e),
        Err(panic) => return Err(corrupt(path, panic)),
    };
    // The old file gets a second name first, then the new one replaces the
    // log in one rename: a crash at any point leaves a log in place.
    std::fs::hard_link(path, &old).map_err(|e| io(path, e))?;
    std::fs::rename(&new, path).map_err(|e| io(path, e))?;
    sync_dir(path);
    Ok(RepairReport { before, kept_events, lost, old_file: Some(old) })
}

/// Makes the renames in `path`'s directory durable (best effort).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// Writes every verified frame of `from` (a copy, recovered here) into a
/// new log at `to`. Returns the events kept and what was lost.
fn rebuild(from: &Path, to: &Path) -> Result<(u64, Vec<Damage>), OpenError> {
    let src = Database::create(from).map_err(|e| corrupt(from, e.to_string()))?;
    let txn = src.begin_read().map_err(|e| corrupt(from, e.to_string()))?;
    let schema = txn.open_table(META).ok().and_then(|m| m.get(META_SCHEMA).ok().flatten().map(|v| v.value()));
    if let Some(found) = schema.filter(|v| *v > u64::from(SCHEMA_VERSION)) {
        // Its newer records would look damaged to this build: leave it to a newer one.
        return Err(OpenError::SchemaTooNew { path: from.to_owned(), found, supported: SCHEMA_VERSION });
    }
    let report = verify::check(&txn).map_err(|e| corrupt(from, e.to_string()))?;
    let mut kept = Vec::new();
    verify::scan_frames(&txn, true, |s: Scanned| {
        if let Ok(events) = s.content {
            kept.push((s.first, events));
        }
    })
    .map_err(|e| corrupt(from, e.to_string()))?;
    let _ = std::fs::remove_file(to);
    let dst = Database::create(to).map_err(|e| corrupt(to, e.to_string()))?;
    let w = dst.begin_write().map_err(|e| corrupt(to, e.to_string()))?;
    let fail = |e: redb::Error| corrupt(to, e.to_string());
    let mut events = 0;
    {
        let mut frames = w.open_table(FRAMES).map_err(|e| fail(e.into()))?;
        let mut by_session = w.open_table(BY_SESSION).map_err(|e| fail(e.into()))?;
        let mut by_request = w.open_table(BY_REQUEST).map_err(|e| fail(e.into()))?;
        let mut lost = w.open_table(LOST).map_err(|e| fail(e.into()))?;
        let mut meta = w.open_table(META).map_err(|e| fail(e.into()))?;
        // The indexes and summaries, derived as verification derives them.
        let mut derived = Derived::default();
        for (first, records) in &kept {
            let bytes = frame::encode(*first, records.iter().map(|(r, _)| r.as_slice()));
            frames.insert(*first, bytes.as_slice()).map_err(|e| fail(e.into()))?;
            derived.add(*first, records);
            events += records.len() as u64;
        }
        for key in &derived.by_session {
            by_session.insert(key, ()).map_err(|e| fail(e.into()))?;
        }
        for key in &derived.by_request {
            by_request.insert(key, ()).map_err(|e| fail(e.into()))?;
        }
        // Seqs after the last kept event are not recorded as lost: the
        // next appends reuse them.
        let kept_last = kept.last().map_or(0, |(first, records)| first + records.len() as u64 - 1);
        let runs = report.lost.iter().map(|r| (*r.start(), *r.end()));
        let damaged = report.damaged.iter().filter_map(|d| Some((d.first, d.last?)));
        for (a, b) in runs.chain(damaged).filter(|(a, _)| *a <= kept_last) {
            lost.insert(a, b.min(kept_last)).map_err(|e| fail(e.into()))?;
        }
        meta.insert(META_SCHEMA, u64::from(SCHEMA_VERSION)).map_err(|e| fail(e.into()))?;
        drop((frames, by_session, by_request, lost, meta));
        derived.sessions.apply(&w).map_err(fail)?;
    }
    w.commit().map_err(|e| fail(e.into()))?;
    Ok((events, report.damaged))
}
