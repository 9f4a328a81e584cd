//! `lantern log check` and `lantern log repair`: the state of the event log,
//! and a new one rebuilt from every part of a damaged one that verifies.

use lantern_events::{CheckReport, LOG_FILE, LogReport, check_log, repair_log};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// `lantern log …`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Verify every frame, the indexes and the session summaries; change nothing.
    /// Exits 0 when nothing is lost (healthy, or only not closed cleanly, which
    /// the next writing command recovers), 1 when it needs `lantern log repair`.
    Check,
    /// Rebuild the log from every frame that verifies, keeping the old file
    /// beside it (`events.redb.damaged-<time>`), and say what was lost.
    Repair,
}

/// Runs a `log` subcommand.
pub fn run(dir: &Path, cmd: &Command, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let path = dir.join(LOG_FILE);
    match cmd {
        Command::Check => {
            let report = check_log(&path)?;
            describe(&path, &report, out)?;
            let fine = report.report.as_ref().is_some_and(LogReport::is_healthy);
            Ok(if fine { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Repair => {
            let done = repair_log(&path)?;
            if done.before.is_healthy() {
                writeln!(out, "{}: healthy, {} events; nothing to repair.", path.display(), done.kept_events)?;
                return Ok(ExitCode::SUCCESS);
            }
            match &done.old_file {
                None => writeln!(
                    out,
                    "{}: recovered after an unclean shutdown; all {} events kept, nothing lost.",
                    path.display(),
                    done.kept_events
                )?,
                Some(old) if done.before.report.is_none() => {
                    for d in &done.lost {
                        writeln!(out, "lost: {d}")?;
                    }
                    writeln!(
                        out,
                        "{}: set aside at {}, as it was; the next command that records starts a new log.",
                        path.display(),
                        old.display()
                    )?;
                }
                Some(old) => {
                    writeln!(out, "{}: rebuilt with {} events.", path.display(), done.kept_events)?;
                    if done.lost.is_empty() {
                        writeln!(out, "Nothing was lost (the indexes were rebuilt from the frames).")?;
                    }
                    for d in &done.lost {
                        writeln!(out, "lost: {d}")?;
                    }
                    writeln!(out, "The old file is kept at {}.", old.display())?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn describe(path: &Path, check: &CheckReport, out: &mut impl Write) -> std::io::Result<()> {
    let Some(report) = &check.report else {
        writeln!(out, "{}: unreadable: {}", path.display(), check.unreadable.as_deref().unwrap_or("unknown"))?;
        return writeln!(
            out,
            "The storage engine cannot read this file, even after recovery on a copy; nothing in it can be \
             recovered by Lantern. `lantern log repair` sets it aside (unchanged) so that a new log can start."
        );
    };
    let state = match (check.unclean, report.is_healthy()) {
        (false, true) => "healthy",
        (true, true) => "not closed cleanly, recoverable without loss",
        (_, false) => "damaged",
    };
    writeln!(out, "{}: {state}", path.display())?;
    facts(report, out)?;
    if check.unclean && report.is_healthy() {
        writeln!(
            out,
            "A trial recovery on a copy read every event. The next command that writes (`lantern serve`, \
             `lantern ask`) recovers the file, or run `lantern log repair` now."
        )?;
    } else if !report.is_healthy() {
        writeln!(
            out,
            "Run `lantern log repair` to rebuild the log from every frame that verifies; the old file is kept."
        )?;
    }
    Ok(())
}

fn facts(r: &LogReport, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "  {} events in {} verified frames, newest seq {}", r.events, r.frames, r.last_seq)?;
    for d in &r.damaged {
        writeln!(out, "  damaged: {d}")?;
    }
    for i in &r.index {
        writeln!(out, "  index: {i} (rebuildable from the frames; nothing lost)")?;
    }
    for run in &r.lost {
        writeln!(out, "  lost in an earlier repair: seqs {}–{}", run.start(), run.end())?;
    }
    if r.legacy_frames > 0 {
        writeln!(out, "  {} frames predate checksums (sealed at the next writable open)", r.legacy_frames)?;
    }
    Ok(())
}
